"""How quickly the workspace re-runs the preview after one more hint, and how long saving takes.

The workspace colorizes the display-size copy the canvas shows (at most 820 x 620; here a
square scan, so 620 x 620) with the hints rescaled from scan pixels; that is the call timed
here (``dashboard.rendering.render_preview``), once per added hint, after one warm-up run.
Saving renders the scan itself at full resolution (``render_full_resolution``), timed once.

Target: a re-run after one more hint under 0.5 s. Usage: ``python -m benchmarks.dashboard_workspace``.
"""

from __future__ import annotations

import argparse
import io
import random
import statistics
import time

import numpy as np
from PIL import Image

import findcolor
from benchmarks.report import markdown_table, write_results
from dashboard.canvas_hints import fit_within
from dashboard.rendering import PREVIEW_MAX_SIZE, render_full_resolution, render_preview

TARGET_S = 0.5
COLORS = ["#8a5a3c", "#1f2a44", "#4f7a32", "#a03020", "#c8b070", "#5a7090"]


def scan(side: int) -> Image.Image:
    from skimage import data

    return Image.fromarray(data.camera()).resize((side, side), Image.Resampling.LANCZOS)


def time_reruns(original: Image.Image, engine: str, hints_count: int, rng: random.Random) -> list[float]:
    preview = original.resize(fit_within(original.size, PREVIEW_MAX_SIZE), Image.Resampling.LANCZOS)
    hints: dict = {"version": 1, "points": [], "strokes": []}
    timings = []
    for index in range(hints_count + 1):
        hints["points"].append(
            {"x": rng.uniform(0, original.width - 1), "y": rng.uniform(0, original.height - 1),
             "color": COLORS[index % len(COLORS)], "radius": 12}
        )  # fmt: skip
        result = render_preview(preview, hints, original.size, engine)
        if index:  # the first run is the warm-up
            timings.append(result.seconds)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scan-side", type=int, default=2400, help="side of the square test scan, pixels")
    parser.add_argument("--hints", type=int, default=12, help="re-runs timed, one more hint each")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    original = scan(args.scan_side)
    rows, data = [], {}
    for engine in findcolor.available_engines():
        if engine == "auto" and "neural" not in findcolor.available_engines():
            continue  # "auto" is the classical engine here: do not time it twice
        timings = time_reruns(original, engine, args.hints, random.Random(3))
        median, p90 = statistics.median(timings), float(np.percentile(timings, 90))
        buffer = io.BytesIO()
        original.save(buffer, format="PNG")
        started = time.perf_counter()
        render_full_resolution(buffer.getvalue(), {"version": 1, "points": [{"x": 10, "y": 10, "color": "#a03020"}]}, engine)
        full = time.perf_counter() - started
        print(f"{engine}: re-run median {median:.3f} s, p90 {p90:.3f} s; full resolution {full:.2f} s")
        rows.append([engine, f"{median:.3f}", f"{p90:.3f}", "yes" if median < TARGET_S else "no", f"{full:.2f}"])
        data[engine] = {"rerun_s": timings, "rerun_median_s": median, "full_resolution_s": full}
    if args.no_write:
        return
    table = markdown_table(
        ["engine", "re-run after one more hint, median (s)", "p90 (s)", f"target < {TARGET_S:g} s",
         f"save: full-resolution render of a {args.scan_side}² scan (s)"],
        rows,
    )  # fmt: skip
    write_results("dashboard_workspace", {"scan_side": args.scan_side, "preview": "620x620", **data}, table)


if __name__ == "__main__":
    main()
