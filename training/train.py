"""Train the hint network.

    python -m training.train --data data/corpus-v3 --out runs/hintnet-v2 --steps 5000 --threads 2   # the shipped run (docs/MODEL_CARD.md)
    python -m training.train --data data/corpus-v3 --out runs/hintnet-v2 --steps 5000 --threads 2 --resume   # continue it
    python -m training.train --data tests/photos --out /tmp/smoke --smoke          # < 1 minute

The encoder starts from ImageNet (``training.pretrained``; ``--no-pretrained`` for the ablation)
and is fine-tuned at ``encoder_lr_ratio`` of the decoder's learning rate, so the warm-up of the
randomly initialised decoder does not wash out what the encoder knows. Every step draws fresh
crops, degradations and hints (no cached features: a fixed cache overfits within minutes).

Loss: smooth-L1 on ab / AB_NORM (the PSNR-relevant regression) plus a small cross-entropy on
the quantised ab bins (the distribution behind colour suggestions). AdamW, linear warm-up then
cosine decay. Runs on CUDA when present, else on the CPU (bfloat16 autocast where the CPU
supports it). Checkpoints hold the model config, the training config, the weights, the
optimizer state, the step, the best validation score and the sampler's random state, so
``--resume`` continues exactly: a run stopped (``--stop-at``, or killed after a checkpoint)
and resumed ends with the same weights, bit for bit, as one uninterrupted run with the same
thread count on the same kind of CPU (tests/test_training_pipeline.py checks this).
``training.export`` rebuilds the model from the file alone.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from findcolor.color import AB_NORM
from findcolor.model import HintNet, HintNetConfig, ab_to_bin, build_model
from findcolor.network_io import load_unfused
from training.dataset import Batch, CropSampler, load_photos
from training.pretrained import load_pretrained_encoder
from training.photos import photos_in_split
from training.protocol import EvalView, evaluation_views, hint_set, psnr_rgb, rgb_from

log = logging.getLogger(__name__)

VALIDATION_HINT_COUNTS = (0, 2, 10)  # a cheap summary of the full table, for checkpoint selection


@dataclass
class TrainConfig:
    data: str = "data/corpus-v3"  # corpus folder (with manifest.json) or any folder of colour photos
    out: str = "runs/hintnet-v2"  # run folder: checkpoints, train.log, metrics.jsonl
    steps: int = 5000  # optimizer steps (the cosine schedule ends here)
    batch_size: int = 12
    crop_size: int = 192  # training crops are crop_size x crop_size (a multiple of 32)
    lr: float = 1.5e-3  # peak learning rate (decoder, hint pyramid, heads)
    encoder_lr_ratio: float = 0.2  # the pretrained encoder learns at lr * this
    pretrained: bool = True  # start the encoder from ImageNet (training.pretrained)
    min_lr_ratio: float = 0.02  # final learning rate = lr * min_lr_ratio
    warmup_steps: int = 200
    weight_decay: float = 0.02
    huber_beta: float = 0.05  # smooth-L1 transition, in ab / AB_NORM units (~5.5 ab)
    ce_weight: float = 0.02  # weight of the ab-bin cross-entropy
    degrade: bool = True  # old-photo degradations on the input L
    seed: int = 0
    threads: int = 2  # CPU threads; the result is bit-reproducible only with the same count (the shipped run used 1)
    bf16: bool = True  # bfloat16 autocast on CPUs that support it (ignored on CUDA, which uses fp16 AMP)
    log_every: int = 50  # steps between loss lines in metrics.jsonl
    eval_every: int = 500  # steps between validation passes (0 = never)
    val_photos: int | None = None  # limit on validation photos (None = all)
    checkpoint_minutes: float = 5.0  # wall-clock minutes between "last" checkpoints
    stop_at: int | None = None  # end this run after this step (last.pt written); --resume continues the same schedule
    init_from: str = ""  # a weights folder (hintnet.safetensors + hintnet.json) to start from instead of ImageNet
    init_lr_ratio: float = 1.0  # with init_from: the loaded parameters learn at this share of the rate (new blocks at the full rate)
    hint_colour_gain: float = 0.0  # extra loss weight on pixels whose true colour is a hint's (see hint_colour_weights)
    hint_colour_sigma: float = 10.0  # ab distance at which that extra weight has fallen to 1/e
    model: dict = field(default_factory=dict)  # overrides of HintNetConfig fields (with init_from: blocks to add, e.g. hint_attention_dim)


SMOKE_OVERRIDES = {
    "steps": 40,
    "batch_size": 4,
    "crop_size": 64,
    "warmup_steps": 5,
    "lr": 3e-3,
    "eval_every": 0,
    "log_every": 4,
    "checkpoint_minutes": 0.0,
    "pretrained": False,
    "model": {"decoder_widths": [8, 8, 16, 16, 16], "hint_widths": [4, 4, 4, 4, 4], "regions": 2},
}


def get_lr(step: int, config: TrainConfig) -> float:
    """Linear warm-up to ``lr``, then cosine decay to ``lr * min_lr_ratio`` at ``steps``."""
    if step < config.warmup_steps:
        return config.lr * (step + 1) / config.warmup_steps
    progress = min(1.0, (step - config.warmup_steps) / max(1, config.steps - config.warmup_steps))
    floor = config.lr * config.min_lr_ratio
    return floor + 0.5 * (config.lr - floor) * (1.0 + math.cos(math.pi * progress))


MAX_WEIGHTING_HINT_COLOURS = 16  # hint pixels per sample whose colours define hint_colour_weights


def hint_colour_weights(batch: Batch, gain: float, sigma: float) -> torch.Tensor:
    """Per-pixel loss weights (B, 1, H, W): ``1 + gain`` where the true colour equals a hint's.

    With one or two hints, the pixels a hint should recolour are a small part of the crop and
    their loss is drowned by the pixels the network has to guess anyway, so the network learns
    to lean on its prior rather than on the curator. Weighting the pixels whose true ab is
    near the ab of some hint (within ``sigma``, Gaussian) makes "spread the hint to where it
    belongs" pay, while bleeding into pixels of other colours still costs the full loss.
    The hint pixels used are evenly spaced in scan order, so the weights are deterministic.
    """
    weights = torch.ones_like(batch.hint_mask)
    if gain <= 0:
        return weights
    for index in range(batch.hint_mask.shape[0]):
        hinted = batch.hint_mask[index, 0].flatten().nonzero().squeeze(1)
        if hinted.numel() == 0:
            continue
        chosen = hinted[torch.linspace(0, hinted.numel() - 1, min(MAX_WEIGHTING_HINT_COLOURS, hinted.numel())).long()]
        colours = batch.hint_ab[index].flatten(1)[:, chosen]  # (2, K)
        distance = (batch.target_ab[index].flatten(1)[:, :, None] - colours[:, None, :]).square().sum(0).min(1).values.sqrt()
        weights[index, 0] += gain * torch.exp(-(distance / sigma).square()).view_as(weights[index, 0])
    return weights


def compute_loss(out: dict[str, torch.Tensor], batch: Batch, model_config: HintNetConfig, config: TrainConfig) -> tuple[torch.Tensor, dict[str, float]]:
    per_pixel = F.smooth_l1_loss(out["ab"].float() / AB_NORM, batch.target_ab / AB_NORM, beta=config.huber_beta, reduction="none")
    weights = hint_colour_weights(batch, config.hint_colour_gain, config.hint_colour_sigma)
    regression = (per_pixel * weights).mean() / weights.mean()
    logits = out["bin_logits"].float()
    coarse_target = F.adaptive_avg_pool2d(batch.target_ab, logits.shape[-2:])
    classification = F.cross_entropy(logits, ab_to_bin(coarse_target, model_config))
    total = regression + config.ce_weight * classification
    return total, {"loss": total.item(), "l1": regression.item(), "ce": classification.item()}


def parameter_groups(model: HintNet, config: TrainConfig, initialised: frozenset[str] = frozenset()) -> list[dict]:
    """AdamW groups by (pretrained encoder?, started from --init-from?, weights with decay | biases
    and norms without).

    The encoder's hint injections start at zero and are new, so they learn at the full rate.
    With ``--init-from``, the parameters named in ``initialised`` (those loaded from the weights
    folder) learn at ``init_lr_ratio`` of their rate, so that blocks added to a trained network
    can learn fast without shaking what it already knows."""
    groups: dict[tuple[bool, bool, bool], list[torch.nn.Parameter]] = {}
    for name, parameter in model.named_parameters():
        pretrained = name.startswith("encoder.") and not name.startswith("encoder.hint_injections.")
        groups.setdefault((pretrained, name in initialised, parameter.ndim > 1), []).append(parameter)
    return [
        {
            "params": params,
            "weight_decay": config.weight_decay if decayed else 0.0,
            "lr_scale": (config.encoder_lr_ratio if pretrained else 1.0) * (config.init_lr_ratio if loaded else 1.0),
        }
        for (pretrained, loaded, decayed), params in sorted(groups.items())
    ]


def start_from_weights(directory: Path, overrides: dict) -> tuple[HintNet, frozenset[str], dict]:
    """The network in a weights folder, with ``overrides`` applied to its config (blocks to add,
    such as ``hint_attention_dim``): (model, names of the parameters loaded, provenance).

    Only parameters of blocks the overrides add may be missing from the file, and the file may
    hold nothing the new network lacks; anything else is a mistake and raises."""
    loaded, metadata, sha256 = load_unfused(directory)
    model = build_model(HintNetConfig.from_dict({**loaded.config.to_dict(), **overrides}))
    state = loaded.state_dict()
    try:
        missing, unexpected = model.load_state_dict(state, strict=False)
    except RuntimeError as error:  # a trained block changed shape
        raise ValueError(f"--model {overrides} does not extend the network in {directory}: {str(error).splitlines()[1].strip()}") from None
    if unexpected or any(name in state for name in missing):
        raise ValueError(f"--model {overrides} does not extend the network in {directory}: missing {missing}, unexpected {unexpected}")
    provenance = {"init_from": str(directory), "sha256": sha256, "step": metadata.get("step"), "train_config": metadata.get("train_config"), "added": sorted(missing)}
    return model, frozenset(name for name, _ in model.named_parameters() if name in state), provenance


def select_device() -> torch.device:
    return torch.device("cuda") if torch.cuda.is_available() else torch.device("cpu")


def autocast_context(device: torch.device, config: TrainConfig):
    if device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.float16)
    enabled = config.bf16 and torch.backends.mkldnn.is_available() and _cpu_has_bf16()
    return torch.autocast("cpu", dtype=torch.bfloat16, enabled=enabled)


def _cpu_has_bf16() -> bool:
    try:
        return "avx512_bf16" in Path("/proc/cpuinfo").read_text() or "amx_bf16" in Path("/proc/cpuinfo").read_text()
    except OSError:
        return False


@torch.no_grad()
def validate(model: HintNet, views: list[EvalView], device: torch.device, counts: tuple[int, ...] = VALIDATION_HINT_COUNTS) -> dict[str, float]:
    """Mean RGB PSNR of the network alone on the validation views, per hint count."""
    model.eval()
    scores: dict[str, float] = {}
    for count in counts:
        values = []
        for view in views:
            hint_ab, hint_mask = hint_set(view, count)
            to = lambda array: torch.from_numpy(np.ascontiguousarray(array)).to(device)  # noqa: E731
            out = model(
                to(view.lab[..., 0])[None, None],
                to(hint_ab).permute(2, 0, 1)[None],
                to(hint_mask.astype(np.float32))[None, None],
                torch.zeros(1, model.config.global_dim, device=device),
                with_bins=False,
            )
            ab = out["ab"][0].permute(1, 2, 0).float().cpu().numpy()
            values.append(psnr_rgb(rgb_from(view.lab[..., 0], ab), view.rgb))
        scores[f"psnr@{count}"] = float(np.mean(values))
    scores["psnr_mean"] = float(np.mean([scores[f"psnr@{c}"] for c in counts]))
    model.train()
    return scores


def save_checkpoint(
    path: Path, model: HintNet, optimizer: torch.optim.Optimizer, step: int, best: float, config: TrainConfig, sampler: CropSampler, pretrained_from: dict | None
) -> None:
    """Atomic write (temporary file + rename), so an interrupted save never corrupts a checkpoint."""
    state = {
        "pretrained_from": pretrained_from,
        "model_config": model.config.to_dict(),
        "train_config": dataclasses.asdict(config),
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "step": step,
        "best_val": best,
        "sampler_rng": sampler.rng.bit_generator.state,
    }
    tmp = path.with_suffix(".tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)


def train(config: TrainConfig, *, resume: bool = False) -> dict[str, float]:
    """Run training (or continue it from ``out/last.pt``); returns the last logged losses."""
    torch.set_num_threads(config.threads)
    torch.manual_seed(config.seed)
    device = select_device()
    out_dir = Path(config.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    resume_path = out_dir / "last.pt"
    checkpoint = torch.load(resume_path, map_location="cpu", weights_only=False) if resume else None
    pretrained_from = None
    initialised: frozenset[str] = frozenset()
    if checkpoint:  # the checkpoint alone rebuilds the run: the --init-from folder may have changed since
        model = build_model(HintNetConfig.from_dict(checkpoint["model_config"]))
        if config.init_from:
            added = set((checkpoint.get("pretrained_from") or {}).get("added", ()))
            initialised = frozenset(name for name, _ in model.named_parameters() if name not in added)
    elif config.init_from:
        model, initialised, pretrained_from = start_from_weights(Path(config.init_from), config.model)
        log.info("starting from the weights in %s (sha256 %s), added %s", config.init_from, pretrained_from["sha256"], pretrained_from["added"])
    else:
        model = build_model(HintNetConfig.from_dict(config.model))
    model_config = model.config
    if config.pretrained and not checkpoint and not config.init_from:
        pretrained_from = load_pretrained_encoder(model)
        log.info("encoder initialised from ImageNet: %s", pretrained_from)
    model = model.to(device)
    optimizer = torch.optim.AdamW(parameter_groups(model, config, initialised), lr=config.lr, betas=(0.9, 0.99))
    images = load_photos(photos_in_split(Path(config.data), "train"))
    sampler = CropSampler(images, model_config, config.crop_size, degrade_input=config.degrade, seed=config.seed)
    views = evaluation_views(Path(config.data), "val", config.val_photos) if config.eval_every else []
    step, best = 0, -math.inf
    if checkpoint:
        model.load_state_dict(checkpoint["model"])
        optimizer.load_state_dict(checkpoint["optimizer"])
        step, best = checkpoint["step"], checkpoint["best_val"]
        pretrained_from = checkpoint.get("pretrained_from")
        sampler.rng.bit_generator.state = checkpoint["sampler_rng"]
        log.info("resumed from %s at step %d (best validation %.3f dB)", resume_path, step, best)
    log.info("%d training photos, %d validation views, device %s, config %s", len(images), len(views), device, json.dumps(dataclasses.asdict(config)))
    metrics_file = (out_dir / "metrics.jsonl").open("a")
    last_save = time.monotonic()
    parts: dict[str, float] = {}
    model.train()
    progress = tqdm(range(step, config.steps), initial=step, total=config.steps, mininterval=30.0, desc="train")
    for step in progress:
        lr = get_lr(step, config)
        for group in optimizer.param_groups:
            group["lr"] = lr * group["lr_scale"]
        batch = sampler.batch(config.batch_size)
        batch = Batch(*(t.to(device).contiguous(memory_format=torch.channels_last) if t.ndim == 4 else t.to(device) for t in dataclasses.astuple(batch)))
        with autocast_context(device, config):
            out = model(batch.lightness, batch.hint_ab, batch.hint_mask, batch.global_hints)
        loss, parts = compute_loss(out, batch, model_config, config)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        done = step + 1
        if done % config.log_every == 0:
            progress.set_postfix(loss=f"{parts['loss']:.4f}", l1=f"{parts['l1']:.4f}", ce=f"{parts['ce']:.3f}", lr=f"{lr:.2e}")
            metrics_file.write(json.dumps({"step": done, "lr": lr, **parts, "time": time.time()}) + "\n")
            metrics_file.flush()
        if config.eval_every and (done % config.eval_every == 0 or done == config.steps):
            scores = validate(model, views, device)
            metrics_file.write(json.dumps({"step": done, "val": scores, "time": time.time()}) + "\n")
            metrics_file.flush()
            log.info("step %d validation %s", done, {k: round(v, 3) for k, v in scores.items()})
            if scores["psnr_mean"] > best:
                best = scores["psnr_mean"]
                save_checkpoint(out_dir / "best.pt", model, optimizer, done, best, config, sampler, pretrained_from)
        stopping = config.stop_at is not None and done >= config.stop_at
        if done == config.steps or stopping or time.monotonic() - last_save >= config.checkpoint_minutes * 60.0:
            save_checkpoint(resume_path, model, optimizer, done, best, config, sampler, pretrained_from)
            last_save = time.monotonic()
        if stopping:
            log.info("stopped after step %d as asked (--stop-at); continue with --resume", done)
            break
    metrics_file.close()
    return parts


def parse_args(argv: list[str] | None = None) -> tuple[TrainConfig, bool]:
    """Command line -> (config, resume)."""
    parser = argparse.ArgumentParser(description="Train the Find Color hint network.")
    defaults = TrainConfig()
    for f in dataclasses.fields(TrainConfig):
        if f.name == "model":
            parser.add_argument("--model", type=json.loads, default={}, help="JSON object of HintNetConfig overrides")
        elif f.type == "bool":
            parser.add_argument(f"--{f.name.replace('_', '-')}", action=argparse.BooleanOptionalAction, default=getattr(defaults, f.name))
        elif f.type == "int | None":
            parser.add_argument(f"--{f.name.replace('_', '-')}", type=int, default=None)
        else:
            kind = {"int": int, "float": float, "str": str}[str(f.type)]
            parser.add_argument(f"--{f.name.replace('_', '-')}", type=kind, default=getattr(defaults, f.name))
    parser.add_argument("--resume", action="store_true", help="continue from OUT/last.pt")
    parser.add_argument("--smoke", action="store_true", help="tiny model and run (tests, < 1 minute)")
    args = vars(parser.parse_args(argv))
    resume, smoke = args.pop("resume"), args.pop("smoke")
    config = TrainConfig(**args)
    if smoke:
        config = dataclasses.replace(config, **SMOKE_OVERRIDES)
    return config, resume


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    config, resume = parse_args(argv)
    parts = train(config, resume=resume)
    log.info("finished: %s", parts)


if __name__ == "__main__":
    main()
