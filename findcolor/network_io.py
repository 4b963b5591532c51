"""The shipped hint network as a callable: its two files, loading them, and one inference call.

Weights live in ``findcolor/weights/hintnet.safetensors`` next to ``hintnet.json`` (the model
config, how the weights were trained, and the combined engine's tuned blend settings), so the
network is rebuilt from those two files alone. The engines (``findcolor.neural``,
``findcolor.combined``) and colour suggestions (``findcolor.suggestions``) all run it through
:func:`run_network`.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file, save_file

from findcolor.errors import EngineError
from findcolor.hints import Hints, palette_ab
from findcolor.model import HintNet, HintNetConfig, build_model, config_from_dict, fuse_for_inference, global_hint_vector, palette_histogram

WEIGHTS_DIR = Path(__file__).parent / "weights"
WEIGHTS_NAME = "hintnet"
WORKING_SIDE = 256  # the resolution the network was evaluated at (and the 30 ms budget)


@dataclass(frozen=True)
class LoadedWeights:
    model: HintNet  # fused, eval mode, channels-last (a v1 network for v1 files)
    config: HintNetConfig  # or the v1 config, for v1 files
    metadata: dict  # the JSON next to the weights
    sha256: str  # of the .safetensors file


def weights_paths(directory: Path = WEIGHTS_DIR) -> tuple[Path, Path]:
    return directory / f"{WEIGHTS_NAME}.safetensors", directory / f"{WEIGHTS_NAME}.json"


def weights_available(directory: Path = WEIGHTS_DIR) -> bool:
    """True when the shipped network (weights + config) is installed."""
    weights, metadata = weights_paths(directory)
    return weights.is_file() and metadata.is_file()


def save_weights(model: HintNet, metadata: dict, directory: Path = WEIGHTS_DIR) -> str:
    """Write ``hintnet.safetensors`` + ``hintnet.json``; returns the weights' SHA-256."""
    directory.mkdir(parents=True, exist_ok=True)
    weights, meta_path = weights_paths(directory)
    state = {name: tensor.detach().contiguous().cpu() for name, tensor in model.state_dict().items()}
    save_file(state, str(weights))
    weights.chmod(0o644)  # package data: readable by every user of an installation
    sha = hashlib.sha256(weights.read_bytes()).hexdigest()
    meta_path.write_text(json.dumps({**metadata, "model_config": model.config.to_dict(), "sha256": sha}, indent=1))
    return sha


def load_unfused(directory: Path = WEIGHTS_DIR) -> tuple[HintNet, dict, str]:
    """The network exactly as trained (eval mode, batch norms separate), its metadata and SHA-256."""
    weights, meta_path = weights_paths(directory)
    if not weights_available(directory):
        raise EngineError(f"no model weights in {directory} (use the classical engine, or train: see docs/MODEL_CARD.md)")
    try:
        metadata = json.loads(meta_path.read_text())
        config = config_from_dict(metadata["model_config"])
        model = build_model(config)
        model.load_state_dict(load_file(str(weights)))
    except Exception as error:  # noqa: BLE001 - any damage to the files is one user-facing problem
        raise EngineError(f"model weights in {directory} are unreadable: {str(error).splitlines()[0]}") from None
    sha = hashlib.sha256(weights.read_bytes()).hexdigest()
    return model.eval(), metadata, sha


@lru_cache(maxsize=4)
def load_weights(directory: Path = WEIGHTS_DIR) -> LoadedWeights:
    """Load, fuse batch norms, and warm up once (the first pass in a process is ~10x slower)."""
    model, metadata, sha = load_unfused(directory)
    model = fuse_for_inference(model)
    loaded = LoadedWeights(model, model.config, metadata, sha)
    with torch.inference_mode():  # at the working size: oneDNN prepares its kernels per input shape
        zeros = torch.zeros(1, 1, WORKING_SIDE, WORKING_SIDE).contiguous(memory_format=torch.channels_last)
        ab = torch.zeros(1, 2, WORKING_SIDE, WORKING_SIDE).contiguous(memory_format=torch.channels_last)
        model(zeros + 50.0, ab, zeros, torch.zeros(1, model.config.global_dim), with_bins=False)
    return loaded


def global_hints_of(hints: Hints, config: HintNetConfig) -> np.ndarray:
    """The global-hint vector of a curator's palette and saturation (flags off when absent)."""
    palette = palette_ab(hints)
    histogram = None
    if palette:
        colours = np.array([(a, b) for a, b, _ in palette], dtype=np.float32)
        weights = np.array([w for _, _, w in palette], dtype=np.float32)
        histogram = palette_histogram(colours, weights, config)
    return global_hint_vector(config, histogram, hints.saturation)


def padded_shape(height: int, width: int, multiple: int) -> tuple[int, int]:
    """(height, width) rounded up to multiples of ``multiple``: the size the network runs at."""
    return height + (-height) % multiple, width + (-width) % multiple


def _padded(array: np.ndarray, multiple: int) -> np.ndarray:
    """Reflect-pad the first two axes of ``array`` up to multiples of ``multiple``."""
    h, w = array.shape[:2]
    padded_h, padded_w = padded_shape(h, w, multiple)
    pad_h, pad_w = padded_h - h, padded_w - w
    if pad_h == 0 and pad_w == 0:
        return array
    mode = "reflect" if min(h, w) > max(pad_h, pad_w) else "edge"
    return np.pad(array, [(0, pad_h), (0, pad_w)] + [(0, 0)] * (array.ndim - 2), mode=mode)


def chroma_scale(weights: LoadedWeights) -> float:
    """The calibration of the network's chroma tuned on the validation split (``chroma_scale`` in
    ``hintnet.json``, 1 when absent): a regression head trained on a few hundred photos is
    confidently wrong on unseen ones, and scaling its chroma down trades a little colourfulness
    for accuracy (``training.evaluate --tune-chroma`` keeps colourfulness at or above a floor)."""
    return float(weights.metadata.get("chroma_scale", 1.0))


_inference_lock = threading.Lock()  # one model instance is shared by every caller of the process


def run_network(
    weights: LoadedWeights,
    lightness: np.ndarray,
    hint_ab: np.ndarray,
    hint_mask: np.ndarray,
    hints: Hints,
    *,
    with_bins: bool = False,
    with_calibration: bool = True,
    with_features: bool = False,
) -> dict[str, np.ndarray]:
    """The network on one image: ``ab`` (h, w, 2) and, with ``with_bins``, ``bin_logits``
    (Q, h', w') over the padded image (:func:`padded_shape`) at the bin head's resolution;
    with ``with_features`` (v2 networks), ``features`` (ceil(h/8), ceil(w/8), C): the decoder's
    features at 1/8 over the image itself.
    ``ab`` is multiplied by the weights' tuned :func:`chroma_scale` unless ``with_calibration``
    is off (tuning measures the raw network)."""
    h, w = lightness.shape
    multiple = weights.config.multiple
    light = _padded(np.asarray(lightness, dtype=np.float32), multiple)
    masked_ab = np.where(hint_mask[..., None], hint_ab, 0.0).astype(np.float32)
    hint = _padded(masked_ab, multiple)
    mask = _padded(np.asarray(hint_mask, dtype=np.float32), multiple)
    if (light.shape[0] - h) or (light.shape[1] - w):  # padding must not invent hints
        mask[h:, :] = 0.0
        mask[:, w:] = 0.0
        hint = hint * mask[..., None]
    channels_last = torch.channels_last
    with _inference_lock, torch.inference_mode():
        out = weights.model(
            torch.from_numpy(light)[None, None].contiguous(memory_format=channels_last),
            torch.from_numpy(np.ascontiguousarray(hint)).permute(2, 0, 1)[None].contiguous(memory_format=channels_last),
            torch.from_numpy(mask)[None, None].contiguous(memory_format=channels_last),
            torch.from_numpy(global_hints_of(hints, weights.config))[None],
            with_bins=with_bins,
            **({"with_features": True} if with_features else {}),  # only v2 networks take the keyword
        )
    ab = out["ab"][0, :, :h, :w].permute(1, 2, 0).numpy().astype(np.float32)
    result = {"ab": ab * chroma_scale(weights) if with_calibration else ab}
    if with_bins:
        result["bin_logits"] = out["bin_logits"][0].numpy()
    if with_features:
        features = out["features"][0]
        stride = light.shape[0] // features.shape[1]
        result["features"] = features[:, : -(-h // stride), : -(-w // stride)].permute(1, 2, 0).float().numpy()
    return result
