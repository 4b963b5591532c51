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

from findcolor.abgrid import ABGrid
from findcolor.color import AB_NORM, lab_to_hex, rgb_to_lab

from db.models import Colorization, ColorizationStatus, Photo
from db.vocabulary import where_photo_in_context

PALETTE_VERSION = 1
SUMMARY_SIDE = 128  # the output is reduced to this longer side before summarising
# The histogram's ab cells: the cells of the hint network's palette hint (HintNetConfig().palette_cells),
# 11 x 11 cells of 20 ab units over [-AB_NORM, AB_NORM]: a cell means the same colours in the catalog and the network.
PALETTE_CELLS = ABGrid(per_axis=11, ab_range=AB_NORM)
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


def summarize_colors(image: Image.Image) -> dict[str, Any]:
    """The stored summary of an RGB image: ab histogram, mean chroma, dominant colours."""
    small = image.convert("RGB")
    small.thumbnail((SUMMARY_SIDE, SUMMARY_SIDE), Image.Resampling.BILINEAR)
    lab = rgb_to_lab(np.asarray(small, dtype=np.float32) / 255.0).reshape(-1, 3)
    bins = PALETTE_CELLS.cell_index(lab[:, 1], lab[:, 2])
    histogram = np.bincount(bins, minlength=PALETTE_CELLS.cells).astype(np.float64)
    histogram /= max(1.0, histogram.sum())
    chroma = np.hypot(lab[:, 1], lab[:, 2])
    coloured = chroma >= NEUTRAL_CHROMA
    colors = []
    if coloured.any():
        counts = np.bincount(bins[coloured], minlength=PALETTE_CELLS.cells)
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
        "ab_bins": PALETTE_CELLS.per_axis,
        "ab_range": PALETTE_CELLS.ab_range,
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
            key = int(PALETTE_CELLS.cell_index(lab[1], lab[2]))
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
