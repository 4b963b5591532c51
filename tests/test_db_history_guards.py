"""History cannot be rewritten with hand-written SQL, on either backend (migrations 0001 and 0004).

Approved and rejected colorizations, audit events and photos' content identity must survive
UPDATE, DELETE, SQLite's REPLACE (which deletes and re-inserts without firing delete
triggers) and PostgreSQL's TRUNCATE (which skips row triggers).
"""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

import db
from db.catalog import Catalog
from db.errors import RecordImmutable

HINTS = {"points": [{"x": 3, "y": 4, "color": "#a03020", "radius": 1}]}
OTHER_SHA256 = "0" * 64


@pytest.fixture
def history(catalog: Catalog, catalog_users: dict[str, db.User], make_scan, make_colorized) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """A photo with an approved, a rejected and a draft colorization, and a second photo."""
    ids: dict[str, int] = {}
    with catalog.session() as session:
        settings, store = catalog.settings, catalog.store
        for name, seed in (("photo", 1), ("other_photo", 2)):
            outcome = db.import_bytes(session=session, store=store, settings=settings, actor=catalog_users["curator"],
                                      filename=f"{name}.png", data=make_scan(seed))  # fmt: skip
            assert outcome.photo_id is not None
            ids[name] = outcome.photo_id
        for name, color in (("approved", (160, 48, 32)), ("rejected", (20, 90, 160)), ("draft", (30, 160, 40))):
            ids[name] = db.create_colorization(
                session=session, store=store, settings=settings, actor=catalog_users["curator"],
                photo_id=ids["photo"], hints=HINTS, engine="classical", output_png=make_colorized(48, 32, color),
            ).id  # fmt: skip
        reviewer = catalog_users["reviewer"]
        db.approve_colorization(session=session, settings=settings, actor=reviewer, colorization_id=ids["approved"])
        db.reject_colorization(session=session, settings=settings, actor=reviewer, colorization_id=ids["rejected"])
        ids["event"] = db.list_audit_events(session=session, limit=1)[0].id
    return ids


def _snapshot(catalog: Catalog) -> tuple[list, list, list]:  # type: ignore[type-arg]
    """Everything the guards protect: reviewed colorizations, the audit log, photos' content identity."""
    with catalog.engine.connect() as connection:
        colorizations = connection.execute(
            text("SELECT * FROM colorizations WHERE status <> 'draft' ORDER BY id")
        ).all()
        events = connection.execute(text("SELECT * FROM audit_events ORDER BY id")).all()
        photos = connection.execute(
            text("SELECT id, sha256, size_bytes, width, height, format, mode, bit_depth FROM photos ORDER BY id")
        ).all()
    return colorizations, events, photos


def _columns(table: str, replace_id: bool) -> str:
    names = [column.name for column in db.models.Base.metadata.tables[table].columns]
    return ", ".join("NULL" if replace_id and name == "id" else name for name in names)


def _statements(backend: str, ids: dict[str, int]) -> list[str]:
    both = [
        f"UPDATE photos SET sha256 = '{OTHER_SHA256}' WHERE id = {ids['photo']}",
        f"UPDATE photos SET size_bytes = size_bytes + 1 WHERE id = {ids['photo']}",
        f"UPDATE photos SET width = 1, height = 1 WHERE id = {ids['photo']}",
        f"UPDATE photos SET id = 9999 WHERE id = {ids['other_photo']}",
        # approved -> superseded is the one change allowed to a reviewed row; not with a new id
        f"UPDATE colorizations SET status = 'superseded', id = 9999 WHERE id = {ids['approved']}",
        f"UPDATE colorizations SET review_note = 'edited' WHERE id = {ids['rejected']}",
        f"UPDATE audit_events SET action = 'nothing happened' WHERE id = {ids['event']}",
        "DELETE FROM audit_events",
        "DELETE FROM colorizations",
        "DELETE FROM photos",
    ]
    if backend == "sqlite":
        return both + [
            f"REPLACE INTO colorizations SELECT * FROM colorizations WHERE id = {ids['approved']}",
            f"INSERT OR REPLACE INTO colorizations SELECT * FROM colorizations WHERE id = {ids['rejected']}",
            f"REPLACE INTO audit_events SELECT * FROM audit_events WHERE id = {ids['event']}",
            f"REPLACE INTO photos SELECT * FROM photos WHERE id = {ids['photo']}",
            # a new row that collides with the photo's approved one on the one-approved-per-photo index
            f"INSERT OR REPLACE INTO colorizations ({_columns('colorizations', False)}) "
            f"SELECT {_columns('colorizations', True)} FROM colorizations WHERE id = {ids['approved']}",
            f"UPDATE OR REPLACE colorizations SET status = 'approved' WHERE id = {ids['draft']}",
            f"UPDATE OR REPLACE colorizations SET id = {ids['approved']} WHERE id = {ids['draft']}",
            f"UPDATE OR REPLACE photos SET sha256 = (SELECT sha256 FROM photos WHERE id = {ids['photo']}) "
            f"WHERE id = {ids['other_photo']}",
        ]
    return both + [
        "TRUNCATE audit_events",
        "TRUNCATE colorizations CASCADE",
        "TRUNCATE photos CASCADE",
        "TRUNCATE users CASCADE",
        f"INSERT INTO audit_events SELECT * FROM audit_events WHERE id = {ids['event']} "
        "ON CONFLICT (id) DO UPDATE SET action = 'nothing happened'",
    ]


def test_plain_sql_cannot_rewrite_history(catalog: Catalog, history: dict[str, int], backend: str) -> None:
    before = _snapshot(catalog)
    assert len(before[0]) == 2 and len(before[2]) == 2
    for statement in _statements(backend, history):
        with catalog.engine.connect() as connection:
            with pytest.raises(DBAPIError):
                connection.execute(text(statement))
                pytest.fail(f"not refused: {statement}")
            connection.rollback()
        assert _snapshot(catalog) == before, statement
    with catalog.read_session() as session:
        assert db.verify_store(session=session, store=catalog.store).ok


def test_guard_refusals_are_one_line_catalog_errors(catalog: Catalog, history: dict[str, int]) -> None:
    with pytest.raises(RecordImmutable, match="content identity"), catalog.session() as session:
        session.execute(text(f"UPDATE photos SET sha256 = '{OTHER_SHA256}' WHERE id = {history['photo']}"))
    with pytest.raises(RecordImmutable, match="cannot be changed"), catalog.session() as session:
        photo = db.get_photo(session=session, photo_id=history["photo"])
        assert photo is not None
        photo.sha256 = OTHER_SHA256
        session.flush()
    with catalog.session() as session:  # descriptive fields stay editable
        session.execute(text(f"UPDATE photos SET title = 'Corrected title' WHERE id = {history['photo']}"))
    with catalog.read_session() as session:
        assert session.scalar(select(db.Photo.title).where(db.Photo.id == history["photo"])) == "Corrected title"
