"""Edge-aware upsampling of chroma with the full-resolution lightness as guide.

Engines predict chroma at a working resolution of a few hundred pixels; scans have
thousands. Plain bilinear upsampling would smear colour across every edge. The fast
guided filter (He, Sun & Tang, "Fast Guided Filter", 2015) fits, in each window of the
working resolution, chroma as a linear function of lightness, ``ab = A * L + B``; the
coefficients are smooth, so they are upsampled bilinearly and applied to the *full*
resolution lightness, which puts every colour edge exactly on a lightness edge.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from findcolor.blocks import for_each_row_block

_RADIUS = 2  # box radius at working resolution
_EPSILON = 1e-3  # regularisation on (L/100)^2: smaller follows lightness edges more tightly


def _box(x: torch.Tensor, radius: int) -> torch.Tensor:
    """Mean over a (2r+1)^2 window with edge replication; x is (B, C, H, W)."""
    padded = F.pad(x, (radius, radius, radius, radius), mode="replicate")
    return F.avg_pool2d(padded, kernel_size=2 * radius + 1, stride=1)


def _source_positions(out_size: int, in_size: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Bilinear taps (i0, i1, weight of i1) for each output index, as ``align_corners=False``."""
    position = (torch.arange(out_size, dtype=torch.float32) + 0.5) * (in_size / out_size) - 0.5
    position = position.clamp(0.0, in_size - 1)
    first = position.floor().long()
    return first, (first + 1).clamp(max=in_size - 1), position - first


class GuidedUpsampler:
    """The fitted guided filter for one image, applied to any band of full-resolution rows.

    Fitting happens once at working resolution; :meth:`rows` evaluates ``ab = A * L + B`` for
    a band, so full-resolution chroma never has to exist for the whole image at once.
    """

    def __init__(
        self,
        ab_low: np.ndarray,
        lightness_low: np.ndarray,
        full_size: tuple[int, int],
        *,
        radius: int = _RADIUS,
        epsilon: float = _EPSILON,
    ) -> None:
        """``ab_low`` is (h, w, C), ``lightness_low`` (h, w); ``full_size`` is (H, W) of the full lightness."""
        full_h, full_w = full_size
        low_h, low_w, self.channels = ab_low.shape
        guide = torch.from_numpy(np.array(lightness_low, dtype=np.float32))[None, None] / 100.0
        source = torch.from_numpy(np.array(ab_low, dtype=np.float32)).permute(2, 0, 1)[None]
        mean_guide = _box(guide, radius)
        mean_source = _box(source, radius)
        covariance = _box(guide * source, radius) - mean_guide * mean_source
        variance = _box(guide * guide, radius) - mean_guide * mean_guide
        slope = covariance / (variance + epsilon)
        offset = mean_source - slope * mean_guide
        self.coefficients = torch.cat([_box(slope, radius), _box(offset, radius)], dim=1)[0]  # (2C, h, w): slopes, offsets
        self.rows_first, self.rows_second, self.rows_weight = _source_positions(full_h, low_h)
        self.cols_first, self.cols_second, self.cols_weight = _source_positions(full_w, low_w)

    def rows(self, rows: slice, lightness_rows: np.ndarray | torch.Tensor, out: torch.Tensor | None = None) -> torch.Tensor:
        """Chroma (n, W, C) for full-resolution rows ``rows``, whose lightness is ``lightness_rows`` (n, W).

        Bilinear upsampling of the coefficients, then ``ab = slope * L + offset``; written into
        ``out`` (n, W, C) when given.
        """
        channels = self.channels
        weight = self.rows_weight[rows][None, :, None]
        block = self.coefficients[:, self.rows_first[rows]] * (1.0 - weight) + self.coefficients[:, self.rows_second[rows]] * weight
        block = block[:, :, self.cols_first] * (1.0 - self.cols_weight) + block[:, :, self.cols_second] * self.cols_weight
        guide_rows = torch.as_tensor(lightness_rows, dtype=torch.float32) / 100.0
        if out is None:
            out = torch.empty((*guide_rows.shape, channels), dtype=torch.float32)
        for channel in range(channels):
            out[:, :, channel] = block[channel] * guide_rows + block[channels + channel]
        return out


def guided_upsample(
    ab_low: np.ndarray,
    lightness_low: np.ndarray,
    lightness_full: np.ndarray,
    *,
    radius: int = _RADIUS,
    epsilon: float = _EPSILON,
) -> np.ndarray:
    """Upsample ``ab_low`` (h, w, C) to the size of ``lightness_full`` (H, W), guided by lightness.

    ``lightness_low`` must be ``lightness_full`` reduced to (h, w). Returns (H, W, C) float32.
    C is 2 for chroma; engines that solve several fields at once upsample them in one call.
    For a whole scan, :class:`GuidedUpsampler` works a band of rows at a time instead.
    """
    full_h, full_w = lightness_full.shape
    if ab_low.shape[:2] == (full_h, full_w):
        return np.asarray(ab_low, dtype=np.float32)
    upsampler = GuidedUpsampler(ab_low, lightness_low, (full_h, full_w), radius=radius, epsilon=epsilon)
    full_guide = torch.from_numpy(np.ascontiguousarray(lightness_full, dtype=np.float32))
    out = torch.empty((full_h, full_w, upsampler.channels), dtype=torch.float32)
    # row block by row block at full resolution (see findcolor.blocks for why not one big torch call)
    for_each_row_block(full_h, full_w, lambda rows: upsampler.rows(rows, full_guide[rows], out[rows]))
    return out.numpy()
