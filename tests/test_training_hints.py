"""Hint simulation produces what the training recipe claims."""

from __future__ import annotations

import numpy as np
import pytest

from findcolor.model import HintNetConfig, palette_histogram
from training import hint_sim

CONFIG = HintNetConfig()


def _two_colour_image(size: int = 48) -> tuple[np.ndarray, np.ndarray]:
    """Left half ab (40, 20), right half ab (-30, -40); matching sRGB (reddish / bluish)."""
    ab = np.zeros((size, size, 2), dtype=np.float32)
    ab[:, : size // 2] = (40.0, 20.0)
    ab[:, size // 2 :] = (-30.0, -40.0)
    rgb = np.zeros((size, size, 3), dtype=np.float32)
    rgb[:, : size // 2] = (0.8, 0.3, 0.2)
    rgb[:, size // 2 :] = (0.1, 0.4, 0.8)
    return ab, rgb


def _smooth_image(size: int = 48, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:size, 0:size] / size
    return np.stack([60 * x - 30 + rng.normal(0, 1, x.shape), 50 * y - 25], axis=-1).astype(np.float32)


def test_point_counts_follow_the_geometric_recipe_with_a_dense_tail() -> None:
    rng = np.random.default_rng(0)
    counts = np.array([hint_sim.point_count(rng) for _ in range(20000)])
    zero_share = (counts == 0).mean()
    expected_zero = (1 - hint_sim.DENSE_FRACTION) * hint_sim.POINT_GEOMETRIC_P + hint_sim.DENSE_FRACTION / (hint_sim.MAX_DENSE_POINTS + 1)
    assert zero_share == pytest.approx(expected_zero, abs=0.01)
    assert counts.min() == 0 and (counts >= 20).mean() > 0.1  # dense hint sets are seen too


def test_a_point_is_a_square_of_the_true_mean_colour() -> None:
    true_ab = _smooth_image()
    ab = np.zeros_like(true_ab)
    mask = np.zeros(true_ab.shape[:2], dtype=bool)
    hint_sim.add_point(ab, mask, true_ab, 20, 30, 5)
    assert mask.sum() == 25 and mask[18:23, 28:33].all()
    np.testing.assert_allclose(ab[20, 30], true_ab[18:23, 28:33].reshape(-1, 2).mean(axis=0), atol=1e-4)


def test_strokes_stay_inside_a_region_of_similar_colour() -> None:
    true_ab, _ = _two_colour_image()
    rng = np.random.default_rng(1)
    for _ in range(30):
        path = hint_sim.random_stroke_path(true_ab, rng)
        colours = np.array([true_ab[int(round(y)), int(round(x))] for x, y in path])
        assert np.hypot(*(colours - colours[0]).T).max() <= hint_sim.STROKE_COLOUR_TOLERANCE


def test_a_stroke_is_coloured_with_the_mean_over_its_pixels() -> None:
    true_ab = _smooth_image()
    ab = np.zeros_like(true_ab)
    mask = np.zeros(true_ab.shape[:2], dtype=bool)
    hint_sim.add_stroke(ab, mask, true_ab, np.random.default_rng(2))
    assert mask.any()
    np.testing.assert_allclose(ab[mask][0], true_ab[mask].mean(axis=0), atol=1e-3)
    assert np.allclose(ab[mask], ab[mask][0])  # one colour over the whole stroke


def test_simulated_hints_match_the_ground_truth_where_given() -> None:
    true_ab, rgb = _two_colour_image()
    rng = np.random.default_rng(3)
    seen_points = seen_strokes = seen_global = 0
    for _ in range(60):
        hints = hint_sim.simulate_hints(true_ab, rgb, CONFIG, rng)
        assert hints.ab.shape == true_ab.shape and hints.mask.shape == true_ab.shape[:2]
        assert not hints.ab[~hints.mask].any()
        # every hinted pixel holds a mean of true colours: within the range of the two region colours
        assert (hints.ab[hints.mask][:, 0] >= -30.001).all() and (hints.ab[hints.mask][:, 0] <= 40.001).all()
        seen_points += hints.points > 0
        seen_strokes += hints.strokes > 0
        seen_global += hints.global_vector.any()
    assert seen_points and seen_strokes and seen_global
    assert seen_points < 60  # some samples get no point hints at all


def test_dominant_palette_and_saturation_describe_the_image() -> None:
    true_ab, rgb = _two_colour_image()
    colours, shares = hint_sim.dominant_palette(true_ab, CONFIG, 4)
    assert len(colours) == 2
    assert sorted(map(tuple, np.round(colours).tolist())) == [(-30.0, -40.0), (40.0, 20.0)]
    np.testing.assert_allclose(shares, [0.5, 0.5])
    assert hint_sim.mean_hsv_saturation(np.full((4, 4, 3), 0.5, dtype=np.float32)) == 0.0
    assert hint_sim.mean_hsv_saturation(np.tile(np.array([1.0, 0.0, 0.0], dtype=np.float32), (4, 4, 1))) == 1.0


def test_dominant_palette_counts_colours_in_the_palette_hints_cells() -> None:
    """Colours on and beside cell borders (every 20 ab units from -110) and outside the range land
    in the cells of the network's palette hint (``config.palette_cells``)."""
    values = np.array([-130.0, -110.0, -90.0, -90.001, -10.0, 10.0, 30.0, 109.9, 125.0], dtype=np.float32)
    true_ab = np.random.default_rng(5).choice(values, size=(16, 16, 2))
    grid = CONFIG.palette_cells
    colours, shares = hint_sim.dominant_palette(true_ab, CONFIG, grid.cells)
    counts = np.bincount(grid.cell_index(true_ab[..., 0].ravel(), true_ab[..., 1].ravel()), minlength=grid.cells)
    np.testing.assert_allclose(palette_histogram(colours, shares, CONFIG), counts / counts.sum(), atol=1e-6)


def test_uniform_point_hints_are_3x3_patches_of_true_means() -> None:
    true_ab = _smooth_image()
    ab, mask = hint_sim.uniform_point_hints(true_ab, 5, np.random.default_rng(4))
    assert 9 <= mask.sum() <= 45
    # check one isolated patch: its colour is the mean over its 3x3 square
    ys, xs = np.nonzero(mask)
    y, x = ys[0] + 1, xs[0] + 1
    if mask[y - 1 : y + 2, x - 1 : x + 2].all() and mask[max(0, y - 2) : y + 3, max(0, x - 2) : x + 3].sum() == 9:
        np.testing.assert_allclose(ab[y, x], true_ab[y - 1 : y + 2, x - 1 : x + 2].reshape(-1, 2).mean(axis=0), atol=1e-4)
