"""Autosaved hint drafts: what a user last had on the canvas for a photo.

The workspace saves the hints on every change and offers them back when the photo is
opened again, so a reload, a crash or a closed tab loses nothing. One draft per user and
photo; saving a candidate removes it. Drafts are working state, not archive records, so
they are not audited; only curators may keep them (the role is read from the database).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.errors import InvalidInput, NotFound
from db.models import HintDraft, Photo, Role, User
from db.users import authorize

MAX_DRAFT_ITEMS = 10_000  # points + strokes + palette entries


def _size(hints: Mapping[str, Any]) -> int:
    return sum(len(hints.get(part) or []) for part in ("points", "strokes", "palette"))


def save_hint_draft(*, session: Session, actor: User | None, photo_id: int, hints: Mapping[str, Any]) -> HintDraft:
    """Keep ``hints`` (hint format v1 dict) as the actor's draft for the photo, replacing any earlier one."""
    user = authorize(session=session, actor=actor, role=Role.CURATOR, action="keep hint drafts")
    if session.get(Photo, photo_id) is None:
        raise NotFound(f"photo #{photo_id} is not in the catalog")
    if not isinstance(hints, Mapping) or _size(hints) > MAX_DRAFT_ITEMS:
        raise InvalidInput("a hint draft must be a hints dict of at most 10,000 items")
    draft = session.get(HintDraft, (user.id, photo_id))
    if draft is None:
        draft = HintDraft(user_id=user.id, photo_id=photo_id, hints=dict(hints))
        session.add(draft)
    else:
        draft.hints = dict(hints)
        draft.updated_at = func.now()
    session.flush()
    session.refresh(draft)
    return draft


def get_hint_draft(*, session: Session, actor: User | None, photo_id: int) -> HintDraft | None:
    """The actor's draft for the photo, if any."""
    if actor is None:
        return None
    return session.scalars(
        select(HintDraft).where(HintDraft.user_id == actor.id, HintDraft.photo_id == photo_id)
    ).one_or_none()


def delete_hint_draft(*, session: Session, actor: User | None, photo_id: int) -> bool:
    """Drop the actor's draft for the photo; whether there was one."""
    draft = get_hint_draft(session=session, actor=actor, photo_id=photo_id)
    if draft is None:
        return False
    session.delete(draft)
    session.flush()
    return True
