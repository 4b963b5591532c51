"""Scores of one colorization against its true photo: pure functions of arrays (no engines, no files).

- :func:`psnr_rgb`: PSNR of 8-bit RGB values (Zhang et al. 2017, iColoriT), optionally over a mask.
- :func:`boundary_psnr`: the same PSNR only over pixels near strong chroma edges of the truth
  (:func:`chroma_edge_mask`), where colour bleeds across object borders (a boundary score in the
  spirit of iColoriT, Yun et al. 2023; the exact definition used here is the one below). Mean
  RGB PSNR over a whole photo barely moves when a colour leaks a few pixels over an edge; this
  score does.
- :func:`colourfulness`: Hasler & Suesstrunk, "Measuring colourfulness in natural images", SPIE
  2003: ``M = sqrt(sd_rg^2 + sd_yb^2) + 0.3 * sqrt(mean_rg^2 + mean_yb^2)`` with ``rg = R - G``,
  ``yb = (R + G) / 2 - B`` on 0..255 RGB. A washed-out (sepia, grayish) result scores low even
  where its PSNR is fine, so the share of the truth's colourfulness is reported beside PSNR.
- :func:`bleed`: how far, in ab units, hints pull the pixels of *other* objects towards the
  hints' colour, against the same engine's result without hints.
- :func:`hint_error`: hint adherence, the largest ab distance between a hint and the output.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

CHROMA_EDGE_THRESHOLD = 8.0  # ab units per pixel: a chroma step of >= 16 ab between neighbours
BOUNDARY_RADIUS = 2.0  # pixels: the edge pixels are widened by this (Euclidean) distance
BLEED_FAR_AB = 20.0  # ab units: a pixel whose true chroma is farther than this from every hint colour is "another object"
BLEED_AWAY_PX = 12.0  # pixels: ... and it must be farther than this from every hinted pixel


def quantise(rgb: np.ndarray) -> np.ndarray:
    """sRGB in [0, 1] as 8-bit values (float array of 0..255 integers)."""
    return np.round(np.clip(rgb, 0.0, 1.0) * 255.0)


def psnr_rgb(predicted_rgb: np.ndarray, true_rgb: np.ndarray, mask: np.ndarray | None = None) -> float:
    """PSNR in dB of 8-bit RGB values, over the pixels of ``mask`` (all pixels when ``None``)."""
    squared = (quantise(predicted_rgb) - quantise(true_rgb)) ** 2  # (H, W, 3)
    if mask is not None:
        if not mask.any():
            raise ValueError("psnr_rgb over an empty mask")
        squared = squared[mask]
    mse = float(np.mean(squared))
    return 10.0 * np.log10(255.0**2 / max(mse, 1e-10))


def chroma_gradient(true_ab: np.ndarray) -> np.ndarray:
    """(H, W) magnitude of the Sobel gradient of the ab channels, in ab units per pixel:
    ``sqrt(sum over a, b and x, y of (sobel / 8)^2)`` (the 3x3 Sobel kernel sums 8 times the
    per-pixel slope), so a straight ramp of ``s`` ab per pixel reads ``s`` and a sharp step of
    ``D`` between two neighbours reads ``D / 2`` on both sides of it."""
    ab = np.asarray(true_ab, dtype=np.float32)
    squared = np.zeros(ab.shape[:2], dtype=np.float32)
    for channel in range(2):
        for axis in (0, 1):
            squared += (ndimage.sobel(ab[..., channel], axis=axis, mode="nearest") / 8.0) ** 2
    return np.sqrt(squared)


def chroma_edge_mask(
    true_ab: np.ndarray,
    threshold: float = CHROMA_EDGE_THRESHOLD,
    radius: float = BOUNDARY_RADIUS,
) -> np.ndarray:
    """(H, W) bool: pixels within ``radius`` px (Euclidean) of a pixel whose true chroma gradient
    (:func:`chroma_gradient`) exceeds ``threshold`` ab/px, i.e. the borders between objects of
    different colour. Empty on a photo without strong chroma edges."""
    edges = chroma_gradient(true_ab) > threshold
    if not edges.any():
        return edges
    return ndimage.distance_transform_edt(~edges) <= radius


def boundary_psnr(predicted_rgb: np.ndarray, true_rgb: np.ndarray, boundary: np.ndarray) -> float | None:
    """:func:`psnr_rgb` over the ``boundary`` pixels (:func:`chroma_edge_mask` of the truth);
    ``None`` when the photo has no boundary pixels (such photos are left out of the mean)."""
    if not boundary.any():
        return None
    return psnr_rgb(predicted_rgb, true_rgb, boundary)


def colourfulness(rgb: np.ndarray) -> float:
    """Hasler & Suesstrunk's colourfulness M of sRGB in [0, 1] (computed on 0..255 values); 0 for gray."""
    values = quantise(rgb).reshape(-1, 3)
    rg = values[:, 0] - values[:, 1]
    yb = 0.5 * (values[:, 0] + values[:, 1]) - values[:, 2]
    spread = np.hypot(rg.std(), yb.std())
    mean = np.hypot(rg.mean(), yb.mean())
    return float(spread + 0.3 * mean)


def colourfulness_share(predicted: list[float], true: list[float]) -> float:
    """The outputs' colourfulness as a share of the truths': the ratio of the means,
    ``sum(M(output)) / sum(M(truth))`` over the photos (not the mean of per-photo ratios, which
    a nearly gray true photo would dominate). 1 = as colourful as the truth."""
    total = float(np.sum(true))
    if total <= 0.0:
        raise ValueError("colourfulness_share of gray truths")
    return float(np.sum(predicted)) / total


def hint_error(ab: np.ndarray, hint_ab: np.ndarray, hint_mask: np.ndarray) -> float:
    """Largest ab distance between the output and the hinted colour over hinted pixels (0 if none)."""
    if not hint_mask.any():
        return 0.0
    return float(np.hypot(*(ab[hint_mask] - hint_ab[hint_mask]).T).max())


def bleed(
    no_hint_ab: np.ndarray,  # (H, W, 2) the engine's output without hints
    hinted_ab: np.ndarray,  # (H, W, 2) the same engine's output with the hints
    true_ab: np.ndarray,  # (H, W, 2) the truth
    hint_ab: np.ndarray,  # (H, W, 2) hinted colours
    hint_mask: np.ndarray,  # (H, W) bool
    *,
    far_ab: float = BLEED_FAR_AB,
    away_px: float = BLEED_AWAY_PX,
) -> float | None:
    """How many ab units the hints pull the pixels of other objects towards their colour.

    The pixels of other objects are those whose true ab is farther than ``far_ab`` from every
    hinted colour and that lie farther than ``away_px`` from every hinted pixel. Each such pixel
    is compared with the hint nearest to it in the image (for several strokes: the colour of
    the nearest stroke), colour ``c``: the figure is the mean over those pixels of
    ``|no_hint_ab - c| - |hinted_ab - c|``. Positive: the hints pulled other objects towards
    their colour (flooding); 0: they left them alone; negative: pushed away. ``None`` without
    hints or without such pixels (the photo is left out of the mean).
    """
    if not hint_mask.any():
        return None
    distance, (rows, cols) = ndimage.distance_transform_edt(~hint_mask, return_indices=True)
    colours = np.unique(hint_ab[hint_mask].reshape(-1, 2), axis=0)  # (k, 2) the distinct hinted colours
    to_nearest_colour = np.full(hint_mask.shape, np.inf, dtype=np.float32)
    for colour in colours:
        to_nearest_colour = np.minimum(to_nearest_colour, np.hypot(*(true_ab - colour).transpose(2, 0, 1)))
    others = (distance > away_px) & (to_nearest_colour > far_ab)
    if not others.any():
        return None
    colour = hint_ab[rows[others], cols[others]]  # (n, 2) the nearest hint's colour per pixel
    before = np.hypot(*(no_hint_ab[others] - colour).T)
    after = np.hypot(*(hinted_ab[others] - colour).T)
    return float(np.mean(before - after))
