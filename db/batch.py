"""Batch runs in the catalog: planning, recording results, status and cancelling.

A batch run drafts a colorization candidate for every photo matching the catalog's filters
that has no draft or approved colorization from the same engine and model version yet, so
running the same command again only does what is missing. Planning writes one
:class:`~db.batch_models.BatchItem` per photo with the global hints and provenance note its
draft will get; the driver (:mod:`db.batch_runner`) then colorizes the pending items on a
local worker pool or on Ray and records each result here in its own transaction: the draft,
the item's state and the run's counts commit together, so a run killed at any moment is
resumed by processing the items still pending, without duplicates.

::

    plan_batch_run(*, session, actor, filters: BatchFilters, engine: EngineIdentity, era_palette=False,
                   executor="") -> BatchRun
    pending_items(*, session, run_id, after_photo_id=0, limit=500) -> list[BatchItem]
    record_batch_result(*, session, store, settings, actor, run_id, photo_id, output_png, attempts) -> BatchItem
    record_batch_failure(*, session, actor, run_id, photo_id, reason, attempts) -> BatchItem
    finish_batch_run(*, session, actor, run_id) -> BatchRun      # finished when nothing is pending
    resume_batch_run(*, session, actor, run_id, executor) -> BatchRun
    cancel_batch_run(*, session, actor, run_id) -> BatchRun
    get_batch_run / list_batch_runs / list_batch_failures / list_batch_colorizations
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session

from findcolor.hints import parse_hints

from db.audit import record_event
from db.batch_models import BatchItem, BatchItemState, BatchRun, BatchRunStatus
from db.colorizations import create_colorization
from db.errors import InvalidInput, NotFound, RecordImmutable
from db.models import Colorization, ColorizationStatus, Photo, Role, User, VocabularyTerm
from db.palettes import combined_palette
from db.photos import PhotoFilter
from db.photos import _apply_filters as apply_photo_filters  # the catalog listing's own filters
from db.references import list_reference_colors
from db.settings import Settings
from db.store import FileStore
from db.users import authorize

MAX_REASON_LENGTH = 500
PLAN_CHUNK = 1000  # photos inserted per statement when planning
NO_HINTS = parse_hints({"version": 1}).to_dict()  # canonical "no hints", as stored with a candidate


@dataclass(frozen=True)
class BatchFilters:
    """Which photos a run covers (the catalog listing's filters; None = any)."""

    era: str | None = None
    event: str | None = None
    status: str | None = None  # photo workflow status, e.g. "new"
    limit: int | None = None  # at most this many photos (oldest first by id)

    def describe(self) -> str:
        parts = [f"{name} {value}" for name, value in asdict(self).items() if value not in (None, "")]
        return ", ".join(parts) or "all photos"


@dataclass(frozen=True)
class EngineIdentity:
    """The engine a run uses, as its drafts record it (see db.batch_runner.resolve_engine)."""

    requested: str  # "auto", "neural" or "classical"
    engine: str  # the engine's own name
    model_name: str = ""
    model_version: str = ""
    weights_sha256: str | None = None


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def one_line(text: str) -> str:
    """The first line of a failure message, cut to the stored length."""
    line = (str(text).strip().splitlines() or [""])[0]
    return line[:MAX_REASON_LENGTH]


def _same_model_exists(*, engine: str, model_version: str):  # type: ignore[no-untyped-def]
    """SQL condition: the photo already has a draft or approved candidate from this engine and version."""
    return exists().where(
        Colorization.photo_id == Photo.id,
        Colorization.engine == engine,
        Colorization.model_version == model_version,
        Colorization.status.in_([ColorizationStatus.DRAFT, ColorizationStatus.APPROVED]),
    )


def _photo_filter(filters: BatchFilters) -> PhotoFilter:
    if filters.limit is not None and filters.limit <= 0:
        raise InvalidInput("--limit must be a positive number of photos")
    return PhotoFilter(era=filters.era or None, event=filters.event or None, status=filters.status or None)


def global_hints(
    *, session: Session, era: str | None, event: str | None, place: str
) -> tuple[dict[str, Any], str]:
    """The archive's own colours for a photo: its era/event palette and matching reference colours.

    The palette of the approved colorizations of that era/event (weights summing to 1) and every
    reference colour scoped to that era/event (or unscoped) whose place is empty or the photo's
    place, together weighing as much as the palette. Returns (hints, description for the note).
    """
    # A photo with neither era nor event has no palette of its own (not the whole archive's).
    palette = combined_palette(session=session, era=era, event=event) if era or event else []
    items: list[dict[str, Any]] = [{"color": entry.hex, "weight": round(entry.weight, 6)} for entry in palette]
    references = [
        color
        for color in list_reference_colors(session=session, era=era, event=event)
        if not color.place.strip() or color.place.strip().lower() == place.strip().lower()
    ]
    for color in references:
        items.append({"color": color.hex, "weight": round(1.0 / len(references), 6), "reference": color.id})
    hints = parse_hints({"version": 1, "palette": items}).to_dict()
    context = f"{era or 'any era'}/{event or 'any event'}"
    described = f"era palette of {context} ({len(palette)} colours)"
    if references:
        described += f" and {len(references)} reference colours"
    return hints, described


def plan_batch_run(
    *,
    session: Session,
    actor: User | None,
    filters: BatchFilters,
    engine: EngineIdentity,
    era_palette: bool = False,
    executor: str = "",
) -> BatchRun:
    """Record a new run and its items: every matching photo without a draft/approval from this model."""
    actor = authorize(session=session, actor=actor, role=Role.CURATOR, action="start batch colorization runs")
    query = apply_photo_filters(session=session, query=select(Photo.id, Photo.era_id, Photo.event_id, Photo.place),
                           filters=_photo_filter(filters))  # fmt: skip
    query = query.where(~_same_model_exists(engine=engine.engine, model_version=engine.model_version))
    query = query.order_by(Photo.id)
    if filters.limit is not None:
        query = query.limit(filters.limit)
    rows = session.execute(query).all()
    run = BatchRun(
        status=BatchRunStatus.RUNNING,
        filters={key: value for key, value in asdict(filters).items() if value not in (None, "")},
        engine_requested=engine.requested,
        engine=engine.engine,
        model_name=engine.model_name[:200],
        model_version=engine.model_version[:100],
        weights_sha256=engine.weights_sha256,
        era_palette=era_palette,
        executor=executor[:300],
        planned=len(rows),
        created_by_id=actor.id,
        updated_at=_utcnow(),
    )
    session.add(run)
    session.flush()
    term_names = _term_names(session=session, rows=rows) if era_palette else {}
    palettes: dict[tuple[Any, ...], tuple[dict[str, Any], str]] = {}
    items = []
    for photo_id, era_id, event_id, place in rows:
        note = f"batch run #{run.id}"
        hints: dict[str, Any] = NO_HINTS
        if era_palette:
            key = (era_id, event_id, (place or "").strip().lower())
            if key not in palettes:
                palettes[key] = global_hints(
                    session=session, era=term_names.get(era_id), event=term_names.get(event_id), place=place or ""
                )
            hints, described = palettes[key]
            note += f", {described}"
        else:
            note += ", no global hints"
        items.append({"run_id": run.id, "photo_id": photo_id, "hints": hints, "provenance_note": note,
                      "state": BatchItemState.PENDING, "attempts": 0, "reason": ""})  # fmt: skip
    for start in range(0, len(items), PLAN_CHUNK):
        session.execute(BatchItem.__table__.insert(), items[start : start + PLAN_CHUNK])
    if not items:
        run.status = BatchRunStatus.FINISHED
        run.finished_at = _utcnow()
    record_event(
        session=session,
        actor=actor,
        action="batch.start",
        entity_type="batch_run",
        entity_id=run.id,
        details={"filters": run.filters, "engine": engine.engine, "model_version": engine.model_version,
                 "era_palette": era_palette, "planned": len(items), "executor": run.executor},
    )  # fmt: skip
    session.flush()
    return run


def _term_names(*, session: Session, rows: list[Any]) -> dict[int | None, str | None]:
    ids = {row[1] for row in rows} | {row[2] for row in rows}
    ids.discard(None)
    names: dict[int | None, str | None] = {None: None}
    if ids:
        for term in session.scalars(select(VocabularyTerm).where(VocabularyTerm.id.in_(ids))):
            names[term.id] = term.name
    return names


def get_batch_run(*, session: Session, run_id: int) -> BatchRun | None:
    return session.get(BatchRun, run_id)


def require_batch_run(*, session: Session, run_id: int, for_update: bool = False) -> BatchRun:
    query = select(BatchRun).where(BatchRun.id == run_id).execution_options(populate_existing=True)
    if for_update:
        query = query.with_for_update(of=BatchRun)
    run = session.scalar(query)
    if run is None:
        raise NotFound(f"no batch run #{run_id}")
    return run


def list_batch_runs(*, session: Session, limit: int = 50) -> list[BatchRun]:
    """Newest first."""
    return list(session.scalars(select(BatchRun).order_by(BatchRun.id.desc()).limit(limit)).unique())


def pending_items(*, session: Session, run_id: int, after_photo_id: int = 0, limit: int = 500) -> list[BatchItem]:
    """The run's items still to colorize, by photo id (page with ``after_photo_id``)."""
    query = (
        select(BatchItem)
        .where(BatchItem.run_id == run_id, BatchItem.state == BatchItemState.PENDING, BatchItem.photo_id > after_photo_id)
        .order_by(BatchItem.photo_id)
        .limit(limit)
    )
    return list(session.scalars(query))


def list_batch_failures(*, session: Session, run_id: int) -> list[BatchItem]:
    query = select(BatchItem).where(BatchItem.run_id == run_id, BatchItem.state == BatchItemState.FAILED)
    return list(session.scalars(query.order_by(BatchItem.photo_id)))


def list_batch_colorizations(*, session: Session, run_id: int, status: ColorizationStatus | str | None = None) -> list[Colorization]:
    """The candidates a run made (for the review queue of one run), by photo id."""
    query = (
        select(Colorization)
        .join(BatchItem, BatchItem.colorization_id == Colorization.id)
        .where(BatchItem.run_id == run_id)
        .order_by(Colorization.photo_id)
    )
    if status is not None:
        try:
            query = query.where(Colorization.status == ColorizationStatus(status))
        except ValueError:
            raise InvalidInput(f"unknown colorization status {status!r}") from None
    return list(session.scalars(query).unique())


def _lock_item(*, session: Session, run_id: int, photo_id: int) -> tuple[BatchRun, BatchItem]:
    run = require_batch_run(session=session, run_id=run_id, for_update=True)
    item = session.scalar(
        select(BatchItem)
        .where(BatchItem.run_id == run_id, BatchItem.photo_id == photo_id)
        .execution_options(populate_existing=True)
    )
    if item is None:
        raise NotFound(f"photo #{photo_id} is not part of batch run #{run_id}")
    return run, item


def _photo_has_model_candidate(*, session: Session, run: BatchRun, photo_id: int) -> bool:
    query = select(Photo.id).where(Photo.id == photo_id, _same_model_exists(engine=run.engine, model_version=run.model_version))
    return session.scalar(query) is not None


def record_batch_result(
    *,
    session: Session,
    store: FileStore,
    settings: Settings,
    actor: User | None,
    run_id: int,
    photo_id: int,
    output_png: bytes,
    attempts: int = 1,
) -> BatchItem:
    """Store one photo's output as a draft candidate and count it (one transaction with the caller's commit).

    An item already decided is left alone (a resumed run never records twice); a photo that got a
    draft or approval from this model version meanwhile (another run) is counted as skipped.
    """
    actor = authorize(session=session, actor=actor, role=Role.CURATOR, action="record batch colorizations")
    run, item = _lock_item(session=session, run_id=run_id, photo_id=photo_id)
    if item.state is not BatchItemState.PENDING:
        return item
    now = _utcnow()
    item.attempts = attempts
    item.updated_at = now
    run.updated_at = now
    if _photo_has_model_candidate(session=session, run=run, photo_id=photo_id):
        item.state = BatchItemState.SKIPPED
        run.skipped += 1
        session.flush()
        return item
    colorization = create_colorization(
        session=session,
        store=store,
        settings=settings,
        actor=actor,
        photo_id=photo_id,
        hints=item.hints,
        engine=run.engine,
        output_png=output_png,
        model_name=run.model_name,
        model_version=run.model_version,
        weights_sha256=run.weights_sha256,
        parameters={"engine_requested": run.engine_requested, "batch_run_id": run.id},
        provenance_note=item.provenance_note,
    )
    item.state = BatchItemState.DONE
    item.colorization_id = colorization.id
    run.done += 1
    session.flush()
    return item


def record_batch_failure(
    *, session: Session, actor: User | None, run_id: int, photo_id: int, reason: str, attempts: int
) -> BatchItem:
    """Count one photo as failed after its last attempt, with a one-line reason."""
    authorize(session=session, actor=actor, role=Role.CURATOR, action="record batch colorizations")
    run, item = _lock_item(session=session, run_id=run_id, photo_id=photo_id)
    if item.state is not BatchItemState.PENDING:
        return item
    now = _utcnow()
    item.state = BatchItemState.FAILED
    item.reason = one_line(reason) or "unknown failure"
    item.attempts = attempts
    item.updated_at = now
    run.failed += 1
    run.updated_at = now
    session.flush()
    return item


def finish_batch_run(*, session: Session, actor: User | None, run_id: int) -> BatchRun:
    """Mark a running run finished once no item is pending (a cancelled run stays cancelled)."""
    actor = authorize(session=session, actor=actor, role=Role.CURATOR, action="finish batch runs")
    run = require_batch_run(session=session, run_id=run_id, for_update=True)
    if run.status is not BatchRunStatus.RUNNING or pending_items(session=session, run_id=run_id, limit=1):
        return run
    run.status = BatchRunStatus.FINISHED
    run.finished_at = _utcnow()
    session.flush()
    record_event(
        session=session, actor=actor, action="batch.finish", entity_type="batch_run", entity_id=run.id,
        details={"done": run.done, "failed": run.failed, "skipped": run.skipped},
    )  # fmt: skip
    return run


def resume_batch_run(*, session: Session, actor: User | None, run_id: int, executor: str = "") -> BatchRun:
    """Set a run (interrupted, cancelled or finished) running again; its pending items are then processed.

    Failed items are given another chance: they go back to pending and the failed count down.
    """
    actor = authorize(session=session, actor=actor, role=Role.CURATOR, action="resume batch runs")
    run = require_batch_run(session=session, run_id=run_id, for_update=True)
    retried = session.execute(
        update(BatchItem)
        .where(BatchItem.run_id == run_id, BatchItem.state == BatchItemState.FAILED)
        .values(state=BatchItemState.PENDING, reason="")
    ).rowcount
    run.failed -= retried or 0
    run.status = BatchRunStatus.RUNNING
    run.finished_at = None
    if executor:
        run.executor = executor[:300]
    run.updated_at = _utcnow()
    session.flush()
    record_event(
        session=session, actor=actor, action="batch.resume", entity_type="batch_run", entity_id=run.id,
        details={"retried_failures": retried or 0, "remaining": run.remaining, "executor": run.executor},
    )  # fmt: skip
    return run


def cancel_batch_run(*, session: Session, actor: User | None, run_id: int) -> BatchRun:
    """Stop a run: its driver stops after the photos in flight; pending items stay pending (resume continues)."""
    actor = authorize(session=session, actor=actor, role=Role.CURATOR, action="cancel batch runs")
    run = require_batch_run(session=session, run_id=run_id, for_update=True)
    if run.status is not BatchRunStatus.RUNNING:
        raise RecordImmutable(f"batch run #{run.id} is already {run.status.value}")
    run.status = BatchRunStatus.CANCELLED
    run.finished_at = _utcnow()
    session.flush()
    record_event(
        session=session, actor=actor, action="batch.cancel", entity_type="batch_run", entity_id=run.id,
        details={"done": run.done, "remaining": run.remaining},
    )  # fmt: skip
    return run
