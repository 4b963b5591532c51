"""Schema upgrades with Alembic, configured in code so that no ``alembic.ini`` is needed.

``findcolor db upgrade`` and :func:`db.open_catalog` both call :func:`upgrade_database`;
the schema is never created any other way.
"""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

import migrations
from db.engine import create_catalog_engine, database_errors

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(migrations.__file__).resolve().parent
# Objects made by migrations with dialect-specific SQL, not described by the models:
# the PostgreSQL trigram index and the SQLite FTS5 table (with its shadow tables).
MIGRATION_ONLY_INDEXES = frozenset({"ix_photos_search_text_trgm"})
MIGRATION_ONLY_TABLE_PREFIX = "photos_search"


def include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """Alembic autogenerate filter: leave the migration-only objects alone."""
    if type_ == "index" and name in MIGRATION_ONLY_INDEXES:
        return False
    return not (type_ == "table" and (name or "").startswith(MIGRATION_ONLY_TABLE_PREFIX))


def alembic_config(url: str) -> Config:
    """An Alembic configuration pointing at ``migrations/`` and the given database."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def _run(url: str, engine: Engine | None, action: str, revision: str) -> None:
    own_engine = engine is None
    engine = engine or create_catalog_engine(url)
    config = alembic_config(url)
    try:
        with database_errors(url), engine.begin() as connection:
            config.attributes["connection"] = connection
            if action == "upgrade":
                command.upgrade(config, revision)
            else:
                command.downgrade(config, revision)
    finally:
        if own_engine:
            engine.dispose()


def upgrade_database(url: str, revision: str = "head", *, engine: Engine | None = None) -> None:
    """Bring the schema up to ``revision`` (default: the newest)."""
    log.info("upgrading catalog schema to %s", revision)
    _run(url, engine, "upgrade", revision)


def downgrade_database(url: str, revision: str, *, engine: Engine | None = None) -> None:
    """Take the schema back to ``revision`` (``"base"`` removes every table)."""
    log.info("downgrading catalog schema to %s", revision)
    _run(url, engine, "downgrade", revision)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
