"""Opening the catalog: settings, database engine, schema upgrade, file store, transactions.

::

    catalog = open_catalog()              # FINDCOLOR_* settings; schema upgraded to the newest revision
    with catalog.session() as session:    # a write transaction: committed on success, rolled back on error
        ...
    with catalog.read_session() as session:   # for browsing and export; never blocks writers on SQLite
        ...
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

import db.guards  # noqa: F401  (registers the ORM guards on the models)
from db.engine import create_catalog_engine, database_errors, describe_url, translate_database_error
from db.errors import DatabaseUnavailable
from db.migrate import current_revision, head_revision, upgrade_database
from db.settings import Settings, load_settings
from db.object_store import open_store

log = logging.getLogger(__name__)


class Catalog:
    """A connected catalog: settings, engine, file store and session factories."""

    def __init__(self, settings: Settings, engine: Engine) -> None:
        self.settings = settings
        self.engine = engine
        self.store = open_store(store_dir=settings.store_dir, store_url=settings.store_url)
        self._write_sessions = sessionmaker(bind=engine, expire_on_commit=False)
        read_engine = engine.execution_options(sqlite_begin="DEFERRED") if engine.dialect.name == "sqlite" else engine
        self._read_sessions = sessionmaker(bind=read_engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A write transaction; driver failures come out as one-line catalog errors."""
        with self._transaction(self._write_sessions) as session:
            yield session

    @contextmanager
    def read_session(self) -> Iterator[Session]:
        """A read transaction (it is rolled back at the end; use :meth:`session` to change things)."""
        with self._transaction(self._read_sessions, commit=False) as session:
            yield session

    @contextmanager
    def _transaction(self, factory: sessionmaker[Session], *, commit: bool = True) -> Iterator[Session]:
        session = factory()
        try:
            yield session
            if commit:
                session.commit()
            else:
                session.expunge_all()  # keep loaded objects usable; a rollback would expire them
                session.rollback()
        except DBAPIError as error:
            session.rollback()
            raise translate_database_error(error, self.settings.database_url) from error
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def close(self) -> None:
        self.engine.dispose()

    def __repr__(self) -> str:
        return f"Catalog({describe_url(self.settings.database_url)}, store={self.store.root})"


def open_catalog(settings: Settings | None = None, *, upgrade: bool = True) -> Catalog:
    """Connect to the catalog; with ``upgrade`` (the default) bring its schema up to date first.

    Raises DatabaseUnavailable with one line when the database cannot be reached, or when
    ``upgrade`` is False and the schema is not current.
    """
    settings = settings or load_settings()
    engine = create_catalog_engine(settings.database_url)
    try:
        with database_errors(settings.database_url), engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        if upgrade:
            upgrade_database(settings.database_url, engine=engine)
        else:
            with database_errors(settings.database_url):
                current = current_revision(engine)
            if current != head_revision():
                raise DatabaseUnavailable(
                    f"the catalog schema is at revision {current or 'none'}, not {head_revision()}: "
                    "run 'findcolor db upgrade'"
                )
    except BaseException:
        engine.dispose()
        raise
    log.info("catalog open: %s", describe_url(settings.database_url))
    return Catalog(settings, engine)


def thumbnail_path(*, catalog: Catalog, sha256: str) -> Path:
    """The cached thumbnail of a stored image (original or colorization), made on first use."""
    return catalog.store.derivative(sha256, catalog.settings.thumbnail_side, max_pixels=catalog.settings.max_pixels)


def display_path(*, catalog: Catalog, sha256: str) -> Path:
    """The cached display-size copy of a stored image, made on first use."""
    return catalog.store.derivative(sha256, catalog.settings.display_side, max_pixels=catalog.settings.max_pixels)
