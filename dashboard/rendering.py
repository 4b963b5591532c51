"""Colorization runs for the workspace: a fast preview at display size, the full render on save.

Hints are kept in original-image pixels (hint format v1). The preview colorizes the
display-size copy the canvas shows, with the hints rescaled to it, so a re-run after one more
hint costs a display-size solve; the full-resolution render reads the original scan from the
file store and is only done when a candidate is saved.
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

# (w, h): the canvas and the preview render; the scan never goes to the browser. 600 px wide fits the
# canvas column (3/4 of the main area) whole at a 1280-px window with the sidebar open (607 px there).
PREVIEW_MAX_SIZE = (600, 620)


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


def preview_image(display_copy: bytes, original_size: tuple[int, int]) -> Image.Image:
    """The image drawn on and previewed: the stored display copy resized to fit the canvas.

    Its size follows the original's aspect ratio, so canvas pixels map onto scan pixels by
    one scale per axis.
    """
    image = Image.open(io.BytesIO(display_copy)).convert("RGB")
    return image.resize(fit_within(original_size, PREVIEW_MAX_SIZE), Image.Resampling.LANCZOS)


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
