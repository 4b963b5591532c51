"""The schema comes only from Alembic, matches the models, and migrates both ways on both backends."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

import db
from db.engine import create_catalog_engine
from db.errors import DatabaseUnavailable
from db.migrate import current_revision, include_object, downgrade_database, head_revision, upgrade_database
from db.models import Base

TABLES = {
    "users", "vocabulary_terms", "photos", "photo_tags", "colorizations", "reference_colors", "audit_events",
    "login_throttle", "login_sessions", "hint_drafts", "batch_runs", "batch_items",
}
BATCH_TABLES = {"batch_runs", "batch_items"}  # revision 0007, after 0006
# Triggers of revision 0004 (REPLACE, TRUNCATE and content identity guards).
GUARDS_0004 = {
    "sqlite": {"audit_events_no_replace", "photos_no_replace", "colorizations_no_replace",
               "colorizations_no_replace_on_update", "photos_identity_immutable"},
    "postgresql": {"audit_events_no_truncate", "colorizations_no_truncate", "photos_no_truncate",
                   "photos_identity_immutable", "colorizations_id_immutable"},
}  # fmt: skip


def _tables(url: str) -> set[str]:
    engine = create_catalog_engine(url)
    try:
        with engine.connect() as connection:
            names = set(inspect(connection).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()
    return {name for name in names if not name.startswith("photos_search")}  # SQLite FTS5 index tables


def _search_index_exists(url: str) -> bool:
    engine = create_catalog_engine(url)
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "sqlite":
                return "photos_search" in inspect(connection).get_table_names()
            if not inspect(connection).has_table("photos"):
                return False
            return "ix_photos_search_text_trgm" in {index["name"] for index in inspect(connection).get_indexes("photos")}
    finally:
        engine.dispose()


def _triggers(url: str) -> set[str]:
    engine = create_catalog_engine(url)
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "sqlite":
                query = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
            else:
                query = "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
            return set(connection.execute(text(query)).scalars())
    finally:
        engine.dispose()


def test_guard_revision_round_trips(empty_database_url: str, backend: str) -> None:
    upgrade_database(empty_database_url)
    assert GUARDS_0004[backend] <= _triggers(empty_database_url)
    downgrade_database(empty_database_url, "0003")
    assert not GUARDS_0004[backend] & _triggers(empty_database_url)
    assert "login_throttle" not in _tables(empty_database_url)
    upgrade_database(empty_database_url)
    assert GUARDS_0004[backend] <= _triggers(empty_database_url)
    assert _tables(empty_database_url) == TABLES


def test_sessions_and_drafts_revision_round_trips(empty_database_url: str) -> None:
    upgrade_database(empty_database_url)
    downgrade_database(empty_database_url, "0005")
    assert _tables(empty_database_url) == TABLES - {"login_sessions", "hint_drafts"} - BATCH_TABLES
    upgrade_database(empty_database_url)
    assert _tables(empty_database_url) == TABLES


def test_batch_runs_revision_round_trips(empty_database_url: str) -> None:
    upgrade_database(empty_database_url)
    downgrade_database(empty_database_url, "0006")
    assert _tables(empty_database_url) == TABLES - BATCH_TABLES
    upgrade_database(empty_database_url)
    assert _tables(empty_database_url) == TABLES


def test_upgrade_downgrade_upgrade(empty_database_url: str) -> None:
    upgrade_database(empty_database_url)
    assert _tables(empty_database_url) == TABLES and _search_index_exists(empty_database_url)
    downgrade_database(empty_database_url, "base")
    assert _tables(empty_database_url) == set() and not _search_index_exists(empty_database_url)
    upgrade_database(empty_database_url)
    assert _tables(empty_database_url) == TABLES and _search_index_exists(empty_database_url)
    engine = create_catalog_engine(empty_database_url)
    try:
        assert current_revision(engine) == head_revision()
        with engine.connect() as connection:
            eras = connection.execute(text("SELECT name FROM vocabulary_terms WHERE kind = 'era'")).scalars().all()
            events = connection.execute(text("SELECT name FROM vocabulary_terms WHERE kind = 'event'")).scalars().all()
    finally:
        engine.dispose()
    assert {"Korean Empire", "Japanese occupation", "Liberation", "Korean War"} <= set(eras)
    assert {"April Revolution", "Gwangju Uprising", "June Democratic Struggle", "Demonstration", "Portrait"} <= set(events)


def test_migrated_schema_matches_the_models(database_url: str) -> None:
    engine = create_catalog_engine(database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True, "include_object": include_object})
            differences = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert differences == []


def test_open_catalog_upgrades_an_empty_database(empty_database_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = db.load_settings({}, data_dir=tmp_path / "data", database_url=empty_database_url)
    with pytest.raises(DatabaseUnavailable, match="findcolor db upgrade"):
        db.open_catalog(settings, upgrade=False)
    catalog = db.open_catalog(settings)
    try:
        with catalog.read_session() as session:
            assert len(db.list_terms(session=session, kind="era")) >= 7
    finally:
        catalog.close()


def test_dead_database_is_one_clear_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = db.load_settings(
        {}, data_dir=tmp_path, database_url="postgresql+psycopg://nobody@127.0.0.1:1/nothing?connect_timeout=2"
    )
    with pytest.raises(DatabaseUnavailable) as error:
        db.open_catalog(settings)
    message = str(error.value)
    assert "\n" not in message and "127.0.0.1:1" in message


def test_unreadable_sqlite_location_is_one_clear_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    settings = db.load_settings({}, data_dir=tmp_path, database_url=f"sqlite:///{blocker}/catalog.sqlite3")
    with pytest.raises(DatabaseUnavailable) as error:
        db.open_catalog(settings)
    assert "\n" not in str(error.value)
