"""The evaluation protocol shared by validation during training and ``training.evaluate``.

Zhang et al. 2017 / iColoriT: each held-out photo's shorter side is resized to 256 and the
centre 256x256 square is kept; its true L is the gray input; N hints are 3x3 patches at
uniform random locations (a fixed seed per photo and N) coloured with the true mean ab;
the score is RGB PSNR on 8-bit values.

Beyond that protocol (which has points only), the same photos are scored with the other hint
kinds a curator gives (:class:`HintCase`): strokes (the training simulation's random walks
inside a region of similar colour: short scribbles, and long strokes along an object of up to
a third of the image side, the way a curator paints "these trees are green") and the global
palette / saturation hints taken from the true photo. Every hint set is fixed per photo (a seed
from the photo id, the kind and the count), so every engine and every run sees the same hints.
The scores themselves are in ``training.metrics``.
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
from training.metrics import psnr_rgb  # noqa: F401 - the protocol's score, used by training.train
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


def stroke_hint_set(view: EvalView, count: int, seed: int = 0, *, long: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """``count`` fixed strokes for the photo: the training simulation's random walks inside a region
    of similar colour (``hint_sim.add_stroke``), each coloured with its true mean ab; short
    scribbles, or with ``long`` strokes along an object of up to a third of the image side."""
    rng = np.random.default_rng([seed, (2000 if long else 1000) + count, zlib.crc32(view.photo_id.encode())])
    ab = np.zeros((*view.lab.shape[:2], 2), dtype=np.float32)
    mask = np.zeros(view.lab.shape[:2], dtype=bool)
    for _ in range(count):
        add_stroke(ab, mask, view.lab[..., 1:], rng, long=long)
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


def rgb_from(lightness: np.ndarray, ab: np.ndarray) -> np.ndarray:
    """Recombine the true L with predicted ab into sRGB."""
    return lab_to_rgb(np.concatenate([lightness[..., None], ab], axis=-1))


@dataclass(frozen=True)
class HintCase:
    """One kind of hints, given to every engine on every photo. Local kinds add up (strokes
    first, then points on top); each kind's hints are those of its own fixed set, so "5 points"
    are the same points alone or beside a palette."""

    points: int = 0  # uniform random 3x3 points (:func:`hint_set`)
    strokes: int = 0  # short scribbles (:func:`stroke_hint_set`)
    long_strokes: int = 0  # long strokes along an object (:func:`stroke_hint_set` with ``long``)
    palette_colours: int = 0  # the true photo's dominant colours as the palette (0 = none)
    saturation: bool = False  # the true photo's mean saturation

    @property
    def has_local_hints(self) -> bool:
        return bool(self.points or self.strokes or self.long_strokes)

    @property
    def label(self) -> str:
        def counted(n: int, noun: str) -> str:
            return f"{n} {noun}" + ("" if n == 1 else "s")

        local = [counted(n, noun) for n, noun in ((self.long_strokes, "long stroke"), (self.strokes, "stroke"), (self.points, "point")) if n]
        global_ = ([f"palette ({self.palette_colours} colours)"] if self.palette_colours else []) + (["saturation"] if self.saturation else [])
        if not local:
            return ", ".join(global_) + ", no local hints" if global_ else "no hints"
        return " + ".join(local + global_)

    def draw(self, view: EvalView) -> tuple[np.ndarray, np.ndarray, Hints]:
        """(hint ab (H, W, 2), hint mask (H, W), global hints) of this case for ``view``."""
        ab = np.zeros((*view.lab.shape[:2], 2), dtype=np.float32)
        mask = np.zeros(view.lab.shape[:2], dtype=bool)
        sets = []
        if self.long_strokes:
            sets.append(stroke_hint_set(view, self.long_strokes, long=True))
        if self.strokes:
            sets.append(stroke_hint_set(view, self.strokes))
        if self.points:
            sets.append(hint_set(view, self.points))
        for set_ab, set_mask in sets:
            ab[set_mask] = set_ab[set_mask]
            mask |= set_mask
        hints = global_hints(view, palette_colours=self.palette_colours, saturation=self.saturation)
        return ab, mask, hints
