"""findcolor.propagation: Levin et al. 2004 edge-aware propagation (the classical engine)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from findcolor.hints import Hints
from findcolor.propagation import ClassicalEngine, affinity_laplacian, propagate

RED, BLUE, PRIOR = np.array((50.0, 30.0)), np.array((-40.0, -20.0)), np.array((10.0, -15.0))


def _two_regions(height=96, width=128, edge=60, seed=1):
    """Dark left region and light right region (a strong lightness edge), with a little noise."""
    rng = np.random.default_rng(seed)
    xs = np.arange(width)[None, :].repeat(height, 0)
    lightness = (np.where(xs < edge, 25.0, 80.0) + rng.normal(0, 0.3, (height, width))).astype(np.float32)
    return lightness, xs < edge


def _empty(shape):
    return np.zeros((*shape, 2), np.float32), np.zeros(shape, bool)


def test_laplacian_is_symmetric_with_zero_row_sums():
    lightness, _ = _two_regions(20, 30, 12)
    laplacian = affinity_laplacian(lightness)
    assert laplacian.shape == (600, 600)
    assert abs(laplacian - laplacian.T).max() < 1e-12
    np.testing.assert_allclose(np.asarray(laplacian.sum(axis=1)).ravel(), 0, atol=1e-9)
    off = laplacian - sp.diags(laplacian.diagonal())
    assert off.max() <= 0  # non-positive off-diagonal weights
    # 8-connected: an interior pixel has 8 neighbours
    assert laplacian[5 * 30 + 5].nnz == 9
    # a neighbour across the edge is far more weakly connected than one on the same side
    i = 5 * 30 + 11  # column 11, left of the edge at 12
    assert -laplacian[i, i + 1] < 0.01 * -laplacian[i, i - 1]


def test_hinted_pixels_keep_their_chroma_exactly():
    lightness, _ = _two_regions()
    hint_ab, mask = _empty(lightness.shape)
    hint_ab[10:15, 6:11], mask[10:15, 6:11] = RED, True
    hint_ab[80:85, 110:115], mask[80:85, 110:115] = BLUE, True
    hint_ab[40, 40], mask[40, 40] = (3.25, -7.5), True
    result = propagate(lightness, hint_ab, mask)
    assert result.shape == (96, 128, 2) and result.dtype == np.float32
    np.testing.assert_array_equal(result[mask], hint_ab[mask])


@pytest.mark.parametrize("kind", ["strokes", "patches"])
def test_colour_does_not_bleed_across_a_strong_lightness_edge(kind):
    lightness, left = _two_regions()
    hint_ab, mask = _empty(lightness.shape)
    if kind == "strokes":
        hint_ab[20:76, 25], mask[20:76, 25] = RED, True
        hint_ab[20:76, 100], mask[20:76, 100] = BLUE, True
    else:  # two small patches in opposite corners: the hardest case for leaking
        hint_ab[10:15, 6:11], mask[10:15, 6:11] = RED, True
        hint_ab[80:85, 110:115], mask[80:85, 110:115] = BLUE, True
    result = propagate(lightness, hint_ab, mask)
    to_red = np.linalg.norm(result - RED, axis=-1)
    to_blue = np.linalg.norm(result - BLUE, axis=-1)
    # every pixel takes its own region's colour...
    assert np.all(to_red[left] < to_blue[left])
    assert np.all(to_blue[~left] < to_red[~left])
    # ...closely: the hinted colours differ by ~105 ab; a region may drift a few units at most
    limit_max, limit_mean = (6, 2) if kind == "strokes" else (10, 5)
    assert to_red[left].max() < limit_max and to_red[left].mean() < limit_mean
    assert to_blue[~left].max() < limit_max and to_blue[~left].mean() < limit_mean
    # and the colour jumps right at the edge (columns 59 | 60)
    assert np.linalg.norm(result[:, 59] - result[:, 60], axis=-1).min() > 80


def test_colour_spreads_through_a_connected_region():
    # uniform lightness and one hint: the whole image takes the hint's colour
    lightness = np.full((48, 64), 55.0, np.float32)
    hint_ab, mask = _empty(lightness.shape)
    hint_ab[3, 3], mask[3, 3] = RED, True
    result = propagate(lightness, hint_ab, mask)
    np.testing.assert_allclose(result, np.broadcast_to(RED, result.shape), atol=0.5)


def test_no_hints_gives_gray():
    lightness, _ = _two_regions(40, 50, 20)
    hint_ab, mask = _empty(lightness.shape)
    hint_ab[...] = 33.0  # values without a mask are ignored
    result = propagate(lightness, hint_ab, mask)
    assert result.shape == (40, 50, 2) and not result.any()
    engine = ClassicalEngine()
    assert not engine.predict_ab(lightness, hint_ab, mask, Hints()).any()


def test_everything_hinted_returns_the_hints():
    lightness, _ = _two_regions(16, 16, 8)
    hint_ab = np.random.default_rng(3).normal(0, 30, (16, 16, 2)).astype(np.float32)
    np.testing.assert_array_equal(propagate(lightness, hint_ab, np.ones((16, 16), bool)), hint_ab)


def test_prior_alone_is_returned():
    lightness, _ = _two_regions(40, 50, 20)
    hint_ab, mask = _empty(lightness.shape)
    prior = np.broadcast_to(PRIOR, (40, 50, 2)).astype(np.float32)
    np.testing.assert_allclose(propagate(lightness, hint_ab, mask, prior_ab=prior), prior, atol=1e-3)


def test_far_from_hints_the_result_approaches_the_prior():
    rng = np.random.default_rng(4)
    lightness = (50 + rng.normal(0, 0.3, (96, 128))).astype(np.float32)
    hint_ab, mask = _empty(lightness.shape)
    hint_ab[:4, :4], mask[:4, :4] = (60.0, 60.0), True
    prior = np.broadcast_to(PRIOR, (96, 128, 2)).astype(np.float32)
    result = propagate(lightness, hint_ab, mask, prior_ab=prior, prior_weight=0.1)
    np.testing.assert_array_equal(result[mask], hint_ab[mask])  # hints still exact
    distance_to_prior = np.linalg.norm(result - PRIOR, axis=-1)
    assert distance_to_prior[-20:, -20:].max() < 1.0  # far away: the prior
    assert distance_to_prior[4, 5] > 20  # next to the hint: the hint's colour spreads
    # monotone: the pull of the hint fades with distance
    diagonal = distance_to_prior[np.arange(5, 90, 10), np.arange(5, 90, 10)]
    assert np.all(np.diff(diagonal) <= 0.5)


def test_prior_wins_across_an_edge_with_the_default_weight():
    lightness, left = _two_regions()
    hint_ab, mask = _empty(lightness.shape)
    hint_ab[20:76, 25], mask[20:76, 25] = RED, True
    prior = np.broadcast_to(PRIOR, (96, 128, 2)).astype(np.float32)
    result = propagate(lightness, hint_ab, mask, prior_ab=prior)
    assert np.linalg.norm(result[~left] - PRIOR, axis=-1).mean() < 5
    # on the hinted side the hint dominates (RED and PRIOR are 60 ab apart)
    assert np.all(np.linalg.norm(result[left] - RED, axis=-1) < np.linalg.norm(result[left] - PRIOR, axis=-1))
    assert np.linalg.norm(result[left] - RED, axis=-1).mean() < 20


def test_deterministic():
    lightness, _ = _two_regions()
    hint_ab, mask = _empty(lightness.shape)
    hint_ab[20:76, 25], mask[20:76, 25] = RED, True
    hint_ab[50, 100], mask[50, 100] = BLUE, True
    first = propagate(lightness, hint_ab, mask)
    second = propagate(lightness.copy(), hint_ab.copy(), mask.copy())
    assert first.tobytes() == second.tobytes()


def test_engine_contract():
    engine = ClassicalEngine()
    assert engine.name == "classical" and isinstance(engine.version, str) and engine.version
    assert isinstance(engine.working_side, int) and engine.working_side >= 128
    lightness, _ = _two_regions(50, 70, 30)
    hint_ab, mask = _empty(lightness.shape)
    hint_ab[10, 10], mask[10, 10] = RED, True
    out = engine.predict_ab(lightness, hint_ab, mask, Hints())
    assert out.shape == (50, 70, 2) and out.dtype == np.float32
    np.testing.assert_array_equal(out[10, 10], RED.astype(np.float32))


def _same_gray_two_objects(height=48, width=64, edge=32):
    """Uniform lightness (no edge Levin could see) but features that differ left and right of ``edge``."""
    lightness = np.full((height, width), 55.0, np.float32)
    left = np.arange(width)[None, :].repeat(height, 0) < edge
    features = np.where(left[..., None], np.array([1.0, 0.0]), np.array([0.0, 1.0]))
    features = features + np.random.default_rng(0).normal(0, 0.01, (height, width, 2))
    return lightness, left, features


def test_features_stop_a_hint_where_the_lightness_cannot():
    # one gray, two objects (the boundary at column 20); a red hint in the left one, a blue hint far right
    lightness, left, features = _same_gray_two_objects(edge=20)
    hint_ab, mask = _empty(lightness.shape)
    hint_ab[20:28, 4:8], mask[20:28, 4:8] = RED, True
    hint_ab[20:28, 56:60], mask[20:28, 56:60] = BLUE, True
    plain = propagate(lightness, hint_ab, mask)
    guided = propagate(lightness, hint_ab, mask, features=features, feature_bandwidth=0.5)

    def redder(result):
        return np.linalg.norm(result - RED, axis=-1) < np.linalg.norm(result - BLUE, axis=-1)

    # lightness alone switches colour halfway between the hints, inside the right object
    assert redder(plain)[:, 20:30].all()
    # with the features each object takes its own hint's colour, closely
    assert redder(guided)[left].all() and not redder(guided)[~left].any()
    assert np.linalg.norm(guided[left] - RED, axis=-1).mean() < 3.0
    assert np.linalg.norm(guided[~left] - BLUE, axis=-1).mean() < 3.0
    np.testing.assert_array_equal(guided[mask], hint_ab[mask])
    # bandwidth 0 means lightness only, whatever features are passed
    np.testing.assert_array_equal(propagate(lightness, hint_ab, mask, features=features, feature_bandwidth=0.0), plain)


def test_feature_affinities_multiply_the_lightness_ones():
    lightness, _, features = _same_gray_two_objects(8, 8, 4)
    plain = affinity_laplacian(lightness)
    guided = affinity_laplacian(lightness, features, feature_bandwidth=0.5)
    assert abs(guided - guided.T).max() < 1e-12
    np.testing.assert_allclose(np.asarray(guided.sum(axis=1)).ravel(), 0.0, atol=1e-9)
    across = (3, 4)  # row 0, columns 3 | 4: neighbours on either side of the feature boundary
    within = (1, 2)
    assert -guided[across] < 0.01 * -plain[across]
    assert -guided[within] > 0.5 * -plain[within]
