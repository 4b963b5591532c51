"""Sign-in throttling per account and per client: growing delays, a temporary lock after 10
failures in a row, an admin unlock, audit events; the counts live in the database."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

import db
from db import throttle
from db.catalog import Catalog
from db.errors import AuthenticationFailed, PermissionDenied, SignInThrottled


class Clock:
    """A settable stand-in for throttle.utcnow."""

    def __init__(self) -> None:
        self.now = datetime(2026, 12, 2, 9, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(throttle, "utcnow", fake)
    return fake


def _sign_in(catalog: Catalog, username: str, password: str, client: str | None = "10.0.0.1") -> db.User:
    with catalog.session() as session:
        return db.authenticate(session=session, username=username, password=password, client=client)


def test_many_wrong_passwords_then_the_right_one_is_refused(catalog: Catalog, catalog_users: dict[str, db.User]) -> None:
    """The reported attack, in real time: 30 wrong passwords in a few seconds, then the right one."""
    refused = 0
    for _ in range(30):
        with pytest.raises(AuthenticationFailed) as error:
            _sign_in(catalog, "curator", "wrong password")
        refused += isinstance(error.value, SignInThrottled)
    assert refused >= 25  # only the first failures are even checked; the rest must wait
    with pytest.raises(SignInThrottled, match="wait"):
        _sign_in(catalog, "curator", "password-curator")


def test_growing_delays_then_a_lock_an_admin_can_lift(catalog: Catalog, catalog_users: dict[str, db.User], clock: Clock) -> None:
    delays = []
    for attempt in range(1, throttle.LOCK_AFTER + 1):
        with pytest.raises(AuthenticationFailed) as error:
            _sign_in(catalog, "Curator", "wrong password", client=f"10.0.0.{attempt}")  # the name in any case
        assert not isinstance(error.value, SignInThrottled)
        delay = throttle.delay_after(attempt)
        delays.append(delay)
        if attempt == throttle.LOCK_AFTER:
            break
        if delay:
            with pytest.raises(SignInThrottled, match="wait"):  # even with the right password
                _sign_in(catalog, "curator", "password-curator", client="10.0.0.99")
            clock.advance(delay.total_seconds() - 0.5)
            with pytest.raises(SignInThrottled):
                _sign_in(catalog, "curator", "password-curator", client="10.0.0.99")
        clock.advance(0.5 if delay else 1)
    assert delays[:2] == [timedelta(0)] * 2 and delays[2:] == sorted(delays[2:]) and delays[-1] > delays[2]
    clock.advance(delays[-1].total_seconds() + 1)  # the delay is over, the lock is not
    with pytest.raises(SignInThrottled, match="locked"):
        _sign_in(catalog, "curator", "password-curator", client="10.0.0.99")
    clock.advance(throttle.LOCK_DURATION.total_seconds() - delays[-1].total_seconds() - 60)
    with pytest.raises(SignInThrottled, match="locked"):
        _sign_in(catalog, "curator", "password-curator", client="10.0.0.99")
    assert _sign_in(catalog, "reviewer", "password-reviewer").username == "reviewer"  # other accounts unaffected

    # the lock is in the database: a second catalog (as another process would) sees it
    other = db.open_catalog(catalog.settings)
    try:
        with pytest.raises(SignInThrottled):
            _sign_in(other, "curator", "password-curator", client="10.0.0.99")
        with other.session() as session:
            locks = db.list_sign_in_locks(session=session)
            assert [(lock.kind, lock.subject, lock.failures) for lock in locks][0] == ("account", "curator", 10)
            with pytest.raises(PermissionDenied):
                db.unlock_sign_in(session=session, actor=catalog_users["reviewer"], username="curator")
            assert db.unlock_sign_in(session=session, actor=catalog_users["admin"], username="curator") == 1
    finally:
        other.close()
    assert _sign_in(catalog, "curator", "password-curator").username == "curator"

    with catalog.read_session() as session:
        events = db.list_audit_events(session=session, entity_type="user", entity_id=catalog_users["curator"].id)
        actions = [event.action for event in events]
    assert actions.count("user.sign_in_failed") == throttle.LOCK_AFTER
    assert actions.count("user.sign_in_locked") == 1 and actions.count("user.unlock") == 1
    failed = next(event for event in events if event.action == "user.sign_in_failed")
    assert failed.details["username"] == "curator" and failed.details["account_failures"] == throttle.LOCK_AFTER


def test_a_success_clears_the_account_counter(catalog: Catalog, catalog_users: dict[str, db.User], clock: Clock) -> None:
    for _ in range(throttle.LOCK_AFTER - 1):
        with pytest.raises(AuthenticationFailed):
            _sign_in(catalog, "curator", "wrong password", client=None)
        clock.advance(throttle.MAX_DELAY.total_seconds())
    _sign_in(catalog, "curator", "password-curator", client=None)
    with pytest.raises(AuthenticationFailed) as error:
        _sign_in(catalog, "curator", "wrong password", client=None)
    assert not isinstance(error.value, SignInThrottled)
    _sign_in(catalog, "curator", "password-curator", client=None)  # one failure: no delay


def test_one_client_guessing_at_many_accounts_is_locked(catalog: Catalog, catalog_users: dict[str, db.User], clock: Clock) -> None:
    names = ["admin", "curator", "curator2", "reviewer", "reviewer2", "viewer", "nobody", "root", "ann", "bob"]
    for name in names:  # one guess per account: no account counter reaches a delay
        with pytest.raises(AuthenticationFailed):
            _sign_in(catalog, name, "Winter2026!", client="203.0.113.7")
        clock.advance(throttle.MAX_DELAY.total_seconds())
    with pytest.raises(SignInThrottled, match="this client"):
        _sign_in(catalog, "viewer", "password-viewer", client="203.0.113.7")
    # signing in to a valid account from there does not reset the client's counter
    assert _sign_in(catalog, "viewer", "password-viewer", client="198.51.100.2").username == "viewer"
    with pytest.raises(SignInThrottled, match="this client"):
        _sign_in(catalog, "viewer", "password-viewer", client="203.0.113.7")
    with catalog.session() as session:
        assert db.unlock_sign_in(session=session, actor=catalog_users["admin"], client="203.0.113.7") == 1
    assert _sign_in(catalog, "viewer", "password-viewer", client="203.0.113.7").username == "viewer"
