"""Shared fixtures: a fresh catalog per test on SQLite and, when ``FINDCOLOR_TEST_DATABASE_URL``
is set, on PostgreSQL too.

The PostgreSQL URL names a server and a database to connect to for administration (e.g.
``postgresql+psycopg://postgres@127.0.0.1:5432/test``). The session creates its own databases
there (``findcolor_test_<random>_…``) and drops them at the end. If the variable is set and the
server cannot be reached, every PostgreSQL test FAILS: a run that silently skipped the
PostgreSQL tests would look green without testing anything. Without the variable each
PostgreSQL case is SKIPPED, with the reason in the run's summary (it does not vanish).

Each backend is migrated once into a template (a SQLite file, a PostgreSQL template database);
every test gets a copy, so tests are isolated and fast. Under pytest-xdist every worker has its
own templates and databases (the random prefix), its own data folders and free ports.

Passwords are hashed with argon2id at a test work factor (see ``cheap_password_hashing``);
``test_db_users`` checks the shipped hasher's parameters once.

At the end the run says what it covered: which database backends ran catalog tests and
which browser ran the end-to-end tests (``pytest_terminal_summary``).
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url

import db
from db.catalog import Catalog
from db.migrate import upgrade_database

POSTGRES_ENV = "FINDCOLOR_TEST_DATABASE_URL"
BACKENDS = ["sqlite", "postgresql"]
BACKEND_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
POSTGRES_SKIP_REASON = (
    f"PostgreSQL not tested: set {POSTGRES_ENV}=postgresql+psycopg://postgres@127.0.0.1:5432/test "
    "to run every catalog test against PostgreSQL too (CI does)"
)
# (name, value) pairs a test adds to its report's user_properties; the summary reads them back,
# also from pytest-xdist workers (user_properties travel with each report).
COVERED_BACKEND = "findcolor_covered_backend"
COVERED_BROWSER = "findcolor_covered_browser"
# argon2id at the smallest cost that is still argon2id: tests create and check hundreds of
# passwords, and the shipped cost (64 MiB, 3 passes) made that half of the catalog tests' time.
TEST_HASHER_PARAMETERS = {"time_cost": 1, "memory_cost": 256, "parallelism": 1}


class TestDatabases:
    """Creates fresh databases per test from migrated templates; cleans up at the end."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.prefix = f"findcolor_test_{uuid.uuid4().hex[:10]}"
        self._sqlite_template: Path | None = None
        self._postgres_admin: URL | None = None
        self._postgres_template: str | None = None
        self._postgres_error: str | None = None
        self._created: list[str] = []
        self._counter = 0

    # ------------------------------------------------------------------ SQLite

    def _sqlite_template_path(self) -> Path:
        if self._sqlite_template is None:
            path = self.root / "template.sqlite3"
            url = f"sqlite:///{path}"
            upgrade_database(url)
            self._sqlite_template = path
        return self._sqlite_template

    # ------------------------------------------------------------------ PostgreSQL

    def _admin_engine(self):  # type: ignore[no-untyped-def]
        if self._postgres_error is not None:
            pytest.fail(self._postgres_error)
        if self._postgres_admin is None:
            raw = os.environ[POSTGRES_ENV]
            try:
                self._postgres_admin = make_url(raw)
            except Exception as exc:  # noqa: BLE001 - any parse failure is a configuration error
                self._postgres_error = f"{POSTGRES_ENV}={raw!r} is not a database URL: {exc}"
                pytest.fail(self._postgres_error)
        engine = create_engine(self._postgres_admin, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception as exc:  # noqa: BLE001 - report whatever the driver says
            engine.dispose()
            shown = self._postgres_admin.render_as_string(hide_password=True)
            self._postgres_error = (
                f"{POSTGRES_ENV} is set but PostgreSQL at {shown} is unreachable: {str(exc).splitlines()[0]}"
            )
            pytest.fail(self._postgres_error)
        return engine

    def _create_postgres(self, name: str, template: str | None = None) -> str:
        engine = self._admin_engine()
        try:
            with engine.connect() as connection:
                clause = f" TEMPLATE {template}" if template else ""
                connection.execute(text(f"CREATE DATABASE {name}{clause}"))
        finally:
            engine.dispose()
        self._created.append(name)
        assert self._postgres_admin is not None
        return self._postgres_admin.set(database=name).render_as_string(hide_password=False)

    def _postgres_template_name(self) -> str:
        if self._postgres_template is None:
            name = f"{self.prefix}_template"
            upgrade_database(self._create_postgres(name))
            self._postgres_template = name
        return self._postgres_template

    # ------------------------------------------------------------------ API

    def _next_name(self) -> str:
        self._counter += 1
        return f"{self.prefix}_{self._counter}"

    def fresh_url(self, backend: str, directory: Path) -> str:
        """A database migrated to the newest revision, used by one test only."""
        if backend == "sqlite":
            path = directory / "catalog.sqlite3"
            path.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(self._sqlite_template_path(), path)
            return f"sqlite:///{path}"
        return self._create_postgres(self._next_name(), template=self._postgres_template_name())

    def empty_url(self, backend: str, directory: Path) -> str:
        """A database without any schema (for migration tests)."""
        if backend == "sqlite":
            directory.mkdir(parents=True, exist_ok=True)
            return f"sqlite:///{directory / 'empty.sqlite3'}"
        return self._create_postgres(self._next_name())

    def drop_all(self) -> None:
        if not self._created:
            return
        engine = self._admin_engine()
        try:
            with engine.connect() as connection:
                for name in reversed(self._created):
                    connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        finally:
            engine.dispose()


@pytest.fixture(scope="session")
def test_databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestDatabases]:
    databases = TestDatabases(tmp_path_factory.mktemp("databases"))
    yield databases
    databases.drop_all()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The database backend under test: 'sqlite', and 'postgresql' (skipped, saying why, when not configured)."""
    if request.param == "postgresql" and not os.environ.get(POSTGRES_ENV):
        pytest.skip(POSTGRES_SKIP_REASON)
    request.node.user_properties.append((COVERED_BACKEND, request.param))
    return request.param


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    """Fold the PostgreSQL skips into one summary line (``SKIPPED [n] tests/conftest.py: …``), not one per test."""
    report = yield
    if report.skipped and isinstance(report.longrepr, tuple) and report.longrepr[2].endswith(POSTGRES_SKIP_REASON):
        report.longrepr = (__file__, None, report.longrepr[2])
    return report


_SHIPPED_HASHER: list[object] = []


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing() -> Iterator[None]:
    """Hash test passwords with argon2id at the smallest cost (same code path, same format).

    Only this process is affected: the end-to-end tests' Streamlit server keeps the shipped
    cost (and rehashes an account made here at that cost when it signs in, as it would any
    older hash); ``shipped_password_hasher`` hands the shipped hasher to the test of its parameters.
    """
    from argon2 import PasswordHasher

    import db.users

    shipped = db.users._hasher
    _SHIPPED_HASHER[:] = [shipped]
    db.users._hasher = PasswordHasher(**TEST_HASHER_PARAMETERS)
    db.users._dummy_hash.cache_clear()
    yield
    db.users._hasher = shipped
    db.users._dummy_hash.cache_clear()


@pytest.fixture
def shipped_password_hasher(cheap_password_hashing: None):  # type: ignore[no-untyped-def]
    """The ``argon2.PasswordHasher`` that ``db.users`` ships with (tests otherwise use a cheap one)."""
    return _SHIPPED_HASHER[0]


# ---------------------------------------------------------------------- what the run covered


class CoverageSummary:
    """Collects what the passed tests covered and says it in one line at the end of the run.

    Reports reach the main process also from pytest-xdist workers, with their user_properties.
    """

    def __init__(self) -> None:
        self.covered: dict[str, set[str]] = {COVERED_BACKEND: set(), COVERED_BROWSER: set()}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when != "call" or not report.passed:
            return
        for name, value in report.user_properties:
            if name in self.covered:
                self.covered[name].add(str(value))

    def line(self) -> str:
        ran = self.covered[COVERED_BACKEND]
        backends = ", ".join(BACKEND_NAMES[name] for name in BACKENDS if name in ran) or "none"
        missing = [BACKEND_NAMES[name] for name in BACKENDS if name not in ran]
        if ran and missing:
            backends += f" (not {', '.join(missing)})"
        browsers = ", ".join(sorted(self.covered[COVERED_BROWSER])) or "none (no end-to-end test passed)"
        return f"database backends: {backends}; browser: {browsers}"

    def pytest_terminal_summary(self, terminalreporter, config: pytest.Config) -> None:  # type: ignore[no-untyped-def]
        if config.option.collectonly:
            return
        terminalreporter.write_sep("=", "covered", bold=True)
        terminalreporter.write_line(self.line())


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(CoverageSummary(), "findcolor-coverage-summary")


@pytest.fixture
def database_url(backend: str, test_databases: TestDatabases, tmp_path: Path) -> str:
    """A fresh, fully migrated database for this test."""
    return test_databases.fresh_url(backend, tmp_path / "data")


@pytest.fixture
def empty_database_url(backend: str, test_databases: TestDatabases, tmp_path: Path) -> str:
    """A fresh database with no tables at all."""
    return test_databases.empty_url(backend, tmp_path / "empty")


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> db.Settings:
    """Catalog settings for this test: its own data folder, store and database."""
    return db.load_settings({}, data_dir=tmp_path / "data", database_url=database_url)


@pytest.fixture
def catalog(settings: db.Settings) -> Iterator[Catalog]:
    """An open catalog (local single-user mode until a test creates accounts)."""
    opened = db.open_catalog(settings)
    yield opened
    opened.close()


@pytest.fixture
def catalog_users(catalog: Catalog) -> dict[str, db.User]:
    """Accounts for role tests: admin, curator, curator2, reviewer, reviewer2, viewer (password 'password-<name>')."""
    users: dict[str, db.User] = {}
    with catalog.session() as session:
        admin = db.create_user(session=session, actor=None, username="admin", password="password-admin", role="admin")
        users["admin"] = admin
        for name, role in (
            ("curator", "curator"),
            ("curator2", "curator"),
            ("reviewer", "reviewer"),
            ("reviewer2", "reviewer"),
            ("viewer", "viewer"),
        ):
            users[name] = db.create_user(
                session=session, actor=admin, username=name, password=f"password-{name}", role=role
            )
    return users


def _png_bytes(array, mode: str) -> bytes:  # type: ignore[no-untyped-def]
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(array, mode).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def make_scan():  # type: ignore[no-untyped-def]
    """``make_scan(seed, width=48, height=32) -> bytes``: a distinct 8-bit gray PNG per seed."""
    import numpy as np

    def make(seed: int, width: int = 48, height: int = 32) -> bytes:
        rng = np.random.default_rng(seed)
        return _png_bytes(rng.integers(0, 256, size=(height, width), dtype=np.uint8), "L")

    return make


@pytest.fixture
def make_colorized():  # type: ignore[no-untyped-def]
    """``make_colorized(width, height, color=(r, g, b)) -> bytes``: a flat RGB PNG (a stand-in output)."""
    import numpy as np

    def make(width: int, height: int, color: tuple[int, int, int] = (160, 48, 32)) -> bytes:
        array = np.empty((height, width, 3), dtype=np.uint8)
        array[...] = color
        return _png_bytes(array, "RGB")

    return make


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, settings: db.Settings) -> db.Settings:
    """The ``findcolor`` command pointed at the test catalog, with no account or password from the
    developer's environment and no terminal to ask one on (a prompt fails as it would in a script)."""
    monkeypatch.setenv("FINDCOLOR_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("FINDCOLOR_DATABASE_URL", settings.database_url)
    monkeypatch.delenv("FINDCOLOR_USER", raising=False)
    monkeypatch.delenv("FINDCOLOR_PASSWORD", raising=False)
    monkeypatch.setattr("getpass.getpass", _no_terminal)
    return settings


def _no_terminal(prompt: str = "") -> str:
    raise EOFError  # as getpass does with no terminal to ask on
