"""Sign-in throttling: growing delays, then a temporary lock, per account and per client.

Each failed sign-in counts against the account name tried (whether or not it exists, so the
answers do not tell which names exist) and against the client it came from (the dashboard
passes the browser's address; the CLI passes "cli"). While a counter stands at ``n`` failures
in a row, the next attempt is refused without checking the password until
:func:`delay_after` ``(n)`` has passed since the last failure; at :data:`LOCK_AFTER` failures
the account or client is locked for :data:`LOCK_DURATION`, and every further failure locks it
again. A successful sign-in clears the account's counter; a client's counter is forgotten
after :data:`CLIENT_FORGET_AFTER` without a failure (a success does not clear it, so one valid
account cannot be used to reset it between guesses at others). An admin can clear both
(:func:`unlock_sign_in`). Failures, locks and unlocks are audit events.

The counters are rows of ``login_throttle``, locked while an attempt is checked, so parallel
attempts from several processes are counted one after the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from db.audit import record_event
from db.errors import SignInThrottled
from db.models import LoginThrottle, User

ACCOUNT = "account"
CLIENT = "client"
FREE_FAILURES = 2  # failures in a row answered without any delay (typos happen)
MAX_DELAY = timedelta(seconds=60)
LOCK_AFTER = 10  # failures in a row that lock the account or client
LOCK_DURATION = timedelta(minutes=15)
CLIENT_FORGET_AFTER = timedelta(hours=1)
MAX_SUBJECT_LENGTH = 200


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def delay_after(failures: int) -> timedelta:
    """How long after the last of ``failures`` failures in a row the next attempt is refused."""
    if failures <= FREE_FAILURES:
        return timedelta(0)
    return min(timedelta(seconds=2 ** (failures - FREE_FAILURES - 1)), MAX_DELAY)


def _aware(moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)  # SQLite returns naive UTC
    return moment


def _subject(kind: str, value: str) -> str:
    value = value.strip()
    return (value.lower() if kind == ACCOUNT else value)[:MAX_SUBJECT_LENGTH]


def _locked_row(*, session: Session, kind: str, subject: str) -> LoginThrottle:
    """The counter row, created if missing and locked (FOR UPDATE) until the transaction ends."""
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(
        insert(LoginThrottle)
        .values(kind=kind, subject=subject, failures=0)
        .on_conflict_do_nothing(index_elements=["kind", "subject"])
    )
    return session.scalars(
        select(LoginThrottle)
        .where(LoginThrottle.kind == kind, LoginThrottle.subject == subject)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


@dataclass
class Attempt:
    """The counters one sign-in attempt is checked against (rows locked until the transaction ends)."""

    username: str
    client: str | None
    rows: list[LoginThrottle]

    def check(self, *, now: datetime) -> None:
        """SignInThrottled when the account or the client must wait or is locked."""
        for row in self.rows:
            what = "this account" if row.kind == ACCOUNT else "this client"
            last = _aware(row.last_failure_at)
            if row.kind == CLIENT and last is not None and now - last >= CLIENT_FORGET_AFTER:
                row.failures, row.locked_until = 0, None
            locked_until = _aware(row.locked_until)
            if locked_until is not None and locked_until > now:
                minutes = max(1, round((locked_until - now).total_seconds() / 60))
                raise SignInThrottled(
                    f"too many failed sign-ins for {what}: locked for {minutes} more minute(s); "
                    "wait, or ask an administrator to unlock it"
                )
            if last is not None and now < last + delay_after(row.failures):
                seconds = max(1, round((last + delay_after(row.failures) - now).total_seconds()))
                raise SignInThrottled(f"too many failed sign-ins for {what}: wait {seconds} s and try again")

    def failed(self, *, session: Session, user: User | None, now: datetime) -> None:
        """Count a wrong password (or unknown name, or inactive account) and audit it."""
        entity_id = user.id if user is not None else None
        details: dict[str, object] = {"username": self.username, "client": self.client}
        for row in self.rows:
            row.failures += 1
            row.last_failure_at = now
            details[f"{row.kind}_failures"] = row.failures
        record_event(session=session, actor=None, action="user.sign_in_failed", entity_type="user",
                     entity_id=entity_id, details=details)  # fmt: skip
        for row in self.rows:
            if row.failures >= LOCK_AFTER:
                row.locked_until = now + LOCK_DURATION
                record_event(
                    session=session, actor=None, action="user.sign_in_locked", entity_type="user", entity_id=entity_id,
                    details={row.kind: row.subject, "failures": row.failures, "locked_until": row.locked_until.isoformat()},
                )  # fmt: skip
        session.flush()

    def succeeded(self, *, session: Session) -> None:
        """Clear the account's counter (the client's is only forgotten with time)."""
        for row in self.rows:
            if row.kind == ACCOUNT:
                session.delete(row)
        session.flush()


def begin_attempt(*, session: Session, username: str, client: str | None) -> Attempt:
    """Lock the counters of this account name and client for the attempt."""
    rows = [_locked_row(session=session, kind=ACCOUNT, subject=_subject(ACCOUNT, username))]
    if client:
        rows.append(_locked_row(session=session, kind=CLIENT, subject=_subject(CLIENT, client)))
    return Attempt(username=_subject(ACCOUNT, username), client=client, rows=rows)


def list_sign_in_locks(*, session: Session) -> list[LoginThrottle]:
    """Accounts and clients with failed sign-ins in a row (locked or waiting), most failures first."""
    query = select(LoginThrottle).where(LoginThrottle.failures > 0)
    return list(session.scalars(query.order_by(LoginThrottle.failures.desc(), LoginThrottle.subject)))


def clear_counters(*, session: Session, username: str | None, client: str | None) -> int:
    """Delete the counters of an account name and/or a client; how many there were."""
    removed = 0
    for kind, value in ((ACCOUNT, username), (CLIENT, client)):
        if value:
            result = session.execute(
                delete(LoginThrottle).where(LoginThrottle.kind == kind, LoginThrottle.subject == _subject(kind, value))
            )
            removed += int(result.rowcount or 0)
    return removed
