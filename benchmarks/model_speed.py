"""Speed of the hint network and of the neural / combined engines end to end.

Run: ``python -m benchmarks.model_speed`` (a few minutes). Measures, with
``torch.set_num_threads(2)``:

* the network's 256x256 forward pass (batch norms fused, channels-last, after warm-up), with
  and without the ab-bin head (the head is only run for suggestions) — target <= 30 ms median;
* ``colorize`` of a 256x256 photo with 10 point hints, engine "neural" and "auto" (combined) —
  target <= 100 ms median;
* ``colorize`` of a 12-megapixel photo with 10 hints, engine "auto", in a fresh process:
  wall time and the process's peak resident memory — targets <= 2 s and <= 1.5 GB.

Writes benchmarks/results/model_speed.json and the README block ``model_speed``.
The machine is shared; medians over many repeats are reported, with the best run beside them.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from tempfile import TemporaryDirectory

import torch

from benchmarks.classical_engine import gray_photo, ten_hints
from benchmarks.report import markdown_table, write_results
from findcolor.model import HintNetConfig, build_model, count_macs, count_parameters, fuse_for_inference
from findcolor.network_io import load_weights, weights_available


def time_calls(function, repeats: int) -> tuple[float, float]:
    function()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times)


def forward_timings(repeats: int) -> dict:
    if weights_available():
        model = load_weights().model
        source = "shipped weights"
    else:
        model = fuse_for_inference(build_model(HintNetConfig()))
        source = "random weights (none installed); speed does not depend on the values"
    cl = torch.channels_last
    lightness = (torch.rand(1, 1, 256, 256) * 100).contiguous(memory_format=cl)
    hint_ab = torch.zeros(1, 2, 256, 256).contiguous(memory_format=cl)
    mask = torch.zeros(1, 1, 256, 256).contiguous(memory_format=cl)
    global_hints = torch.zeros(1, model.config.global_dim)
    results = {"weights": source, "parameters": count_parameters(model), "gmacs_256": round(count_macs(model, 256) / 1e9, 3)}
    with torch.inference_mode():
        for label, with_bins in (("forward_ab", False), ("forward_ab_and_bins", True)):
            median, best = time_calls(lambda: model(lightness, hint_ab, mask, global_hints, with_bins=with_bins), repeats)
            results[label] = {"median_ms": round(median * 1000, 1), "min_ms": round(best * 1000, 1)}
    return results


def colorize_timings(repeats: int, directory: Path) -> dict:
    from findcolor import colorize

    path = gray_photo((256, 256), directory)
    hints = ten_hints((256, 256))
    results = {}
    for engine in ("neural", "auto", "classical"):
        median, best = time_calls(lambda: colorize(path, hints, engine=engine), repeats)
        results[engine] = {"median_ms": round(median * 1000, 1), "min_ms": round(best * 1000, 1)}
    return results


LARGE_SCRIPT = """
import json, resource, sys, time, torch
torch.set_num_threads(2)
from findcolor import colorize
path, hints = sys.argv[1], json.loads(sys.argv[2])
colorize(path, hints, engine="auto")  # warm-up (model load, first-pass setup)
times = []
for _ in range(int(sys.argv[3])):
    start = time.perf_counter()
    colorize(path, hints, engine="auto")
    times.append(time.perf_counter() - start)
print(json.dumps({"times_s": times, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def large_photo_timing(repeats: int, directory: Path) -> dict:
    size = (4000, 3000)
    path = gray_photo(size, directory)
    out = subprocess.run(
        [sys.executable, "-c", LARGE_SCRIPT, str(path), json.dumps(ten_hints(size)), str(repeats)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    measured = json.loads(out.strip().splitlines()[-1])
    return {
        "median_s": round(statistics.median(measured["times_s"]), 3),
        "min_s": round(min(measured["times_s"]), 3),
        "peak_rss_mb": round(measured["peak_rss_mb"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--large-repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(2)
    data: dict = {"threads": 2}
    data["network"] = forward_timings(args.repeats)
    print(json.dumps(data["network"]))  # noqa: T201 - command-line report
    with TemporaryDirectory() as tmp:
        if weights_available():
            data["colorize_256"] = colorize_timings(args.repeats, Path(tmp))
            data["colorize_12mp_auto"] = large_photo_timing(args.large_repeats, Path(tmp))
    print(json.dumps(data))  # noqa: T201
    network = data["network"]
    rows = [
        ["network forward 256x256 (ab head)", f"{network['forward_ab']['median_ms']:.0f} ms", f"{network['forward_ab']['min_ms']:.0f} ms", "<= 30 ms"],
        ["network forward 256x256 (ab + bins heads)", f"{network['forward_ab_and_bins']['median_ms']:.0f} ms", f"{network['forward_ab_and_bins']['min_ms']:.0f} ms", ""],
    ]
    for engine in ("neural", "auto", "classical"):
        if "colorize_256" in data:
            result = data["colorize_256"][engine]
            target = "<= 100 ms" if engine == "auto" else ""
            rows.append([f"colorize 256x256, 10 hints, engine={engine}", f"{result['median_ms']:.0f} ms", f"{result['min_ms']:.0f} ms", target])
    if "colorize_12mp_auto" in data:
        large = data["colorize_12mp_auto"]
        rows.append(["colorize 12 MP, 10 hints, engine=auto", f"{large['median_s']:.2f} s", f"{large['min_s']:.2f} s", "<= 2 s"])
        rows.append(["peak memory of that process", f"{large['peak_rss_mb']} MB", "", "<= 1536 MB"])
    header = f"Hint network: {network['parameters'] / 1e6:.2f} M parameters, {network['gmacs_256']} GMACs at 256x256 ({network['weights']})."
    table = header + "\n\n" + markdown_table(["measurement (2 threads)", "median", "best", "target"], rows)
    write_results("model_speed", data, table)


if __name__ == "__main__":
    main()
