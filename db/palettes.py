"""Colour summaries of colorizations, and the palette of an era or event.

At save time each colorization gets a small summary of its output: a coarse histogram of
CIELAB chroma (a, b) and its dominant colours. The era/event palette of the dashboard is
then a cheap aggregation over the approved colorizations' summaries (no image decoding).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from findcolor.color import AB_NORM, lab_to_hex, rgb_to_lab

from db.models import Colorization, ColorizationStatus, Photo
from db.vocabulary import where_photo_in_context

PALETTE_VERSION = 1
SUMMARY_SIDE = 128  # the output is reduced to this longer side before summarising
AB_BINS = 11  # histogram bins per chroma axis over [-AB_NORM, AB_NORM]: 20 units per bin
DOMINANT_COLORS = 8
NEUTRAL_CHROMA = 6.0  # pixels with less chroma than this count as gray in the colour list


@dataclass(frozen=True)
class ColorizationPalette:
    """An approved colorization's colour information, for era/event palettes."""

    colorization_id: int
    photo_id: int
    title: str
    hints: dict[str, Any]
    palette: dict[str, Any]


@dataclass(frozen=True)
class PaletteEntry:
    hex: str
    weight: float  # share of the coloured pixels, summing to 1 over the entries returned
    lab: tuple[float, float, float]


def _ab_bin(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    scale = AB_BINS / (2 * AB_NORM)
    ia = np.clip(((a + AB_NORM) * scale).astype(int), 0, AB_BINS - 1)
    ib = np.clip(((b + AB_NORM) * scale).astype(int), 0, AB_BINS - 1)
    return ia * AB_BINS + ib


def summarize_colors(image: Image.Image) -> dict[str, Any]:
    """The stored summary of an RGB image: ab histogram, mean chroma, dominant colours."""
    small = image.convert("RGB")
    small.thumbnail((SUMMARY_SIDE, SUMMARY_SIDE), Image.Resampling.BILINEAR)
    lab = rgb_to_lab(np.asarray(small, dtype=np.float32) / 255.0).reshape(-1, 3)
    bins = _ab_bin(lab[:, 1], lab[:, 2])
    histogram = np.bincount(bins, minlength=AB_BINS * AB_BINS).astype(np.float64)
    histogram /= max(1.0, histogram.sum())
    chroma = np.hypot(lab[:, 1], lab[:, 2])
    coloured = chroma >= NEUTRAL_CHROMA
    colors = []
    if coloured.any():
        counts = np.bincount(bins[coloured], minlength=AB_BINS * AB_BINS)
        for index in np.argsort(counts)[::-1][:DOMINANT_COLORS]:
            if counts[index] == 0:
                break
            members = lab[coloured][bins[coloured] == index]
            mean = members.mean(axis=0)
            colors.append(
                {
                    "hex": lab_to_hex(mean),
                    "lab": [round(float(v), 2) for v in mean],
                    "weight": round(float(counts[index]) / float(coloured.sum()), 4),
                }
            )
    return {
        "version": PALETTE_VERSION,
        "ab_bins": AB_BINS,
        "ab_range": AB_NORM,
        "ab_histogram": [round(float(v), 5) for v in histogram],
        "mean_chroma": round(float(chroma.mean()), 3),
        "coloured_share": round(float(coloured.mean()), 4),
        "colors": colors,
    }


def approved_palettes(
    *, session: Session, era: str | None = None, event: str | None = None, limit: int = 1000
) -> list[ColorizationPalette]:
    """The approved colorizations of an era and/or event, newest first, with hints and summaries."""
    query = (
        select(Colorization.id, Colorization.photo_id, Photo.title, Colorization.hints, Colorization.palette)
        .join(Photo, Photo.id == Colorization.photo_id)
        .where(Colorization.status == ColorizationStatus.APPROVED)
        .order_by(Colorization.id.desc())
        .limit(limit)
    )
    query = where_photo_in_context(query, session=session, era=era, event=event)
    return [
        ColorizationPalette(colorization_id=row[0], photo_id=row[1], title=row[2], hints=row[3], palette=row[4] or {})
        for row in session.execute(query)
    ]


def combined_palette(
    *, session: Session, era: str | None = None, event: str | None = None, colors: int = DOMINANT_COLORS
) -> list[PaletteEntry]:
    """The dominant colours over all approved colorizations of an era/event (each counts equally)."""
    weights: dict[int, float] = {}
    sums: dict[int, np.ndarray] = {}
    for item in approved_palettes(session=session, era=era, event=event):
        for color in item.palette.get("colors", []):
            lab = np.asarray(color["lab"], dtype=np.float64)
            key = int(_ab_bin(np.asarray([lab[1]]), np.asarray([lab[2]]))[0])
            weights[key] = weights.get(key, 0.0) + float(color["weight"])
            sums[key] = sums.get(key, np.zeros(3)) + lab * float(color["weight"])
    ranked = sorted(weights, key=lambda key: weights[key], reverse=True)[:colors]
    total = sum(weights[key] for key in ranked) or 1.0
    entries = []
    for key in ranked:
        mean = sums[key] / weights[key]
        entries.append(
            PaletteEntry(hex=lab_to_hex(mean), weight=weights[key] / total, lab=(float(mean[0]), float(mean[1]), float(mean[2])))
        )
    return entries
