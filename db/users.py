"""User accounts, roles, passwords (argon2id) and the local single-user mode.

Roles form a ladder, viewer < curator < reviewer < admin: each role may do everything the
roles before it may. While no user account exists the catalog runs in *local mode*: one
built-in local user (role admin, no password) acts, and the four-eyes rule is off, which
suits a one-person archive. Creating the first account (which must be an admin) ends local
mode; the local user is then deactivated but stays in the records it signed.

The ``actor`` a caller hands to a data-layer function only says *who* acts (its id): what that
user may do is read from the database for each call (:func:`authorize`), so a caller-built or
stale ``User`` object cannot grant a role, and a deactivated account stops acting at once.
"""

from __future__ import annotations

import re
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.audit import record_event
from db.errors import AuthenticationFailed, DuplicateRecord, InvalidInput, NotFound, PermissionDenied, parse_choice
from db.models import Role, User
from db.settings import Settings
from db import throttle

LOCAL_USERNAME = "local"
MIN_PASSWORD_LENGTH = 8
_USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$")
_hasher = PasswordHasher()


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """Verified against when the user name is unknown, so both failures take the same time.

    Made on first use, not at import: hashing takes half a second, which every command that
    merely imports the catalog (``findcolor --help``, ``user list``) would otherwise pay.
    """
    return _hasher.hash("not a real password")


def parse_role(role: Role | str) -> Role:
    return parse_choice(Role, role, what="role")


def has_role(user: User | None, role: Role | str) -> bool:
    """True when ``user`` is active and at least ``role`` on the ladder."""
    return user is not None and user.active and user.role.rank >= parse_role(role).rank


def require_role(user: User | None, role: Role | str, action: str) -> User:
    """``user`` if allowed to act as ``role``; else PermissionDenied naming the action and the role.

    Checks the object as given (for showing or hiding controls); the data layer itself calls
    :func:`authorize`, which checks the database record instead.
    """
    needed = parse_role(role)
    if user is None:
        raise PermissionDenied(f"sign in to {action}")
    if not user.active:
        raise PermissionDenied(f"user {user.username!r} is deactivated and cannot {action}")
    if not has_role(user, needed):
        raise PermissionDenied(f"{user.username!r} is a {user.role.value}; only a {needed.value} or above may {action}")
    return user


def load_actor(*, session: Session, actor: User | None) -> User | None:
    """The acting user's record as the database holds it now, found by ``actor.id``; None if none.

    Role, active flag and name come from the database, never from the object passed (whose
    unsaved changes to those fields are discarded).
    """
    user_id = getattr(actor, "id", None)
    if not isinstance(user_id, int):
        return None
    with session.no_autoflush:
        return session.get(User, user_id, populate_existing=True)


def authorize(*, session: Session, actor: User | None, role: Role | str, action: str) -> User:
    """The database record of ``actor`` if it may act as ``role``; else PermissionDenied."""
    return require_role(load_actor(session=session, actor=actor), role, action)


def is_local_mode(*, session: Session) -> bool:
    """True while no real user account exists (only the built-in local user, if any)."""
    count = session.scalar(select(func.count()).select_from(User).where(User.is_local.is_(False)))
    return not count


def four_eyes_applies(*, session: Session, settings: Settings) -> bool:
    """Whether a reviewer is barred from approving their own colorization right now."""
    return settings.four_eyes and not is_local_mode(session=session)


def get_local_user(*, session: Session) -> User:
    """The built-in local curator used while no accounts exist (created on first use)."""
    if not is_local_mode(session=session):
        raise PermissionDenied("this catalog has user accounts: sign in with your user name")
    user = session.scalar(select(User).where(User.is_local.is_(True)))
    if user is None:
        user = User(username=LOCAL_USERNAME, display_name="Local curator", role=Role.ADMIN, is_local=True)
        session.add(user)
        session.flush()
        record_event(session=session, actor=None, action="user.create_local", entity_type="user", entity_id=user.id)
    return user


def _check_password(password: str) -> str:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    return password


def create_user(
    *,
    session: Session,
    actor: User | None,
    username: str,
    password: str,
    role: Role | str,
    display_name: str = "",
) -> User:
    """Create an account. Only an admin may; with no account yet, anyone may create the first admin."""
    role = parse_role(role)
    first_account = is_local_mode(session=session)
    if first_account:
        if role is not Role.ADMIN:
            raise InvalidInput("the first user account must be an admin (someone has to manage the others)")
        if actor is not None:
            actor = authorize(session=session, actor=actor, role=Role.ADMIN, action="create user accounts")
    else:
        actor = authorize(session=session, actor=actor, role=Role.ADMIN, action="create user accounts")
    username = (username or "").strip()
    if not _USERNAME_PATTERN.match(username):
        raise InvalidInput(f"user name {username!r} must be 1-100 letters, digits, '.', '_', '@' or '-'")
    if username.lower() == LOCAL_USERNAME or get_user_by_name(session=session, username=username) is not None:
        raise DuplicateRecord(f"user name {username!r} is already taken")
    user = User(
        username=username,
        display_name=display_name.strip() or username,
        role=role,
        password_hash=_hasher.hash(_check_password(password)),
        is_local=False,
    )
    session.add(user)
    session.flush()
    if first_account:
        local = session.scalar(select(User).where(User.is_local.is_(True)))
        if local is not None:
            local.active = False
    record_event(
        session=session,
        actor=actor,
        action="user.create",
        entity_type="user",
        entity_id=user.id,
        details={"username": username, "role": role.value},
    )
    return user


def get_user(*, session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def get_user_by_name(*, session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(func.lower(User.username) == username.strip().lower()))


def list_users(*, session: Session, include_local: bool = False) -> list[User]:
    query = select(User).order_by(User.username)
    if not include_local:
        query = query.where(User.is_local.is_(False))
    return list(session.scalars(query))


def authenticate(*, session: Session, username: str, password: str, client: str | None = None) -> User:
    """The active user with this name and password, else AuthenticationFailed.

    Throttled per account name and per ``client`` (an id of where the attempt comes from, e.g.
    the browser's address; see :mod:`db.throttle`): while an account or client must wait or
    is locked, :class:`SignInThrottled` is raised without checking the password. A failed
    attempt is counted and audited and the session is **committed** before the error is
    raised, so the count survives; call this in a transaction of its own.
    """
    now = throttle.utcnow()
    attempt = throttle.begin_attempt(session=session, username=username or "", client=client)
    attempt.check(now=now)
    user = get_user_by_name(session=session, username=username or "")
    stored = user.password_hash if user is not None and user.password_hash else _dummy_hash()
    try:
        _hasher.verify(stored, password or "")
        valid = user is not None and user.password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        valid = False
    if not valid or user is None or not user.active:
        attempt.failed(session=session, user=user, now=now)
        session.commit()
        raise AuthenticationFailed("unknown user name or wrong password")
    if _hasher.check_needs_rehash(stored):
        user.password_hash = _hasher.hash(password)
    attempt.succeeded(session=session)
    return user


def unlock_sign_in(*, session: Session, actor: User | None, username: str | None = None, client: str | None = None) -> int:
    """Clear the failed sign-ins of an account name and/or a client (admins only); how many counters were cleared."""
    actor = authorize(session=session, actor=actor, role=Role.ADMIN, action="unlock sign-ins")
    if not (username or "").strip() and not (client or "").strip():
        raise InvalidInput("name the account or the client to unlock")
    cleared = throttle.clear_counters(session=session, username=username, client=client)
    user = get_user_by_name(session=session, username=username) if username else None
    record_event(
        session=session,
        actor=actor,
        action="user.unlock",
        entity_type="user",
        entity_id=user.id if user is not None else None,
        details={"username": username, "client": client, "cleared": cleared},
    )
    return cleared


def _managed_user(*, session: Session, actor: User | None, user_id: int, action: str) -> tuple[User, User]:
    """(the acting admin's record, the account to change)."""
    actor = authorize(session=session, actor=actor, role=Role.ADMIN, action=action)
    user = get_user(session=session, user_id=user_id)
    if user is None or user.is_local:
        raise NotFound(f"no user account #{user_id}")
    return actor, user


def _admins_left_after(*, session: Session, user: User) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(User)
            .where(User.role == Role.ADMIN, User.active.is_(True), User.is_local.is_(False), User.id != user.id)
        )
        or 0
    )


def set_user_role(*, session: Session, actor: User | None, user_id: int, role: Role | str) -> User:
    actor, user = _managed_user(session=session, actor=actor, user_id=user_id, action="change roles")
    role = parse_role(role)
    if user.role is Role.ADMIN and role is not Role.ADMIN and _admins_left_after(session=session, user=user) == 0:
        raise InvalidInput(f"{user.username!r} is the last admin; make someone else admin first")
    previous = user.role
    user.role = role
    session.flush()
    record_event(
        session=session,
        actor=actor,
        action="user.set_role",
        entity_type="user",
        entity_id=user.id,
        details={"from": previous.value, "to": role.value},
    )
    return user


def set_user_password(*, session: Session, actor: User | None, user_id: int, password: str) -> User:
    """An admin may reset anyone's password; a user may change their own."""
    record = load_actor(session=session, actor=actor)
    if record is not None and record.id == user_id and record.active and not record.is_local:
        actor = user = record
    else:
        actor, user = _managed_user(session=session, actor=actor, user_id=user_id, action="reset passwords")
    user.password_hash = _hasher.hash(_check_password(password))
    session.flush()
    record_event(session=session, actor=actor, action="user.set_password", entity_type="user", entity_id=user.id)
    return user


def set_user_active(*, session: Session, actor: User | None, user_id: int, active: bool) -> User:
    actor, user = _managed_user(session=session, actor=actor, user_id=user_id, action="activate or deactivate users")
    if not active and user.role is Role.ADMIN and _admins_left_after(session=session, user=user) == 0:
        raise InvalidInput(f"{user.username!r} is the last admin and cannot be deactivated")
    user.active = active
    session.flush()
    record_event(
        session=session,
        actor=actor,
        action="user.activate" if active else "user.deactivate",
        entity_type="user",
        entity_id=user.id,
    )
    return user
