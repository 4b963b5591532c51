"""The benchmark tables: the engines against gray, the classical solve and the v1 network, on
both test splits.

    python -m training.evaluate --weights findcolor/weights --data data/corpus-v3                 # test and ood splits
    python -m training.evaluate --checkpoint runs/hintnet-v2/last.pt --split ood --limit 8
    python -m training.evaluate --checkpoint runs/hintnet-v2/best.pt --split val --tune-blend 8,16,32,64,128,256 --tune-edge 0,0.5,1,2 --tune-decay 0,3e-5,1e-4

Protocol (``training.protocol``, as in Zhang et al. 2017 and iColoriT): 256x256 centre crops, the
true L as input, N in {0, 1, 2, 5, 10, 20, 50} uniform random 3x3 points with a fixed seed per
photo; then the other hint kinds a curator gives (``OTHER_HINT_CASES``): 1 and 3 long strokes
along an object, 1 and 3 short scribbles, points with and without the true palette, the palette
or the saturation alone. Splits: "test" (in-distribution) and "ood" (a whole source held out:
never trained or tuned on), both by default; "val" is for choosing checkpoints and tuning the blend.

Columns (:func:`build_engines`): gray (ab = 0), classical (Levin et al. 2004), v1 auto (the v1
network's combined engine, ``training/baselines/hintnet-v1``), v2 neural (the network under
evaluation alone) and v2 auto (its combined engine, ``engine="auto"``). Engines are called
directly at 256x256, so the tables measure the engines, not image loading.

Scores (``training.metrics``), each over the photos of a split:

- PSNR: mean RGB PSNR of 8-bit values;
- boundary PSNR: mean PSNR over the pixels within 2 px of a strong chroma edge of the truth
  (Sobel gradient of the true ab above 8 ab units per pixel); photos without one are left out;
- colourfulness: Hasler & Suesstrunk's M of the outputs as a share of the truths', the ratio of
  the means over photos (``metrics.colourfulness_share``);
- hint error: the largest ab distance between a hint and the output over hinted pixels;
- bleed (cases with local hints): mean over photos of ``metrics.bleed``, the ab units by which
  the hints pull the pixels of other objects (true ab > 20 from every hint colour, > 12 px from
  every hinted pixel) towards the nearest hint's colour, against the same engine without hints;
- median ms per ``predict_ab`` call.

Each photo's hint sets are drawn once for all engines, and each engine's no-hint output is
computed once per photo and serves the 0-hint row and every bleed figure. Writes
``<out>/eval.json`` (``{"splits": {split: results}}``) and ``<out>/eval.md``.
"""

from __future__ import annotations

import argparse
import json
import logging
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from findcolor.combined import CombinedEngine, blend_by_distance, hint_distance, object_features, propagation_estimates
from findcolor.hints import Hints
from findcolor.network_io import run_network
from findcolor.neural import NeuralEngine
from findcolor.propagation import ClassicalEngine
from training.metrics import (
    BLEED_AWAY_PX,
    BLEED_FAR_AB,
    bleed,
    boundary_psnr,
    chroma_edge_mask,
    colourfulness,
    colourfulness_share,
    hint_error,
    psnr_rgb,
)
from training.photos import SPLITS
from training.protocol import HINT_COUNTS, EvalView, HintCase, evaluation_views, hint_set, rgb_from

log = logging.getLogger(__name__)

ENGINE_COLUMNS = ("gray", "classical", "v1 auto", "v2 neural", "v2 auto")
V1_BASELINE_DIR = Path(__file__).resolve().parent / "baselines" / "hintnet-v1"
TEST_SPLITS = ("test", "ood")
PALETTE_COLOURS = 6  # colours in the palette hint of the "other hints" table
SPLIT_DESCRIPTIONS = {
    "test": "in-distribution test split",
    "ood": "out-of-distribution test split: a whole source never trained or tuned on",
    "val": "validation split",
    "train": "training split",
}

# The hint kinds beyond the point protocol, in the order of the table.
OTHER_HINT_CASES = (
    HintCase(long_strokes=1),
    HintCase(long_strokes=3),
    HintCase(strokes=1),
    HintCase(strokes=3),
    HintCase(points=5),
    HintCase(points=5, palette_colours=PALETTE_COLOURS),
    HintCase(palette_colours=PALETTE_COLOURS),
    HintCase(saturation=True),
)


class GrayEngine:
    """The baseline every colorizer must beat: the true L with zero chroma."""

    name = "gray"
    version = "gray"
    working_side = 256

    def predict_ab(self, lightness: np.ndarray, hint_ab: np.ndarray, hint_mask: np.ndarray, hints: Hints) -> np.ndarray:
        return np.zeros((*lightness.shape, 2), dtype=np.float32)


def build_engines(weights_dir: Path | None, baseline_dir: Path | None = V1_BASELINE_DIR) -> dict[str, object]:
    """The table's columns: gray, classical, "v1 auto" (the combined engine of the weights in
    ``baseline_dir``; none when ``None``), "v2 neural" and "v2 auto" (the network in
    ``weights_dir`` alone and as the combined engine; none when ``None``)."""
    engines: dict[str, object] = {"gray": GrayEngine(), "classical": ClassicalEngine()}
    if baseline_dir is not None:
        engines["v1 auto"] = CombinedEngine(baseline_dir)
    if weights_dir is not None:
        engines["v2 neural"] = NeuralEngine(weights_dir)
        engines["v2 auto"] = CombinedEngine(weights_dir)
    return engines


@dataclass
class CaseScores:
    """One engine's per-photo scores on one hint case."""

    psnr: list[float] = field(default_factory=list)
    boundary_psnr: list[float] = field(default_factory=list)  # photos with a chroma edge only
    colourfulness: list[float] = field(default_factory=list)
    true_colourfulness: list[float] = field(default_factory=list)
    hint_error: list[float] = field(default_factory=list)
    bleed: list[float] = field(default_factory=list)  # photos with pixels of other objects only
    seconds: list[float] = field(default_factory=list)

    def summary(self, *, with_bleed: bool) -> dict:
        true_total = float(np.sum(self.true_colourfulness))
        result = {
            "psnr": float(np.mean(self.psnr)),
            "boundary_psnr": float(np.mean(self.boundary_psnr)) if self.boundary_psnr else None,
            "boundary_images": len(self.boundary_psnr),
            "colourfulness": colourfulness_share(self.colourfulness, self.true_colourfulness) if true_total > 0.0 else None,
            "hint_error_max": float(np.max(self.hint_error)),
            "hint_error_mean": float(np.mean(self.hint_error)),
            "median_ms": float(np.median(self.seconds) * 1000.0),
        }
        if with_bleed:
            result["bleed"] = float(np.mean(self.bleed)) if self.bleed else None
            result["bleed_images"] = len(self.bleed)
        return result


def _timed_predict(engine: object, lightness: np.ndarray, hint_ab: np.ndarray, hint_mask: np.ndarray, hints: Hints) -> tuple[np.ndarray, float]:
    start = time.perf_counter()
    ab = engine.predict_ab(lightness.copy(), hint_ab, hint_mask, hints)
    return ab, time.perf_counter() - start


def score_cases(views: list[EvalView], engines: dict[str, object], cases: list[HintCase]) -> dict[HintCase, dict[str, CaseScores]]:
    """Every engine on every photo and hint case. A photo's hints are drawn once for all
    engines; an engine's no-hint output once per photo (it is the no-hint case and the
    reference of every bleed figure)."""
    scores = {case: {name: CaseScores() for name in engines} for case in cases}
    for view in tqdm(views, desc="photos", mininterval=10.0):
        lightness = np.ascontiguousarray(view.lab[..., 0])
        true_ab = view.lab[..., 1:]
        boundary = chroma_edge_mask(true_ab)
        true_colourfulness = colourfulness(view.rgb)
        drawn = {case: case.draw(view) for case in cases}
        no_ab, no_mask = np.zeros_like(true_ab), np.zeros(lightness.shape, dtype=bool)
        for name, engine in engines.items():
            no_hint, no_hint_seconds = _timed_predict(engine, lightness, no_ab, no_mask, Hints())
            for case, (hint_ab, hint_mask, hints) in drawn.items():
                if hint_mask.any() or not hints.is_empty:
                    ab, seconds = _timed_predict(engine, lightness, hint_ab, hint_mask, hints)
                else:
                    ab, seconds = no_hint, no_hint_seconds
                rgb = rgb_from(lightness, ab)
                case_scores = scores[case][name]
                case_scores.psnr.append(psnr_rgb(rgb, view.rgb))
                edge_psnr = boundary_psnr(rgb, view.rgb, boundary)
                if edge_psnr is not None:
                    case_scores.boundary_psnr.append(edge_psnr)
                case_scores.colourfulness.append(colourfulness(rgb))
                case_scores.true_colourfulness.append(true_colourfulness)
                case_scores.hint_error.append(hint_error(ab, hint_ab, hint_mask))
                case_scores.seconds.append(seconds)
                pulled = bleed(no_hint, ab, true_ab, hint_ab, hint_mask) if case.has_local_hints else None
                if pulled is not None:
                    case_scores.bleed.append(pulled)
    return scores


def evaluate(
    views: list[EvalView],
    engines: dict[str, object],
    counts: tuple[int, ...] = HINT_COUNTS,
    other_cases: tuple[HintCase, ...] = OTHER_HINT_CASES,
) -> dict:
    """Scores per engine and point count (``"engines"``: name -> count -> scores) and per engine
    on the other hint kinds (``"other_hints"``: label -> name -> scores); see the module docstring."""
    point_cases = {count: HintCase(points=count) for count in counts}
    cases = list(dict.fromkeys([*point_cases.values(), *other_cases]))  # "5 points" is scored once
    scores = score_cases(views, engines, cases)
    return {
        "images": len(views),
        "hint_counts": list(counts),
        "engines": {
            name: {str(count): scores[case][name].summary(with_bleed=count > 0) for count, case in point_cases.items()}
            for name in engines
        },
        "other_hints": {
            case.label: {name: scores[case][name].summary(with_bleed=case.has_local_hints) for name in engines}
            for case in other_cases
        },
        "bleed_definition": {"far_ab": BLEED_FAR_AB, "away_px": BLEED_AWAY_PX},
    }


def evaluate_splits(corpus: Path, splits: list[str], engines: dict[str, object], limit: int | None = None) -> dict:
    """:func:`evaluate` on each split of ``corpus``: ``{"splits": {split: results}}``."""
    report: dict = {"splits": {}}
    for split in splits:
        views = evaluation_views(corpus, split, limit)
        if not views:
            raise ValueError(f"no photos in the {split!r} split of {corpus}")
        log.info("%s split: %d photos", split, len(views))
        results = evaluate(views, engines)
        results["split"] = split
        results["photos"] = [view.photo_id for view in views]
        report["splits"][split] = results
    return report


CHROMA_TUNING_COUNTS = (0, 2, 10)  # the validation summary used during training
MIN_COLOURFULNESS = 0.75  # the calibrated network keeps at least this share of the truth's colourfulness at 0 hints


def tune_chroma(views: list[EvalView], weights_dir: Path, scales: list[float], min_colourfulness: float = MIN_COLOURFULNESS) -> dict:
    """The network's chroma calibration chosen on ``views``: the scale with the best mean PSNR
    of the network alone over ``CHROMA_TUNING_COUNTS`` hints among those that keep the output's
    colourfulness at 0 hints at ``min_colourfulness`` of the truth's or more (a washed-out
    colorizer would win PSNR and lose the curator). Returns ``{"scale", "scores": {scale:
    {count: psnr}}, "colourfulness": {scale: share}, "min_colourfulness"}``."""
    engine = NeuralEngine(weights_dir)
    scores: dict[float, dict[int, list[float]]] = {s: {c: [] for c in CHROMA_TUNING_COUNTS} for s in scales}
    produced: dict[float, list[float]] = {s: [] for s in scales}
    truth: list[float] = []
    for view in views:
        lightness = view.lab[..., 0].copy()
        truth.append(colourfulness(view.rgb))
        for count in CHROMA_TUNING_COUNTS:
            hint_ab, hint_mask = hint_set(view, count)
            raw = run_network(engine.weights, lightness, hint_ab, hint_mask, Hints(), with_calibration=False)["ab"]
            for scale in scales:
                ab = raw * scale
                ab[hint_mask] = hint_ab[hint_mask]
                rgb = rgb_from(lightness, ab)
                scores[scale][count].append(psnr_rgb(rgb, view.rgb))
                if count == 0:
                    produced[scale].append(colourfulness(np.clip(rgb, 0.0, 1.0)))
    summary = {s: {c: float(np.mean(v)) for c, v in by_count.items()} for s, by_count in scores.items()}
    shares = {s: colourfulness_share(produced[s], truth) for s in scales}
    allowed = [s for s in scales if shares[s] >= min_colourfulness] or [max(scales, key=lambda s: shares[s])]
    best = max(allowed, key=lambda s: float(np.mean(list(summary[s].values()))))
    return {
        "scale": float(best),
        "scores": {f"{s:g}": {str(c): v for c, v in by.items()} for s, by in summary.items()},
        "colourfulness": {f"{s:g}": v for s, v in shares.items()},
        "min_colourfulness": min_colourfulness,
    }


# Which long-stroke case stands for a tuned hint count when the blend is checked for flooding: the
# engine counts a stroke as one hint (a connected hinted region), so 1-2 hints = one stroke, 5 ~ three.
BLEED_CHECK_STROKES = {1: 1, 2: 1, 5: 3}
BLEED_TOLERANCE = 1.25  # the blend may bleed at most this many times what the network alone does ...
BLEED_SLACK_AB = 0.5  # ... plus this many ab units


def tune_blend(
    views: list[EvalView],
    weights_dir: Path,
    scales: list[float],
    edge_weights: tuple[float, ...] = (0.0,),
    decays: tuple[float, ...] = (0.0,),
    counts: tuple[int, ...] = HINT_COUNTS,
    edge_tolerance_db: float = 0.02,
    feature_bandwidth: float = 0.0,
) -> dict:
    """The combined engine's blend parameters chosen on ``views``, best PSNR that does not flood.

    Scores every (edge weight, decay, scale) per hint count on the point protocol: the solve
    runs once per view, count and decay, the distance map once per edge weight. The point
    protocol cannot see flooding (uniform random hints rarely sit beside an unhinted object),
    and v1's blend, tuned on PSNR alone, spread one long stroke over whole photos. So every
    candidate is also run on 1 and 3 long strokes (``HintCase(long_strokes=...)``) and its bleed
    measured (``training.metrics.bleed``); for 1, 2 and 5 hints a candidate is allowed only if it
    bleeds at most ``BLEED_TOLERANCE`` x the network alone (``NeuralEngine``: its hint
    correction fades within a few pixels) + ``BLEED_SLACK_AB`` on the matching stroke case
    (``BLEED_CHECK_STROKES``). With more hints the points cover the photo and the solve is the
    better estimate nearly everywhere, so PSNR decides alone.

    Per edge weight it keeps, for each hint count, the best allowed (decay, scale) pair, then
    picks the edge weight (one for all counts): the largest whose choices give a mean PSNR within
    ``edge_tolerance_db`` of the best (PSNR barely sees the leaks across edges that the edge
    weight prevents, while a curator paints hints exactly beside edges). Returns ``{"scores":
    {"edge|decay|scale": {count: psnr}}, "bleed": {"edge|decay|scale": {strokes: bleed}},
    "network_bleed": {strokes: bleed}, "best_mean_by_edge_weight", "edge_weight", "by_count":
    {count: scale}, "decay_by_count": {count: decay}, "feature_bandwidth"}``. The spreads use
    the network's object features at ``feature_bandwidth`` (0 = lightness only); compare
    bandwidths with :func:`tune_blend_and_features`.
    """
    engine = NeuralEngine(weights_dir)  # its network output includes the weights' chroma calibration
    scores: dict[str, dict[str, list[float]]] = {}
    stroke_bleed: dict[str, dict[int, list[float]]] = {}
    network_bleed: dict[int, list[float]] = {}

    def network(lightness: np.ndarray, hint_ab: np.ndarray, hint_mask: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """The network's chroma and, when the bandwidth uses them, its object features."""
        out = run_network(engine.weights, lightness, hint_ab, hint_mask, Hints(), with_features=feature_bandwidth > 0.0)
        return out["ab"], object_features(out["features"]) if feature_bandwidth > 0.0 else None

    def candidates(lightness: np.ndarray, network_ab: np.ndarray, features: np.ndarray | None, hint_ab: np.ndarray, hint_mask: np.ndarray):  # noqa: ANN202
        """(key, blended ab) for every (edge weight, decay, scale)."""
        distances = {e: hint_distance(lightness, hint_mask, e) for e in edge_weights}
        for decay in decays:
            classical, corrected = propagation_estimates(lightness, network_ab, hint_ab, hint_mask, decay, features, feature_bandwidth)
            for edge_weight, distance in distances.items():
                for scale in scales:
                    ab = blend_by_distance(classical, corrected, distance, scale)
                    ab[hint_mask] = hint_ab[hint_mask]
                    yield f"{edge_weight:g}|{decay:g}|{scale:g}", ab

    for count in tqdm([c for c in counts if c > 0], desc="tune", mininterval=10.0):
        for view in views:
            hint_ab, hint_mask = hint_set(view, count)
            lightness = view.lab[..., 0].copy()
            network_ab, features = network(lightness, hint_ab, hint_mask)
            for key, ab in candidates(lightness, network_ab, features, hint_ab, hint_mask):
                scores.setdefault(key, {}).setdefault(str(count), []).append(psnr_rgb(rgb_from(lightness, ab), view.rgb))
    checked = sorted({BLEED_CHECK_STROKES[c] for c in counts if c in BLEED_CHECK_STROKES})
    for strokes in checked:
        for view in views:
            hint_ab, hint_mask, _ = HintCase(long_strokes=strokes).draw(view)
            if not hint_mask.any():
                continue
            lightness = view.lab[..., 0].copy()
            no_hint_ab = run_network(engine.weights, lightness, np.zeros_like(hint_ab), np.zeros_like(hint_mask), Hints())["ab"]
            network_ab, features = network(lightness, hint_ab, hint_mask)
            true_ab = view.lab[..., 1:]
            reference = bleed(no_hint_ab, engine.predict_ab(lightness, hint_ab, hint_mask, Hints()), true_ab, hint_ab, hint_mask)
            if reference is None:
                continue
            network_bleed.setdefault(strokes, []).append(reference)
            for key, ab in candidates(lightness, network_ab, features, hint_ab, hint_mask):
                stroke_bleed.setdefault(key, {}).setdefault(strokes, []).append(bleed(no_hint_ab, ab, true_ab, hint_ab, hint_mask) or 0.0)
    summary = {key: {c: float(np.mean(v)) for c, v in by_count.items()} for key, by_count in scores.items()}
    bleed_summary = {key: {s: float(np.mean(v)) for s, v in by_strokes.items()} for key, by_strokes in stroke_bleed.items()}
    network_summary = {s: float(np.mean(v)) for s, v in network_bleed.items()}
    limits = {s: BLEED_TOLERANCE * b + BLEED_SLACK_AB for s, b in network_summary.items()}
    hinted = [str(c) for c in counts if c > 0]
    pairs = [(decay, scale) for decay in decays for scale in scales]
    choices = {}
    for edge_weight in edge_weights:
        best = {}
        for count in hinted:
            keyed = {p: f"{edge_weight:g}|{p[0]:g}|{p[1]:g}" for p in pairs}
            strokes = BLEED_CHECK_STROKES.get(int(count))
            allowed = [p for p in pairs if strokes not in limits or bleed_summary[keyed[p]][strokes] <= limits[strokes]]
            if not allowed:  # nothing is as tidy as the network: take the least flooding
                allowed = [min(pairs, key=lambda p: bleed_summary[keyed[p]][strokes])]
            best[count] = max(allowed, key=lambda p: summary[keyed[p]][count])
        mean = float(np.mean([summary[f"{edge_weight:g}|{d:g}|{s:g}"][c] for c, (d, s) in best.items()]))
        choices[edge_weight] = (mean, best)
    best_mean = max(mean for mean, _ in choices.values())
    best_edge = max(e for e, (mean, _) in choices.items() if mean >= best_mean - edge_tolerance_db)
    return {
        "scores": summary,
        "bleed": {key: {str(s): v for s, v in by.items()} for key, by in bleed_summary.items()},
        "network_bleed": {str(s): v for s, v in network_summary.items()},
        "best_mean_by_edge_weight": {f"{e:g}": mean for e, (mean, _) in choices.items()},
        "edge_weight": float(best_edge),
        "by_count": {c: float(s) for c, (_, s) in choices[best_edge][1].items()},
        "decay_by_count": {c: float(d) for c, (d, _) in choices[best_edge][1].items()},
        "feature_bandwidth": float(feature_bandwidth),
    }


def tune_blend_and_features(views: list[EvalView], weights_dir: Path, scales: list[float], feature_bandwidths: tuple[float, ...] = (0.0,), **options) -> dict:
    """:func:`tune_blend` at every feature bandwidth; the bandwidth whose choices score the best
    mean PSNR over the hint counts wins (the flooding check applies within each, as always).

    Returns the winner's :func:`tune_blend` result plus ``"best_mean_by_feature_bandwidth"``.
    """
    results = {bandwidth: tune_blend(views, weights_dir, scales, feature_bandwidth=bandwidth, **options) for bandwidth in feature_bandwidths}
    means = {bandwidth: result["best_mean_by_edge_weight"][f"{result['edge_weight']:g}"] for bandwidth, result in results.items()}
    best = max(means, key=means.get)
    return {**results[best], "best_mean_by_feature_bandwidth": {f"{b:g}": m for b, m in means.items()}}


def _score_cell(scores: dict, best_psnr: float) -> str:
    psnr = f"{scores['psnr']:.2f}"
    boundary = "n/a" if scores["boundary_psnr"] is None else f"{scores['boundary_psnr']:.2f}"
    colourful = "n/a" if scores["colourfulness"] is None else f"{100.0 * scores['colourfulness']:.0f} %"
    return f"{'**' + psnr + '**' if scores['psnr'] == best_psnr else psnr} / {boundary} / {colourful}"


def markdown_table(results: dict) -> str:
    """The tables of one split: PSNR by point count, then the other hint kinds with the bleed figures."""
    engines = list(results["engines"])
    split = results.get("split", "test")
    header = ["| hints | " + " | ".join(engines) + " |", "|---|" + "---|" * len(engines)]
    lines = [
        f"**{split}** ({SPLIT_DESCRIPTIONS.get(split, split)}): {results['images']} photos, 256x256, the true L, "
        "N uniform random 3x3 points (fixed seed). Each cell: RGB PSNR / boundary PSNR (dB, pixels near strong "
        "chroma edges of the truth) / colourfulness (% of the truth's); bold: best PSNR of the row.",
        "",
        *header,
    ]
    for count in results["hint_counts"]:
        row = {e: results["engines"][e][str(count)] for e in engines}
        best = max(scores["psnr"] for scores in row.values())
        lines.append(f"| {count} | " + " | ".join(_score_cell(row[e], best) for e in engines) + " |")
    hinted = [c for c in results["hint_counts"] if c > 0]
    if hinted:
        max_errors = [max(results["engines"][e][str(c)]["hint_error_max"] for c in hinted) for e in engines]
        lines.append(f"| max hint ab error ({hinted[0]}-{hinted[-1]} points) | " + " | ".join(f"{v:.2f}" for v in max_errors) + " |")
    medians = [np.median([results["engines"][e][str(c)]["median_ms"] for c in results["hint_counts"]]) for e in engines]
    lines.append("| median ms per image | " + " | ".join(f"{v:.0f}" for v in medians) + " |")
    other = results.get("other_hints")
    if not other:
        return "\n".join(lines)
    lines += [
        "",
        f"Other hint kinds on the same {split} photos: long strokes along an object (up to a third of the side) and "
        "short scribbles, both random walks inside a region of similar colour with its true mean ab; the true "
        "photo's dominant colours as the palette, its mean saturation. Each cell: PSNR / boundary PSNR / "
        "colourfulness (max hint ab error). Bleed: ab units by which the hints pull the pixels of other objects "
        f"(true colour > {BLEED_FAR_AB:g} ab from every hint colour, > {BLEED_AWAY_PX:g} px from every hint) towards "
        "the nearest hint's colour, against the same engine without hints; 0 = they stay on their object.",
        "",
        *header,
    ]
    bleed_rows = []
    for label, by_engine in other.items():
        best = max(by_engine[e]["psnr"] for e in engines)
        cells = []
        for engine in engines:
            cell = _score_cell(by_engine[engine], best)
            if "bleed" in by_engine[engine]:
                cell += f" ({by_engine[engine]['hint_error_max']:.1f})"
            cells.append(cell)
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
        if "bleed" in by_engine[engines[0]]:
            values = [by_engine[e]["bleed"] for e in engines]
            bleed_rows.append(f"| bleed, {label} | " + " | ".join("n/a" if v is None else f"{v:.1f}" for v in values) + " |")
    return "\n".join(lines + bleed_rows)


def markdown_report(report: dict) -> str:
    """:func:`markdown_table` of every split in ``report``, one after the other."""
    return "\n\n".join(markdown_table(results) for results in report["splits"].values())


def parse_splits(value: str) -> list[str]:
    splits = [split.strip() for split in value.split(",") if split.strip()]
    unknown = [split for split in splits if split not in SPLITS]
    if not splits or unknown:
        raise argparse.ArgumentTypeError(f"splits must be among {', '.join(SPLITS)}, got {value!r}")
    return splits


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Evaluate the colorization engines on held-out photos.")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--weights", type=Path, help="folder with hintnet.safetensors + hintnet.json (the v2 columns)")
    source.add_argument("--checkpoint", type=Path, help="a training checkpoint (exported to a temporary folder)")
    parser.add_argument("--baseline", type=Path, default=V1_BASELINE_DIR, help="weights folder of the v1 network (the v1 auto column)")
    parser.add_argument("--no-baseline", action="store_true", help="leave out the v1 auto column")
    parser.add_argument("--data", type=Path, default=Path("data/corpus-v3"))
    parser.add_argument("--split", type=parse_splits, default=list(TEST_SPLITS), help="comma-separated splits (default: test,ood)")
    parser.add_argument("--limit", type=int, default=None, help="at most this many photos per split")
    parser.add_argument("--out", type=Path, default=Path("runs/eval"))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--tune-blend", type=str, default=None, help="comma-separated blend scales (pixels) to compare (with --split val)")
    parser.add_argument("--tune-edge", type=str, default="0", help="with --tune-blend: comma-separated edge weights (extra pixels per unit of L crossed) to compare")
    parser.add_argument("--tune-decay", type=str, default="0", help="with --tune-blend: comma-separated decays (pull of the spread fields towards zero) to compare")
    parser.add_argument("--tune-features", type=str, default="0", help="with --tune-blend: comma-separated feature bandwidths (0 = lightness only) to compare")
    parser.add_argument("--tune-chroma", type=str, default=None, help="comma-separated chroma scales of the network to compare (with --split val)")
    args = parser.parse_args(argv)
    if (args.tune_blend or args.tune_chroma) and args.split != ["val"]:
        parser.error("--tune-blend and --tune-chroma tune on the validation split only: add --split val")
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    torch.set_num_threads(args.threads)
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        weights_dir = args.weights
        if args.checkpoint is not None:
            from training.export import export_checkpoint

            weights_dir = Path(tmp)
            export_checkpoint(args.checkpoint, weights_dir)
        if args.tune_chroma:
            if weights_dir is None:
                parser.error("--tune-chroma needs --weights or --checkpoint")
            views = evaluation_views(args.data, "val", args.limit)
            chroma = {"split": "val", "images": len(views), **tune_chroma(views, weights_dir, [float(v) for v in args.tune_chroma.split(",")])}
            path = args.out / "chroma_tuning_val.json"
            path.write_text(json.dumps(chroma, indent=1))
            log.info("chroma scale %g (colourfulness %s; PSNR %s); written to %s", chroma["scale"], chroma["colourfulness"], chroma["scores"], path)
            return
        if args.tune_blend:
            if weights_dir is None:
                parser.error("--tune-blend needs --weights or --checkpoint")
            views = evaluation_views(args.data, "val", args.limit)
            scales = [float(v) for v in args.tune_blend.split(",")]
            edge_weights = tuple(float(v) for v in args.tune_edge.split(","))
            decays = tuple(float(v) for v in args.tune_decay.split(","))
            bandwidths = tuple(float(v) for v in args.tune_features.split(","))
            tuned = tune_blend_and_features(views, weights_dir, scales, bandwidths, edge_weights=edge_weights, decays=decays)
            tuning = {"split": "val", "images": len(views), **tuned}
            for key, by_count in tuning["scores"].items():
                log.info("edge|decay|scale %s: %s", key, {c: round(v, 2) for c, v in by_count.items()})
            path = args.out / "blend_tuning_val.json"
            path.write_text(json.dumps(tuning, indent=1))
            log.info(
                "best on val: feature bandwidth %g (mean PSNR by bandwidth %s), edge weight %g, scale per hint count %s, decay per hint count %s; written to %s",
                tuning["feature_bandwidth"], tuning["best_mean_by_feature_bandwidth"], tuning["edge_weight"], tuning["by_count"], tuning["decay_by_count"], path,
            )
            return
        engines = build_engines(weights_dir, None if args.no_baseline else args.baseline)
        report = evaluate_splits(args.data, args.split, engines, args.limit)
    report = {
        "weights": str(args.checkpoint or args.weights),
        "baseline": None if args.no_baseline else str(args.baseline),
        "engine_versions": {name: getattr(engine, "version", name) for name, engine in engines.items()},
        **report,
    }
    (args.out / "eval.json").write_text(json.dumps(report, indent=1))
    text = markdown_report(report)
    (args.out / "eval.md").write_text(text + "\n")
    print(text)  # noqa: T201 - this is a command-line report


if __name__ == "__main__":
    main()
