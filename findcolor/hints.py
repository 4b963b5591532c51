"""The hint format, version 1: what a curator knows about a photo's colours.

This is a public contract: the CLI reads it from files, the dashboard writes it from the
canvas and the catalog stores it verbatim with every colorization. Example::

    {"version": 1,
     "points":  [{"x": 120.5, "y": 40, "color": "#a03020", "radius": 2}],
     "strokes": [{"path": [[10, 10], [40, 12], [80, 30]], "color": "#2050a0", "width": 5}],
     "palette": [{"color": "#406030", "weight": 0.5}],
     "saturation": 0.4}

Rules (README documents them for users):

* Coordinates are pixels of the input image at full resolution: x right, y down, the
  origin at the centre of the top-left pixel.
* A point covers the square of side ``2*radius+1`` centred on ``(round(x), round(y))``;
  ``radius`` defaults to 0 (one pixel).
* A stroke covers every pixel whose centre lies within ``width/2`` of its polyline.
* Only the chroma (CIELAB a, b) of a hint colour is used; lightness comes from the photo.
* Where hints overlap, later ones win, and points win over strokes.
* Coordinates outside the image are *rejected*, not clipped: a hint off the image almost
  always means the file belongs to another photo or another resolution. A radius or width
  that reaches past the edge is simply cut there.
* ``palette`` (colours with non-negative weights) and ``saturation`` (0..1, the mean HSV
  saturation wanted) are optional global hints used by the neural engine.
* Every item may carry ``"reference"``: the id of the palette-memory colour it came from.
* Limits, far above anything painted by hand, bound the work a hints file can ask for:
  10,000 points and strokes together, 100,000 stroke vertices and 2,000,000 pixels of stroke
  path in all, a radius of at most 1,000 and a width of at most 2,000 pixels, 1,000 palette
  colours.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from findcolor.color import hex_to_lab, hex_to_rgb
from findcolor.errors import HintError

HINT_FORMAT_VERSION = 1

# Limits on what one hints file may ask for (see the module docstring). Rasterising costs
# about (path length x width) per stroke and one patch per point, so these bound the work.
MAX_LOCAL_HINTS = 10_000  # points and strokes together
MAX_STROKE_VERTICES = 100_000  # over all strokes
MAX_STROKE_LENGTH = 2_000_000.0  # pixels of polyline, over all strokes
MAX_RADIUS = 1_000  # pixels
MAX_WIDTH = 2_000.0  # pixels
MAX_PALETTE_COLORS = 1_000

Reference = str | int | None


@dataclass(frozen=True)
class PointHint:
    """A square patch of known colour."""

    x: float
    y: float
    color: str
    radius: int = 0
    reference: Reference = None


@dataclass(frozen=True)
class StrokeHint:
    """A painted polyline of known colour."""

    path: tuple[tuple[float, float], ...]
    color: str
    width: float = 1.0
    reference: Reference = None


@dataclass(frozen=True)
class PaletteColor:
    """A colour known to appear somewhere in the photo, with its relative weight."""

    color: str
    weight: float = 1.0
    reference: Reference = None


@dataclass(frozen=True)
class Hints:
    """All hints for one photo. Immutable, so it can be cached and compared."""

    points: tuple[PointHint, ...] = ()
    strokes: tuple[StrokeHint, ...] = ()
    palette: tuple[PaletteColor, ...] = ()
    saturation: float | None = None

    @property
    def has_local(self) -> bool:
        return bool(self.points or self.strokes)

    @property
    def has_global(self) -> bool:
        return bool(self.palette) or self.saturation is not None

    @property
    def is_empty(self) -> bool:
        return not (self.has_local or self.has_global)

    def to_dict(self) -> dict[str, Any]:
        """The canonical JSON object (colours lower-case ``#rrggbb``; defaults written out)."""
        out: dict[str, Any] = {"version": HINT_FORMAT_VERSION}
        out["points"] = [
            _with_reference({"x": p.x, "y": p.y, "color": p.color, "radius": p.radius}, p.reference)
            for p in self.points
        ]
        out["strokes"] = [
            _with_reference({"path": [[x, y] for x, y in s.path], "color": s.color, "width": s.width}, s.reference)
            for s in self.strokes
        ]
        out["palette"] = [_with_reference({"color": c.color, "weight": c.weight}, c.reference) for c in self.palette]
        if self.saturation is not None:
            out["saturation"] = self.saturation
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), separators=(",", ":"))


def _with_reference(item: dict[str, Any], reference: Reference) -> dict[str, Any]:
    if reference is not None:
        item["reference"] = reference
    return item


# ---------------------------------------------------------------------------- parsing


def _number(value: Any, where: str, *, minimum: float | None = None, maximum: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise HintError(f"{where}: expected a number, got {value!r}")
    if minimum is not None and value < minimum:
        raise HintError(f"{where}: must be at least {minimum:g}, got {value!r}")
    if maximum is not None and value > maximum:
        raise HintError(f"{where}: must be at most {maximum:g}, got {value!r}")
    return float(value)


def _color(value: Any, where: str) -> str:
    try:
        rgb = hex_to_rgb(value)
    except ValueError:
        raise HintError(f"{where}: {value!r} is not a hex colour like \"#a03020\"") from None
    return "#" + "".join(f"{round(c * 255):02x}" for c in rgb)


def _reference(value: Any, where: str) -> Reference:
    if value is None or (isinstance(value, (str, int)) and not isinstance(value, bool)):
        return value
    raise HintError(f"{where}: expected a string or integer id, got {value!r}")


def _items(obj: Mapping[str, Any], key: str, limit: int) -> list[Mapping[str, Any]]:
    value = obj.get(key, [])
    if value is None:
        return []
    if not isinstance(value, list):
        raise HintError(f"{key}: expected a list, got {type(value).__name__}")
    if len(value) > limit:
        raise HintError(f"{key}: {len(value):,} items, more than the limit of {limit:,}")
    for index, item in enumerate(value):
        if not isinstance(item, Mapping):
            raise HintError(f"{key}[{index}]: expected an object, got {type(item).__name__}")
    return value


def _check_keys(item: Mapping[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(item) - allowed)
    if unknown:
        raise HintError(f"{where}: unknown field {unknown[0]!r} (allowed: {', '.join(sorted(allowed))})")


def _require(item: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in item:
        raise HintError(f"{where}.{key}: missing")
    return item[key]


def _coordinate(value: Any, where: str, limit: int | None) -> float:
    number = _number(value, where)
    if limit is not None and not (-0.5 <= number <= limit - 0.5):
        raise HintError(f"{where}: {number:g} is outside the image (0..{limit - 1}); hints must belong to this image")
    return number


def _parse_object(obj: Any, image_size: tuple[int, int] | None) -> Hints:
    if not isinstance(obj, Mapping):
        raise HintError(f"hints: expected a JSON object, got {type(obj).__name__}")
    _check_keys(obj, {"version", "points", "strokes", "palette", "saturation"}, "hints")
    version = obj.get("version", HINT_FORMAT_VERSION)
    if version != HINT_FORMAT_VERSION:
        raise HintError(f"version: unsupported hint format version {version!r} (this Find Color reads version 1)")
    width, height = image_size if image_size is not None else (None, None)
    point_items, stroke_items = _items(obj, "points", MAX_LOCAL_HINTS), _items(obj, "strokes", MAX_LOCAL_HINTS)
    if len(point_items) + len(stroke_items) > MAX_LOCAL_HINTS:
        raise HintError(
            f"hints: {len(point_items) + len(stroke_items):,} points and strokes, more than the limit of {MAX_LOCAL_HINTS:,}"
        )

    points = []
    for i, item in enumerate(point_items):
        where = f"points[{i}]"
        _check_keys(item, {"x", "y", "color", "radius", "reference"}, where)
        radius = _number(item.get("radius", 0), f"{where}.radius", minimum=0, maximum=MAX_RADIUS)
        if radius != int(radius):
            raise HintError(f"{where}.radius: must be a whole number of pixels, got {radius:g}")
        points.append(
            PointHint(
                x=_coordinate(_require(item, "x", where), f"{where}.x", width),
                y=_coordinate(_require(item, "y", where), f"{where}.y", height),
                color=_color(_require(item, "color", where), f"{where}.color"),
                radius=int(radius),
                reference=_reference(item.get("reference"), f"{where}.reference"),
            )
        )

    strokes = []
    vertex_count, path_length = 0, 0.0
    for i, item in enumerate(stroke_items):
        where = f"strokes[{i}]"
        _check_keys(item, {"path", "color", "width", "reference"}, where)
        path = _require(item, "path", where)
        if not isinstance(path, list) or not path:
            raise HintError(f"{where}.path: expected a non-empty list of [x, y] pairs")
        vertex_count += len(path)
        if vertex_count > MAX_STROKE_VERTICES:
            raise HintError(f"{where}.path: the strokes have more than {MAX_STROKE_VERTICES:,} vertices in all (the limit)")
        vertices = []
        for j, vertex in enumerate(path):
            if not isinstance(vertex, (list, tuple)) or len(vertex) != 2:
                raise HintError(f"{where}.path[{j}]: expected [x, y], got {vertex!r}")
            vertices.append(
                (
                    _coordinate(vertex[0], f"{where}.path[{j}][0]", width),
                    _coordinate(vertex[1], f"{where}.path[{j}][1]", height),
                )
            )
        path_length += sum(math.dist(a, b) for a, b in zip(vertices, vertices[1:]))
        if path_length > MAX_STROKE_LENGTH:
            raise HintError(
                f"{where}.path: the strokes are more than {MAX_STROKE_LENGTH:,.0f} pixels long in all (the limit)"
            )
        strokes.append(
            StrokeHint(
                path=tuple(vertices),
                color=_color(_require(item, "color", where), f"{where}.color"),
                width=_number(item.get("width", 1.0), f"{where}.width", minimum=0.0, maximum=MAX_WIDTH),
                reference=_reference(item.get("reference"), f"{where}.reference"),
            )
        )

    palette = []
    for i, item in enumerate(_items(obj, "palette", MAX_PALETTE_COLORS)):
        where = f"palette[{i}]"
        _check_keys(item, {"color", "weight", "reference"}, where)
        palette.append(
            PaletteColor(
                color=_color(_require(item, "color", where), f"{where}.color"),
                weight=_number(item.get("weight", 1.0), f"{where}.weight", minimum=0.0),
                reference=_reference(item.get("reference"), f"{where}.reference"),
            )
        )

    saturation = obj.get("saturation")
    if saturation is not None:
        saturation = _number(saturation, "saturation", minimum=0.0, maximum=1.0)
    return Hints(points=tuple(points), strokes=tuple(strokes), palette=tuple(palette), saturation=saturation)


def parse_hints(
    source: Hints | Mapping[str, Any] | str | os.PathLike[str] | None,
    *,
    image_size: tuple[int, int] | None = None,
) -> Hints:
    """Validate hints from a parsed object, a JSON file path, or an existing :class:`Hints`.

    ``image_size`` is ``(width, height)`` of the full-resolution image; when given,
    coordinates outside it are rejected. Raises :class:`HintError` naming the bad field.
    """
    if source is None:
        return Hints()
    if isinstance(source, Hints):
        return _parse_object(source.to_dict(), image_size) if image_size is not None else source
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        try:
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
        except FileNotFoundError:
            raise HintError(f"{path}: hints file not found") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise HintError(f"{path}: cannot read hints file ({exc})") from None
        try:
            return parse_hints_json(text, image_size=image_size)
        except HintError as exc:
            raise HintError(f"{path}: {exc}") from None
    return _parse_object(source, image_size)


def parse_hints_json(text: str, *, image_size: tuple[int, int] | None = None) -> Hints:
    """Validate hints given as JSON text."""
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise HintError(f"hints are not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:  # the format is 4 levels deep; thousands of nested brackets are not hints
        raise HintError("hints are not valid hints JSON: lists or objects nested far too deeply") from None
    return _parse_object(obj, image_size)


# ---------------------------------------------------------------------------- rasterisation


def hint_ab(color: str) -> tuple[float, float]:
    """The chroma (a, b) a hint colour asks for."""
    _, a, b = hex_to_lab(color)
    return a, b


def _point_box(center: float, radius: int, extent: int, scale: float, size: int) -> tuple[int, int]:
    """Output pixel range [lo, hi) covered by the image-pixel square, at least one pixel.

    ``extent`` is the image's size along this axis: a centre of exactly ``extent - 0.5``
    (valid) rounds up past the last pixel, so the rounded centre is kept on the image.
    """
    c = min(max(int(math.floor(center + 0.5)), 0), extent - 1)  # round half up, the same everywhere
    lo_edge, hi_edge = (c - radius) * scale, (c + radius + 1) * scale  # pixel-edge coordinates
    lo = int(math.ceil(lo_edge - 0.5))
    hi = int(math.ceil(hi_edge - 0.5))
    if hi <= lo:  # the square is smaller than one output pixel: take the one containing its centre
        lo = min(int(math.floor((lo_edge + hi_edge) / 2)), size - 1)
        hi = lo + 1
    return max(lo, 0), min(hi, size)


@dataclass(frozen=True)
class HintRaster:
    """Local hints prepared for one output size, rasterised any band of rows at a time.

    Full-resolution work runs in row blocks (see :mod:`findcolor.blocks`), so no caller
    ever needs a whole-image hint map: :meth:`rows` paints only the hints that reach the
    band, into arrays of the band's size. Build it with :func:`prepare_hints`.
    """

    out_size: tuple[int, int]  # (w, h)
    segments: np.ndarray  # (S, 5) float64: x0, y0, x1, y1, half width, in output pixels; strokes in order
    segment_rows: np.ndarray  # (S, 2) int64: first row and end row a segment can reach
    segment_ab: np.ndarray  # (S, 2) float32: the chroma each segment paints
    boxes: np.ndarray  # (P, 4) int64: x0, x1, y0, y1 of each point's patch, [x0, x1) x [y0, y1)
    box_ab: np.ndarray  # (P, 2) float32

    def rows(self, rows: slice) -> tuple[np.ndarray, np.ndarray]:
        """``(ab, mask)`` for output rows ``rows`` (a slice with start and stop), as :func:`rasterize_hints`."""
        out_w, out_h = self.out_size
        first, end = max(rows.start or 0, 0), min(rows.stop if rows.stop is not None else out_h, out_h)
        ab = np.zeros((max(end - first, 0), out_w, 2), dtype=np.float32)
        mask = np.zeros((max(end - first, 0), out_w), dtype=bool)
        if end <= first:
            return ab, mask
        reaching = np.flatnonzero((self.segment_rows[:, 0] < end) & (self.segment_rows[:, 1] > first))
        for index in reaching:  # in order: later strokes win
            x0, y0, x1, y1, half = self.segments[index]
            _paint_segment(ab, mask, first, (x0, y0), (x1, y1), half, self.segment_ab[index])
        boxes = self.boxes
        reaching = np.flatnonzero((boxes[:, 2] < end) & (boxes[:, 3] > first))
        for index in reaching:  # after the strokes: points win
            bx0, bx1, by0, by1 = (int(v) for v in boxes[index])
            ab[max(by0, first) - first : min(by1, end) - first, bx0:bx1] = self.box_ab[index]
            mask[max(by0, first) - first : min(by1, end) - first, bx0:bx1] = True
        return ab, mask


def _paint_segment(
    ab: np.ndarray,
    mask: np.ndarray,
    first: int,
    start: tuple[float, float],
    end: tuple[float, float],
    half: float,
    color_ab: np.ndarray,
) -> None:
    """Paint the pixels whose centres lie within ``half`` of the segment, in the band at row ``first``."""
    band_h, out_w = mask.shape
    (sx, sy), (ex, ey) = start, end
    dx, dy = ex - sx, ey - sy
    # The part of the segment whose points can reach the band's rows bounds the columns to test.
    low, high = first - half, first + band_h - 1 + half
    if dy == 0.0:
        t0, t1 = 0.0, 1.0
    else:
        t0, t1 = sorted(((low - sy) / dy, (high - sy) / dy))
        t0, t1 = max(t0, 0.0), min(t1, 1.0)
        if t1 < t0:
            return
    x_lo, x_hi = sorted((sx + t0 * dx, sx + t1 * dx))
    x0 = max(int(math.floor(x_lo - half)), 0)
    x1 = min(int(math.ceil(x_hi + half)) + 1, out_w)
    y0 = max(int(math.floor(min(sy, ey) - half)), first)
    y1 = min(int(math.ceil(max(sy, ey) + half)) + 1, first + band_h)
    if x1 <= x0 or y1 <= y0:
        return
    ys = np.arange(y0, y1, dtype=np.float64)[:, None]  # (h, 1)
    xs = np.arange(x0, x1, dtype=np.float64)[None, :]  # (1, w)
    length2 = dx * dx + dy * dy
    t = np.zeros((1, 1)) if length2 == 0.0 else np.clip(((xs - sx) * dx + (ys - sy) * dy) / length2, 0.0, 1.0)
    distance_x = xs - (sx + t * dx)
    distance_y = ys - (sy + t * dy)
    covered = distance_x * distance_x + distance_y * distance_y <= half * half  # (h, w)
    ab[y0 - first : y1 - first, x0:x1][covered] = color_ab
    mask[y0 - first : y1 - first, x0:x1] |= covered


def prepare_hints(hints: Hints, image_size: tuple[int, int], out_size: tuple[int, int]) -> HintRaster:
    """The local hints of ``hints`` ready to rasterise at ``out_size``; sizes are ``(width, height)``."""
    width, height = image_size
    out_w, out_h = out_size
    sx, sy = out_w / width, out_h / height
    chroma: dict[str, tuple[float, float]] = {}

    def ab_of(color: str) -> tuple[float, float]:
        if color not in chroma:
            chroma[color] = hint_ab(color)
        return chroma[color]

    segments, segment_ab = [], []
    for stroke in hints.strokes:
        # vertices in output coordinates; never thinner than one 8-connected pixel line
        points = [((x + 0.5) * sx - 0.5, (y + 0.5) * sy - 0.5) for x, y in stroke.path]
        half = max(stroke.width / 2.0 * math.sqrt(sx * sy), 0.5)
        pairs = list(zip(points[:-1], points[1:])) or [(points[0], points[0])]
        segments += [(*start, *end, half) for start, end in pairs]
        segment_ab += [ab_of(stroke.color)] * len(pairs)
    segment_array = np.array(segments, dtype=np.float64).reshape(-1, 5)
    segment_rows = np.stack(
        [
            np.floor(np.minimum(segment_array[:, 1], segment_array[:, 3]) - segment_array[:, 4]),
            np.ceil(np.maximum(segment_array[:, 1], segment_array[:, 3]) + segment_array[:, 4]) + 1,
        ],
        axis=1,
    ).astype(np.int64)
    boxes = [
        (*_point_box(point.x, point.radius, width, sx, out_w), *_point_box(point.y, point.radius, height, sy, out_h))
        for point in hints.points
    ]
    return HintRaster(
        out_size=(out_w, out_h),
        segments=segment_array,
        segment_rows=segment_rows.reshape(-1, 2),
        segment_ab=np.array(segment_ab, dtype=np.float32).reshape(-1, 2),
        boxes=np.array(boxes, dtype=np.int64).reshape(-1, 4),
        box_ab=np.array([ab_of(point.color) for point in hints.points], dtype=np.float32).reshape(-1, 2),
    )


def rasterize_hints(
    hints: Hints, image_size: tuple[int, int], out_size: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """Local hints as an ab map and a mask at ``out_size``; sizes are ``(width, height)``.

    Returns ``ab`` of shape ``(h, w, 2)`` float32 (zero where no hint) and ``mask`` of
    shape ``(h, w)`` bool. Coordinates scale from the image to the output resolution.
    For a full-resolution scan use :func:`prepare_hints` and rasterise row blocks instead.
    """
    return prepare_hints(hints, image_size, out_size).rows(slice(0, out_size[1]))


def palette_ab(hints: Hints) -> list[tuple[float, float, float]]:
    """The global palette as (a, b, normalised weight) triples; empty when no palette is given."""
    total = sum(c.weight for c in hints.palette)
    if total <= 0:
        return []
    return [(*hint_ab(c.color), c.weight / total) for c in hints.palette]
