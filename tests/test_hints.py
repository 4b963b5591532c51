"""findcolor.hints: the public hint format v1 — parsing, validation messages, rasterisation."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from core_fixtures import REPO_ROOT, hex_ab, to_hex
from findcolor.errors import FindColorError, HintError
from findcolor.hints import (
    Hints,
    PaletteColor,
    PointHint,
    StrokeHint,
    parse_hints,
    parse_hints_json,
    rasterize_hints,
)

README_EXAMPLE = {
    "version": 1,
    "points": [{"x": 120.5, "y": 40, "color": "#a03020", "radius": 2}],
    "strokes": [{"path": [[10, 10], [40, 12], [80, 30]], "color": "#2050a0", "width": 5}],
    "palette": [{"color": "#406030", "weight": 0.5}],
    "saturation": 0.4,
}


def _readme_hint_blocks() -> list[str]:
    text = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    return [block for block in re.findall(r"```json\n(.*?)```", text, flags=re.S) if '"version"' in block]


# ----------------------------------------------------------------------------- parsing


def test_readme_example_parses():
    blocks = _readme_hint_blocks()
    assert blocks, "README has no ```json hint example"
    for block in blocks:
        hints = parse_hints_json(block)
        assert isinstance(hints, Hints)
    hints = parse_hints_json(blocks[0])
    assert json.loads(blocks[0]) == README_EXAMPLE  # the README shows the documented example
    assert hints.points == (PointHint(x=120.5, y=40.0, color="#a03020", radius=2),)
    assert hints.strokes == (StrokeHint(path=((10.0, 10.0), (40.0, 12.0), (80.0, 30.0)), color="#2050a0", width=5.0),)
    assert hints.palette == (PaletteColor(color="#406030", weight=0.5),)
    assert hints.saturation == 0.4
    assert hints.has_local and hints.has_global and not hints.is_empty


def test_to_dict_round_trip():
    hints = parse_hints(README_EXAMPLE)
    again = parse_hints(hints.to_dict())
    assert again == hints
    assert parse_hints_json(hints.to_json()) == hints
    assert hints.to_dict() == README_EXAMPLE  # already canonical: nothing lost, nothing invented
    assert json.loads(hints.to_json()) == README_EXAMPLE


def test_to_dict_canonicalises_and_keeps_references():
    hints = parse_hints(
        {"points": [{"x": 1, "y": 2, "color": "#ABC", "reference": "mem-7"}],
         "strokes": [{"path": [[0, 0]], "color": "#102030", "reference": 3}],
         "palette": [{"color": "#FFFFFF"}]}
    )
    data = hints.to_dict()
    assert data["version"] == 1
    assert data["points"] == [{"x": 1.0, "y": 2.0, "color": "#aabbcc", "radius": 0, "reference": "mem-7"}]
    assert data["strokes"] == [{"path": [[0.0, 0.0]], "color": "#102030", "width": 1.0, "reference": 3}]
    assert data["palette"] == [{"color": "#ffffff", "weight": 1.0}]
    assert "saturation" not in data
    assert parse_hints(data) == hints


def test_sources_none_hints_file_and_empty():
    assert parse_hints(None) == Hints()
    assert Hints().is_empty and not Hints().has_local and not Hints().has_global
    hints = parse_hints(README_EXAMPLE)
    assert parse_hints(hints) is hints
    assert parse_hints({"version": 1}) == Hints()
    assert parse_hints({"points": None, "strokes": []}) == Hints()


def test_json_file_path(tmp_path):
    path = tmp_path / "hints.json"
    path.write_text(json.dumps(README_EXAMPLE))
    assert parse_hints(path) == parse_hints(README_EXAMPLE)
    assert parse_hints(str(path)) == parse_hints(README_EXAMPLE)


def test_global_only_hints_are_not_local():
    hints = parse_hints({"palette": [{"color": "#406030"}]})
    assert hints.has_global and not hints.has_local
    assert parse_hints({"saturation": 0}).has_global


# ----------------------------------------------------------------------------- validation

POINT = {"x": 5, "y": 5, "color": "#a03020"}


def _with_point(**changes):
    point = dict(POINT, **changes)
    return {"version": 1, "points": [POINT, {k: v for k, v in point.items() if v is not ...}]}


INVALID = {
    "bad hex": (_with_point(color="red"), "points[1].color", "red"),
    "short hex": (_with_point(color="#12"), "points[1].color", None),
    "colour not a string": (_with_point(color=0xA03020), "points[1].color", None),
    "negative radius": (_with_point(radius=-1), "points[1].radius", None),
    "fractional radius": (_with_point(radius=1.5), "points[1].radius", None),
    "radius not a number": (_with_point(radius="2"), "points[1].radius", None),
    "x not a number": (_with_point(x="5"), "points[1].x", None),
    "x is bool": (_with_point(x=True), "points[1].x", None),
    "x nan": (_with_point(x=float("nan")), "points[1].x", None),
    "missing color": (_with_point(color=...), "points[1].color", "missing"),
    "missing x": (_with_point(x=...), "points[1].x", "missing"),
    "unknown point field": (_with_point(colour="#a03020"), "points[1]", "colour"),
    "unknown top-level field": ({"version": 1, "point": []}, "hints", "point"),
    "wrong version": ({"version": 2}, "version", "2"),
    "version as string": ({"version": "1"}, "version", None),
    "points not a list": ({"points": {"x": 1}}, "points", "list"),
    "point not an object": ({"points": [[1, 2]]}, "points[0]", None),
    "strokes not a list": ({"strokes": "x"}, "strokes", "list"),
    "empty stroke path": ({"strokes": [{"path": [], "color": "#000"}]}, "strokes[0].path", None),
    "bad stroke vertex": ({"strokes": [{"path": [[1, 2], [3]], "color": "#000"}]}, "strokes[0].path[1]", None),
    "negative width": ({"strokes": [{"path": [[1, 2]], "color": "#000", "width": -2}]}, "strokes[0].width", None),
    "stroke bad hex": ({"strokes": [{"path": [[1, 2]], "color": "blue"}]}, "strokes[0].color", "blue"),
    "palette not a list": ({"palette": "#fff"}, "palette", None),
    "negative weight": ({"palette": [{"color": "#fff", "weight": -0.1}]}, "palette[0].weight", None),
    "palette bad hex": ({"palette": [{"color": "#zzzzzz"}]}, "palette[0].color", None),
    "saturation > 1": ({"saturation": 1.5}, "saturation", None),
    "saturation < 0": ({"saturation": -0.1}, "saturation", None),
    "bad reference": (_with_point(reference=[1]), "points[1].reference", None),
    "not an object": ([1, 2, 3], "hints", None),
}


@pytest.mark.parametrize("case", sorted(INVALID))
def test_validation_error_names_the_field(case):
    obj, field, detail = INVALID[case]
    with pytest.raises(HintError) as excinfo:
        parse_hints(obj)
    message = str(excinfo.value)
    assert isinstance(excinfo.value, FindColorError)
    assert message.startswith(field + ":") or message.startswith(field + "."), message
    assert "\n" not in message
    if detail:
        assert detail in message


def test_bad_hex_message_matches_readme():
    with pytest.raises(HintError) as excinfo:
        parse_hints({"points": [{"x": 0, "y": 0, "color": "red"}]})
    assert str(excinfo.value) == 'points[0].color: \'red\' is not a hex colour like "#a03020"'


@pytest.mark.parametrize(
    "obj,field",
    [
        ({"points": [{"x": 100, "y": 5, "color": "#fff"}]}, "points[0].x"),
        ({"points": [{"x": 5, "y": -1, "color": "#fff"}]}, "points[0].y"),
        ({"points": [{"x": 5, "y": 50, "color": "#fff"}]}, "points[0].y"),
        ({"strokes": [{"path": [[1, 1], [120, 3]], "color": "#fff"}]}, "strokes[0].path[1][0]"),
        ({"strokes": [{"path": [[1, 1], [3, 60]], "color": "#fff"}]}, "strokes[0].path[1][1]"),
    ],
)
def test_coordinates_outside_the_image_are_rejected(obj, field):
    parse_hints(obj)  # without a size nothing can be checked
    with pytest.raises(HintError) as excinfo:
        parse_hints(obj, image_size=(100, 50))
    assert str(excinfo.value).startswith(field + ":")
    assert "outside the image" in str(excinfo.value)


def test_coordinates_inside_the_image_are_accepted_and_hints_object_rechecked():
    inside = {"points": [{"x": 0, "y": 0, "color": "#fff"}, {"x": 99, "y": 49, "color": "#fff", "radius": 5}],
              "strokes": [{"path": [[0, 0], [99.4, 49.4]], "color": "#000", "width": 30}]}
    assert len(parse_hints(inside, image_size=(100, 50)).points) == 2
    hints = parse_hints({"points": [{"x": 150, "y": 5, "color": "#fff"}]})
    with pytest.raises(HintError, match=r"points\[0\]\.x"):
        parse_hints(hints, image_size=(100, 50))  # a parsed Hints is checked against the image too


def test_malformed_json_text():
    with pytest.raises(HintError) as excinfo:
        parse_hints_json('{"version": 1, "points": [')
    message = str(excinfo.value)
    assert "JSON" in message and "line 1" in message and "\n" not in message


@pytest.mark.parametrize("opening,closing", [("[", "]"), ('{"a":', "}")])
def test_json_nested_100000_deep_is_one_line_hint_error(tmp_path, opening, closing):
    text = opening * 100_000 + "1" + closing * 100_000
    with pytest.raises(HintError) as excinfo:
        parse_hints_json(text)
    assert "nested" in str(excinfo.value) and "\n" not in str(excinfo.value)
    path = tmp_path / "deep.json"
    path.write_text(text)
    with pytest.raises(HintError, match="nested"):
        parse_hints(path)


def _points(count: int, **extra) -> list[dict]:
    return [{"x": i % 50, "y": i // 50 % 50, "color": "#a03020", **extra} for i in range(count)]


def _strokes(count: int, path: list, **extra) -> list[dict]:
    return [{"path": path, "color": "#2050a0", **extra} for _ in range(count)]


HINT_LIMITS = {
    "10,001 points": ({"points": _points(10_001)}, "points:", "10,000"),
    "10,001 strokes": ({"strokes": _strokes(10_001, [[1, 1]])}, "strokes:", "10,000"),
    "points and strokes together": (
        {"points": _points(6_000), "strokes": _strokes(4_001, [[1, 1]])}, "hints:", "10,000"
    ),
    "radius": ({"points": _points(1, radius=1_001)}, "points[0].radius", "1000"),
    "width": ({"strokes": _strokes(1, [[1, 1]], width=2_000.5)}, "strokes[0].width", "2000"),
    "vertices": ({"strokes": _strokes(2, [[1, 1]] * 50_001)}, "strokes[1].path", "100,000"),
    "path length": ({"strokes": _strokes(1_001, [[0, 0], [49, 49]] * 15)}, "strokes[", "2,000,000 pixels"),
    "palette": ({"palette": [{"color": "#406030"}] * 1_001}, "palette:", "1,000"),
}


@pytest.mark.parametrize("case", sorted(HINT_LIMITS))
def test_hints_beyond_the_limits_are_refused_with_one_line(case):
    obj, field, detail = HINT_LIMITS[case]
    with pytest.raises(HintError) as excinfo:
        parse_hints(obj, image_size=(50, 50))
    message = str(excinfo.value)
    assert message.startswith(field) and detail in message and "\n" not in message, message


def test_hints_up_to_the_limits_are_accepted():
    at_limit = {
        "points": _points(9_000, radius=1_000),
        "strokes": _strokes(1_000, [[0, 0], [49, 49]] * 14, width=2_000),  # 27 segments of 69.3 px: 1.87 M px
        "palette": [{"color": "#406030"}] * 1_000,
    }
    hints = parse_hints(at_limit, image_size=(50, 50))
    assert len(hints.points) + len(hints.strokes) == 10_000 and len(hints.palette) == 1_000


def test_malformed_json_file_and_missing_file(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{'version': 1}")  # single quotes: not JSON
    with pytest.raises(HintError) as excinfo:
        parse_hints(bad)
    assert str(bad) in str(excinfo.value) and "JSON" in str(excinfo.value)
    invalid = tmp_path / "invalid.json"
    invalid.write_text(json.dumps({"points": [{"x": 1, "y": 1, "color": "red"}]}))
    with pytest.raises(HintError) as excinfo:
        parse_hints(invalid)
    assert str(invalid) in str(excinfo.value) and "points[0].color" in str(excinfo.value)
    missing = tmp_path / "missing.json"
    with pytest.raises(HintError) as excinfo:
        parse_hints(missing)
    assert str(missing) in str(excinfo.value) and "not found" in str(excinfo.value)
    binary = tmp_path / "binary.json"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(HintError):
        parse_hints(binary)


# ----------------------------------------------------------------------------- rasterisation


def _point(x, y, color, radius=0):
    return PointHint(x=float(x), y=float(y), color=color, radius=radius)


@pytest.mark.parametrize("x,y,radius", [(10, 7, 0), (10.3, 6.8, 2), (9.6, 7.4, 3), (0, 0, 2), (19, 14, 1)])
def test_point_covers_exact_square_at_full_resolution(x, y, radius):
    hints = Hints(points=(_point(x, y, "#a03020", radius),))
    ab, mask = rasterize_hints(hints, (20, 15), (20, 15))
    assert ab.shape == (15, 20, 2) and ab.dtype == np.float32 and mask.shape == (15, 20) and mask.dtype == bool
    cx, cy = int(np.floor(x + 0.5)), int(np.floor(y + 0.5))
    expected = np.zeros((15, 20), bool)
    expected[max(cy - radius, 0) : cy + radius + 1, max(cx - radius, 0) : cx + radius + 1] = True
    np.testing.assert_array_equal(mask, expected)
    if 0 < cx - radius and cx + radius < 19 and 0 < cy - radius and cy + radius < 14:
        assert mask.sum() == (2 * radius + 1) ** 2
    np.testing.assert_allclose(ab[mask], np.broadcast_to(hex_ab("#a03020"), (mask.sum(), 2)), atol=0.05)
    assert np.all(ab[~mask] == 0)


def test_point_scales_at_half_resolution():
    hints = Hints(points=(_point(20, 30, "#2050a0", 3),))
    ab, mask = rasterize_hints(hints, (64, 64), (32, 32))
    assert mask.shape == (32, 32)
    # the square covers image pixels 17..23 x 27..33, i.e. edges [17, 24) x [27, 34); an output pixel k
    # at half resolution has its centre at image edge-coordinate 2k+1, so 17 <= 2k+1 < 24 -> k = 8..11
    # and 27 <= 2k+1 < 34 -> k = 13..16
    expected = np.zeros((32, 32), bool)
    expected[13:17, 8:12] = True
    np.testing.assert_array_equal(mask, expected)
    np.testing.assert_allclose(ab[mask], np.broadcast_to(hex_ab("#2050a0"), (16, 2)), atol=0.05)


def test_point_scales_with_non_uniform_factors_and_never_vanishes():
    hints = Hints(points=(_point(100, 50, "#a03020", 0),))
    ab, mask = rasterize_hints(hints, (400, 200), (40, 50))  # x / 10, y / 4
    assert mask.sum() == 1
    ys, xs = np.nonzero(mask)
    assert (int(xs[0]), int(ys[0])) == (10, 12)  # the output pixel containing the hinted pixel
    big = Hints(points=(_point(100, 50, "#a03020", 20),))
    _, big_mask = rasterize_hints(big, (400, 200), (40, 50))
    rows, cols = np.nonzero(big_mask)
    assert cols.max() - cols.min() + 1 in (4, 5)  # 41 px / 10
    assert rows.max() - rows.min() + 1 in (10, 11)  # 41 px / 4


def _distance_to_polyline(xs, ys, path):
    best = np.full(xs.shape, np.inf)
    points = np.asarray(path, dtype=np.float64)
    for start, end in zip(points[:-1], points[1:]):
        d = end - start
        t = np.clip(((xs - start[0]) * d[0] + (ys - start[1]) * d[1]) / max(d @ d, 1e-12), 0, 1)
        best = np.minimum(best, np.hypot(xs - start[0] - t * d[0], ys - start[1] - t * d[1]))
    return best


@pytest.mark.parametrize("width", [1.0, 3.0, 5.0, 8.5])
def test_stroke_covers_pixels_within_half_width_of_polyline(width):
    path = [[10, 10], [40, 12], [80, 30], [60, 55.5]]
    hints = Hints(strokes=(StrokeHint(path=tuple(map(tuple, path)), color="#2050a0", width=width),))
    ab, mask = rasterize_hints(hints, (100, 70), (100, 70))
    ys, xs = np.mgrid[0:70, 0:100].astype(np.float64)
    distance = _distance_to_polyline(xs, ys, path)
    # inside (with a hair of tolerance for pixels exactly on the boundary) / outside
    assert np.all(mask[distance <= width / 2 - 1e-6])
    assert not np.any(mask[distance > width / 2 + 1e-6])
    np.testing.assert_allclose(ab[mask], np.broadcast_to(hex_ab("#2050a0"), (mask.sum(), 2)), atol=0.05)
    assert np.all(ab[~mask] == 0)


def test_stroke_single_vertex_is_a_dot_and_scales():
    hints = Hints(strokes=(StrokeHint(path=((30.0, 20.0),), color="#406030", width=9.0),))
    _, mask = rasterize_hints(hints, (64, 48), (64, 48))
    ys, xs = np.mgrid[0:48, 0:64]
    np.testing.assert_array_equal(mask, np.hypot(xs - 30, ys - 20) <= 4.5)
    _, half = rasterize_hints(hints, (64, 48), (32, 24))
    assert 0.15 < half.sum() / mask.sum() < 0.35  # about a quarter of the pixels at half size
    rows, cols = np.nonzero(half)
    assert abs(cols.mean() - 14.75) < 0.6 and abs(rows.mean() - 9.75) < 0.6  # centre (30.5/2-0.5, 20.5/2-0.5)


def test_points_win_over_strokes_and_later_hints_win():
    stroke = StrokeHint(path=((0.0, 5.0), (19.0, 5.0)), color="#2050a0", width=3.0)
    point = _point(10, 5, "#a03020", 1)
    ab, mask = rasterize_hints(Hints(points=(point,), strokes=(stroke,)), (20, 10), (20, 10))
    np.testing.assert_allclose(ab[5, 10], hex_ab("#a03020"), atol=0.05)
    np.testing.assert_allclose(ab[5, 2], hex_ab("#2050a0"), atol=0.05)
    assert mask[4:7].all()
    later = _point(11, 5, "#406030", 0)
    ab, _ = rasterize_hints(Hints(points=(point, later)), (20, 10), (20, 10))
    np.testing.assert_allclose(ab[5, 11], hex_ab("#406030"), atol=0.05)
    np.testing.assert_allclose(ab[5, 9], hex_ab("#a03020"), atol=0.05)


def test_only_chroma_is_used():
    # same chroma, very different lightness: sRGB of Lab (30, 20, -25) and (75, 20, -25)
    from skimage import color as skcolor

    dark, light = (to_hex(skcolor.lab2rgb(np.array([[[lightness, 20.0, -25.0]]]))[0, 0] * 255) for lightness in (30, 75))
    assert dark != light
    np.testing.assert_allclose(hex_ab(dark), hex_ab(light), atol=1.0)  # the test colours share ab
    ab_dark, _ = rasterize_hints(Hints(points=(_point(2, 2, dark),)), (5, 5), (5, 5))
    ab_light, _ = rasterize_hints(Hints(points=(_point(2, 2, light),)), (5, 5), (5, 5))
    np.testing.assert_allclose(ab_dark[2, 2], ab_light[2, 2], atol=1.0)
    np.testing.assert_allclose(ab_dark[2, 2], hex_ab(dark), atol=0.05)
    ab_gray, mask = rasterize_hints(Hints(points=(_point(2, 2, "#333333"),)), (5, 5), (5, 5))
    assert mask[2, 2] and np.abs(ab_gray[2, 2]).max() < 0.01  # a gray hint asks for no colour


def test_hints_reaching_past_the_edge_are_cut():
    hints = Hints(points=(_point(0, 0, "#a03020", 3),),
                  strokes=(StrokeHint(path=((9.0, 0.0), (9.0, 9.0)), color="#2050a0", width=6.0),))
    _, mask = rasterize_hints(hints, (10, 10), (10, 10))
    assert mask[:4, :4].all() and mask[:, 6:].all()  # |x - 9| <= 3: columns 6..9
    assert mask.sum() == 16 + 40


def test_global_hints_do_not_rasterise():
    ab, mask = rasterize_hints(parse_hints({"palette": [{"color": "#a03020"}], "saturation": 0.5}), (8, 6), (4, 3))
    assert mask.shape == (3, 4) and not mask.any() and not ab.any()


def test_point_on_the_far_edge_is_kept_on_the_last_pixel():
    """x = W - 0.5 is inside the image; rounding half up must not push it off the edge."""
    from findcolor.hints import parse_hints, rasterize_hints

    hints = parse_hints({"version": 1, "points": [{"x": 9.5, "y": 9.5, "color": "#a03020"}]}, image_size=(10, 10))
    _, mask = rasterize_hints(hints, (10, 10), (10, 10))
    assert mask.sum() == 1 and mask[9, 9]
    _, small = rasterize_hints(hints, (10, 10), (3, 3))
    assert small.sum() == 1 and small[2, 2]
