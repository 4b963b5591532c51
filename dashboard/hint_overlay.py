"""Draw a candidate's hints over the photo, so a reviewer sees what the curator asserted."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PIL import Image, ImageDraw

OUTLINE = (255, 255, 255)
MIN_MARK_RADIUS = 4  # screen pixels: a one-pixel hint must still be visible


def overlay_hints(image: Image.Image, hints: Mapping[str, Any], original_size: tuple[int, int]) -> Image.Image:
    """A copy of the display-size ``image`` with points (discs) and strokes (lines) drawn on.

    Hints are in original pixels; ``original_size`` (W, H) maps them onto ``image``.
    """
    marked = image.convert("RGB").copy()
    draw = ImageDraw.Draw(marked)
    scale_x, scale_y = image.width / original_size[0], image.height / original_size[1]
    scale = (scale_x + scale_y) / 2
    for stroke in hints.get("strokes", []):
        path = [((x + 0.5) * scale_x - 0.5, (y + 0.5) * scale_y - 0.5) for x, y in stroke["path"]]
        width = max(2, round(float(stroke.get("width", 1)) * scale))
        draw.line(path, fill=OUTLINE, width=width + 2, joint="curve")
        draw.line(path, fill=stroke["color"], width=width, joint="curve")
    for point in hints.get("points", []):
        x, y = (point["x"] + 0.5) * scale_x - 0.5, (point["y"] + 0.5) * scale_y - 0.5
        radius = max(MIN_MARK_RADIUS, float(point.get("radius", 0)) * scale)
        draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=point["color"], outline=OUTLINE, width=1)
    return marked
