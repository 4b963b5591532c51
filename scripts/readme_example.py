"""Make the README's before/after example from a real photo (scikit-image's "coffee", CC0).

The colour photo is turned gray, eight hint points take their colour from the true photo
(as a curator would from a reference), and both engines colorize it. Writes
docs/example/{gray,hints,classical,auto,original}.jpg and docs/example/hints.json.
Run: ``.venv/bin/python scripts/readme_example.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image, ImageDraw
from skimage import data

import findcolor
from findcolor.color import rgb_to_hex

OUT = Path(__file__).resolve().parent.parent / "docs" / "example"

# (x, y) hint locations on the 600x400 photo: saucer, cup, crema, cup rim, table, dark corner
LOCATIONS = [(120, 180), (170, 140), (420, 140), (470, 260), (270, 180), (220, 180), (20, 100), (570, 60), (20, 20)]


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    colour = data.coffee()
    Image.fromarray(colour).save(OUT / "original.jpg", quality=90)
    gray = Image.fromarray(colour).convert("L")
    gray.save(OUT / "gray.png")
    points = []
    for x, y in LOCATIONS:
        patch = colour[y - 2 : y + 3, x - 2 : x + 3].reshape(-1, 3).mean(axis=0) / 255.0
        points.append({"x": x, "y": y, "color": rgb_to_hex(patch), "radius": 2})
    hints = {"version": 1, "points": points}
    (OUT / "hints.json").write_text(json.dumps(hints, indent=1) + "\n")

    overlay = gray.convert("RGB")
    draw = ImageDraw.Draw(overlay)
    for p in points:
        draw.ellipse([p["x"] - 7, p["y"] - 7, p["x"] + 7, p["y"] + 7], fill=p["color"], outline="white", width=2)
    overlay.save(OUT / "hints.jpg", quality=90)
    for engine in findcolor.available_engines():
        if engine == "neural":
            continue
        findcolor.colorize(OUT / "gray.png", hints, engine=engine).save(OUT / f"{engine}.jpg", quality=90)


if __name__ == "__main__":
    main()
