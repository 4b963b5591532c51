"""Colorization runs for the workspace: a fast preview at display size, the full render on save.

Hints are kept in original-image pixels (hint format v1). The preview colorizes a small copy
of the scan (``PREVIEW_MAX_SIZE``), with the hints rescaled to it, so a re-run after one more
hint costs a small solve whatever the size of the canvas (which follows its column, see
``canvas_size``); the full-resolution render reads the original scan from the file store and
is only done when a candidate is saved.
"""

from __future__ import annotations

import io
import time
from dataclasses import dataclass
from typing import Any

from PIL import Image

import findcolor
from findcolor.network_io import weights_available
from dashboard.canvas_hints import fit_within, rescale_hints

# (w, h): the preview render and the colour suggestions work on this copy, whatever the canvas size, so a
# run costs the same on a wide screen as on a laptop.
PREVIEW_MAX_SIZE = (600, 620)
# The canvas is sized to its column (``dashboard.column_width``); this width is used until the browser has
# said how wide the column is, and fits the canvas column at a 1280-px window with the sidebar open (607 px).
CANVAS_FALLBACK_WIDTH = 600
CANVAS_MARGIN = 4  # CSS px left free in the column for the canvas's own border
CANVAS_MAX_HEIGHT = 900  # a portrait scan stays within a screen's height


@dataclass(frozen=True)
class PreviewResult:
    """One preview render and what it was made from."""

    image: Image.Image
    seconds: float
    engine: str
    hints: dict[str, Any]  # original pixels, canonical form


@dataclass(frozen=True)
class EngineProvenance:
    """What a saved candidate records about the engine that made it."""

    engine: str
    model_name: str
    model_version: str
    weights_sha256: str | None


def display_copy_at(display_copy: bytes, size: tuple[int, int]) -> Image.Image:
    """The stored display copy resized to exactly ``size`` (w, h), which keeps the original's aspect ratio.

    So canvas and preview pixels map onto scan pixels by one scale per axis.
    """
    image = Image.open(io.BytesIO(display_copy)).convert("RGB")
    return image.resize(size, Image.Resampling.LANCZOS)


def preview_image(display_copy: bytes, original_size: tuple[int, int]) -> Image.Image:
    """The copy that preview renders and suggestions work on: the display copy fitted to ``PREVIEW_MAX_SIZE``."""
    return display_copy_at(display_copy, fit_within(original_size, PREVIEW_MAX_SIZE))


def canvas_size(original_size: tuple[int, int], column_width: int | None) -> tuple[int, int]:
    """The canvas's (w, h) in CSS pixels: the whole scan, as wide as its column allows.

    ``column_width`` is what the browser reported (``None`` before it has): a canvas wider
    than its column would be cut off there, with no scrollbar, and part of the scan could
    be neither seen nor painted. A scan smaller than the column is drawn enlarged, so that
    small scans are as easy to paint on as large ones.
    """
    width = CANVAS_FALLBACK_WIDTH if column_width is None else max(column_width - CANVAS_MARGIN, 1)
    return fit_within(original_size, (width, CANVAS_MAX_HEIGHT), enlarge=True)  # a small scan: bigger to paint on


def canonical_hints(hints: dict[str, Any], image_size: tuple[int, int]) -> dict[str, Any]:
    """Validate hints against the original image and return their canonical v1 dict.

    Raises :class:`findcolor.errors.HintError` naming the offending field.
    """
    return findcolor.parse_hints(hints, image_size=image_size).to_dict()


def render_preview(
    preview: Image.Image, hints: dict[str, Any], original_size: tuple[int, int], engine: str
) -> PreviewResult:
    """Colorize the display-size ``preview`` with ``hints`` given in original pixels."""
    canonical = canonical_hints(hints, original_size)
    scaled = rescale_hints(canonical, preview.width / original_size[0], preview.height / original_size[1])
    started = time.perf_counter()
    image = findcolor.colorize(preview, scaled, engine=engine)
    return PreviewResult(image=image, seconds=time.perf_counter() - started, engine=engine, hints=canonical)


def render_full_resolution(original: bytes, hints: dict[str, Any], engine: str) -> bytes:
    """The saved output: the original scan colorized at its own size, as PNG bytes."""
    image = findcolor.colorize(original, hints, engine=engine)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def engine_provenance(name: str) -> EngineProvenance:
    """Name, model and weights of the engine ``name`` resolves to here ("auto" included).

    Engines built on the network carry their loaded weights (``.weights.sha256``); the
    classical engine has none, and its version string says which solver it is.
    """
    engine = findcolor.get_engine(name)
    weights = getattr(engine, "weights", None)
    return EngineProvenance(
        engine=engine.name,
        model_name=str(weights.metadata.get("model_name", "hintnet")) if weights is not None else "",
        model_version=str(engine.version),
        weights_sha256=getattr(weights, "sha256", None),
    )


def suggestions_available() -> bool:
    """Whether the model's colour suggestions can run (weights installed)."""
    return weights_available()


def suggest_colors(
    preview: Image.Image, hints: dict[str, Any], original_size: tuple[int, int], x: float, y: float, k: int = 6
) -> list[tuple[str, float]]:
    """The model's top ``k`` colours at original pixel (x, y), computed on the preview."""
    from findcolor.suggestions import suggest

    factor_x, factor_y = preview.width / original_size[0], preview.height / original_size[1]
    scaled = rescale_hints(canonical_hints(hints, original_size), factor_x, factor_y)
    return list(suggest(preview, scaled, x * factor_x, y * factor_y, k=k))
