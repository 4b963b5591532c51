"""Translate between the drawable canvas's Fabric.js JSON and hint format v1.

The workspace shows a display-size copy of the scan on the canvas, but hints are stored in
pixels of the ORIGINAL full-resolution image (hint format v1), so that they stay valid
whatever size the photo is later rendered at. This module holds the pure conversions, so
they can be unit-tested without a browser:

- canvas objects (``Circle`` from the point tool, ``Path`` from freedraw) -> hint dicts;
- hint dicts -> canvas objects, to load a saved candidate's hints back onto the canvas;
- rescaling hints from original pixels to the preview's pixels for the fast preview render.

Facts about the canvas JSON (streamlit-drawable-canvas 0.13, see the workspace page):
a point is a ``Circle`` with ``originX="left"``, ``originY="center"``, whose centre is
``left + radius + strokeWidth / 2``; a freedraw stroke is a ``Path`` of ``M``/``Q``/``L``
commands in absolute canvas coordinates, with ``left``/``top`` at the centre of its bounding
box (they differ from that centre only when the stroke was moved with the edit tool).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

#: Fabric's origin keywords as a fraction of the object's size.
_ORIGIN_FRACTION = {"left": 0.0, "top": 0.0, "center": 0.5, "right": 1.0, "bottom": 1.0}


@dataclass(frozen=True)
class CanvasMapping:
    """How canvas CSS pixels map onto original image pixels.

    ``original = (canvas - offset) / scale``; ``scale`` is canvas pixels per original pixel.
    """

    scale_x: float
    scale_y: float
    offset_x: float = 0.0
    offset_y: float = 0.0

    @classmethod
    def for_canvas(
        cls,
        *,
        canvas_size: tuple[int, int],
        original_size: tuple[int, int],
        background_fit: Mapping[str, float] | None = None,
    ) -> CanvasMapping:
        """Build the mapping from the fit the browser reported, or the stretch we asked for.

        ``background_fit`` (``CanvasResult.background_fit``) describes how the background
        image (the display-size preview) was fitted onto the canvas; it is ``None`` until the
        browser reports it, in which case the preview was stretched over the whole canvas.
        Sizes are ``(width, height)``.
        """
        original_w, original_h = original_size
        if background_fit is None:
            canvas_w, canvas_h = canvas_size
            return cls(scale_x=canvas_w / original_w, scale_y=canvas_h / original_h)
        # The fit's scale is canvas px per preview px; the preview is a resized original.
        preview_per_original_x = background_fit["natural_width"] / original_w
        preview_per_original_y = background_fit["natural_height"] / original_h
        return cls(
            scale_x=background_fit["scale_x"] * preview_per_original_x,
            scale_y=background_fit["scale_y"] * preview_per_original_y,
            offset_x=background_fit["offset_x"],
            offset_y=background_fit["offset_y"],
        )

    def to_original(self, x: float, y: float) -> tuple[float, float]:
        return (x - self.offset_x) / self.scale_x, (y - self.offset_y) / self.scale_y

    def to_canvas(self, x: float, y: float) -> tuple[float, float]:
        return x * self.scale_x + self.offset_x, y * self.scale_y + self.offset_y

    @property
    def mean_scale(self) -> float:
        """One scale for lengths (radii, stroke widths); the stretch keeps the aspect ratio."""
        return (self.scale_x + self.scale_y) / 2


def fit_within(size: tuple[int, int], max_size: tuple[int, int], *, enlarge: bool = False) -> tuple[int, int]:
    """The largest (w, h) with ``size``'s aspect ratio inside ``max_size`` (enlarged only if ``enlarge``)."""
    scale = min(max_size[0] / size[0], max_size[1] / size[1])
    if not enlarge:
        scale = min(1.0, scale)
    return max(1, round(size[0] * scale)), max(1, round(size[1] * scale))


def normalize_color(color: str) -> str:
    """``"#FF0000"`` / ``"#f00"`` -> ``"#ff0000"``; the picker and Fabric disagree on case."""
    text = color.strip().lower()
    if len(text) == 4 and text.startswith("#"):
        text = "#" + "".join(ch * 2 for ch in text[1:])
    return text


def canvas_to_hints(
    objects: Sequence[Mapping[str, Any]],
    mapping: CanvasMapping,
    *,
    image_size: tuple[int, int],
    references: Mapping[str, str] | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """Convert the canvas's objects to the local part of a v1 hints dict (original pixels).

    Returns ``{"points": [...], "strokes": [...]}``. ``references`` maps a normalised colour
    to the id of the reference colour it was picked from, so a hint painted with a colour
    from the archive's library records where that colour came from. Positions are clamped
    to ``image_size`` (W, H): a stroke may run over the canvas edge or a letterbox margin.
    Objects of other types (rectangles, text, ...) are not hints and are ignored.
    """
    references = references or {}
    points: list[dict[str, Any]] = []
    strokes: list[dict[str, Any]] = []
    for obj in objects:
        kind = obj.get("type")
        if kind == "Circle":
            points.append(_circle_to_point(obj, _Clamped(mapping, image_size), references))
        elif kind == "Path":
            stroke = _path_to_stroke(obj, _Clamped(mapping, image_size), references)
            if stroke is not None:
                strokes.append(stroke)
    return {"points": points, "strokes": strokes}


class _Clamped:
    """A mapping to original pixels that keeps positions inside the image."""

    def __init__(self, mapping: CanvasMapping, image_size: tuple[int, int]) -> None:
        self._mapping = mapping
        self._max_x = image_size[0] - 1
        self._max_y = image_size[1] - 1
        self.mean_scale = mapping.mean_scale

    def to_original(self, x: float, y: float) -> tuple[float, float]:
        original_x, original_y = self._mapping.to_original(x, y)
        return min(max(original_x, 0.0), self._max_x), min(max(original_y, 0.0), self._max_y)


def _with_reference(hint: dict[str, Any], references: Mapping[str, str]) -> dict[str, Any]:
    reference = references.get(hint["color"])
    if reference is not None:
        hint["reference"] = reference
    return hint


def _circle_to_point(
    obj: Mapping[str, Any], mapping: _Clamped, references: Mapping[str, str]
) -> dict[str, Any]:
    radius = float(obj.get("radius", 0)) * float(obj.get("scaleX", 1))
    stroke_width = float(obj.get("strokeWidth", 0) or 0)
    outer = 2 * radius + stroke_width  # Fabric's bounding box includes the stroke
    centre_x = float(obj["left"]) + (0.5 - _ORIGIN_FRACTION[obj.get("originX", "left")]) * outer
    centre_y = float(obj["top"]) + (0.5 - _ORIGIN_FRACTION[obj.get("originY", "top")]) * outer
    x, y = mapping.to_original(centre_x, centre_y)
    color = normalize_color(str(obj.get("stroke") or obj.get("fill")))
    hint = {
        "x": round(x, 2),
        "y": round(y, 2),
        "color": color,
        "radius": int(round(radius / mapping.mean_scale)),
    }
    return _with_reference(hint, references)


def _path_points(commands: Sequence[Sequence[Any]]) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    """On-curve points of an SVG-like path, and the points that bound it (curve extrema)."""
    on_curve: list[tuple[float, float]] = []
    bounding: list[tuple[float, float]] = []
    for command in commands:
        op, numbers = command[0], [float(v) for v in command[1:]]
        if op in ("M", "L") and len(numbers) == 2:
            point = (numbers[0], numbers[1])
            on_curve.append(point)
            bounding.append(point)
        elif op == "Q" and len(numbers) == 4 and on_curve:
            start, control, end = on_curve[-1], (numbers[0], numbers[1]), (numbers[2], numbers[3])
            bounding.extend(_quadratic_extrema(start, control, end))
            on_curve.append(end)
            bounding.append(end)
    return on_curve, bounding


def _quadratic_extrema(
    start: tuple[float, float], control: tuple[float, float], end: tuple[float, float]
) -> list[tuple[float, float]]:
    """Points where a quadratic Bézier reaches an extreme in x or y (for its bounding box)."""
    extrema = []
    for axis in (0, 1):
        denominator = start[axis] - 2 * control[axis] + end[axis]
        if denominator == 0:
            continue
        t = (start[axis] - control[axis]) / denominator
        if 0 < t < 1:
            extrema.append(
                tuple(
                    (1 - t) ** 2 * start[i] + 2 * (1 - t) * t * control[i] + t**2 * end[i]
                    for i in (0, 1)
                )
            )
    return extrema  # type: ignore[return-value]


def _path_to_stroke(
    obj: Mapping[str, Any], mapping: _Clamped, references: Mapping[str, str]
) -> dict[str, Any] | None:
    on_curve, bounding = _path_points(obj.get("path") or [])
    if not on_curve:
        return None
    # Fabric places a path by its bounding-box origin; a stroke moved with the edit tool keeps
    # its path numbers and changes left/top, so shift by the difference.
    xs, ys = [p[0] for p in bounding], [p[1] for p in bounding]
    width, height = max(xs) - min(xs), max(ys) - min(ys)
    placed_x = min(xs) + _ORIGIN_FRACTION[obj.get("originX", "left")] * width
    placed_y = min(ys) + _ORIGIN_FRACTION[obj.get("originY", "top")] * height
    shift_x = float(obj.get("left", placed_x)) - placed_x
    shift_y = float(obj.get("top", placed_y)) - placed_y
    # Fabric's left/top include half the stroke width around the box; ignore sub-stroke shifts.
    tolerance = float(obj.get("strokeWidth", 0) or 0) / 2 + 0.5
    if abs(shift_x) <= tolerance and abs(shift_y) <= tolerance:
        shift_x = shift_y = 0.0
    path = []
    for cx, cy in on_curve:
        x, y = mapping.to_original(cx + shift_x, cy + shift_y)
        path.append([round(x, 2), round(y, 2)])
    if len(path) == 1:
        path.append(list(path[0]))  # a click with the brush: a stroke of length zero
    hint = {
        "path": path,
        "color": normalize_color(str(obj.get("stroke"))),
        "width": round(float(obj.get("strokeWidth", 1) or 1) / mapping.mean_scale, 2),
    }
    return _with_reference(hint, references)


def hints_to_canvas(
    hints: Mapping[str, Any],
    mapping: CanvasMapping,
    *,
    point_display_radius: int,
) -> list[dict[str, Any]]:
    """Draw a hints dict's points and strokes as canvas objects (to continue from a candidate).

    The inverse of :func:`canvas_to_hints` for the positions and colours; points are drawn
    with the workspace's display radius, whatever radius they carry.
    """
    objects: list[dict[str, Any]] = []
    for point in hints.get("points", []):
        centre_x, centre_y = mapping.to_canvas(float(point["x"]), float(point["y"]))
        color = normalize_color(point["color"])
        objects.append(
            {
                "type": "Circle",
                "originX": "left",
                "originY": "center",
                "left": centre_x - point_display_radius,
                "top": centre_y,
                "radius": point_display_radius,
                "fill": color,
                "stroke": color,
                "strokeWidth": 0,
                "selectable": True,
            }
        )
    for stroke in hints.get("strokes", []):
        canvas_path = [mapping.to_canvas(float(x), float(y)) for x, y in stroke["path"]]
        commands: list[list[Any]] = [["M", *canvas_path[0]]]
        commands.extend(["L", x, y] for x, y in canvas_path[1:])
        xs, ys = [p[0] for p in canvas_path], [p[1] for p in canvas_path]
        objects.append(
            {
                "type": "Path",
                "originX": "center",
                "originY": "center",
                "left": (min(xs) + max(xs)) / 2,
                "top": (min(ys) + max(ys)) / 2,
                "path": commands,
                "fill": None,
                "stroke": normalize_color(stroke["color"]),
                "strokeWidth": max(1.0, float(stroke.get("width", 1)) * mapping.mean_scale),
                "strokeLineCap": "round",
                "strokeLineJoin": "round",
            }
        )
    return objects


def rescale_hints(hints: Mapping[str, Any], factor_x: float, factor_y: float) -> dict[str, Any]:
    """Hints in original pixels -> the same hints for an image resized by the given factors.

    The preview render colorizes the display-size copy, whose pixels are the original's
    times ``factor``. Coordinates name pixel centres (hint format v1), so they map as
    ``(x + 0.5) * factor - 0.5`` and the last pixel stays inside the smaller image.
    Global hints (palette, saturation) do not depend on size.
    """
    length_factor = (factor_x + factor_y) / 2

    def scale(x: float, y: float) -> tuple[float, float]:
        return (float(x) + 0.5) * factor_x - 0.5, (float(y) + 0.5) * factor_y - 0.5

    scaled = dict(hints)
    scaled["points"] = [
        {
            **point,
            **dict(zip(("x", "y"), scale(point["x"], point["y"]))),
            "radius": int(round(float(point.get("radius", 0)) * length_factor)),
        }
        for point in hints.get("points", [])
    ]
    scaled["strokes"] = [
        {
            **stroke,
            "path": [list(scale(x, y)) for x, y in stroke["path"]],
            "width": max(1.0, float(stroke.get("width", 1)) * length_factor),
        }
        for stroke in hints.get("strokes", [])
    ]
    return scaled


def scale_canvas_objects(objects: Sequence[Mapping[str, Any]], factor_x: float, factor_y: float) -> list[dict[str, Any]]:
    """The same drawing on a canvas resized by the given factors (the column got wider or narrower).

    Positions, path points, radii and stroke widths all scale, so every object covers the same
    scan pixels as before: a hint's size is in scan pixels, whatever the canvas size.
    """
    length_factor = (factor_x + factor_y) / 2
    scaled: list[dict[str, Any]] = []
    for obj in objects:
        new = dict(obj)
        new["left"] = float(obj.get("left", 0)) * factor_x
        new["top"] = float(obj.get("top", 0)) * factor_y
        if "radius" in obj:
            new["radius"] = float(obj["radius"]) * length_factor
        if obj.get("strokeWidth"):
            new["strokeWidth"] = float(obj["strokeWidth"]) * length_factor
        if obj.get("path"):
            new["path"] = [
                [command[0], *(float(v) * (factor_x if i % 2 == 0 else factor_y) for i, v in enumerate(command[1:]))]
                for command in obj["path"]
            ]
        scaled.append(new)
    return scaled
