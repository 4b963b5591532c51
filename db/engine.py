"""Database engines for SQLite and PostgreSQL, and turning driver failures into one-line errors.

SQLite is set up for a small archive served by one machine: foreign keys on, write-ahead
logging so readers do not block the writer, a busy timeout, and every transaction started
with ``BEGIN IMMEDIATE`` so that two writers queue up instead of failing halfway (and so that
SAVEPOINTs work, which the driver's own transaction handling breaks).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError, OperationalError

from db.errors import CatalogError, ConcurrentChange, DatabaseUnavailable, RecordImmutable

log = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 30_000
# Messages of the history-protecting database triggers (migrations 0001 and 0004).
GUARD_MESSAGES = (
    "audit log is append-only",
    "reviewed colorization is immutable",
    "catalog records are never deleted",
    "catalog records are never replaced or renumbered",
    "photo content identity (sha256, size, dimensions) is immutable",
)


def describe_url(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<invalid database URL>"


def create_catalog_engine(url: str) -> Engine:
    """An engine for ``url``; the SQLite file's folder is created when missing."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseUnavailable(f"{url!r} is not a database URL (e.g. postgresql+psycopg://user@host/db)") from None
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            try:
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise DatabaseUnavailable(f"cannot create the data folder for {database}: {exc.strerror}") from None
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        _configure_sqlite(engine)
        return engine
    if parsed.get_backend_name() != "postgresql":
        raise DatabaseUnavailable(f"{describe_url(url)}: only SQLite and PostgreSQL are supported")
    try:
        return create_engine(url, pool_pre_ping=True)
    except (ArgumentError, ImportError) as exc:
        raise DatabaseUnavailable(f"{describe_url(url)}: {exc}") from None


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, connection_record) -> None:  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves (see module docstring)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection) -> None:  # type: ignore[no-untyped-def]
        # Writers take the write lock up front; read sessions (sqlite_begin="DEFERRED") do not.
        mode = connection.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        connection.exec_driver_sql(f"BEGIN {mode}")


def _first_line(error: BaseException) -> str:
    text = str(getattr(error, "orig", None) or error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def translate_database_error(error: DBAPIError, url: str) -> CatalogError:
    """A one-line catalog error for a driver failure."""
    detail = _first_line(error)
    if any(guard in detail for guard in GUARD_MESSAGES):  # raised by the history-protecting triggers
        return RecordImmutable(detail)
    if isinstance(error, IntegrityError):
        return ConcurrentChange(f"the change conflicts with the catalog's current state ({detail}); reload and try again")
    if "database is locked" in detail or "could not serialize" in detail or "deadlock" in detail:
        return ConcurrentChange(f"the catalog is busy with another change ({detail}); try again")
    if isinstance(error, OperationalError) or error.connection_invalidated:
        return DatabaseUnavailable(f"cannot use the database {describe_url(url)}: {detail}")
    return CatalogError(f"database error: {detail}")


@contextmanager
def database_errors(url: str) -> Iterator[None]:
    """Re-raise driver exceptions as one-line catalog errors."""
    try:
        yield
    except DBAPIError as error:
        raise translate_database_error(error, url) from error
