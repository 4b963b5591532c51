"""Review of colorization candidates: the rules live here, not in the dashboard.

* Only reviewers (and admins) approve or reject.
* Four-eyes: a reviewer cannot approve a candidate they created (configurable off with
  ``FINDCOLOR_FOUR_EYES=false``; always off in local single-user mode). Rejecting their own
  draft is a withdrawal, which publishes nothing, so it is allowed.
* Approving a candidate supersedes the photo's previously approved colorization.
* Only drafts can be reviewed; reviewed records never change (a change is a new candidate).

Concurrency: the photo row is locked (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite write
transactions are serialised with ``BEGIN IMMEDIATE``) before anything is read, so two
reviewers approving two candidates of one photo at once are applied one after the other and
exactly one stays approved. A partial unique index guarantees it as a last resort.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.audit import record_event
from db.errors import NotFound, PermissionDenied, RecordImmutable
from db.models import Colorization, ColorizationStatus, Role, User
from db.photos import refresh_photo_status, require_photo
from db.settings import Settings
from db.users import authorize, four_eyes_applies

MAX_NOTE_LENGTH = 20_000


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _lock_draft(*, session: Session, settings: Settings, actor: User | None, colorization_id: int, verb: str) -> tuple[User, Colorization]:
    actor = authorize(session=session, actor=actor, role=Role.REVIEWER, action=f"{verb} colorizations")
    candidate = session.get(Colorization, colorization_id)
    if candidate is None:
        raise NotFound(f"no colorization #{colorization_id}")
    require_photo(session=session, photo_id=candidate.photo_id, for_update=True)
    # Re-read after taking the lock: another reviewer may have decided meanwhile.
    session.refresh(candidate)
    if candidate.status is not ColorizationStatus.DRAFT:
        by = f" by {candidate.reviewed_by.username}" if candidate.reviewed_by else ""
        raise RecordImmutable(
            f"colorization #{candidate.id} was already {candidate.status.value}{by}; make a new candidate instead"
        )
    # Four-eyes is about publishing: nobody approves their own work, but an author may withdraw (reject) it.
    if verb == "approve" and candidate.created_by_id == actor.id and four_eyes_applies(session=session, settings=settings):
        raise PermissionDenied(
            f"four-eyes rule: {actor.username!r} made colorization #{candidate.id} and cannot {verb} it; "
            "ask another reviewer"
        )
    return actor, candidate


def _decide(
    *, session: Session, actor: User, candidate: Colorization, status: ColorizationStatus, note: str
) -> None:
    candidate.status = status
    candidate.reviewed_by_id = actor.id
    candidate.reviewed_at = _utcnow()
    candidate.review_note = (note or "").strip()[:MAX_NOTE_LENGTH]
    session.flush()
    session.refresh(candidate)  # load reviewed_by for callers that have closed the session


def approve_colorization(
    *, session: Session, settings: Settings, actor: User | None, colorization_id: int, note: str = ""
) -> Colorization:
    """Approve a draft; the photo's previously approved colorization becomes superseded."""
    actor, candidate = _lock_draft(
        session=session, settings=settings, actor=actor, colorization_id=colorization_id, verb="approve"
    )
    previous = list(
        session.scalars(
            select(Colorization)
            .where(Colorization.photo_id == candidate.photo_id, Colorization.status == ColorizationStatus.APPROVED)
            .execution_options(populate_existing=True)
        ).unique()
    )
    for old in previous:
        old.status = ColorizationStatus.SUPERSEDED
        old.superseded_at = _utcnow()
        old.superseded_by_id = candidate.id
    session.flush()  # before approving: at most one approved row per photo at every moment
    _decide(session=session, actor=actor, candidate=candidate, status=ColorizationStatus.APPROVED, note=note)
    refresh_photo_status(session=session, photo=candidate.photo)
    record_event(
        session=session,
        actor=actor,
        action="colorization.approve",
        entity_type="colorization",
        entity_id=candidate.id,
        details={"photo_id": candidate.photo_id, "superseded": [old.id for old in previous], "note": candidate.review_note},
    )
    return candidate


def reject_colorization(
    *, session: Session, settings: Settings, actor: User | None, colorization_id: int, note: str = ""
) -> Colorization:
    """Reject a draft (a note saying why helps the curator make a better candidate)."""
    actor, candidate = _lock_draft(
        session=session, settings=settings, actor=actor, colorization_id=colorization_id, verb="reject"
    )
    _decide(session=session, actor=actor, candidate=candidate, status=ColorizationStatus.REJECTED, note=note)
    refresh_photo_status(session=session, photo=candidate.photo)
    record_event(
        session=session,
        actor=actor,
        action="colorization.reject",
        entity_type="colorization",
        entity_id=candidate.id,
        details={"photo_id": candidate.photo_id, "note": candidate.review_note},
    )
    return candidate
