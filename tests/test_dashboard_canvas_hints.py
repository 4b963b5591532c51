"""Canvas JSON <-> hint format v1: the conversions the workspace relies on."""

from __future__ import annotations

import pytest

from dashboard.canvas_hints import (
    CanvasMapping,
    canvas_to_hints,
    fit_within,
    hints_to_canvas,
    normalize_color,
    rescale_hints,
)
from findcolor.hints import parse_hints

# A 3000 x 2000 scan shown on a 600 x 400 canvas: 5 original pixels per canvas pixel.
ORIGINAL = (3000, 2000)
STRETCH = CanvasMapping.for_canvas(canvas_size=(600, 400), original_size=ORIGINAL)

# What the point tool returned for a click at canvas (100, 60) (radius 5, stroke 3).
POINT_AT_100_60 = {
    "type": "Circle",
    "radius": 5,
    "originX": "left",
    "originY": "center",
    "left": 93.5,
    "top": 60,
    "stroke": "#FF0000",
    "fill": "#FF0000",
    "strokeWidth": 3,
}

# A freedraw stroke from (10, 20) through a curve to (50, 20), then a line to (60, 30).
FREEDRAW = {
    "type": "Path",
    "originX": "center",
    "originY": "center",
    "left": 35.0,
    "top": 25.0,
    "stroke": "#0000FF",
    "strokeWidth": 10,
    "path": [["M", 10, 20], ["Q", 30, 20, 50, 20], ["L", 60, 30]],
}


def test_stretch_mapping_scales_canvas_pixels_to_original_pixels() -> None:
    assert STRETCH.to_original(100, 60) == (500, 300)
    assert STRETCH.to_canvas(500, 300) == (100, 60)


def test_background_fit_mapping_accounts_for_preview_size_and_letterbox() -> None:
    # A 1200 x 800 preview drawn at half size with a 10 px margin on the left.
    fit = {"natural_width": 1200, "natural_height": 800, "scale_x": 0.5, "scale_y": 0.5, "offset_x": 10, "offset_y": 0}
    mapping = CanvasMapping.for_canvas(canvas_size=(620, 400), original_size=ORIGINAL, background_fit=fit)
    assert mapping.to_original(10, 0) == (0, 0)
    assert mapping.to_original(610, 400) == pytest.approx((3000, 2000))


def test_point_centre_is_recovered_from_fabric_circle() -> None:
    hints = canvas_to_hints([POINT_AT_100_60], STRETCH, image_size=ORIGINAL)
    assert hints["strokes"] == []
    # The hint covers what the curator sees: a 5 canvas-px dot is 25 original pixels.
    assert hints["points"] == [{"x": 500.0, "y": 300.0, "color": "#ff0000", "radius": 25}]


def test_freedraw_path_becomes_a_polyline_in_original_pixels() -> None:
    hints = canvas_to_hints([FREEDRAW], STRETCH, image_size=ORIGINAL)
    (stroke,) = hints["strokes"]
    assert stroke["path"] == [[50.0, 100.0], [250.0, 100.0], [300.0, 150.0]]
    assert stroke["color"] == "#0000ff"
    assert stroke["width"] == 50.0


def test_a_stroke_moved_with_the_edit_tool_is_shifted_by_its_new_position() -> None:
    moved = {**FREEDRAW, "left": FREEDRAW["left"] + 100, "top": FREEDRAW["top"] + 40}
    (stroke,) = canvas_to_hints([moved], STRETCH, image_size=ORIGINAL)["strokes"]
    assert stroke["path"][0] == [550.0, 300.0]


def test_positions_off_the_image_are_clamped_so_the_hints_stay_valid() -> None:
    off = {**POINT_AT_100_60, "left": 700, "top": -20}
    hints = canvas_to_hints([off], STRETCH, image_size=ORIGINAL)
    assert (hints["points"][0]["x"], hints["points"][0]["y"]) == (2999, 0)
    parse_hints({"version": 1, **hints}, image_size=ORIGINAL)  # accepted by the library


def test_other_canvas_objects_are_not_hints() -> None:
    rect = {"type": "Rect", "left": 1, "top": 1, "width": 3, "height": 3}
    assert canvas_to_hints([rect], STRETCH, image_size=ORIGINAL) == {"points": [], "strokes": []}


def test_reference_colours_are_recorded_on_hints_painted_with_them() -> None:
    hints = canvas_to_hints([POINT_AT_100_60, FREEDRAW], STRETCH, image_size=ORIGINAL, references={"#ff0000": "ref-7"})
    assert hints["points"][0]["reference"] == "ref-7"
    assert "reference" not in hints["strokes"][0]


def test_hints_survive_a_round_trip_through_the_canvas() -> None:
    original = canvas_to_hints([POINT_AT_100_60, FREEDRAW], STRETCH, image_size=ORIGINAL)
    objects = hints_to_canvas(original, STRETCH, point_display_radius=5)
    again = canvas_to_hints(objects, STRETCH, image_size=ORIGINAL)
    assert again["points"][0]["x"] == pytest.approx(original["points"][0]["x"])
    assert again["points"][0]["y"] == pytest.approx(original["points"][0]["y"])
    assert again["strokes"][0]["path"] == original["strokes"][0]["path"]
    assert again["strokes"][0]["color"] == original["strokes"][0]["color"]


def test_rescaled_hints_fit_the_preview_image() -> None:
    hints = {"version": 1, **canvas_to_hints([POINT_AT_100_60, FREEDRAW], STRETCH, image_size=ORIGINAL)}
    hints["saturation"] = 0.4
    preview = rescale_hints(hints, 0.2, 0.2)
    # Pixel centres map as (x + 0.5) * factor - 0.5.
    assert (preview["points"][0]["x"], preview["points"][0]["y"]) == pytest.approx((99.6, 59.6))
    assert preview["points"][0]["radius"] == 5
    assert preview["strokes"][0]["path"][-1] == pytest.approx([59.6, 29.6])
    assert preview["saturation"] == 0.4
    parse_hints(preview, image_size=(600, 400))


def test_the_last_pixel_stays_inside_the_preview() -> None:
    corner = {"version": 1, "points": [{"x": 2999, "y": 1999, "color": "#ffffff", "radius": 0}], "strokes": []}
    parse_hints(rescale_hints(corner, 0.2, 0.2), image_size=(600, 400))


@pytest.mark.parametrize(("given", "expected"), [("#FF0000", "#ff0000"), ("#0F0", "#00ff00"), (" #abcdef ", "#abcdef")])
def test_colours_are_normalised(given: str, expected: str) -> None:
    assert normalize_color(given) == expected


@pytest.mark.parametrize(
    ("size", "expected"),
    [((3000, 2000), (800, 533)), ((2000, 3000), (400, 600)), ((300, 200), (300, 200))],
)
def test_canvas_size_keeps_the_aspect_ratio_and_never_enlarges(size: tuple[int, int], expected: tuple[int, int]) -> None:
    assert fit_within(size, (800, 600)) == expected
