"""The workspace's colorization runs: preview in display pixels, provenance of the engine."""

from __future__ import annotations

import io
from types import SimpleNamespace

import pytest
from PIL import Image

from dashboard import rendering

SCAN = (1200, 800)
HINTS = {"version": 1, "points": [{"x": 300, "y": 200, "color": "#c03020", "radius": 20}], "strokes": []}


def gray(size: tuple[int, int]) -> Image.Image:
    return Image.new("RGB", size, (128, 128, 128))


def test_preview_image_fits_the_canvas_and_keeps_the_aspect_ratio() -> None:
    buffer = io.BytesIO()
    gray((1600, 1067)).save(buffer, format="JPEG")
    preview = rendering.preview_image(buffer.getvalue(), SCAN)
    assert preview.size == (600, 400)


@pytest.mark.parametrize("column_width", [607, 697, 1500])  # canvas columns at 1280, 1400 and 2560-px windows
def test_a_landscape_canvas_is_as_wide_as_its_column_and_never_wider(column_width: int) -> None:
    """A 786-px canvas in a 697-px column lost the right 12 % of the scan: it could not be seen or painted."""
    width, height = rendering.canvas_size((4800, 2700), column_width)
    assert column_width - 8 <= width <= column_width
    assert abs(width / height - 4800 / 2700) < 0.01


def test_before_the_browser_reports_its_column_the_canvas_fits_a_1280_px_window() -> None:
    assert rendering.canvas_size((4800, 2700), None)[0] <= 607
    assert rendering.canvas_size((1000, 3000), 1500)[1] == rendering.CANVAS_MAX_HEIGHT  # a portrait scan


def test_a_small_scan_is_drawn_as_wide_as_the_column() -> None:
    assert rendering.canvas_size((512, 512), 804) == (800, 800)


def test_the_preview_puts_the_hint_where_it_is_on_the_scan() -> None:
    preview = gray((600, 400))  # half the scan's size
    result = rendering.render_preview(preview, HINTS, SCAN, "classical")
    assert result.image.size == (600, 400)
    red, _, blue = result.image.getpixel((150, 100))  # scan (300, 200) at half size
    assert red > blue + 40
    assert result.hints["points"][0]["x"] == 300  # kept in scan pixels, canonical
    assert result.seconds > 0


def test_hints_off_the_scan_are_refused_with_the_field_named() -> None:
    bad = {"version": 1, "points": [{"x": 5000, "y": 10, "color": "#c03020"}]}
    with pytest.raises(rendering.findcolor.HintError, match=r"points\[0\]"):
        rendering.render_preview(gray((600, 400)), bad, SCAN, "classical")


def test_provenance_of_the_classical_engine_has_no_weights() -> None:
    provenance = rendering.engine_provenance("classical")
    assert (provenance.engine, provenance.model_name, provenance.weights_sha256) == ("classical", "", None)
    assert provenance.model_version


def test_provenance_of_a_network_engine_names_its_weights(monkeypatch: pytest.MonkeyPatch) -> None:
    weights = SimpleNamespace(sha256="ab" * 32, metadata={"model_name": "hintnet-small"})
    engine = SimpleNamespace(name="auto", version="hintnet+levin2004/abab", weights=weights)
    monkeypatch.setattr(rendering.findcolor, "get_engine", lambda name: engine)
    provenance = rendering.engine_provenance("auto")
    assert provenance == rendering.EngineProvenance("auto", "hintnet-small", "hintnet+levin2004/abab", "ab" * 32)
