"""findcolor.guided: edge-aware chroma upsampling guided by full-resolution lightness."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from findcolor.guided import guided_upsample

SIZE, FACTOR = 256, 4
LEFT, RIGHT = (40.0, 20.0), (-30.0, -10.0)


def _scene():
    """A lightness edge that does not fall on the 4x grid, and chroma whose edge is exactly there."""
    rng = np.random.default_rng(0)
    xs = np.arange(SIZE)[None, :].repeat(SIZE, 0)
    edge = 101 + np.arange(SIZE)[:, None] // 40  # a staircase, so the edge is not always at one phase
    left = xs < edge
    lightness = (np.where(left, 30.0, 75.0) + rng.normal(0, 0.5, (SIZE, SIZE))).astype(np.float32)
    ab = np.empty((SIZE, SIZE, 2), np.float32)
    ab[left], ab[~left] = LEFT, RIGHT
    return lightness, ab, np.abs(xs - edge) <= 4


def _down(array):
    h, w = array.shape[:2]
    return array.reshape(h // FACTOR, FACTOR, w // FACTOR, FACTOR, *array.shape[2:]).mean(axis=(1, 3))


def _bilinear(ab_low, size):
    tensor = torch.from_numpy(np.ascontiguousarray(ab_low, np.float32)).permute(2, 0, 1)[None]
    return F.interpolate(tensor, size=size, mode="bilinear", align_corners=False)[0].permute(1, 2, 0).numpy()


def test_edge_stays_sharp_much_better_than_bilinear():
    lightness, ab, band = _scene()
    ab_low, lightness_low = _down(ab), _down(lightness)
    guided = guided_upsample(ab_low, lightness_low, lightness)
    assert guided.shape == (SIZE, SIZE, 2) and guided.dtype == np.float32
    bilinear = _bilinear(ab_low, (SIZE, SIZE))
    error_guided = np.abs(guided - ab).max(axis=-1)
    error_bilinear = np.abs(bilinear - ab).max(axis=-1)
    # near the edge (+-4 px) bilinear smears colour over ~2 low-res pixels; the guide puts it back
    assert error_bilinear[band].mean() > 8  # the scene really is hard for bilinear
    assert error_guided[band].mean() < error_bilinear[band].mean() / 4
    assert error_guided[band].mean() < 3
    # pixels more than 5 ab off: a thin line at most, against a wide smear for bilinear
    assert (error_guided > 5).sum() < (error_bilinear > 5).sum() / 10
    # the two sides keep their own colour right up to the edge: sign of a on each side of each row
    edge = 101 + np.arange(SIZE) // 40
    for row in range(0, SIZE, 17):
        assert guided[row, edge[row] - 1, 0] > 20 and guided[row, edge[row], 0] < -10


def test_constant_chroma_stays_constant():
    lightness, _, _ = _scene()
    ab_low = np.full((SIZE // FACTOR, SIZE // FACTOR, 2), (12.0, -7.0), np.float32)
    out = guided_upsample(ab_low, _down(lightness), lightness)
    np.testing.assert_allclose(out, np.broadcast_to((12.0, -7.0), out.shape), atol=1e-3)


def test_smooth_chroma_is_reproduced_away_from_edges():
    # chroma that varies smoothly over a smooth lightness ramp: the upsampled map follows it
    ys, xs = np.mgrid[0:SIZE, 0:SIZE].astype(np.float32)
    lightness = 20 + 60 * xs / SIZE
    ab = np.stack([30 * np.sin(ys / 40), 20 * np.cos(xs / 50)], axis=-1).astype(np.float32)
    out = guided_upsample(_down(ab), _down(lightness), lightness)
    assert np.abs(out - ab)[8:-8, 8:-8].max() < 1.5


def test_same_size_is_identity_and_non_multiple_sizes():
    lightness, ab, _ = _scene()
    np.testing.assert_array_equal(guided_upsample(ab, lightness, lightness), ab)
    full = lightness[:250, :199]
    low = np.asarray(  # any working size, not just an integer factor
        torch.nn.functional.interpolate(torch.from_numpy(full)[None, None], size=(63, 50), mode="area")[0, 0]
    )
    out = guided_upsample(np.full((63, 50, 2), 5.0, np.float32), low, full)
    assert out.shape == (250, 199, 2)
    np.testing.assert_allclose(out, 5.0, atol=1e-3)
