"""Colour science on torch tensors: sRGB <-> CIELAB, and Lab -> sRGB keeping lightness.

The torch half of :mod:`findcolor.color` (same constants and conventions: ``(B, 3, H, W)``
tensors, channels first, differentiable, on the tensor's device and dtype). A module of its own
so that importing the numpy half never loads torch; ``findcolor.color`` still offers these names.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import torch

from findcolor.blocks import for_each_row_block
from findcolor.color import _EPSILON, _KAPPA, RGB_TO_XYZ, WHITE_D65, XYZ_TO_RGB, lab_to_linear_rgb

def _torch_matrix(matrix: np.ndarray, like: torch.Tensor) -> torch.Tensor:
    return torch.as_tensor(matrix, dtype=like.dtype, device=like.device)


def _torch_white(like: torch.Tensor) -> torch.Tensor:
    return torch.as_tensor(WHITE_D65, dtype=like.dtype, device=like.device).view(1, 3, 1, 1)


def _f_torch(t: torch.Tensor) -> torch.Tensor:
    # clamp inside the cube root keeps the gradient finite at 0
    return torch.where(t > _EPSILON, t.clamp_min(_EPSILON) ** (1.0 / 3.0), (_KAPPA * t + 16.0) / 116.0)


_F_INV_KNEE = 6.0 / 29.0  # f^-1(t) = t^3 above (where t^3 > _EPSILON), linear below


def _f_inv_torch(t: torch.Tensor) -> torch.Tensor:
    return torch.where(t > _F_INV_KNEE, t * t * t, (116.0 * t - 16.0) / _KAPPA)


def rgb_to_lab_torch(rgb: torch.Tensor) -> torch.Tensor:
    """sRGB ``(B, 3, H, W)`` in [0, 1] -> CIELAB ``(B, 3, H, W)``; differentiable."""
    linear = torch.where(rgb <= 0.04045, rgb / 12.92, ((rgb.clamp_min(0.04045) + 0.055) / 1.055) ** 2.4)
    xyz = torch.einsum("ij,bjhw->bihw", _torch_matrix(RGB_TO_XYZ, rgb), linear) / _torch_white(rgb)
    f = _f_torch(xyz)
    fx, fy, fz = f[:, 0:1], f[:, 1:2], f[:, 2:3]
    return torch.cat([116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)], dim=1)


def _lab_to_linear_torch(lab: torch.Tensor) -> torch.Tensor:
    """CIELAB ``(B, 3, ...)`` -> linear RGB, not clipped."""
    fy = (lab[:, 0:1] + 16.0) / 116.0
    f = torch.cat([fy + lab[:, 1:2] / 500.0, fy, fy - lab[:, 2:3] / 200.0], dim=1)
    white = torch.as_tensor(WHITE_D65, dtype=lab.dtype, device=lab.device).view(1, 3, *([1] * (lab.dim() - 2)))
    return torch.einsum("ij,bj...->bi...", _torch_matrix(XYZ_TO_RGB, lab), _f_inv_torch(f) * white)


def _linear_to_srgb_torch(linear: torch.Tensor) -> torch.Tensor:
    linear = linear.clamp(0.0, 1.0)
    return torch.where(linear <= 0.0031308, linear * 12.92, 1.055 * linear.clamp_min(0.0031308) ** (1.0 / 2.4) - 0.055)


def lab_to_rgb_torch(lab: torch.Tensor) -> torch.Tensor:
    """CIELAB ``(B, 3, H, W)`` -> sRGB ``(B, 3, H, W)`` clipped to [0, 1]; differentiable inside the gamut."""
    return _linear_to_srgb_torch(_lab_to_linear_torch(lab))


_GAMUT_TOLERANCE = 1e-5
def _linear_from_chroma(fy: torch.Tensor, y: torch.Tensor, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Linear RGB (3, N) for flat tensors: ``fy`` and ``y`` depend on L only, so callers compute them once."""
    x = WHITE_D65[0] * _f_inv_torch(fy + a / 500.0)
    z = WHITE_D65[2] * _f_inv_torch(fy - b / 200.0)
    m = XYZ_TO_RGB
    return torch.stack(
        [
            m[0, 0] * x + m[0, 1] * y + m[0, 2] * z,
            m[1, 0] * x + m[1, 1] * y + m[1, 2] * z,
            m[2, 0] * x + m[2, 1] * y + m[2, 2] * z,
        ]
    )


def _fits(linear: torch.Tensor) -> torch.Tensor:
    return (linear.amin(dim=0) >= -_GAMUT_TOLERANCE) & (linear.amax(dim=0) <= 1.0 + _GAMUT_TOLERANCE)


_LUT_LIGHTNESS_STEPS = 200  # cells along L (0..100): half a unit each
_LUT_HUE_STEPS = 360  # cells around the hue circle: one degree each


@lru_cache(maxsize=1)
def _max_chroma_table() -> torch.Tensor:
    """Largest in-gamut chroma for each (L, hue) cell, taken as the minimum over the cell's corners.

    Built once (~0.1 s, numpy) by bisection along each chroma ray (the sRGB gamut is
    star-shaped around the gray axis); the per-cell minimum makes lookups conservative, so
    scaled colours land inside the gamut and the final clamp leaves lightness untouched.
    """
    lightness = np.linspace(0.0, 100.0, _LUT_LIGHTNESS_STEPS + 1)[:, None]
    hue = np.linspace(0.0, 2.0 * math.pi, _LUT_HUE_STEPS + 1)[None, :]
    low = np.zeros((_LUT_LIGHTNESS_STEPS + 1, _LUT_HUE_STEPS + 1))
    high = np.full_like(low, 200.0)
    for _ in range(24):
        middle = (low + high) / 2
        lab = np.stack(np.broadcast_arrays(lightness, middle * np.cos(hue), middle * np.sin(hue)), axis=-1)
        linear = lab_to_linear_rgb(lab)
        fits = ((linear >= -_GAMUT_TOLERANCE) & (linear <= 1.0 + _GAMUT_TOLERANCE)).all(axis=-1)
        low = np.where(fits, middle, low)
        high = np.where(fits, high, middle)
    cells = np.minimum(np.minimum(low[:-1, :-1], low[1:, :-1]), np.minimum(low[:-1, 1:], low[1:, 1:]))
    return torch.from_numpy(cells.astype(np.float32))


def _keep_lightness_block(lightness: torch.Tensor, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    fy = (lightness + 16.0) / 116.0
    y = WHITE_D65[1] * _f_inv_torch(fy)
    linear = _linear_from_chroma(fy, y, a, b)
    outside = ~_fits(linear)
    if bool(outside.any()):  # only out-of-gamut colours change: their chroma drops to the table's limit
        hue = torch.atan2(b, a) % (2.0 * math.pi)
        row = (lightness.clamp(0.0, 100.0) * (_LUT_LIGHTNESS_STEPS / 100.0)).long().clamp_(max=_LUT_LIGHTNESS_STEPS - 1)
        column = (hue * (_LUT_HUE_STEPS / (2.0 * math.pi))).long().clamp_(max=_LUT_HUE_STEPS - 1)
        limit = _max_chroma_table()[row, column] / torch.hypot(a, b).clamp_min(1e-6)
        scale = torch.where(outside, limit.clamp_(max=1.0), torch.ones_like(limit))
        linear = _linear_from_chroma(fy, y, a * scale, b * scale)
    return _linear_to_srgb_torch(linear)


def lab_to_rgb_keep_lightness(lightness: torch.Tensor, ab: torch.Tensor) -> torch.Tensor:
    """Lab -> sRGB in [0, 1] *without* changing lightness where a colour is out of gamut.

    Clipping RGB would alter L (a saturated red on a dark wall turns lighter or darker), but
    the photo's lightness is the record and must survive. So where ``(L, a, b)`` is outside
    sRGB the chroma is scaled towards gray, keeping hue and L, to the largest chroma the
    gamut allows there (from a precomputed table); gray with any L is always inside.
    ``lightness`` is (H, W), ``ab`` is (H, W, 2); returns (H, W, 3) float32.
    """
    height, width = lightness.shape
    lightness = lightness.float()
    ab = ab.float()
    out = torch.empty((height, width, 3), dtype=torch.float32)
    _max_chroma_table()  # build once, before the blocks race for it

    def convert(rows: slice) -> None:
        out[rows] = lab_block_to_rgb_keep_lightness(lightness[rows], ab[rows])

    for_each_row_block(height, width, convert)
    return out


def lab_block_to_rgb_keep_lightness(lightness: torch.Tensor, ab: torch.Tensor) -> torch.Tensor:
    """:func:`lab_to_rgb_keep_lightness` for one block of rows, computed in the calling thread.

    For callers that already run their own row blocks (the pipeline fuses upsampling, hints and
    this conversion per block). ``lightness`` is (n, W), ``ab`` (n, W, 2); returns (n, W, 3).
    """
    _max_chroma_table()
    width = lightness.shape[-1]
    block_l = lightness.float().reshape(-1)
    block_ab = ab.float().reshape(-1, 2)
    rgb = _keep_lightness_block(block_l, block_ab[:, 0].contiguous(), block_ab[:, 1].contiguous())
    return rgb.t().reshape(-1, width, 3)
