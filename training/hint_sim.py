"""Simulated curator hints, drawn from the ground truth of a training crop.

Following Zhang et al. 2017: the number of points is Geometric(p=1/8) minus one (so one
sample in eight gets no hint at all and learns fully automatic colorization), each point is a
square patch of odd side 1..9 whose colour is the true mean ab over the patch. A minority of
samples draw the count uniformly from 0..``max_dense_points`` instead (iColoriT's scheme) so the
network also sees the dense hint sets curators build up (20-50 hints). Strokes are random walks
that stay inside a region of similar colour, coloured with their pixels' mean: short scribbles,
and (half of them) long strokes along an object of up to a third of the image side, the way a
curator paints "these trees are green" (v2; v1 saw only short ones and flooded whole photos
from one long stroke). Global hints (a palette of the crop's dominant colours, the mean HSV
saturation) are given at random.

Rasterisation reuses ``findcolor.hints.rasterize_hints``, so simulated and real strokes cover
exactly the same pixels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from findcolor.hints import Hints, StrokeHint, rasterize_hints
from findcolor.model import HintNetConfig, global_hint_vector, palette_histogram

POINT_GEOMETRIC_P = 1.0 / 8.0
DENSE_FRACTION = 0.25  # share of samples whose point count is uniform in 0..max_dense_points
MAX_DENSE_POINTS = 60  # per 256x256 area; scaled with the crop's area
POINT_SIDES = (1, 3, 5, 7, 9)  # odd, as a point of radius r covers a (2r+1)-pixel square
STROKE_PROBABILITY = 0.45  # share of samples that also get 1..3 strokes
LONG_STROKE_PROBABILITY = 0.5  # share of strokes that are long (along an object)
LONG_STROKE_MAX_FRACTION = 1.0 / 3.0  # a long stroke's path is at most this share of the image side
STROKE_COLOUR_TOLERANCE = 12.0  # ab distance from the start colour at which a stroke stops
PALETTE_PROBABILITY = 0.2  # share of samples given the palette hint
SATURATION_PROBABILITY = 0.2  # share of samples given the saturation hint


@dataclass
class SimulatedHints:
    ab: np.ndarray  # (H, W, 2) float32 hinted ab, 0 elsewhere
    mask: np.ndarray  # (H, W) bool
    global_vector: np.ndarray  # (config.global_dim,) float32
    points: int  # how many point hints were drawn
    strokes: int  # how many stroke hints were drawn


def point_count(rng: np.random.Generator, area_scale: float = 1.0) -> int:
    """How many point hints a sample gets (see the module docstring)."""
    if rng.random() < DENSE_FRACTION:
        return int(rng.integers(0, int(round(MAX_DENSE_POINTS * area_scale)) + 1))
    return int(rng.geometric(POINT_GEOMETRIC_P)) - 1


def add_point(ab: np.ndarray, mask: np.ndarray, true_ab: np.ndarray, y: int, x: int, side: int) -> None:
    """A square hint of ``side`` pixels centred at (y, x), coloured with the true mean ab over it."""
    h, w = mask.shape
    r = side // 2
    y0, y1, x0, x1 = max(0, y - r), min(h, y + r + 1), max(0, x - r), min(w, x + r + 1)
    ab[y0:y1, x0:x1] = true_ab[y0:y1, x0:x1].reshape(-1, 2).mean(axis=0)
    mask[y0:y1, x0:x1] = True


def random_stroke_path(true_ab: np.ndarray, rng: np.random.Generator, *, long: bool = False) -> list[tuple[float, float]]:
    """A random walk (x, y) that stops before leaving the region of its start colour: a short
    scribble (3-14 steps of 2-6 px), or with ``long`` a smoother stroke along the region of up
    to ``LONG_STROKE_MAX_FRACTION`` of the image side."""
    h, w, _ = true_ab.shape
    y, x = float(rng.uniform(0, h - 1)), float(rng.uniform(0, w - 1))
    start_colour = true_ab[int(y), int(x)]
    heading = float(rng.uniform(0, 2 * np.pi))
    path = [(x, y)]
    if long:
        steps, turn, step_range = int(rng.integers(8, 40)), 0.25, (3.0, 6.0)
        budget = LONG_STROKE_MAX_FRACTION * min(h, w)
    else:
        steps, turn, step_range = int(rng.integers(3, 15)), 0.5, (2.0, 6.0)
        budget = float("inf")
    travelled = 0.0
    for _ in range(steps):
        heading += float(rng.normal(0.0, turn))
        step = float(rng.uniform(*step_range))
        travelled += step
        if travelled > budget:
            break
        # a long stroke follows its object: at the region's border it turns (up to 3 tries) instead of ending
        for _attempt in range(4 if long else 1):
            nx, ny = x + step * np.cos(heading), y + step * np.sin(heading)
            inside = 0 <= nx <= w - 1 and 0 <= ny <= h - 1
            if inside and np.hypot(*(true_ab[int(round(ny)), int(round(nx))] - start_colour)) <= STROKE_COLOUR_TOLERANCE:
                break
            heading += float(rng.uniform(0.5, 1.5) * rng.choice((-1.0, 1.0)))
        else:
            break
        x, y = nx, ny
        path.append((x, y))
    return path


def add_stroke(ab: np.ndarray, mask: np.ndarray, true_ab: np.ndarray, rng: np.random.Generator, *, long: bool = False) -> None:
    """A stroke along a random path inside a region of similar colour, coloured with its true mean."""
    h, w = mask.shape
    path = random_stroke_path(true_ab, rng, long=long)
    stroke = StrokeHint(path=tuple(path), color="#808080", width=float(rng.uniform(1.0, 5.0)))
    _, covered = rasterize_hints(Hints(strokes=(stroke,)), (w, h), (w, h))
    if not covered.any():
        return
    ab[covered] = true_ab[covered].mean(axis=0)
    mask |= covered


def dominant_palette(true_ab: np.ndarray, config: HintNetConfig, count: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``count`` most frequent cells of the palette hint's grid (``config.palette_cells``)
    in the crop, as (mean ab per cell, share)."""
    grid = config.palette_cells
    flat = true_ab.reshape(-1, 2)
    cell_id = grid.cell_index(flat[:, 0], flat[:, 1])
    counts = np.bincount(cell_id, minlength=grid.cells)
    top = np.argsort(counts)[::-1][:count]
    top = top[counts[top] > 0]
    colours = np.stack([flat[cell_id == c].mean(axis=0) for c in top])
    return colours, counts[top].astype(np.float32) / counts[top].sum()


def mean_hsv_saturation(rgb: np.ndarray) -> float:
    """Mean HSV saturation of an sRGB image in [0, 1] (the hint format's ``saturation``)."""
    high = rgb.max(axis=-1)
    low = rgb.min(axis=-1)
    return float(np.where(high > 1e-6, (high - low) / np.maximum(high, 1e-6), 0.0).mean())


def simulate_hints(
    true_ab: np.ndarray,  # (H, W, 2) float32 ground-truth ab of the crop
    true_rgb: np.ndarray,  # (H, W, 3) float32 ground-truth sRGB in [0, 1]
    config: HintNetConfig,
    rng: np.random.Generator,
) -> SimulatedHints:
    h, w, _ = true_ab.shape
    ab = np.zeros((h, w, 2), dtype=np.float32)
    mask = np.zeros((h, w), dtype=bool)
    strokes = int(rng.integers(1, 4)) if rng.random() < STROKE_PROBABILITY else 0
    for _ in range(strokes):
        add_stroke(ab, mask, true_ab, rng, long=bool(rng.random() < LONG_STROKE_PROBABILITY))
    points = point_count(rng, area_scale=h * w / 256.0**2)
    for _ in range(points):
        add_point(ab, mask, true_ab, int(rng.integers(0, h)), int(rng.integers(0, w)), int(rng.choice(POINT_SIDES)))
    histogram = None
    if rng.random() < PALETTE_PROBABILITY:
        colours, shares = dominant_palette(true_ab, config, int(rng.integers(1, 9)))
        histogram = palette_histogram(colours, shares, config)
    saturation = mean_hsv_saturation(true_rgb) if rng.random() < SATURATION_PROBABILITY else None
    return SimulatedHints(ab, mask, global_hint_vector(config, histogram, saturation), points, strokes)


def uniform_point_hints(true_ab: np.ndarray, count: int, rng: np.random.Generator, side: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """The evaluation protocol's hints: ``count`` uniform random ``side`` x ``side`` patches with the true mean ab."""
    h, w, _ = true_ab.shape
    ab = np.zeros((h, w, 2), dtype=np.float32)
    mask = np.zeros((h, w), dtype=bool)
    r = side // 2
    for _ in range(count):
        add_point(ab, mask, true_ab, int(rng.integers(r, h - r)), int(rng.integers(r, w - r)), side)
    return ab, mask
