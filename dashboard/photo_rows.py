"""Plain rows for display, copied out of ORM records while their transaction is open."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import db


@dataclass(frozen=True)
class PhotoRow:
    id: int
    title: str
    date: str
    era: str
    event: str
    place: str
    status: str
    tags: str
    sha256: str
    filename: str
    width: int
    height: int

    @property
    def heading(self) -> str:
        return self.title or self.filename


def photo_row(photo: db.Photo) -> PhotoRow:
    return PhotoRow(
        id=photo.id,
        title=photo.title,
        date=photo.date_text or (str(photo.year_from) if photo.year_from else ""),
        era=photo.era_name or "",
        event=photo.event_name or "",
        place=photo.place,
        status=photo.status.value.replace("_", " "),
        tags=", ".join(photo.tags),
        sha256=photo.sha256,
        filename=photo.original_filename,
        width=photo.width,
        height=photo.height,
    )


@dataclass(frozen=True)
class CandidateRow:
    """A colorization candidate as the workspace and review pages show it."""

    id: int
    photo_id: int
    status: str
    author: str
    created: str
    engine: str
    model: str
    provenance_note: str
    review_note: str
    reviewer: str
    hints: dict
    output_sha256: str
    author_id: int | None = None
    engine_label: str = ""  # a human name and short version; ``engine`` + ``model`` is the full identifier


ENGINE_NAMES = {"auto": "Neural network + classical", "neural": "Neural network", "classical": "Classical (no model)"}
SHORT_VERSION = 24  # longer version strings are identifiers, kept for provenance, not shown as the label


def engine_label(engine: str, model_name: str, model_version: str, weights_sha256: str | None) -> str:
    """``Neural network + classical · hintnet (weights 02635e1f)`` rather than the provenance identifier."""
    parts = [ENGINE_NAMES.get(engine, engine)]
    if model_name:
        parts.append(model_name + (f" (weights {weights_sha256[:8]})" if weights_sha256 else ""))
    elif model_version and len(model_version) <= SHORT_VERSION and "/" not in model_version:
        parts.append(model_version)
    return " · ".join(parts)


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else ""


def candidate_row(colorization: db.Colorization) -> CandidateRow:
    model = " ".join(part for part in (colorization.model_name, colorization.model_version) if part)
    return CandidateRow(
        id=colorization.id,
        photo_id=colorization.photo_id,
        status=colorization.status.value,
        author=colorization.created_by.display_name or colorization.created_by.username,
        created=_when(colorization.created_at),
        engine=colorization.engine,
        model=model,
        provenance_note=colorization.provenance_note,
        review_note=colorization.review_note,
        reviewer=(colorization.reviewed_by.username if colorization.reviewed_by else ""),
        hints=dict(colorization.hints),
        output_sha256=colorization.output_sha256,
        author_id=colorization.created_by_id,
        engine_label=engine_label(colorization.engine, colorization.model_name, colorization.model_version,
                                  colorization.weights_sha256),  # fmt: skip
    )
