"""Colorization quality of the installed engines on both held-out test splits.

Run: ``python -m benchmarks.model_quality`` (about an hour on 2 cores; needs the corpus:
``python -m training.corpus --out data/corpus-v3``). Same protocol and code as
``python -m training.evaluate`` with the shipped weights (``findcolor/weights``) and the v1
baseline beside them, on the in-distribution "test" split and the out-of-distribution "ood"
split (a whole source never trained or tuned on): 256x256 centre crops, 0-50 uniform random 3x3
points with a fixed seed, long strokes, scribbles and global hints; PSNR, boundary PSNR,
colourfulness, hint adherence, bleed and median ms (definitions in ``training.evaluate``).
Writes benchmarks/results/model_quality.json and the README block ``model_quality``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from benchmarks.report import write_results
from findcolor.network_io import WEIGHTS_DIR, load_weights
from training.evaluate import TEST_SPLITS, V1_BASELINE_DIR, build_engines, evaluate_splits, markdown_report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("data/corpus-v3"))
    parser.add_argument("--limit", type=int, default=None, help="a quick look at this many photos per split: printed, not written")
    parser.add_argument("--threads", type=int, default=2, help="torch threads (the scores do not depend on it; the ms columns do)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    engines = build_engines(WEIGHTS_DIR, V1_BASELINE_DIR)
    report = evaluate_splits(args.data, list(TEST_SPLITS), engines, args.limit)
    report["weights_sha256"] = load_weights(WEIGHTS_DIR).sha256
    report["baseline_sha256"] = load_weights(V1_BASELINE_DIR).sha256
    report["engine_versions"] = {name: getattr(engine, "version", name) for name, engine in engines.items()}
    if args.limit is not None:
        print(markdown_report(report))  # noqa: T201 - a command-line preview; README keeps whole-split numbers
        return
    write_results("model_quality", report, markdown_report(report))


if __name__ == "__main__":
    main()
