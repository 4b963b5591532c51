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


def test_a_landscape_canvas_fits_the_column_of_a_1280_px_window() -> None:
    """The canvas column is 607 px wide at 1280 px (sidebar open): a 786-px canvas lost its right 12 %."""
    buffer = io.BytesIO()
    gray((1600, 900)).save(buffer, format="JPEG")
    assert rendering.preview_image(buffer.getvalue(), (4800, 2700)).width <= 607


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
