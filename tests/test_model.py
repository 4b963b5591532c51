"""The hint network v2: shapes, gradients, hint paths at initialisation, the region-adaptive layer,
input encodings, round trips; and the v1 baseline, kept only to be loaded."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest
import torch

from findcolor.hints import Hints, PointHint, rasterize_hints
from findcolor.model import (
    HintAttention,
    HintNetConfig,
    RegionAdaptiveConv,
    ab_bin_centers,
    ab_to_bin,
    build_model,
    config_from_dict,
    count_macs,
    count_parameters,
    fuse_for_inference,
    global_hint_vector,
    palette_histogram,
)
from findcolor.model_v1 import HintNetV1, HintNetV1Config
from findcolor.network_io import load_unfused, save_weights
from findcolor.neural import NeuralEngine

TINY = HintNetConfig(decoder_widths=(8, 8, 16, 16, 16), hint_widths=(4, 4, 4, 4, 4), regions=2)
TINY_ATTENTION = HintNetConfig(decoder_widths=(8, 8, 16, 16, 16), hint_widths=(4, 4, 4, 4, 4), regions=2, hint_attention_dim=4)
CONFIGS = {"tiny": TINY, "tiny-with-attention": TINY_ATTENTION, "shipped-architecture": HintNetConfig(hint_attention_dim=32)}
V1_BASELINE = Path(__file__).resolve().parents[1] / "training" / "baselines" / "hintnet-v1"


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


def _trained_looking(config: HintNetConfig, seed: int = 0) -> torch.nn.Module:
    """A network whose zero-initialised paths (hint injections, stem hint kernels) carry weights, as after training."""
    torch.manual_seed(seed)
    model = build_model(config).eval()
    _randomise_batch_norm(model)
    for injection in model.encoder.hint_injections.values():
        torch.nn.init.normal_(injection.weight, std=0.1)
    torch.nn.init.normal_(model.encoder.stem[1].weight.data[:, 1:], std=0.1)
    return model


@pytest.mark.parametrize("name", CONFIGS)
def test_forward_shapes_and_finite_outputs(name: str) -> None:
    config = CONFIGS[name]
    model = build_model(config)
    out = model(*_inputs(config))
    assert out["ab"].shape == (2, 2, 64, 64)
    assert out["bin_logits"].shape == (2, config.num_bins, 8, 8)
    assert torch.isfinite(out["ab"]).all() and torch.isfinite(out["bin_logits"]).all()
    assert out["ab"].abs().max() <= 110.0  # tanh-bounded, in Lab units
    assert "bin_logits" not in model(*_inputs(config), with_bins=False)  # the bin head runs only for suggestions


def test_non_square_inputs_keep_their_shape() -> None:
    model = build_model(TINY).eval()
    lightness, hint_ab, mask, global_hints = _inputs(TINY, batch=1, size=96)
    with torch.no_grad():
        out = model(lightness[..., :64], hint_ab[..., :64], mask[..., :64], global_hints)
    assert out["ab"].shape == (1, 2, 96, 64) and out["bin_logits"].shape == (1, TINY.num_bins, 12, 8)


@pytest.mark.parametrize("name", CONFIGS)
def test_backward_reaches_every_parameter(name: str) -> None:
    config = CONFIGS[name]
    model = build_model(config)
    out = model(*_inputs(config))
    (out["ab"].square().mean() + out["bin_logits"].logsumexp(dim=1).mean()).backward()
    for parameter_name, parameter in model.named_parameters():
        assert parameter.grad is not None, parameter_name
        assert torch.isfinite(parameter.grad).all(), parameter_name
    # the zero-initialised hint paths must still learn: their gradients are not zero
    assert model.encoder.stem[1].weight.grad[:, 1:].abs().sum() > 0
    assert all(injection.weight.grad.abs().sum() > 0 for injection in model.encoder.hint_injections.values())
    # the guide branch only learns through the straight-through gradient of its hard masks
    guides = [m.guide.weight.grad for m in model.modules() if isinstance(m, RegionAdaptiveConv)]
    assert guides and all(g.abs().sum() > 0 for g in guides)


def test_a_fresh_encoder_does_not_see_the_hints() -> None:
    """Hints enter the encoder through zero-initialised paths: at initialisation it computes what
    the pretrained (gray-only) encoder computes, and the decoder still sees the hints."""
    torch.manual_seed(0)
    model = build_model(TINY).eval()
    lightness, _, _, global_hints = _inputs(TINY, batch=1)
    hints = Hints(points=tuple(PointHint(x, y, c, radius=2) for x, y, c in ((10, 12, "#c03020"), (50, 40, "#2050c0"))))
    hint_ab, hint_mask = (torch.from_numpy(a) for a in rasterize_hints(hints, (64, 64), (64, 64)))
    hint_ab, hint_mask = hint_ab.permute(2, 0, 1)[None], hint_mask[None, None].float()
    captured: list[list[torch.Tensor]] = []
    handle = model.encoder.register_forward_hook(lambda _module, _inputs, output: captured.append(output))
    with torch.no_grad():
        without = model(lightness, torch.zeros_like(hint_ab), torch.zeros_like(hint_mask), global_hints)["ab"]
        with_hints = model(lightness, hint_ab, hint_mask, global_hints)["ab"]
    handle.remove()
    for plain, hinted in zip(*captured):
        torch.testing.assert_close(hinted, plain, atol=0, rtol=0)
    assert not torch.allclose(with_hints, without, atol=1e-3)  # the hint pyramid and decoder do see them


def _dense_hint_attention(layer: HintAttention, x: torch.Tensor, hint_ab: torch.Tensor, hint_mask: torch.Tensor) -> torch.Tensor:
    """The hint attention written the slow, obvious way: one image at a time, every hinted cell a key."""
    outputs = []
    for i in range(x.shape[0]):
        c, h, w = x.shape[1:]
        pooled = torch.nn.functional.adaptive_avg_pool2d(torch.cat([hint_ab[i : i + 1] / 110.0 * hint_mask[i : i + 1], hint_mask[i : i + 1]], dim=1), (h, w))[0]
        density = pooled[2].flatten()
        features = x[i].flatten(1).T  # (N, C)
        hinted = (density > 0).nonzero().squeeze(1)
        if hinted.numel() == 0:
            outputs.append(x[i])
            continue
        mean_ab = (pooled[:2].flatten(1) / density.clamp_min(1e-4)).T[hinted]
        keys = layer.key(features[hinted])
        values = layer.value(torch.cat([features[hinted], mean_ab, density[hinted, None].sqrt()], dim=1))
        queries = layer.query(x[i : i + 1]).flatten(2)[0].T  # (N, D)
        logits = torch.cat([layer.sink(queries), queries @ keys.T / layer.dim**0.5], dim=1)
        attended = torch.softmax(logits, dim=1)[:, 1:] @ values  # (N, C)
        outputs.append(x[i] + layer.out(attended.T.reshape(1, c, h, w))[0])
    return torch.stack(outputs)


def test_hint_attention_equals_the_dense_computation_for_every_hint_count() -> None:
    """Gathering the hinted cells of a batch (padded to the largest count, masked) must give what
    attending image by image over exactly its own hinted cells gives, and no hint means no change."""
    torch.manual_seed(0)
    layer = HintAttention(channels=6, dim=4)
    torch.nn.init.normal_(layer.out.weight, std=0.5)  # as after training (it starts at zero)
    x = torch.randn(3, 6, 4, 5)
    hint_ab = (torch.rand(3, 2, 16, 20) - 0.5) * 120.0
    hint_mask = torch.zeros(3, 1, 16, 20)
    hint_mask[0, 0, 1, 2] = 1.0  # one cell
    hint_mask[2, 0, ::3, ::4] = 1.0  # most cells
    hint_mask[2, 0, 12:16, 16:20] = 1.0  # one cell fully hinted
    with torch.no_grad():
        torch.testing.assert_close(layer(x, hint_ab * hint_mask, hint_mask), _dense_hint_attention(layer, x, hint_ab * hint_mask, hint_mask))
        assert torch.equal(layer(x, hint_ab * hint_mask, hint_mask)[1], x[1])  # the image without hints is untouched
        assert not torch.allclose(layer(x, hint_ab * hint_mask, hint_mask)[0], x[0])


def test_hint_attention_carries_a_hint_to_far_cells_that_share_its_features() -> None:
    """The point of the block: a single hint reaches a far cell whose features match the hinted
    cell's and not a cell whose features differ (set by hand: keys and queries read one channel)."""
    layer = HintAttention(channels=2, dim=1)
    with torch.no_grad():
        for linear in (layer.key, layer.sink):
            linear.weight.zero_()
            linear.bias.zero_()
        layer.query.weight.zero_()
        layer.query.bias.zero_()
        layer.key.weight[0, 0] = 10.0  # key = 10 * object channel
        layer.query.weight[0, 0] = 10.0  # query = 10 * object channel
        layer.sink.bias.fill_(20.0)  # the sink wins unless query and key are both "object"
        layer.value.weight.zero_()
        layer.value.bias.zero_()
        layer.value.weight[1, 2] = 1.0  # channel 1 of the value = hint a / 110
        layer.out.weight.zero_()
        layer.out.weight[1, 1, 0, 0] = 1.0
    x = torch.zeros(1, 2, 1, 8)
    x[0, 0, 0, :4] = 1.0  # cells 0-3: the object; 4-7: something else
    hint_ab = torch.zeros(1, 2, 1, 8)
    hint_mask = torch.zeros(1, 1, 1, 8)
    hint_ab[0, 0, 0, 0] = 55.0
    hint_mask[0, 0, 0, 0] = 1.0
    with torch.no_grad():
        carried = layer(x, hint_ab, hint_mask)[0, 1, 0]
    assert (carried[:4] > 0.45).all()  # exp(50) / (exp(50) + exp(20)): nearly all of 55/110
    assert (carried[4:] < 1e-6).all()  # query 0: the sink (logit 20) takes it all


def test_adding_hint_attention_to_a_trained_network_leaves_its_outputs_unchanged(tmp_path) -> None:
    """Hint attention enters through zero-initialised projections: a network extended with it by
    ``training.train --init-from ... --model '{"hint_attention_dim": ...}'`` starts exactly where
    the trained one was; an override that would change a trained block is refused."""
    from training.train import start_from_weights

    model = _trained_looking(TINY)
    save_weights(model, {}, tmp_path)
    extended, loaded, provenance = start_from_weights(tmp_path, {"hint_attention_dim": 4})
    extended.eval()
    assert extended.attention16 is not None and extended.attention8 is not None
    assert provenance["added"] and all(name.startswith(("attention16.", "attention8.")) for name in provenance["added"])
    assert loaded == {name for name, _ in model.named_parameters()}
    inputs = _inputs(TINY)
    assert inputs[2].sum() > 0
    with torch.no_grad():
        torch.testing.assert_close(extended(*inputs)["ab"], model(*inputs)["ab"], atol=0, rtol=0)
    with pytest.raises(ValueError, match="does not extend"):
        start_from_weights(tmp_path, {"decoder_widths": (8, 8, 8, 8, 8)})


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
    model = _trained_looking(TINY)
    inputs = _inputs(TINY)
    with torch.no_grad():
        expected = model(*inputs)
        fused = fuse_for_inference(copy.deepcopy(model))
        actual = fused(*inputs)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in fused.modules())
    torch.testing.assert_close(actual["ab"], expected["ab"], atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(actual["bin_logits"], expected["bin_logits"], atol=1e-4, rtol=1e-4)


def test_weights_round_trip_rebuilds_an_identical_model(tmp_path) -> None:
    model = _trained_looking(TINY)
    save_weights(model, {"note": "test"}, tmp_path)
    rebuilt, metadata, sha = load_unfused(tmp_path)
    assert rebuilt.config == TINY
    assert metadata["note"] == "test" and metadata["sha256"] == sha
    assert metadata["model_config"]["architecture"] == "hintnet-v2"
    inputs = _inputs(TINY)
    with torch.no_grad():
        torch.testing.assert_close(rebuilt(*inputs)["ab"], model(*inputs)["ab"], atol=0, rtol=0)


def test_config_round_trips_through_a_dict_and_files_say_which_network_they_hold() -> None:
    config = HintNetConfig(encoder="efficientnet-lite1", decoder_widths=(8, 8, 16, 16, 16), hint_widths=(4, 4, 4, 4, 4), regions=5)
    assert HintNetConfig.from_dict(config.to_dict()) == config
    assert config_from_dict(config.to_dict()) == config
    v1 = HintNetV1Config(widths=(8, 16, 24, 32), regions=3)
    assert "architecture" not in v1.to_dict()  # v1 files carry no architecture field
    assert config_from_dict(v1.to_dict()) == v1
    with pytest.raises(ValueError, match="unknown encoder"):
        HintNetConfig.from_dict({**config.to_dict(), "encoder": "resnet50"})


def test_v1_baseline_weights_still_load_and_run() -> None:
    """The v1 network, kept in training/baselines for comparison, loads and colours as an engine."""
    model, metadata, sha = load_unfused(V1_BASELINE)
    assert isinstance(model, HintNetV1) and isinstance(model.config, HintNetV1Config)
    assert metadata["sha256"] == sha
    engine = NeuralEngine(V1_BASELINE)
    lightness = np.linspace(20.0, 80.0, 37 * 50, dtype=np.float32).reshape(37, 50)  # not a multiple of 16: padded
    hints = Hints(points=(PointHint(10, 12, "#c03020", radius=1),))
    hint_ab, hint_mask = rasterize_hints(hints, (50, 37), (50, 37))
    ab = engine.predict_ab(lightness, hint_ab, hint_mask, hints)
    assert ab.shape == (37, 50, 2) and np.isfinite(ab).all()
    np.testing.assert_allclose(ab[hint_mask], hint_ab[hint_mask], atol=1e-5)


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
    """The shipped architecture stays inside the issue's budget: at most 40 MB of float32 weights."""
    model = build_model(HintNetConfig())
    assert count_parameters(model) * 4 <= 40e6
    assert 0.2e9 < count_macs(model, 256) < 2e9
