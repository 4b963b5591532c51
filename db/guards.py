"""ORM-level guards for the rules that protect history, with messages a curator understands.

The same rules are enforced again by database triggers (see the initial migration), so a
hand-written SQL statement cannot break them either.
"""

from __future__ import annotations

from sqlalchemy import event, inspect

from db.errors import RecordImmutable
from db.models import AuditEvent, Colorization, ColorizationStatus, Photo

# What may still change on a colorization once it has been reviewed (approved -> superseded).
_SUPERSEDE_COLUMNS = {"status", "superseded_at", "superseded_by_id"}
# A photo's content identity, set from the bytes at import (migration 0004 guards it too).
_PHOTO_IDENTITY = ("id", "sha256", "size_bytes", "width", "height", "format", "mode", "bit_depth")


@event.listens_for(AuditEvent, "before_update")
def _refuse_audit_update(mapper, connection, target: AuditEvent) -> None:  # type: ignore[no-untyped-def]
    raise RecordImmutable(f"audit event #{target.id} cannot be changed: the audit log is append-only")


@event.listens_for(AuditEvent, "before_delete")
def _refuse_audit_delete(mapper, connection, target: AuditEvent) -> None:  # type: ignore[no-untyped-def]
    raise RecordImmutable(f"audit event #{target.id} cannot be deleted: the audit log is append-only")


@event.listens_for(Photo, "before_delete")
def _refuse_photo_delete(mapper, connection, target: Photo) -> None:  # type: ignore[no-untyped-def]
    raise RecordImmutable(f"photo #{target.id} cannot be deleted: catalog records are never removed")


@event.listens_for(Photo, "before_update")
def _refuse_photo_identity_change(mapper, connection, target: Photo) -> None:  # type: ignore[no-untyped-def]
    state = inspect(target)
    changed = [name for name in _PHOTO_IDENTITY if state.attrs[name].history.has_changes()]
    if changed:
        raise RecordImmutable(
            f"photo #{target.id}: {', '.join(changed)} cannot be changed; the scan and its checksum are the record"
        )


@event.listens_for(Colorization, "before_delete")
def _refuse_colorization_delete(mapper, connection, target: Colorization) -> None:  # type: ignore[no-untyped-def]
    raise RecordImmutable(f"colorization #{target.id} cannot be deleted: catalog records are never removed")


@event.listens_for(Colorization, "before_update")
def _refuse_reviewed_change(mapper, connection, target: Colorization) -> None:  # type: ignore[no-untyped-def]
    state = inspect(target)
    status_history = state.attrs.status.history
    previous = status_history.deleted[0] if status_history.deleted else target.status
    previous = ColorizationStatus(previous)
    if previous is ColorizationStatus.DRAFT:
        return
    changed = {attr.key for attr in state.attrs if attr.history.has_changes()}
    allowed = (
        previous is ColorizationStatus.APPROVED
        and target.status is ColorizationStatus.SUPERSEDED
        and changed <= _SUPERSEDE_COLUMNS | {"photo", "created_by", "reviewed_by"}
    )
    if not allowed:
        raise RecordImmutable(
            f"colorization #{target.id} was already {previous.value} and cannot be changed; "
            "make a new candidate instead"
        )
