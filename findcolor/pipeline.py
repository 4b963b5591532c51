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
import threading
from functools import lru_cache
from typing import Any, Mapping, Protocol

import numpy as np
import torch
from PIL import Image

from findcolor.blocks import for_each_row_block
from findcolor.color_torch import lab_block_to_rgb_keep_lightness
from findcolor.combined import CombinedEngine
from findcolor.options import ENGINE_NAMES
from findcolor.errors import EngineError, InsufficientMemoryError
from findcolor.guided import GuidedUpsampler, guided_upsample
from findcolor.hints import Hints, parse_hints, prepare_hints, rasterize_hints
from findcolor.imageio import DEFAULT_MAX_PIXELS, ImageSource, LoadedImage, decode_lightness, open_image
from findcolor.memory import available_memory, check_memory, colorize_memory_needed
from findcolor.network_io import weights_available
from findcolor.neural import NeuralEngine
from findcolor.propagation import ClassicalEngine
from findcolor.resolution import resize_area, working_size



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


def predict_full_resolution_ab(
    lightness: np.ndarray, hints: Hints, engine: ChromaEngine, *, working_side: int | None = None
) -> np.ndarray:
    """Chroma (H, W, 2) for a full-resolution lightness (H, W), hinted pixels exact."""
    height, width = lightness.shape
    size = working_size(width, height, working_side or engine.working_side)
    lightness_low = resize_area(lightness, size)
    hint_ab_low, hint_mask_low = rasterize_hints(hints, (width, height), size)
    ab_low = engine.predict_ab(lightness_low, hint_ab_low, hint_mask_low, hints)
    ab = guided_upsample(ab_low, lightness_low, lightness)
    if hints.has_local:
        hint_ab_full, hint_mask_full = rasterize_hints(hints, (width, height), (width, height))
        ab[hint_mask_full] = hint_ab_full[hint_mask_full]
    return ab


def colorize_lightness(
    lightness: np.ndarray, hints: Hints, engine: ChromaEngine, *, working_side: int | None = None
) -> Image.Image:
    """The colour image for a full-resolution lightness (H, W) float32 and parsed hints.

    Only the working-resolution steps see the whole image at once. Upsampling, the exact
    hinted pixels and the conversion to 8-bit sRGB run together one row block at a time,
    so full-resolution chroma never exists whole: the peak is the lightness and the output
    image (8 bytes per pixel) plus a few blocks. Same pixels as ``predict_full_resolution_ab``
    followed by ``lab_to_rgb_keep_lightness``.
    """
    height, width = lightness.shape
    size = working_size(width, height, working_side or engine.working_side)
    lightness_low = resize_area(lightness, size)
    hint_ab_low, hint_mask_low = rasterize_hints(hints, (width, height), size)
    ab_low = engine.predict_ab(lightness_low, hint_ab_low, hint_mask_low, hints)
    upsampler = None if size == (width, height) else GuidedUpsampler(ab_low, lightness_low, (height, width))
    full_hints = prepare_hints(hints, (width, height), (width, height)) if hints.has_local else None
    output = Image.new("RGB", (width, height))
    pasting = threading.Lock()

    def render(rows: slice) -> None:
        lightness_rows = torch.from_numpy(np.ascontiguousarray(lightness[rows], dtype=np.float32))  # (n, W)
        if upsampler is None:
            ab = torch.from_numpy(np.array(ab_low[rows], dtype=np.float32))  # (n, W, 2)
        else:
            ab = upsampler.rows(rows, lightness_rows)
        if full_hints is not None:
            hint_ab, hint_mask = full_hints.rows(rows)
            covered = torch.from_numpy(hint_mask)
            ab[covered] = torch.from_numpy(hint_ab)[covered]
        rgb = lab_block_to_rgb_keep_lightness(lightness_rows, ab)  # (n, W, 3) in [0, 1]
        band = Image.fromarray((rgb * 255.0).round_().to(torch.uint8).numpy())
        with pasting:
            output.paste(band, (0, rows.start))

    with torch.no_grad():
        for_each_row_block(height, width, render)
    return output


def colorize_loaded(
    image: LoadedImage, hints: Hints, engine: ChromaEngine, *, working_side: int | None = None
) -> Image.Image:
    """``colorize`` for an already loaded image and parsed hints (used by batch callers)."""
    return colorize_lightness(image.lightness(), hints, engine, working_side=working_side)


def _is_allocation_failure(error: RuntimeError) -> bool:
    """Torch reports a failed allocation as a RuntimeError ("DefaultCPUAllocator: can't allocate memory")."""
    message = str(error)
    return "DefaultCPUAllocator" in message or "out of memory" in message.lower()


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
    An image that would not fit in the memory available is refused before it is decoded.
    Raises :class:`~findcolor.errors.FindColorError` subclasses with one-line messages.
    """
    opened = open_image(image, max_pixels=max_pixels)
    needed = colorize_memory_needed(
        opened.pixels, decoded_bytes_per_pixel=opened.decoded_bytes_per_pixel, file_bytes=opened.file_bytes
    )
    check_memory(opened.name, needed, available_memory())
    out_of_memory = f"{opened.name}: not enough memory to colorize this image (close other programs or use a smaller scan)"
    try:
        lightness, info = decode_lightness(opened)
        parsed = parse_hints(hints, image_size=(info.width, info.height))
        return colorize_lightness(lightness, parsed, get_engine(engine), working_side=working_side)
    except MemoryError:
        raise InsufficientMemoryError(out_of_memory) from None
    except RuntimeError as error:
        if not _is_allocation_failure(error):
            raise
        raise InsufficientMemoryError(out_of_memory) from None
