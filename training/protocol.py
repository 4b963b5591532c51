"""The evaluation protocol shared by validation during training and ``training.evaluate``.

Zhang et al. 2017 / iColoriT: each held-out photo's shorter side is resized to 256 and the
centre 256x256 square is kept; its true L is the gray input; N hints are 3x3 patches at
uniform random locations (a fixed seed per photo and N) coloured with the true mean ab;
the score is RGB PSNR on 8-bit values.

Beyond that protocol (which has points only), the same photos are scored with the other hint
kinds a curator gives: strokes (the training simulation's random walks inside a region of
similar colour) and the global palette / saturation hints taken from the true photo.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from findcolor.color import lab_to_hex, lab_to_rgb, rgb_to_lab
from findcolor.hints import Hints, PaletteColor, hint_ab
from findcolor.model import HintNetConfig
from training.hint_sim import add_stroke, dominant_palette, mean_hsv_saturation, uniform_point_hints
from training.photos import centre_crop, load_rgb, photos_in_split

EVAL_SIZE = 256
HINT_COUNTS = (0, 1, 2, 5, 10, 20, 50)
HINT_SIDE = 3


@dataclass
class EvalView:
    photo_id: str
    rgb: np.ndarray  # (256, 256, 3) float32 in [0, 1]
    lab: np.ndarray  # (256, 256, 3) float32


def evaluation_views(corpus: Path, split: str, limit: int | None = None) -> list[EvalView]:
    views = []
    for photo in photos_in_split(corpus, split)[:limit]:
        rgb = centre_crop(load_rgb(photo.path), EVAL_SIZE).astype(np.float32) / 255.0
        views.append(EvalView(photo.id, rgb, rgb_to_lab(rgb)))
    return views


def hint_set(view: EvalView, count: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The fixed hints for (photo, count): the same for every engine and every run."""
    rng = np.random.default_rng([seed, count, zlib.crc32(view.photo_id.encode())])
    return uniform_point_hints(view.lab[..., 1:], count, rng, side=HINT_SIDE)


def stroke_hint_set(view: EvalView, count: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``count`` fixed strokes for the photo: the training simulation's random walks inside a region
    of similar colour (``hint_sim.add_stroke``), each coloured with its true mean ab."""
    rng = np.random.default_rng([seed, 1000 + count, zlib.crc32(view.photo_id.encode())])
    ab = np.zeros((*view.lab.shape[:2], 2), dtype=np.float32)
    mask = np.zeros(view.lab.shape[:2], dtype=bool)
    for _ in range(count):
        add_stroke(ab, mask, view.lab[..., 1:], rng)
    return ab, mask


def palette_colour(ab: np.ndarray) -> str:
    """A hex colour with chroma ``ab``, at the lightness (35..85) where that chroma fits sRGB best:
    what a curator would type for "this colour appears in the photo"."""
    candidates = [lab_to_hex((lightness, float(ab[0]), float(ab[1]))) for lightness in range(35, 90, 5)]
    return min(candidates, key=lambda colour: float(np.hypot(*(np.array(hint_ab(colour)) - ab))))


def global_hints(view: EvalView, *, palette_colours: int = 0, saturation: bool = False) -> Hints:
    """The photo's true global hints: its ``palette_colours`` dominant colours (weighted by their
    share; ``hint_sim.dominant_palette``) and/or its mean HSV saturation."""
    palette: tuple[PaletteColor, ...] = ()
    if palette_colours:
        colours, shares = dominant_palette(view.lab[..., 1:], HintNetConfig(), palette_colours)
        palette = tuple(PaletteColor(palette_colour(ab), float(share)) for ab, share in zip(colours, shares))
    return Hints(palette=palette, saturation=mean_hsv_saturation(view.rgb) if saturation else None)


def quantise(rgb: np.ndarray) -> np.ndarray:
    return np.round(np.clip(rgb, 0.0, 1.0) * 255.0)


def psnr_rgb(predicted_rgb: np.ndarray, true_rgb: np.ndarray) -> float:
    """PSNR in dB of 8-bit RGB values."""
    mse = float(np.mean((quantise(predicted_rgb) - quantise(true_rgb)) ** 2))
    return 10.0 * np.log10(255.0**2 / max(mse, 1e-10))


def rgb_from(lightness: np.ndarray, ab: np.ndarray) -> np.ndarray:
    """Recombine the true L with predicted ab into sRGB."""
    return lab_to_rgb(np.concatenate([lightness[..., None], ab], axis=-1))


def hint_error(ab: np.ndarray, hint_ab: np.ndarray, hint_mask: np.ndarray) -> float:
    """Largest ab distance between the output and the hinted colour over hinted pixels (0 if none)."""
    if not hint_mask.any():
        return 0.0
    return float(np.hypot(*(ab[hint_mask] - hint_ab[hint_mask]).T).max())
