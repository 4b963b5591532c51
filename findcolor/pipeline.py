"""``colorize``: from a gray scan and a curator's hints to a full-resolution colour image.

The steps, and why each is there:

1. Load the scan (never modified) and take its CIELAB lightness at full resolution: this
   is the record, and it goes into the output unchanged.
2. Reduce lightness to the engine's working resolution and rasterise the hints there;
   the engine predicts chroma (a, b) at that size, which keeps it interactive.
3. Upsample the chroma with a guided filter steered by the full-resolution lightness, so
   colour edges land on the photo's own edges, then set hinted pixels to their hinted
   chroma exactly.
4. Recombine with the original lightness and convert to sRGB, reducing chroma (never
   lightness) where a colour does not fit the gamut.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Any, Mapping, Protocol

import numpy as np
import torch
from PIL import Image

from findcolor.color import lab_to_rgb_keep_lightness
from findcolor.errors import EngineError
from findcolor.guided import guided_upsample
from findcolor.hints import Hints, parse_hints, rasterize_hints
from findcolor.imageio import DEFAULT_MAX_PIXELS, ImageSource, LoadedImage, load_image
from findcolor.neural import CombinedEngine, NeuralEngine, weights_available
from findcolor.propagation import ClassicalEngine

ENGINE_NAMES = ("auto", "neural", "classical")


class ChromaEngine(Protocol):
    """What every colorization engine provides (see docs/ARCHITECTURE.md)."""

    name: str
    version: str
    working_side: int

    def predict_ab(
        self, lightness: np.ndarray, hint_ab: np.ndarray, hint_mask: np.ndarray, hints: Hints
    ) -> np.ndarray: ...


def available_engines() -> list[str]:
    """Engine names that can run here ("neural" only when model weights are installed)."""
    return ["auto", "neural", "classical"] if weights_available() else ["auto", "classical"]


@lru_cache(maxsize=None)
def get_engine(name: str = "auto") -> ChromaEngine:
    """The engine called ``name``; "auto" is the combined engine when weights exist, else classical.

    Engines are cached: loading a network once per process keeps re-runs instant.
    """
    if name not in ENGINE_NAMES:
        raise EngineError(f"unknown engine {name!r} (choose one of: {', '.join(ENGINE_NAMES)})")
    if name == "classical" or (name == "auto" and not weights_available()):
        return ClassicalEngine()
    if not weights_available():
        raise EngineError("the neural engine needs model weights, and none are installed (use --engine classical)")
    return CombinedEngine() if name == "auto" else NeuralEngine()


def working_size(width: int, height: int, working_side: int) -> tuple[int, int]:
    """(w, h) with the longer side at most ``working_side``, aspect ratio kept."""
    scale = min(1.0, working_side / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _resize_float(channel: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Area-averaging resize of a float32 (H, W) array to ``size`` = (w, h)."""
    if channel.shape[::-1] == size:
        return channel
    image = Image.fromarray(np.ascontiguousarray(channel, dtype=np.float32))
    return np.array(image.resize(size, Image.Resampling.BOX), dtype=np.float32)  # writable, for torch


def predict_full_resolution_ab(
    lightness: np.ndarray, hints: Hints, engine: ChromaEngine, *, working_side: int | None = None
) -> np.ndarray:
    """Chroma (H, W, 2) for a full-resolution lightness (H, W), hinted pixels exact."""
    height, width = lightness.shape
    size = working_size(width, height, working_side or engine.working_side)
    lightness_low = _resize_float(lightness, size)
    hint_ab_low, hint_mask_low = rasterize_hints(hints, (width, height), size)
    ab_low = engine.predict_ab(lightness_low, hint_ab_low, hint_mask_low, hints)
    ab = guided_upsample(ab_low, lightness_low, lightness)
    if hints.has_local:
        hint_ab_full, hint_mask_full = rasterize_hints(hints, (width, height), (width, height))
        ab[hint_mask_full] = hint_ab_full[hint_mask_full]
    return ab


def colorize_loaded(
    image: LoadedImage, hints: Hints, engine: ChromaEngine, *, working_side: int | None = None
) -> Image.Image:
    """``colorize`` for an already loaded image and parsed hints (used by batch callers)."""
    lightness = image.lightness()
    ab = predict_full_resolution_ab(lightness, hints, engine, working_side=working_side)
    with torch.no_grad():
        rgb = lab_to_rgb_keep_lightness(torch.from_numpy(lightness), torch.from_numpy(ab))
        rgb8 = (rgb * 255.0).round_().to(torch.uint8).numpy()
    return Image.fromarray(rgb8)


def colorize(
    image: ImageSource,
    hints: Hints | Mapping[str, Any] | str | os.PathLike[str] | None = None,
    *,
    engine: str = "auto",
    working_side: int | None = None,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> Image.Image:
    """Colorize ``image`` (a path, bytes, file object or PIL image) following ``hints``.

    ``hints`` is a dict in the hint format, a path to a JSON file, or :class:`Hints`.
    ``engine`` is "auto" (the best installed), "neural" or "classical"; the classical
    engine has no prior of its own, so without hints it returns the photo in gray.
    Returns an 8-bit RGB image of exactly the input's size whose CIELAB lightness equals
    the input's (within 8-bit rounding). Deterministic: same inputs, same pixels.
    Raises :class:`~findcolor.errors.FindColorError` subclasses with one-line messages.
    """
    loaded = load_image(image, max_pixels=max_pixels)
    parsed = parse_hints(hints, image_size=(loaded.width, loaded.height))
    return colorize_loaded(loaded, parsed, get_engine(engine), working_side=working_side)
