"""Dashboard sign-ins that survive a reload (expiring, revocable, stored hashed) and autosaved
hint drafts (one per user and photo, curators only), on every backend."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

import db
from db import login_sessions
from db.catalog import Catalog
from db.errors import InvalidInput, NotFound, PermissionDenied

HINTS = {"version": 1, "points": [{"x": 10, "y": 20, "color": "#a03020", "radius": 4}], "strokes": [], "palette": []}


def _start(catalog: Catalog, username: str, hours: float = 1) -> str:
    with catalog.session() as session:
        user = db.get_user_by_name(session=session, username=username)
        return db.start_login_session(session=session, user=user, lifetime=timedelta(hours=hours))


def _resolve(catalog: Catalog, token: str) -> str | None:
    with catalog.read_session() as session:
        user = db.resolve_login_session(session=session, token=token)
        return None if user is None else user.username


def test_a_token_signs_in_its_user_and_only_its_hash_is_stored(catalog: Catalog, catalog_users: dict[str, db.User]) -> None:
    token = _start(catalog, "curator")
    assert len(token) >= 40
    assert _resolve(catalog, token) == "curator"
    assert _resolve(catalog, token + "x") is None and _resolve(catalog, "") is None
    with catalog.read_session() as session:
        stored = session.scalars(select(db.LoginSession)).one()
        assert token not in stored.token_sha256
        actions = [event.action for event in db.list_audit_events(session=session, entity_type="user")]
    assert "user.session_start" in actions


def test_a_session_expires(catalog: Catalog, catalog_users: dict[str, db.User], monkeypatch: pytest.MonkeyPatch) -> None:
    token = _start(catalog, "curator", hours=2)
    later = datetime.now(timezone.utc) + timedelta(hours=2, seconds=1)
    monkeypatch.setattr(login_sessions, "utcnow", lambda: later)
    assert _resolve(catalog, token) is None


def test_sign_out_ends_every_session_of_the_user_only(catalog: Catalog, catalog_users: dict[str, db.User]) -> None:
    first, second, other = _start(catalog, "curator"), _start(catalog, "curator"), _start(catalog, "reviewer")
    with catalog.session() as session:
        user = db.get_user_by_name(session=session, username="curator")
        assert db.end_login_sessions(session=session, user=user) == 2
    assert _resolve(catalog, first) is None and _resolve(catalog, second) is None
    assert _resolve(catalog, other) == "reviewer"


def test_a_deactivated_account_is_signed_out(catalog: Catalog, catalog_users: dict[str, db.User]) -> None:
    token = _start(catalog, "viewer")
    with catalog.session() as session:
        db.set_user_active(session=session, actor=catalog_users["admin"], user_id=catalog_users["viewer"].id, active=False)
    assert _resolve(catalog, token) is None


def test_no_session_without_a_positive_lifetime_or_for_the_local_user(catalog: Catalog) -> None:
    with catalog.session() as session:
        local = db.get_local_user(session=session)
        with pytest.raises(InvalidInput):
            db.start_login_session(session=session, user=local, lifetime=timedelta(hours=1))


def _photo_id(catalog: Catalog, actor: db.User) -> int:
    from PIL import Image
    import io

    buffer = io.BytesIO()
    Image.new("L", (40, 30), 128).save(buffer, format="PNG")
    with catalog.session() as session:
        outcome = db.import_bytes(session=session, store=catalog.store, settings=catalog.settings, actor=actor,
                                  filename="draft.png", data=buffer.getvalue())  # fmt: skip
    return outcome.photo_id


def test_a_draft_is_kept_per_user_and_photo_and_replaced(catalog: Catalog, catalog_users: dict[str, db.User]) -> None:
    photo_id = _photo_id(catalog, catalog_users["curator"])
    with catalog.session() as session:
        db.save_hint_draft(session=session, actor=catalog_users["curator"], photo_id=photo_id, hints=HINTS)
    changed = {**HINTS, "points": [*HINTS["points"], {"x": 1, "y": 2, "color": "#102030", "radius": 4}]}
    with catalog.session() as session:
        db.save_hint_draft(session=session, actor=catalog_users["curator"], photo_id=photo_id, hints=changed)
    with catalog.read_session() as session:
        assert db.get_hint_draft(session=session, actor=catalog_users["curator"], photo_id=photo_id).hints == changed
        assert db.get_hint_draft(session=session, actor=catalog_users["curator2"], photo_id=photo_id) is None
    with catalog.session() as session:
        assert db.delete_hint_draft(session=session, actor=catalog_users["curator"], photo_id=photo_id)
        assert not db.delete_hint_draft(session=session, actor=catalog_users["curator"], photo_id=photo_id)


def test_only_curators_keep_drafts_of_photos_that_exist(catalog: Catalog, catalog_users: dict[str, db.User]) -> None:
    photo_id = _photo_id(catalog, catalog_users["curator"])
    with catalog.session() as session, pytest.raises(PermissionDenied):
        db.save_hint_draft(session=session, actor=catalog_users["viewer"], photo_id=photo_id, hints=HINTS)
    with catalog.session() as session, pytest.raises(NotFound):
        db.save_hint_draft(session=session, actor=catalog_users["curator"], photo_id=photo_id + 99, hints=HINTS)
