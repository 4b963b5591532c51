"""Accounts, passwords, the roles ladder and local single-user mode."""

from __future__ import annotations

import pytest
from sqlalchemy import select

import db
from db.catalog import Catalog
from db.errors import AuthenticationFailed, DuplicateRecord, InvalidInput, PermissionDenied


def test_local_mode_until_the_first_account(catalog: Catalog) -> None:
    with catalog.session() as session:
        assert db.is_local_mode(session=session)
        local = db.get_local_user(session=session)
        assert local.is_local and db.has_role(local, "admin") and local.password_hash is None
        assert not db.four_eyes_applies(session=session, settings=catalog.settings)
        with pytest.raises(InvalidInput, match="first user account must be an admin"):
            db.create_user(session=session, actor=local, username="ann", password="long enough", role="curator")
    with catalog.session() as session:
        db.create_user(session=session, actor=None, username="ann", password="long enough", role="admin")
    with catalog.session() as session:
        assert not db.is_local_mode(session=session)
        assert db.four_eyes_applies(session=session, settings=catalog.settings)
        with pytest.raises(PermissionDenied, match="sign in"):
            db.get_local_user(session=session)
        local = session.scalar(select(db.User).where(db.User.is_local.is_(True)))
        assert local is not None and not local.active and not db.has_role(local, "viewer")


def test_passwords_are_hashed_and_checked(catalog: Catalog, catalog_users: dict[str, db.User]) -> None:
    with catalog.session() as session:
        user = db.authenticate(session=session, username="curator", password="password-curator")
        assert user.id == catalog_users["curator"].id
        assert user.password_hash and "password-curator" not in user.password_hash
        assert user.password_hash.startswith("$argon2id$")
        for name, password in (("curator", "wrong password"), ("nobody", "password-curator"), ("curator", "")):
            with pytest.raises(AuthenticationFailed, match="unknown user name or wrong password"):
                db.authenticate(session=session, username=name, password=password)


def test_only_admins_manage_accounts(catalog: Catalog, catalog_users: dict[str, db.User]) -> None:
    with catalog.session() as session:
        with pytest.raises(PermissionDenied, match="only a admin"):
            db.create_user(
                session=session, actor=catalog_users["reviewer"], username="eve", password="12345678", role="viewer"
            )
        with pytest.raises(DuplicateRecord):
            db.create_user(
                session=session, actor=catalog_users["admin"], username="Curator", password="12345678", role="viewer"
            )
        with pytest.raises(InvalidInput, match="at least 8"):
            db.create_user(session=session, actor=catalog_users["admin"], username="bob", password="short", role="viewer")
        with pytest.raises(InvalidInput, match="unknown role"):
            db.create_user(session=session, actor=catalog_users["admin"], username="bob", password="12345678", role="boss")
        user = db.set_user_role(
            session=session, actor=catalog_users["admin"], user_id=catalog_users["viewer"].id, role="curator"
        )
        assert user.role is db.Role.CURATOR
        with pytest.raises(InvalidInput, match="last admin"):
            db.set_user_role(session=session, actor=catalog_users["admin"], user_id=catalog_users["admin"].id, role="viewer")
        db.set_user_active(session=session, actor=catalog_users["admin"], user_id=catalog_users["reviewer2"].id, active=False)
    with catalog.session() as session:
        with pytest.raises(AuthenticationFailed):
            db.authenticate(session=session, username="reviewer2", password="password-reviewer2")
        actions = [event.action for event in db.list_audit_events(session=session, entity_type="user")]
        assert actions.count("user.create") == 6 and "user.set_role" in actions and "user.deactivate" in actions


def test_roles_ladder() -> None:
    viewer = db.User(username="v", role=db.Role.VIEWER, active=True)
    reviewer = db.User(username="r", role=db.Role.REVIEWER, active=True)
    assert db.has_role(reviewer, "curator") and db.has_role(reviewer, "viewer") and not db.has_role(reviewer, "admin")
    assert not db.has_role(viewer, "curator")
    with pytest.raises(PermissionDenied) as error:
        db.require_role(viewer, "curator", "import photos")
    assert "import photos" in str(error.value) and "viewer" in str(error.value)


def test_permissions_come_from_the_database_not_the_actor_object(catalog: Catalog, catalog_users: dict[str, db.User], make_scan) -> None:  # type: ignore[no-untyped-def]
    viewer_id = catalog_users["viewer"].id
    forged = db.User(id=viewer_id, username="viewer", role=db.Role.ADMIN, active=True, is_local=False)
    with catalog.session() as session:
        with pytest.raises(PermissionDenied, match="'viewer' is a viewer"):
            db.set_user_role(session=session, actor=forged, user_id=viewer_id, role="admin")
        with pytest.raises(PermissionDenied):
            db.create_user(session=session, actor=forged, username="mallory", password="12345678", role="admin")
        with pytest.raises(PermissionDenied):
            db.import_bytes(session=session, store=catalog.store, settings=catalog.settings, actor=forged,
                            filename="a.png", data=make_scan(1))  # fmt: skip
        # the persistent object itself, changed in memory but not saved, grants nothing either
        viewer = db.get_user(session=session, user_id=viewer_id)
        assert viewer is not None
        viewer.role = db.Role.ADMIN
        with pytest.raises(PermissionDenied):
            db.set_user_active(session=session, actor=viewer, user_id=catalog_users["admin"].id, active=False)
    with catalog.session() as session:
        db.set_user_active(session=session, actor=catalog_users["admin"], user_id=catalog_users["reviewer"].id, active=False)
    with catalog.session() as session:
        # a stale object of an account deactivated meanwhile no longer acts
        assert catalog_users["reviewer"].active
        with pytest.raises(PermissionDenied, match="deactivated"):
            db.add_term(session=session, actor=catalog_users["reviewer"], kind="era", name="Forged era")
        assert db.get_user(session=session, user_id=viewer_id).role is db.Role.VIEWER  # type: ignore[union-attr]
        assert db.get_term(session=session, kind="era", name="Forged era") is None
        actions = [event.action for event in db.list_audit_events(session=session, entity_type="user")]
        assert "user.set_role" not in actions and actions.count("user.create") == 6


def test_the_shipped_password_hasher_is_argon2id_at_the_recommended_cost(shipped_password_hasher) -> None:  # type: ignore[no-untyped-def]
    """The other tests hash at a test cost (tests/conftest.py); the shipped one is RFC 9106's low-memory choice."""
    stored = shipped_password_hasher.hash("password-curator")
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert shipped_password_hasher.verify(stored, "password-curator")
    assert not shipped_password_hasher.check_needs_rehash(stored)
