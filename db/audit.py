"""The append-only activity log: who did what, when, to which record.

Every change made through the data layer calls :func:`record_event` in the same transaction
as the change, so a change and its log entry are committed (or rolled back) together.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import AuditEvent, User


def record_event(
    *,
    session: Session,
    actor: User | None,
    action: str,
    entity_type: str,
    entity_id: int | None,
    details: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Append one entry (``actor`` None means the system, e.g. a migration or the first setup)."""
    event = AuditEvent(
        user_id=actor.id if actor is not None else None,
        username=actor.username if actor is not None else "system",
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        details=dict(details or {}),
    )
    session.add(event)
    session.flush()
    return event


def list_audit_events(
    *,
    session: Session,
    entity_type: str | None = None,
    entity_id: int | None = None,
    user_id: int | None = None,
    limit: int = 200,
) -> list[AuditEvent]:
    """Newest first, optionally for one record or one user."""
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if entity_type is not None:
        query = query.where(AuditEvent.entity_type == entity_type)
    if entity_id is not None:
        query = query.where(AuditEvent.entity_id == entity_id)
    if user_id is not None:
        query = query.where(AuditEvent.user_id == user_id)
    return list(session.scalars(query))
