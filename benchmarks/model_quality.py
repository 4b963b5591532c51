"""Colorization quality of the installed engines on the held-out test photos.

Run: ``python -m benchmarks.model_quality`` (a few minutes; needs the corpus:
``python -m training.corpus --out data/corpus``). Same protocol and code as
``python -m training.evaluate`` (256x256 centre crops, 0-50 uniform random 3x3 hints with a
fixed seed, RGB PSNR, hint adherence, median ms; then strokes and global hints), with the
shipped weights. Writes
benchmarks/results/model_quality.json and the README block ``model_quality``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from benchmarks.report import write_results
from findcolor.neural import WEIGHTS_DIR, load_weights
from training.evaluate import build_engines, evaluate, evaluate_other_hints, markdown_table
from training.protocol import evaluation_views


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=Path("data/corpus"))
    args = parser.parse_args()
    torch.set_num_threads(2)
    views = evaluation_views(args.data, "test")
    engines = build_engines(WEIGHTS_DIR)
    results = evaluate(views, engines)
    results["other_hints"] = evaluate_other_hints(views, engines)
    results["split"] = "test"
    results["photos"] = [view.photo_id for view in views]
    results["weights_sha256"] = load_weights().sha256
    write_results("model_quality", results, markdown_table(results))


if __name__ == "__main__":
    main()
