"""Hints drawn over the photo for the reviewer."""

from __future__ import annotations

from PIL import Image

from dashboard.hint_overlay import overlay_hints


def test_points_and_strokes_appear_at_their_scaled_positions_in_their_colours() -> None:
    photo = Image.new("RGB", (300, 200), (128, 128, 128))
    hints = {
        "points": [{"x": 1000, "y": 500, "color": "#ff0000", "radius": 20}],
        "strokes": [{"path": [[100, 1500], [2800, 1500]], "color": "#0000ff", "width": 40}],
    }
    marked = overlay_hints(photo, hints, (3000, 2000))
    assert marked.getpixel((100, 50)) == (255, 0, 0)
    assert marked.getpixel((150, 150)) == (0, 0, 255)
    assert marked.getpixel((250, 20)) == (128, 128, 128)
    assert photo.getpixel((100, 50)) == (128, 128, 128)  # the original is untouched
