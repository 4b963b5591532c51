"""Turn a training checkpoint into the shipped weights.

    python -m training.export --checkpoint runs/hintnet-v2/best.pt --chroma-tuning runs/eval-v2/chroma_tuning_val.json --blend-tuning runs/eval-v2/blend_tuning_val.json
    python -m training.export --weights findcolor/weights --blend-tuning runs/blend-feat/blend_tuning_val.json   # re-tune only

writes ``findcolor/weights/hintnet.safetensors`` (the weights, float32) and ``hintnet.json``
(the model config, the training config and step, the corpus it saw, the combined engine's
blend scales tuned on the validation split, and the SHA-256 of the weights). With
``--weights`` instead of ``--checkpoint`` the network is kept as it is (same SHA-256) and only
the tunings in ``hintnet.json`` change.
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

import torch

from findcolor.model import HintNetConfig, build_model
from findcolor.network_io import WEIGHTS_DIR, WEIGHTS_NAME, load_unfused, save_weights
from training.photos import list_photos

log = logging.getLogger(__name__)

# What a fine-tune may keep from the weights it started from (see export_checkpoint's settings_from).
CARRIED_SETTINGS = (
    "chroma_scale",
    "chroma_tuning",
    "combined_blend_scales",
    "combined_edge_weight",
    "combined_decays",
    "combined_feature_bandwidth",
    "blend_tuning",
)


def export_checkpoint(
    checkpoint_path: Path,
    directory: Path = WEIGHTS_DIR,
    *,
    blend_tuning: dict | None = None,
    chroma_tuning: dict | None = None,
    settings_from: Path | None = None,
) -> str:
    """Write the shipped weight files from a checkpoint; returns the weights' SHA-256.

    ``settings_from``: a weights folder whose chroma scale and combined-engine blend settings
    are carried over unchanged (a fine-tune of those weights keeps them unless re-tuned); the
    metadata says where they came from. Explicit tunings given here take precedence.
    """
    checkpoint = torch.load(checkpoint_path, map_location="cpu", weights_only=False)
    model = build_model(HintNetConfig.from_dict(checkpoint["model_config"]))
    model.load_state_dict(checkpoint["model"])
    train_config = checkpoint["train_config"]
    data = Path(train_config["data"])
    photos = list_photos(data) if data.exists() else []
    metadata = {
        "format": 1,
        "name": "hintnet",
        "step": checkpoint["step"],
        "best_validation_psnr_mean": checkpoint["best_val"],
        "train_config": train_config,
        "started_from": checkpoint.get("pretrained_from"),  # ImageNet encoder, or the weights a fine-tune began with
        "corpus": {
            "folder": str(data),
            "photos": len(photos),
            "train_photos": sum(p.split == "train" for p in photos),
        },
    }
    if settings_from is not None:
        source = json.loads((settings_from / f"{WEIGHTS_NAME}.json").read_text())
        carried = [key for key in CARRIED_SETTINGS if key in source]
        metadata.update({key: source[key] for key in carried})
        metadata["settings_carried_over"] = {"from_sha256": source.get("sha256"), "keys": carried}
    return save_weights(model.eval(), apply_tunings(metadata, blend_tuning, chroma_tuning), directory)


def apply_tunings(metadata: dict, blend_tuning: dict | None, chroma_tuning: dict | None) -> dict:
    """``metadata`` with the chroma scale and the combined engine's settings of these tunings
    (``training.evaluate --tune-chroma`` / ``--tune-blend``) written in; absent tunings leave it."""
    metadata = dict(metadata)
    if chroma_tuning:
        metadata["chroma_scale"] = float(chroma_tuning["scale"])
        metadata["chroma_tuning"] = {"split": chroma_tuning["split"], "images": chroma_tuning["images"], "min_colourfulness": chroma_tuning["min_colourfulness"]}
    if blend_tuning:
        metadata["combined_blend_scales"] = blend_tuning["by_count"]
        metadata["combined_edge_weight"] = float(blend_tuning.get("edge_weight", 0.0))
        metadata["combined_decays"] = blend_tuning.get("decay_by_count", {})
        metadata["combined_feature_bandwidth"] = float(blend_tuning.get("feature_bandwidth", 0.0))
        metadata["blend_tuning"] = {"split": blend_tuning["split"], "images": blend_tuning["images"]}
    return metadata


def retune_weights(source: Path, directory: Path, *, blend_tuning: dict | None = None, chroma_tuning: dict | None = None) -> str:
    """Write ``source``'s network unchanged (same bytes, same SHA-256) to ``directory`` with new tunings."""
    model, metadata, sha = load_unfused(source)
    written = save_weights(model, apply_tunings(metadata, blend_tuning, chroma_tuning), directory)
    if written != sha:
        raise RuntimeError(f"re-saving the weights of {source} changed them ({sha[:12]} -> {written[:12]})")
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--checkpoint", type=Path, help="a training checkpoint")
    source.add_argument("--weights", type=Path, help="a weights folder: keep its network, change only its tunings")
    parser.add_argument("--out", type=Path, default=WEIGHTS_DIR, help="weights folder (default: the package's)")
    parser.add_argument("--blend-tuning", type=Path, default=None, help="blend_tuning_val.json from training.evaluate --tune-blend")
    parser.add_argument("--chroma-tuning", type=Path, default=None, help="chroma_tuning_val.json from training.evaluate --tune-chroma")
    parser.add_argument("--settings-from", type=Path, default=None, help="weights folder whose chroma and blend settings to keep (a fine-tune)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    tuning = json.loads(args.blend_tuning.read_text()) if args.blend_tuning else None
    chroma = json.loads(args.chroma_tuning.read_text()) if args.chroma_tuning else None
    if args.weights is not None:
        if args.settings_from is not None:
            parser.error("--settings-from goes with --checkpoint (a fine-tune); --weights keeps its own settings")
        sha = retune_weights(args.weights, args.out, blend_tuning=tuning, chroma_tuning=chroma)
    else:
        sha = export_checkpoint(args.checkpoint, args.out, blend_tuning=tuning, chroma_tuning=chroma, settings_from=args.settings_from)
    log.info("wrote %s (sha256 %s)", args.out, sha)
    log.info(json.dumps({"sha256": sha}))


if __name__ == "__main__":
    main()
