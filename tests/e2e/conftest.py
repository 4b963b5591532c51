"""End-to-end harness: the dashboard served by a real Streamlit server, driven by Chromium.

The server is started from the test suite on a free port with its own empty data folder,
and the browser is Debian's ``/usr/bin/chromium`` driven by Playwright (never a browser
downloaded by ``playwright install``; ``scripts/test.sh`` installs it). Without chromium the
tests are skipped on a developer machine but FAIL where ``FINDCOLOR_REQUIRE_E2E`` is set
(CI sets it), so CI cannot pass by silently testing nothing.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("FINDCOLOR_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SERVER_START_TIMEOUT_S = 90


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything in this folder, and nothing else, is an end-to-end test (select or skip with ``-m e2e``).

    (A conftest's collection hook sees every collected item, not only this folder's.) Under
    pytest-xdist (``scripts/test.sh`` runs ``--dist loadfile``) a file's tests run in order on one
    worker; each test file gets its own dashboard server, on a free port, with an empty catalog.
    """
    for item in items:
        if Path(str(item.path)).resolve().is_relative_to(Path(__file__).resolve().parent):
            item.add_marker(pytest.mark.e2e)


@dataclass
class DashboardServer:
    """A running ``streamlit run dashboard/app.py`` and the catalog folder it uses."""

    url: str
    data_dir: Path
    environment: dict[str, str]
    log_path: Path

    def run_cli(
        self, *arguments: str, stdin: str | None = None, environment: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run the ``findcolor`` command against the same catalog as the server (``environment``: more variables).

        It runs without a terminal (a new session), as a script would, so a password it asks for is
        read from ``stdin``.
        """
        return subprocess.run(
            [sys.executable, "-m", "findcolor.cli", *arguments],
            cwd=REPO_ROOT,
            env={**self.environment, **(environment or {})},
            input=stdin,
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
            start_new_session=True,
        )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_healthy(url: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the dashboard server exited early:\n{log_path.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"the dashboard server did not become healthy:\n{log_path.read_text()}")


@pytest.fixture(scope="module")
def dashboard_environment(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Environment of a fresh, empty catalog for one test file (no accounts: local single-user mode)."""
    data_dir = tmp_path_factory.mktemp("catalog")
    environment = dict(os.environ)
    environment["FINDCOLOR_DATA_DIR"] = str(data_dir)
    for name in ("FINDCOLOR_DATABASE_URL", "FINDCOLOR_STORE_DIR", "FINDCOLOR_STORE_URL", "FINDCOLOR_USER", "FINDCOLOR_PASSWORD"):
        environment.pop(name, None)
    return environment


@pytest.fixture(scope="module")
def dashboard_server(dashboard_environment: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[DashboardServer]:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = tmp_path_factory.mktemp("server") / "streamlit.log"
    command = [
        sys.executable, "-m", "streamlit", "run", "dashboard/app.py",
        "--server.headless", "true",
        "--server.port", str(port),
        "--server.address", "127.0.0.1",
        "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none",
    ]  # fmt: skip
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=REPO_ROOT, env=dashboard_environment, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_until_healthy(url, process, log_path)
        yield DashboardServer(
            url=url,
            data_dir=Path(dashboard_environment["FINDCOLOR_DATA_DIR"]),
            environment=dashboard_environment,
            log_path=log_path,
        )
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="session")
def chromium_browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium)"
        if os.environ.get("FINDCOLOR_REQUIRE_E2E"):
            pytest.fail(message + "; the end-to-end tests are required here")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    report = yield
    if report.when == "call":
        item.stash[_CALL_FAILED] = report.failed
    return report


_CALL_FAILED = pytest.StashKey[bool]()


@pytest.fixture
def browser_page(chromium_browser, dashboard_server: DashboardServer, request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    """A fresh browser context (own cookies, own Streamlit session) on a wide window.

    When the test fails, a screenshot of the page and the server log are kept in its tmp_path.
    """
    request.node.user_properties.append(("findcolor_covered_browser", f"Chromium {chromium_browser.version}"))
    context = chromium_browser.new_context(viewport={"width": 1500, "height": 1900}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    if request.node.stash.get(_CALL_FAILED, False):
        page.screenshot(path=str(tmp_path / "failure.png"), full_page=True)
        print(f"failure screenshot: {tmp_path / 'failure.png'}; server log: {dashboard_server.log_path}")
    context.close()
