"""The hint network: shapes, gradients, the region-adaptive layer, input encodings, round trips."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

from findcolor.model import (
    HintNetConfig,
    RegionAdaptiveConv,
    ab_bin_centers,
    ab_to_bin,
    build_model,
    count_macs,
    count_parameters,
    fuse_for_inference,
    global_hint_vector,
    palette_histogram,
)
from findcolor.neural import load_unfused, save_weights

TINY = HintNetConfig(widths=(8, 16, 24, 32), bottleneck_dilations=(1, 2), regions=3)
CONFIGS = {"tiny": TINY, "shipped-architecture": HintNetConfig()}


def _inputs(config: HintNetConfig, batch: int = 2, size: int = 64, seed: int = 0):
    generator = torch.Generator().manual_seed(seed)
    lightness = torch.rand(batch, 1, size, size, generator=generator) * 100.0
    hint_ab = (torch.rand(batch, 2, size, size, generator=generator) - 0.5) * 100.0
    mask = (torch.rand(batch, 1, size, size, generator=generator) < 0.01).float()
    global_hints = torch.zeros(batch, config.global_dim)
    global_hints[0] = torch.from_numpy(global_hint_vector(config, palette_histogram(np.array([[20.0, 30.0]]), np.array([1.0]), config), 0.4))
    return lightness, hint_ab * mask, mask, global_hints


def _randomise_batch_norm(model: torch.nn.Module) -> None:
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.normal_(0.0, 0.1)
            module.running_var.uniform_(0.5, 2.0)
            module.weight.data.uniform_(0.5, 1.5)
            module.bias.data.normal_(0.0, 0.1)


@pytest.mark.parametrize("name", CONFIGS)
def test_forward_shapes_and_finite_outputs(name: str) -> None:
    config = CONFIGS[name]
    model = build_model(config)
    out = model(*_inputs(config))
    assert out["ab"].shape == (2, 2, 64, 64)
    assert out["bin_logits"].shape == (2, config.num_bins, 8, 8)
    assert torch.isfinite(out["ab"]).all() and torch.isfinite(out["bin_logits"]).all()
    assert out["ab"].abs().max() <= 110.0  # tanh-bounded, in Lab units


@pytest.mark.parametrize("name", CONFIGS)
def test_backward_reaches_every_parameter(name: str) -> None:
    config = CONFIGS[name]
    model = build_model(config)
    out = model(*_inputs(config))
    (out["ab"].square().mean() + out["bin_logits"].logsumexp(dim=1).mean()).backward()
    for parameter_name, parameter in model.named_parameters():
        assert parameter.grad is not None, parameter_name
        assert torch.isfinite(parameter.grad).all(), parameter_name
    # the guide branch only learns through the straight-through gradient of its hard masks
    guides = [m.guide.weight.grad for m in model.modules() if isinstance(m, RegionAdaptiveConv)]
    assert guides and all(g.abs().sum() > 0 for g in guides)


def test_region_masks_are_one_hot_in_the_forward_pass() -> None:
    layer = RegionAdaptiveConv(channels=8, regions=4)
    hard, soft = layer.region_masks(torch.randn(2, 8, 10, 10))
    assert torch.allclose(hard.sum(dim=1), torch.ones(2, 10, 10))
    torch.testing.assert_close(hard.detach(), hard.detach().round(), atol=1e-6, rtol=0)  # 0 or 1 (to rounding)
    assert torch.equal(hard.argmax(dim=1), soft.argmax(dim=1))


def test_region_filters_depend_on_the_image() -> None:
    """Per-image generated filters: the same pixel neighbourhood filtered in two different images differs."""
    torch.manual_seed(0)
    layer = RegionAdaptiveConv(channels=4, regions=2).eval()
    torch.nn.init.normal_(layer.generator[-1].weight, std=0.5)
    patch = torch.randn(1, 4, 6, 6)
    context_a, context_b = torch.randn(1, 4, 6, 12), torch.randn(1, 4, 6, 12) * 3.0
    image_a = torch.cat([patch, context_a], dim=3)
    image_b = torch.cat([patch, context_b], dim=3)
    out_a, out_b = layer(image_a)[..., 1:5, 1:5], layer(image_b)[..., 1:5, 1:5]
    assert not torch.allclose(out_a, out_b, atol=1e-4)


def test_global_hints_change_the_prediction() -> None:
    torch.manual_seed(0)
    model = build_model(TINY).eval()
    torch.nn.init.normal_(model.global_hints.mlp[-1].weight, std=0.5)
    lightness, hint_ab, mask, global_hints = _inputs(TINY, batch=1)
    with torch.no_grad():
        without = model(lightness, hint_ab, mask, torch.zeros_like(global_hints))["ab"]
        with_palette = model(lightness, hint_ab, mask, global_hints)["ab"]
    assert not torch.allclose(without, with_palette, atol=1e-4)


def test_fused_batch_norm_gives_the_same_outputs() -> None:
    model = build_model(TINY).eval()
    _randomise_batch_norm(model)
    inputs = _inputs(TINY)
    with torch.no_grad():
        expected = model(*inputs)["ab"]
        fused = fuse_for_inference(copy.deepcopy(model))
        actual = fused(*inputs)["ab"]
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in fused.modules())
    torch.testing.assert_close(actual, expected, atol=1e-4, rtol=1e-4)


def test_weights_round_trip_rebuilds_an_identical_model(tmp_path) -> None:
    model = build_model(TINY).eval()
    _randomise_batch_norm(model)
    save_weights(model, {"note": "test"}, tmp_path)
    rebuilt, metadata, sha = load_unfused(tmp_path)
    assert rebuilt.config == TINY
    assert metadata["note"] == "test" and metadata["sha256"] == sha
    inputs = _inputs(TINY)
    with torch.no_grad():
        torch.testing.assert_close(rebuilt(*inputs)["ab"], model(*inputs)["ab"], atol=0, rtol=0)


def test_config_round_trips_through_a_dict() -> None:
    config = HintNetConfig(widths=(8, 16, 24, 32), regions=5)
    assert HintNetConfig.from_dict(config.to_dict()) == config


def test_bins_and_centres_agree() -> None:
    config = HintNetConfig()
    centers = ab_bin_centers(config)
    assert centers.shape == (config.num_bins, 2)
    index = ab_to_bin(centers.T.reshape(1, 2, 1, -1), config).reshape(-1)
    assert torch.equal(index, torch.arange(config.num_bins))


def test_palette_histogram_is_normalised_and_puts_colours_in_their_cells() -> None:
    config = HintNetConfig()
    hist = palette_histogram(np.array([[0.0, 0.0], [60.0, -60.0]]), np.array([3.0, 1.0]), config)
    assert hist.shape == (config.palette_grid**2,)
    assert hist.sum() == pytest.approx(1.0)
    assert sorted(hist[hist > 0].tolist()) == pytest.approx([0.25, 0.75])
    vector = global_hint_vector(config, hist, None)
    assert vector[config.palette_grid**2] == 1.0 and vector[-1] == 0.0  # palette given, saturation not
    assert global_hint_vector(config).sum() == 0.0  # nothing given


def test_size_budget_of_the_shipped_architecture() -> None:
    """The shipped architecture stays inside the budget the model card states (< 20 MB of float32)."""
    model = build_model(HintNetConfig())
    assert count_parameters(model) * 4 < 20e6
    assert 0.5e9 < count_macs(model, 256) < 3e9
