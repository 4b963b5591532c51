"""Dashboard sign-ins that survive a reload or a new tab: server-side, expiring, revocable.

The browser keeps a random 256-bit token (:func:`start_login_session` returns it once); the
catalog keeps only its SHA-256, the user and an expiry, so a token cannot be forged, read
back from the database, or used after it expired or was ended. Signing out ends every
session of that user (every tab and browser); so does deactivating the account or changing
its password, because :func:`resolve_login_session` checks the account on every call.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta, timezone

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from db.audit import record_event
from db.errors import InvalidInput
from db.models import LoginSession, User

TOKEN_BYTES = 32
MAX_TOKEN_LENGTH = 200


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _aware(moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)  # SQLite returns naive UTC
    return moment


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start_login_session(*, session: Session, user: User, lifetime: timedelta) -> str:
    """Record a sign-in of ``user`` (already authenticated) for ``lifetime``; the token for the browser."""
    if lifetime <= timedelta(0):
        raise InvalidInput("a sign-in must last a positive time")
    if user.is_local or not user.active:
        raise InvalidInput("only an active account can sign in")
    token = secrets.token_urlsafe(TOKEN_BYTES)
    now = utcnow()
    record = LoginSession(token_sha256=_digest(token), user_id=user.id, created_at=now, expires_at=now + lifetime)
    session.add(record)
    session.flush()
    record_event(session=session, actor=user, action="user.session_start", entity_type="user", entity_id=user.id,
                 details={"session": record.id, "expires_at": record.expires_at.isoformat()})  # fmt: skip
    return token


def resolve_login_session(*, session: Session, token: str) -> User | None:
    """The active account a token signs in, or None (unknown, expired, ended, or account inactive)."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    record = session.scalars(select(LoginSession).where(LoginSession.token_sha256 == _digest(token))).one_or_none()
    if record is None or record.ended_at is not None:
        return None
    if _aware(record.expires_at) <= utcnow():  # type: ignore[operator]
        return None
    user = session.get(User, record.user_id)
    if user is None or not user.active or user.is_local:
        return None
    return user


def end_login_sessions(*, session: Session, user: User) -> int:
    """Sign ``user`` out everywhere: end every open session; how many there were."""
    now = utcnow()
    result = session.execute(
        update(LoginSession)
        .where(LoginSession.user_id == user.id, LoginSession.ended_at.is_(None), LoginSession.expires_at > now)
        .values(ended_at=now)
    )
    ended = int(result.rowcount or 0)
    record_event(session=session, actor=user, action="user.sign_out", entity_type="user", entity_id=user.id,
                 details={"sessions_ended": ended})  # fmt: skip
    return ended
