"""Peak memory of ``findcolor colorize`` on large scans, per pixel.

Run: ``python -m benchmarks.memory`` (a few minutes; ``--sizes 16 64`` to choose megapixels).
Each measurement is a fresh process that loads the engine, colorizes a gray 8-bit TIFF scan
(the astronaut photo tiled to size) with 10 point hints and writes a PNG, exactly as the CLI
does. It reports the process's peak resident memory, the memory it held after loading torch
and the engine ("baseline", which includes the model), and the difference per pixel.
Target (issue 9): peak near 20 bytes per pixel plus the model; 64 MP <= 2.5 GB, 200 MP <= 5 GB.

Writes benchmarks/results/memory.json and the README block ``memory``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from tempfile import TemporaryDirectory

import numpy as np
from PIL import Image

from benchmarks.classical_engine import ten_hints
from benchmarks.report import markdown_table, write_results

TARGETS_GB = {64: 2.5, 200: 5.0}  # megapixels -> peak target (issue 9)

# The child: load the engine, note the resident memory, then run the CLI and report the peak.
_CHILD = r"""
import json, resource, sys, time
from pathlib import Path
from findcolor.cli import main
from findcolor.pipeline import get_engine

def rss_kb():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0

engine = get_engine("auto")
baseline_kb = rss_kb()
start = time.perf_counter()
code = main(["colorize", sys.argv[1], "--hints", sys.argv[2], "-o", sys.argv[3]])
seconds = time.perf_counter() - start
peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"code": code, "engine": engine.name, "baseline_kb": baseline_kb, "peak_kb": peak_kb, "seconds": seconds}))
"""


def tiled_scan(megapixels: int, directory: Path) -> tuple[Path, tuple[int, int]]:
    """A gray 8-bit uncompressed TIFF of about ``megapixels`` (square), tiled from a real photo."""
    from skimage import data

    side = int(round((megapixels * 1e6) ** 0.5))
    tile = np.asarray(Image.fromarray(data.astronaut()).convert("L"))
    reps = (side // tile.shape[0] + 1, side // tile.shape[1] + 1)
    pixels = np.tile(tile, reps)[:side, :side]
    path = directory / f"scan_{megapixels}mp.tif"
    Image.fromarray(pixels, "L").save(path)
    return path, (side, side)


def measure(megapixels: int, directory: Path) -> dict:
    scan, size = tiled_scan(megapixels, directory)
    hints = directory / "hints.json"
    hints.write_text(json.dumps(ten_hints(size)))
    output = directory / "out.png"
    run = subprocess.run(
        [sys.executable, "-c", _CHILD, str(scan), str(hints), str(output)], capture_output=True, text=True, check=False
    )
    if run.returncode != 0 or not run.stdout.strip():
        raise SystemExit(f"{megapixels} MP: the child failed: {run.stderr.strip().splitlines()[-1:]}")
    child = json.loads(run.stdout.strip().splitlines()[-1])
    pixels = size[0] * size[1]
    scan.unlink()
    output.unlink(missing_ok=True)
    return {
        "size": f"{size[0]}x{size[1]}",
        "pixels": pixels,
        "exit_code": child["code"],
        "engine": child["engine"],
        "seconds": round(child["seconds"], 1),
        "baseline_mb": round(child["baseline_kb"] / 1024),
        "peak_mb": round(child["peak_kb"] / 1024),
        "bytes_per_pixel_over_baseline": round((child["peak_kb"] - child["baseline_kb"]) * 1024 / pixels, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[16, 64, 200], help="megapixels to measure")
    args = parser.parse_args()
    rows, results = [], {}
    with TemporaryDirectory() as tmp:
        for megapixels in args.sizes:
            started = time.perf_counter()
            result = measure(megapixels, Path(tmp))
            results[f"{megapixels} MP"] = result
            print(megapixels, "MP", result, f"({time.perf_counter() - started:.0f} s)", flush=True)
            target = TARGETS_GB.get(megapixels)
            rows.append(
                [
                    f"{megapixels} MP ({result['size']})", result["engine"], f"{result['peak_mb']:,} MB",
                    f"{result['baseline_mb']:,} MB", result["bytes_per_pixel_over_baseline"],
                    f"<= {target * 1024:,.0f} MB" if target else "", f"{result['seconds']} s",
                ]
            )  # fmt: skip
    table = markdown_table(
        ["gray 8-bit TIFF, 10 hints, CLI to PNG", "engine", "peak memory", "of which baseline (torch + engine)",
         "bytes/pixel over baseline", "target", "time"],
        rows,
    )  # fmt: skip
    write_results("memory", {"results": results}, table)


if __name__ == "__main__":
    main()
