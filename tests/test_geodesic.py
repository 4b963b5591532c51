"""Edge-aware distance to hints, and the combined engine's use of it."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from findcolor.combined import fuse_with_propagation, hint_distance
from findcolor.geodesic import geodesic_distance


def _two_regions(height: int = 96, width: int = 128, left: float = 70.0, right: float = 30.0) -> np.ndarray:
    """A bright left half and a dark right half: one straight vertical edge."""
    lightness = np.full((height, width), right, dtype=np.float32)
    lightness[:, : width // 2] = left
    return lightness


def test_on_a_flat_image_it_is_the_grid_path_length() -> None:
    seeds = np.zeros((20, 30), dtype=bool)
    seeds[0, 0] = True
    distance = geodesic_distance(np.full((20, 30), 50.0), seeds, edge_weight=3.0)
    assert distance[0, 0] == 0.0
    assert distance[0, 12] == pytest.approx(12.0)
    assert distance[10, 10] == pytest.approx(10.0 * np.sqrt(2.0))
    assert distance[10, 25] == pytest.approx(10.0 * np.sqrt(2.0) + 15.0)  # diagonal, then straight


def test_crossing_a_lightness_step_costs_edge_weight_per_unit_of_lightness() -> None:
    lightness = _two_regions(10, 20)
    seeds = np.zeros((10, 20), dtype=bool)
    seeds[5, 2] = True
    plain = geodesic_distance(lightness, seeds, edge_weight=0.0)
    weighted = geodesic_distance(lightness, seeds, edge_weight=0.5)
    np.testing.assert_allclose(weighted[:, :10], plain[:, :10], rtol=1e-6)  # the seed's own side: unchanged
    np.testing.assert_allclose(weighted[:, 10:], plain[:, 10:] + 0.5 * 40.0, rtol=1e-6)  # the step is crossed once
    assert np.isinf(geodesic_distance(lightness, np.zeros_like(seeds), 1.0)).all()


def test_pixel_size_measures_a_coarse_grid_in_fine_pixels() -> None:
    seeds = np.zeros((8, 8), dtype=bool)
    seeds[0, 0] = True
    distance = geodesic_distance(np.zeros((8, 8)), seeds, edge_weight=1.0, pixel_size=2.0)
    assert distance[0, 5] == pytest.approx(10.0)


def test_hint_distance_is_straight_without_edge_weight_and_edge_aware_with_it() -> None:
    lightness = _two_regions()
    mask = np.zeros(lightness.shape, dtype=bool)
    mask[47:50, 30:33] = True
    np.testing.assert_array_equal(hint_distance(lightness, mask, 0.0), ndimage.distance_transform_edt(~mask).astype(np.float32))
    aware = hint_distance(lightness, mask, 1.0)  # computed at half resolution
    assert aware.shape == lightness.shape and (aware[mask] == 0.0).all()
    straight = ndimage.distance_transform_edt(~mask)
    same_side, other_side = np.s_[:, 10:60], np.s_[:, 68:]
    assert np.abs(aware[same_side] - straight[same_side]).max() < 0.1 * straight.max()
    assert (aware[other_side] > straight[other_side] + 30.0).all()  # 40 units of L crossed, minus upsampling blur


def test_combined_engine_trusts_the_hints_spread_only_on_their_own_side_of_an_edge() -> None:
    lightness = _two_regions()
    mask = np.zeros(lightness.shape, dtype=bool)
    mask[46:49, 56:59] = True  # close to the edge at x = 64
    hint_ab = np.zeros((*lightness.shape, 2), dtype=np.float32)
    hint_ab[mask] = (40.0, 30.0)
    network_ab = np.zeros_like(hint_ab)
    network_ab[:, :64] = (40.0, 30.0)  # the network agrees with the hint on the bright side
    network_ab[:, 64:] = (-10.0, -30.0)  # and says the dark side is blue; the hints' spread floods it red
    straight = fuse_with_propagation(lightness, network_ab, hint_ab, mask, scale=32.0, edge_weight=0.0)
    aware = fuse_with_propagation(lightness, network_ab, hint_ab, mask, scale=32.0, edge_weight=1.0)
    for fused in (straight, aware):
        np.testing.assert_allclose(fused[mask], hint_ab[mask], atol=1e-5)
    beyond = np.s_[40:56, 66:72]  # just across the edge from the hint
    blue = np.array([-10.0, -30.0])
    assert np.abs(aware[beyond] - blue).mean() < 0.5 * np.abs(straight[beyond] - blue).mean()
    own_side = np.s_[40:56, 50:54]
    np.testing.assert_allclose(aware[own_side], straight[own_side], atol=2.0)
