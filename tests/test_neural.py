"""The neural and combined engines, the network's files, and colour suggestions, on small randomly
initialised v2 weights."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from skimage import data as skdata

from findcolor.combined import CombinedEngine, blend_by_distance, fuse_with_propagation, hint_distance, object_features, propagation_estimates
from findcolor.errors import EngineError, FindColorError
from findcolor.hints import Hints, PaletteColor, PointHint, StrokeHint, rasterize_hints
from findcolor.model import HintNetConfig, build_model
from findcolor.network_io import global_hints_of, load_unfused, run_network, save_weights, weights_available
from findcolor.neural import NeuralEngine
from findcolor.propagation import propagate, propagate_fast
from findcolor.suggestions import suggest, without_hints_at

TINY = HintNetConfig(decoder_widths=(8, 8, 16, 16, 16), hint_widths=(4, 4, 4, 4, 4), regions=2)


@pytest.fixture(scope="module")
def weights_dir(tmp_path_factory) -> Path:
    torch.manual_seed(0)
    model = build_model(TINY).eval()
    # give the untrained heads some signal so outputs are not ~0 everywhere
    torch.nn.init.normal_(model.ab_head.weight, std=0.3)
    torch.nn.init.normal_(model.bin_head.weight, std=0.3)
    torch.nn.init.normal_(model.global_hints.mlp[-1].weight, std=0.3)
    directory = tmp_path_factory.mktemp("weights")
    save_weights(model, {"combined_blend_scales": {"1": 8.0}}, directory)
    return directory


def _scene(width: int = 50, height: int = 37) -> np.ndarray:
    rgb = np.asarray(Image.fromarray(skdata.astronaut()).resize((width, height)), dtype=np.float32) / 255.0
    from findcolor.color import rgb_to_lab

    return rgb_to_lab(rgb)[..., 0]


def _hints(width: int = 50, height: int = 37) -> tuple[Hints, np.ndarray, np.ndarray]:
    hints = Hints(points=(PointHint(10, 12, "#c03020", radius=1), PointHint(40, 30, "#2050c0", radius=0)))
    hint_ab, hint_mask = rasterize_hints(hints, (width, height), (width, height))
    return hints, hint_ab, hint_mask


def test_weights_available_only_with_both_files(tmp_path: Path, weights_dir: Path) -> None:
    assert weights_available(weights_dir)
    assert not weights_available(tmp_path)
    (tmp_path / "hintnet.safetensors").write_bytes(b"")
    assert not weights_available(tmp_path)  # config missing


def test_missing_or_broken_weights_give_one_line_engine_errors(tmp_path: Path) -> None:
    with pytest.raises(EngineError, match="no model weights"):
        NeuralEngine(tmp_path)
    (tmp_path / "hintnet.safetensors").write_bytes(b"not safetensors")
    (tmp_path / "hintnet.json").write_text('{"model_config": {}}')
    with pytest.raises(EngineError) as caught:
        NeuralEngine(tmp_path)
    assert "\n" not in str(caught.value)


def test_neural_engine_handles_any_size_and_honours_hints(weights_dir: Path) -> None:
    engine = NeuralEngine(weights_dir)
    lightness = _scene()
    hints, hint_ab, hint_mask = _hints()
    ab = engine.predict_ab(lightness, hint_ab, hint_mask, hints)
    assert ab.shape == (37, 50, 2) and ab.dtype == np.float32
    assert np.isfinite(ab).all()
    np.testing.assert_allclose(ab[hint_mask], hint_ab[hint_mask], atol=1e-5)
    assert engine.version.startswith("hintnet/") and engine.working_side == 256
    # the correction fades: far from both hints the network's own chroma is kept
    raw = run_network(engine.weights, lightness, hint_ab, hint_mask, hints)["ab"]
    at_hint = np.abs(ab[11:14, 9:12] - raw[11:14, 9:12]).mean()
    assert at_hint > 1.0
    assert np.abs(ab[0:4, 24:28] - raw[0:4, 24:28]).mean() < 0.25 * at_hint


def test_combined_engine_fixes_hints_and_follows_the_network_without_them(weights_dir: Path) -> None:
    neural, combined = NeuralEngine(weights_dir), CombinedEngine(weights_dir)
    assert combined.blend_scale_for(np.ones((4, 4), dtype=bool)) == pytest.approx(8.0)  # from the metadata
    lightness = _scene()
    empty = np.zeros((37, 50, 2), dtype=np.float32), np.zeros((37, 50), dtype=bool)
    np.testing.assert_allclose(
        combined.predict_ab(lightness, *empty, Hints()), neural.predict_ab(lightness, *empty, Hints()), atol=1e-5
    )
    hints, hint_ab, hint_mask = _hints()
    ab = combined.predict_ab(lightness, hint_ab, hint_mask, hints)
    assert np.hypot(*(ab[hint_mask] - hint_ab[hint_mask]).T).max() <= 3.0
    prior = neural.predict_ab(lightness, *empty, Hints())
    near, far = (slice(9, 14), slice(8, 13)), (slice(0, 4), slice(46, 50))
    assert np.abs(ab[near] - prior[near]).mean() > np.abs(ab[far] - prior[far]).mean()  # corrections spread locally


def test_palette_and_saturation_reach_the_network(weights_dir: Path) -> None:
    engine = NeuralEngine(weights_dir)
    lightness = _scene()
    empty = np.zeros((37, 50, 2), dtype=np.float32), np.zeros((37, 50), dtype=bool)
    palette = Hints(palette=(PaletteColor("#20a040", 1.0),), saturation=0.7)
    vector = global_hints_of(palette, engine.weights.config)
    cells = TINY.palette_grid**2
    assert vector[:cells].sum() == pytest.approx(1.0) and vector[cells] == 1.0 and vector[-1] == 1.0
    assert not np.allclose(engine.predict_ab(lightness, *empty, palette), engine.predict_ab(lightness, *empty, Hints()))


def test_suggest_returns_k_distinct_hex_colours_with_probabilities(weights_dir: Path) -> None:
    image = Image.fromarray(skdata.astronaut()).resize((120, 90)).convert("L")
    hints = {"points": [{"x": 30, "y": 20, "color": "#a03020"}]}
    suggestions = suggest(image, hints, 60, 45, k=6, weights_dir=weights_dir)
    assert len(suggestions) == 6
    colours = [colour for colour, _ in suggestions]
    assert all(re.fullmatch(r"#[0-9a-f]{6}", c) for c in colours) and len(set(colours)) == 6
    probabilities = [p for _, p in suggestions]
    assert all(p > 0 for p in probabilities) and sum(probabilities) <= 1.0 + 1e-6
    assert probabilities == sorted(probabilities, reverse=True)


def test_suggest_rejects_bad_requests_with_one_line_errors(weights_dir: Path) -> None:
    image = Image.new("L", (40, 30), 128)
    with pytest.raises(FindColorError, match="outside"):
        suggest(image, None, 40, 10, weights_dir=weights_dir)
    with pytest.raises(FindColorError, match="k must be"):
        suggest(image, None, 1, 1, k=0, weights_dir=weights_dir)


def test_suggest_ignores_the_hints_covering_the_asked_pixel(weights_dir: Path) -> None:
    """Asked at a hinted pixel, the model gives its own candidates there, not the hint echoed back:
    the answer is exactly the one without the hints covering that pixel, the other hints still used."""
    image = Image.fromarray(skdata.astronaut()).resize((120, 90)).convert("L")
    elsewhere = {"x": 20, "y": 15, "color": "#2050c0", "radius": 1}
    on_the_pixel = {"x": 61, "y": 44, "color": "#e020e0", "radius": 2}  # a magenta square over (60, 45)
    through_the_pixel = {"path": [[40, 46], [80, 46]], "color": "#e020e0", "width": 3}
    hinted = {"points": [elsewhere, on_the_pixel], "strokes": [through_the_pixel], "palette": [{"color": "#30a040"}]}
    remaining = {"points": [elsewhere], "palette": [{"color": "#30a040"}]}
    asked = suggest(image, hinted, 60, 45, k=8, weights_dir=weights_dir)
    assert asked == suggest(image, remaining, 60, 45, k=8, weights_dir=weights_dir)
    # asked beside the square instead, the same hints are the network's input and change its answer
    assert suggest(image, hinted, 61, 38, k=8, weights_dir=weights_dir) != suggest(image, remaining, 61, 38, k=8, weights_dir=weights_dir)


def test_the_hints_covering_a_pixel_are_those_whose_rasterised_area_contains_it() -> None:
    size = (60, 40)
    hints = Hints(
        points=(PointHint(10, 10, "#c03020", radius=2), PointHint(30.4, 20.5, "#2050c0"), PointHint(59, 39, "#30a040", radius=3)),
        strokes=(StrokeHint(((5.0, 30.0), (50.0, 34.0)), "#e020e0", width=4.0), StrokeHint(((40.0, 5.0),), "#a0a020", width=1.0)),
        palette=(PaletteColor("#30a040"),),
        saturation=0.3,
    )
    masks = {hint: rasterize_hints(Hints(points=(hint,)) if isinstance(hint, PointHint) else Hints(strokes=(hint,)), size, size)[1]
             for hint in (*hints.points, *hints.strokes)}
    for x, y in ((10, 10), (12, 12), (13, 10), (30, 21), (30.4, 20.4), (20, 31), (20, 36), (40, 5), (41, 5), (59, 39), (55, 35), (0, 0)):
        kept = without_hints_at(hints, size, x, y)
        column, row = int(np.floor(x + 0.5)), int(np.floor(y + 0.5))
        assert set(kept.points) == {p for p in hints.points if not masks[p][row, column]}, (x, y)
        assert set(kept.strokes) == {s for s in hints.strokes if not masks[s][row, column]}, (x, y)
        assert kept.palette == hints.palette and kept.saturation == hints.saturation
    assert without_hints_at(hints, size, 10, 10).points == hints.points[1:]  # the point under (10, 10) is dropped, in order


def test_combined_blend_scale_follows_the_tuned_schedule(weights_dir: Path, tmp_path: Path) -> None:
    model, _, _ = load_unfused(weights_dir)
    save_weights(model, {"combined_blend_scales": {"1": 16.0, "10": 128.0}}, tmp_path)
    engine = CombinedEngine(tmp_path)
    mask = np.zeros((40, 40), dtype=bool)
    mask[5, 5] = True
    assert engine.blend_scale_for(mask) == pytest.approx(16.0)
    for i in range(10):
        mask[3 * i + 2, 30] = True  # separate hints; more than the largest tuned count
    assert engine.blend_scale_for(mask) == pytest.approx(128.0)
    mask[:] = False
    mask[[2, 10, 20], [2, 10, 20]] = True  # 3 hints: between the tuned counts
    assert 16.0 < engine.blend_scale_for(mask) < 128.0
    assert CombinedEngine(tmp_path, blend_scale=5.0).blend_scale_for(mask) == pytest.approx(5.0)


def test_combined_engine_takes_its_edge_weight_from_the_weights_metadata(weights_dir: Path, tmp_path: Path) -> None:
    model, _, _ = load_unfused(weights_dir)
    assert CombinedEngine(weights_dir).edge_weight == 0.0  # weights tuned before edge-aware blending
    assert "edge=" not in CombinedEngine(weights_dir).version
    save_weights(model, {"combined_blend_scales": {"1": 16.0}, "combined_edge_weight": 2.0}, tmp_path)
    engine = CombinedEngine(tmp_path)
    assert engine.edge_weight == 2.0 and engine.version.endswith("/edge=2")
    assert CombinedEngine(tmp_path, edge_weight=0.5).edge_weight == 0.5
    save_weights(model, {"combined_decays": {"one": 1e-3}}, tmp_path / "damaged")
    with pytest.raises(EngineError, match=r"settings in .*hintnet\.json are unreadable"):
        CombinedEngine(tmp_path / "damaged")


def test_network_features_cover_the_image_at_one_eighth(weights_dir: Path) -> None:
    from findcolor.network_io import load_weights

    weights = load_weights(weights_dir)
    lightness = _scene()  # 37 x 50: padded to 64 x 64 inside
    _, hint_ab, hint_mask = _hints()
    out = run_network(weights, lightness, hint_ab, hint_mask, Hints(), with_features=True)
    assert out["features"].shape == (5, 7, TINY.decoder_widths[2])  # ceil(37 / 8), ceil(50 / 8)
    assert np.isfinite(out["features"]).all() and out["features"].std() > 0
    np.testing.assert_array_equal(out["ab"], run_network(weights, lightness, hint_ab, hint_mask, Hints())["ab"])


def test_object_features_keep_the_distances_of_features_that_vary_in_few_directions() -> None:
    rng = np.random.default_rng(3)
    basis = np.linalg.qr(rng.normal(size=(32, 3)))[0]  # 3 orthonormal directions in 32 channels
    features = (rng.normal(size=(6, 9, 3)) @ basis.T) + 5.0  # an offset too: the mean is removed
    projected = object_features(features)
    assert projected.shape == (6, 9, 8)
    flat, original = projected.reshape(-1, 8), features.reshape(-1, 32)
    for i, j in [(0, 1), (5, 40), (13, 53)]:
        assert np.isclose(np.linalg.norm(flat[i] - flat[j]), np.linalg.norm(original[i] - original[j]))
    np.testing.assert_array_equal(object_features(features), projected)  # deterministic


def test_combined_engine_takes_its_feature_bandwidth_from_the_weights_metadata(weights_dir: Path, tmp_path: Path) -> None:
    lightness = _scene()
    hints, hint_ab, hint_mask = _hints()
    without = CombinedEngine(weights_dir)
    assert without.feature_bandwidth == 0.0 and "features=" not in without.version
    model, _, _ = load_unfused(weights_dir)
    save_weights(model, {"combined_blend_scales": {"1": 8.0}, "combined_feature_bandwidth": 0.5}, tmp_path)
    engine = CombinedEngine(tmp_path)
    assert engine.feature_bandwidth == 0.5 and engine.version.endswith("/features=0.5")
    guided = engine.predict_ab(lightness, hint_ab, hint_mask, hints)
    plain = without.predict_ab(lightness, hint_ab, hint_mask, hints)
    np.testing.assert_array_equal(guided[hint_mask], hint_ab[hint_mask])
    assert np.abs(guided - plain).max() > 0.1  # the features changed how the hints spread
    network = run_network(engine.weights, lightness, hint_ab, hint_mask, hints, with_features=True)
    expected = fuse_with_propagation(
        lightness, network["ab"], hint_ab, hint_mask, 8.0, features=object_features(network["features"]), feature_bandwidth=0.5
    )
    np.testing.assert_allclose(guided, expected, atol=1e-5)
    empty = np.zeros_like(hint_mask)
    np.testing.assert_array_equal(engine.predict_ab(lightness, np.zeros_like(hint_ab), empty, Hints()), without.predict_ab(lightness, np.zeros_like(hint_ab), empty, Hints()))


def test_combined_engine_decay_follows_its_schedule_and_keeps_one_hint_local(weights_dir: Path, tmp_path: Path) -> None:
    model, _, _ = load_unfused(weights_dir)
    assert CombinedEngine(weights_dir).decay_for(np.ones((4, 4), dtype=bool)) == 0.0  # untuned weights: no decay
    save_weights(model, {"combined_blend_scales": {"1": 16.0}, "combined_decays": {"1": 1e-3, "10": 0.0}}, tmp_path)
    engine = CombinedEngine(tmp_path)
    mask = np.zeros((40, 40), dtype=bool)
    mask[5, 5] = True
    assert engine.decay_for(mask) == pytest.approx(1e-3)
    mask[[2, 10, 20], [30, 30, 30]] = True  # 4 hints: between the tuned counts
    assert 0.0 < engine.decay_for(mask) < 1e-3
    assert "decay=1:0.001,10:0" in engine.version
    # one hint: undamped, its residual shifts every pixel of the photo; with a decay it fades with distance
    lightness = _scene(130, 97)
    hint_mask = np.zeros((97, 130), dtype=bool)
    hint_mask[10:13, 10:13] = True
    hint_ab = np.zeros((97, 130, 2), dtype=np.float32)
    hint_ab[hint_mask] = (30.0, -20.0)
    network_ab = np.zeros((97, 130, 2), dtype=np.float32)
    _, undamped = propagation_estimates(lightness, network_ab, hint_ab, hint_mask)
    _, damped = propagation_estimates(lightness, network_ab, hint_ab, hint_mask, decay=1e-3)
    far = np.s_[70:, 100:]
    assert np.abs(undamped[far]).mean() > 20.0
    assert np.abs(damped[far]).mean() < 0.5 * np.abs(undamped[far]).mean()
    np.testing.assert_allclose(damped[hint_mask], hint_ab[hint_mask], atol=1e-5)


def test_blend_weights_classical_by_closeness_and_corrected_by_the_rest() -> None:
    classical, corrected = np.full((1, 4, 2), 10.0, dtype=np.float32), np.full((1, 4, 2), -10.0, dtype=np.float32)
    distance = np.array([[0.0, 4.0, 8.0, 400.0]], dtype=np.float32)
    blended = blend_by_distance(classical, corrected, distance, scale=4.0)
    near = np.exp(-distance[0] / 4.0)
    np.testing.assert_allclose(blended[0, :, 0], 10.0 * near - 10.0 * (1.0 - near), atol=1e-5)
    assert blended[0, 0, 0] == pytest.approx(10.0) and blended[0, 3, 0] == pytest.approx(-10.0, abs=1e-4)


def test_fusion_is_classical_near_hints_and_corrected_network_far_away() -> None:
    lightness = _scene()
    hints, hint_ab, hint_mask = _hints()
    rows, columns = np.mgrid[0:37, 0:50].astype(np.float32)
    # a network whose chroma varies over the image: then the two estimates differ, and swapping them shows
    network_ab = np.stack([0.8 * columns - 20.0, 25.0 - 0.9 * rows], axis=-1)
    classical, corrected = propagation_estimates(lightness, network_ab, hint_ab, hint_mask)
    residual = np.where(hint_mask[..., None], hint_ab - network_ab, 0.0)
    np.testing.assert_allclose(classical, propagate(lightness, hint_ab, hint_mask), atol=1e-3)
    np.testing.assert_allclose(corrected, network_ab + propagate(lightness, residual, hint_mask), atol=1e-3)
    free = ~hint_mask
    assert np.abs(classical - corrected)[free].mean() > 5.0
    distance = hint_distance(lightness, hint_mask)
    close, far = free & (distance <= 2.0), distance >= 25.0
    assert close.sum() >= 8 and far.sum() >= 20
    scale = 6.0
    fused = fuse_with_propagation(lightness, network_ab, hint_ab, hint_mask, scale)
    near = np.exp(-distance / scale)[..., None]
    np.testing.assert_allclose(fused[free], (near * classical + (1.0 - near) * corrected)[free], atol=1e-3)
    # next to a hint the hints' own spread wins; far from every hint, the corrected network
    assert np.abs(fused - classical)[close].mean() < 0.5 * np.abs(fused - corrected)[close].mean()
    assert np.abs(fused - corrected)[far].mean() < 0.1 * np.abs(fused - classical)[far].mean()
    tiny = fuse_with_propagation(lightness, network_ab, hint_ab, hint_mask, 1e-3)
    huge = fuse_with_propagation(lightness, network_ab, hint_ab, hint_mask, 1e6)
    np.testing.assert_allclose(tiny[free], corrected[free], atol=1e-3)
    np.testing.assert_allclose(huge[free], classical[free], atol=1e-2)
    for result in (fused, tiny, huge):
        np.testing.assert_allclose(result[hint_mask], hint_ab[hint_mask], atol=1e-5)


def test_half_resolution_solve_matches_the_full_solve_and_keeps_hints() -> None:
    lightness = _scene(130, 97)  # odd sizes: the coarse grid is padded
    hints = Hints(points=tuple(PointHint(x, y, c, radius=1) for x, y, c in ((20, 20, "#c03020"), (100, 70, "#2050c0"), (60, 50, "#30a040"))))
    hint_ab, hint_mask = rasterize_hints(hints, (130, 97), (130, 97))
    fast = propagate_fast(lightness, hint_ab, hint_mask)
    exact = propagate(lightness, hint_ab, hint_mask)
    assert fast.shape == exact.shape == (97, 130, 2)
    np.testing.assert_allclose(fast[hint_mask], hint_ab[hint_mask], atol=1e-5)
    assert np.abs(fast - exact).mean() < 3.0
    decayed = propagate_fast(lightness, hint_ab, hint_mask, decay=1e-2)
    assert np.abs(decayed[0:5, 120:130]).mean() < np.abs(fast[0:5, 120:130]).mean()  # the decay fades it far away
