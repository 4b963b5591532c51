"""The evaluation's scores (``training.metrics``) on synthetic images, and their wiring into
``training.evaluate`` with tiny fake engines."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from findcolor.color import lab_to_rgb, rgb_to_lab
from findcolor.hints import Hints
from training.evaluate import evaluate
from training.metrics import (
    bleed,
    boundary_psnr,
    chroma_edge_mask,
    chroma_gradient,
    colourfulness,
    colourfulness_share,
    psnr_rgb,
)
from training.protocol import EvalView, HintCase

GREEN = (-40.0, 40.0)
BLUE = (0.0, -30.0)
RED = (50.0, 30.0)


def _bands(width: int, colours: list[tuple[int, tuple[float, float]]], height: int = 48) -> np.ndarray:
    """(height, width, 2) ab image of vertical bands: (first column, ab) per band."""
    ab = np.zeros((height, width, 2), dtype=np.float32)
    for start, colour in colours:
        ab[:, start:] = colour
    return ab


def _rgb(ab: np.ndarray, lightness: float = 60.0) -> np.ndarray:
    return lab_to_rgb(np.concatenate([np.full((*ab.shape[:2], 1), lightness, dtype=np.float32), ab], axis=-1))


# ----------------------------------------------------------------------------- boundary


def test_chroma_edge_mask_finds_a_colour_edge_and_not_flat_or_gently_shaded_areas() -> None:
    ab = _bands(64, [(0, GREEN), (32, BLUE)])
    mask = chroma_edge_mask(ab)
    columns = np.flatnonzero(mask.any(axis=0))
    assert mask[:, 31].all() and mask[:, 32].all()  # both sides of the step
    assert columns.min() >= 31 - 3 and columns.max() <= 32 + 3  # only a narrow band around it
    assert not chroma_edge_mask(np.full((48, 64, 2), 30.0, dtype=np.float32)).any()
    ramp = np.zeros((48, 64, 2), dtype=np.float32)
    ramp[..., 0] = np.arange(64) * 2.0  # 2 ab per pixel: shading, not an object border
    assert not chroma_edge_mask(ramp).any()
    assert chroma_gradient(ramp)[10, 10:50] == pytest.approx(2.0)  # in ab units per pixel


def test_boundary_psnr_sees_colour_that_leaks_across_an_edge() -> None:
    true_ab = _bands(64, [(0, GREEN), (32, BLUE)])
    boundary = chroma_edge_mask(true_ab)
    leaked = true_ab.copy()
    leaked[:, 32:35] = GREEN  # the green object's colour bleeds 3 px over the border
    true_rgb, leaked_rgb = _rgb(true_ab), _rgb(leaked)
    assert boundary_psnr(true_rgb, true_rgb, boundary) > 90.0
    whole, near_edge = psnr_rgb(leaked_rgb, true_rgb), boundary_psnr(leaked_rgb, true_rgb, boundary)
    assert near_edge < whole - 5.0
    assert boundary_psnr(true_rgb, true_rgb, np.zeros(boundary.shape, dtype=bool)) is None


# ----------------------------------------------------------------------------- colourfulness


def test_colourfulness_is_zero_for_gray_and_follows_hasler_and_suesstrunk() -> None:
    assert colourfulness(np.full((8, 8, 3), 0.4)) == 0.0
    red_and_blue = np.zeros((2, 4, 3))
    red_and_blue[0, :, 0] = 1.0  # (255, 0, 0): rg = 255, yb = 127.5
    red_and_blue[1, :, 2] = 1.0  # (0, 0, 255): rg = 0, yb = -255
    # sd_rg = 127.5, sd_yb = 191.25, mean_rg = 127.5, mean_yb = -63.75
    expected = np.hypot(127.5, 191.25) + 0.3 * np.hypot(127.5, 63.75)
    assert colourfulness(red_and_blue) == pytest.approx(expected)
    ab = _bands(64, [(0, GREEN), (20, BLUE), (40, RED)])
    assert colourfulness(_rgb(ab * 0.5)) < colourfulness(_rgb(ab))


def test_colourfulness_share_is_one_for_identical_images_and_a_ratio_of_means() -> None:
    values = [colourfulness(_rgb(_bands(64, [(0, GREEN), (32, RED)])))] * 3
    assert colourfulness_share(values, values) == pytest.approx(1.0)
    assert colourfulness_share([1.0, 50.0], [1.0, 100.0]) == pytest.approx(51.0 / 101.0)  # not (1 + 0.5) / 2
    with pytest.raises(ValueError):
        colourfulness_share([0.0], [0.0])


# ----------------------------------------------------------------------------- bleed


def _stroke(shape: tuple[int, int], column: int, colour: tuple[float, float], rows: slice = slice(8, 40)) -> tuple[np.ndarray, np.ndarray]:
    hint_ab = np.zeros((*shape, 2), dtype=np.float32)
    mask = np.zeros(shape, dtype=bool)
    mask[rows, column] = True
    hint_ab[mask] = colour
    return hint_ab, mask


def test_bleed_is_zero_when_hints_change_nothing_and_the_pull_when_they_flood() -> None:
    true_ab = _bands(96, [(0, GREEN), (40, BLUE)])  # trees on the left, sky on the right
    hint_ab, mask = _stroke(true_ab.shape[:2], 20, GREEN)  # one green stroke on the trees
    no_hint = true_ab * 0.3  # some washed-out prediction
    assert bleed(no_hint, no_hint, true_ab, hint_ab, mask) == 0.0  # an engine that ignores hints
    flooded = np.broadcast_to(np.float32(GREEN), true_ab.shape)  # the whole photo green
    pulled = bleed(no_hint, flooded, true_ab, hint_ab, mask)
    sky = np.float32(BLUE) * 0.3
    assert pulled == pytest.approx(float(np.hypot(*(sky - np.float32(GREEN)))), rel=1e-5)  # sky pixels: all the way to green
    pushed = bleed(no_hint, np.broadcast_to(np.float32(RED), true_ab.shape), true_ab, hint_ab, mask)
    assert pushed < 0.0  # away from the stroke colour


def test_bleed_counts_only_pixels_of_other_objects_away_from_the_hints() -> None:
    true_ab = _bands(96, [(0, GREEN), (40, BLUE)])
    hint_ab, mask = _stroke(true_ab.shape[:2], 34, GREEN)  # 6 px from the sky
    no_hint = np.zeros_like(true_ab)
    on_its_object = no_hint.copy()
    on_its_object[:, :40] = GREEN  # the stroke colours its whole object (the trees), and only it
    assert bleed(no_hint, on_its_object, true_ab, hint_ab, mask) == 0.0
    halo = no_hint.copy()
    halo[ndimage.distance_transform_edt(~mask) <= 12.0] = GREEN  # a 12 px halo, crossing 6 px into the sky
    assert bleed(no_hint, halo, true_ab, hint_ab, mask) == 0.0
    one_colour = np.broadcast_to(np.float32(GREEN), true_ab.shape).copy()
    assert bleed(no_hint, no_hint, one_colour, hint_ab, mask) is None  # no other object in the photo
    assert bleed(no_hint, no_hint, true_ab, hint_ab, np.zeros_like(mask)) is None  # no hints


def test_with_several_strokes_each_pixel_is_pulled_towards_its_nearest_stroke() -> None:
    true_ab = _bands(64, [(0, GREEN), (24, RED), (40, BLUE)])  # a red object between trees and sky
    green_ab, green_mask = _stroke(true_ab.shape[:2], 5, GREEN)
    blue_ab, blue_mask = _stroke(true_ab.shape[:2], 58, BLUE)
    hint_ab, mask = green_ab + blue_ab, green_mask | blue_mask
    no_hint = np.zeros_like(true_ab)
    voronoi = no_hint.copy()  # every pixel takes the colour of the stroke nearest to it
    columns = np.arange(64)
    voronoi[:, columns - 5 <= 58 - columns] = GREEN
    voronoi[:, columns - 5 > 58 - columns] = BLUE
    # the red pixels (x 24..39, all > 12 px from both strokes): x <= 31 go fully to green, the others to blue
    expected = (8 * np.hypot(*GREEN) + 8 * np.hypot(*BLUE)) / 16
    assert bleed(no_hint, voronoi, true_ab, hint_ab, mask) == pytest.approx(expected, rel=1e-5)


# ----------------------------------------------------------------------------- evaluate, with fake engines


class _IgnoresHints:
    """The truth's chroma at half strength, whatever the hints."""

    def __init__(self) -> None:
        self.calls = 0

    def predict_ab(self, lightness: np.ndarray, hint_ab: np.ndarray, hint_mask: np.ndarray, hints: Hints) -> np.ndarray:
        self.calls += 1
        return _TRUTH[lightness.shape] * 0.5


class _Floods:
    """Gray without hints; with hints, the mean hinted colour over the whole photo."""

    def __init__(self) -> None:
        self.calls = 0

    def predict_ab(self, lightness: np.ndarray, hint_ab: np.ndarray, hint_mask: np.ndarray, hints: Hints) -> np.ndarray:
        self.calls += 1
        if not hint_mask.any():
            return np.zeros((*lightness.shape, 2), dtype=np.float32)
        return np.broadcast_to(hint_ab[hint_mask].mean(axis=0), (*lightness.shape, 2)).astype(np.float32)


_TRUTH: dict[tuple[int, int], np.ndarray] = {}


def _two_object_view(photo_id: str) -> EvalView:
    ab = _bands(96, [(0, GREEN), (48, BLUE)], height=96)
    lab = np.concatenate([np.full((96, 96, 1), 60.0, dtype=np.float32), ab], axis=-1)
    rgb = lab_to_rgb(lab).astype(np.float32)
    view = EvalView(photo_id, rgb, rgb_to_lab(rgb))
    _TRUTH[ab.shape[:2]] = view.lab[..., 1:]
    return view


def test_evaluation_reports_bleed_colourfulness_and_reuses_the_no_hint_output() -> None:
    views = [_two_object_view("a"), _two_object_view("b")]
    engines = {"ignores": _IgnoresHints(), "floods": _Floods()}
    cases = (HintCase(long_strokes=1), HintCase(points=5))  # "5 points" is also a row of the point table
    results = evaluate(views, engines, counts=(0, 5), other_cases=cases)
    for engine in engines.values():  # per photo: no hints, 5 points, 1 long stroke; each once
        assert engine.calls == 3 * len(views)
    stroke = results["other_hints"]["1 long stroke"]
    assert stroke["ignores"]["bleed"] == 0.0
    assert stroke["floods"]["bleed"] > 20.0
    assert stroke["floods"]["bleed_images"] == len(views)
    assert "bleed" not in results["engines"]["floods"]["0"]  # nothing to pull without hints
    no_hints = results["engines"]["ignores"]["0"]
    assert 0.4 < no_hints["colourfulness"] < 0.6  # half the chroma
    assert no_hints["boundary_images"] == len(views) and no_hints["boundary_psnr"] < no_hints["psnr"] + 1.0
    assert results["engines"]["floods"]["0"]["colourfulness"] == 0.0
    assert results["engines"]["floods"]["5"] == results["other_hints"]["5 points"]["floods"]
