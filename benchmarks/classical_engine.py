"""Speed of ``colorize`` with the classical engine: 256², 1024² and 12 MP, 10 point hints.

Run: ``python -m benchmarks.classical_engine`` (about a minute). Writes
benchmarks/results/classical_engine.json and the README table. Target (issue 2): a
12-megapixel photo with hints in under 3 s on the 2-core development machine.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path
from tempfile import TemporaryDirectory

import numpy as np
import torch
from PIL import Image

from benchmarks.report import markdown_table, write_results
from findcolor import colorize

SIZES = {"256x256": (256, 256), "1024x1024": (1024, 1024), "12 MP (4000x3000)": (4000, 3000)}


def gray_photo(size: tuple[int, int], directory: Path) -> Path:
    """A real photo (scikit-image's astronaut, CC0) in gray at ``size``, saved as JPEG like a scan."""
    from skimage import data

    path = directory / f"gray_{size[0]}x{size[1]}.jpg"
    Image.fromarray(data.astronaut()).convert("L").resize(size, Image.Resampling.LANCZOS).save(path, quality=92)
    return path


def ten_hints(size: tuple[int, int]) -> dict:
    rng = np.random.default_rng(0)
    colors = ["#a03020", "#2050a0", "#406030", "#c0a080", "#705040"]
    points = [
        {"x": float(rng.uniform(0, size[0] - 1)), "y": float(rng.uniform(0, size[1] - 1)),
         "color": colors[i % len(colors)], "radius": max(1, size[0] // 512)}
        for i in range(10)
    ]
    return {"version": 1, "points": points}


def measure(path: Path, hints: dict, repeats: int) -> tuple[float, float]:
    colorize(path, hints, engine="classical")  # warm-up: imports, allocator
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        colorize(path, hints, engine="classical")
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(2)
    rows, data = [], {}
    with TemporaryDirectory() as tmp:
        for label, size in SIZES.items():
            path = gray_photo(size, Path(tmp))
            median, best = measure(path, ten_hints(size), args.repeats)
            data[label] = {"median_s": round(median, 3), "min_s": round(best, 3)}
            rows.append([label, f"{median * 1000:.0f} ms", f"{best * 1000:.0f} ms"])
            print(label, data[label])
    table = markdown_table(["classical engine, 10 hints", "median", "best"], rows)
    write_results("classical_engine", {"results": data, "repeats": args.repeats}, table)


if __name__ == "__main__":
    main()
