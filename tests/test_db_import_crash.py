"""Imports that survive a crash and other writers: one commit per file, no lock while a file is
read, hashed or decoded, concurrent overlapping imports without deadlock, and a kill -9 at a
random moment that loses at most the file in flight."""

from __future__ import annotations

import hashlib
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import func, select

import db
import db.ingest
from db.catalog import Catalog
from findcolor.cli import main

REPO_ROOT = Path(__file__).resolve().parents[1]
CRASH_FILES = 120


def _write_scans(folder: Path, count: int) -> list[Path]:
    """``count`` distinct tiny gray PNGs (small, so the import is quick)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(count):
        path = folder / f"scan_{index:03d}.png"
        pixels = np.random.default_rng(index).integers(0, 256, size=(8, 12), dtype=np.uint8)
        Image.fromarray(pixels, "L").save(path)
        paths.append(path)
    return paths


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _photo_hashes(catalog: Catalog) -> list[str]:
    with catalog.read_session() as session:
        return list(session.scalars(select(db.Photo.sha256)))


def _verify(catalog: Catalog) -> db.FixityReport:
    with catalog.read_session() as session:
        return db.verify_store(session=session, store=catalog.store)


def _local_user(catalog: Catalog) -> db.User:
    with catalog.session() as session:
        return db.get_local_user(session=session)


def test_kill_9_at_a_random_moment_loses_at_most_the_file_in_flight(
    catalog: Catalog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = _write_scans(tmp_path / "scans", CRASH_FILES)
    seed = int.from_bytes(os.urandom(4), "little")
    rng = random.Random(seed)
    kill_after = rng.randint(1, CRASH_FILES - 10)  # committed files seen before the kill
    env = {key: value for key, value in os.environ.items() if not key.startswith("FINDCOLOR_")}
    env.update(FINDCOLOR_DATA_DIR=str(catalog.settings.data_dir), FINDCOLOR_DATABASE_URL=catalog.settings.database_url)
    process = subprocess.Popen(
        [sys.executable, "-u", "-m", "findcolor.cli", "import", str(tmp_path / "scans"), "--list-imported"],
        cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    watchdog = threading.Timer(300, process.kill)
    watchdog.start()
    seen: list[Path] = []  # a line is printed only after its file is committed
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith("imported "):
                seen.append(Path(line.split(" ", 1)[1].strip().rsplit(": imported as photo", 1)[0].strip()))
                if len(seen) == kill_after:
                    time.sleep(rng.uniform(0, 0.02))  # land anywhere in the next file's work
                    process.send_signal(signal.SIGKILL)
                    break
        process.wait(timeout=60)  # reaped: a zombie would still count as a running importer
    finally:
        watchdog.cancel()
    context = f"seed {seed}, killed after {kill_after} files; stderr: {process.stderr.read() if process.stderr else ''}"
    assert process.returncode == -signal.SIGKILL, context
    assert len(seen) == kill_after, context

    committed = set(_photo_hashes(catalog))
    assert {_sha256(path) for path in seen} <= committed, context  # nothing committed before the kill is lost
    report = _verify(catalog)
    assert report.ok, context  # and every committed photo has its file, intact
    assert len(report.unreferenced) + len(report.abandoned_staging) <= 1, context  # at most the file in flight

    monkeypatch.setenv("FINDCOLOR_DATA_DIR", str(catalog.settings.data_dir))
    monkeypatch.setenv("FINDCOLOR_DATABASE_URL", catalog.settings.database_url)
    monkeypatch.delenv("FINDCOLOR_USER", raising=False)
    assert main(["verify", "--repair"]) == 0, context
    report = _verify(catalog)
    assert report.ok and report.unreferenced == [] and report.abandoned_staging == [], context

    assert main(["import", str(tmp_path / "scans")]) == 0, context  # the rest, without duplicates
    hashes = _photo_hashes(catalog)
    assert len(hashes) == len(set(hashes)) == CRASH_FILES and set(hashes) == {_sha256(path) for path in paths}
    report = _verify(catalog)
    assert report.ok and report.unreferenced == [] and report.abandoned_staging == [], context
    with catalog.read_session() as session:
        imports = session.scalar(select(func.count()).select_from(db.AuditEvent).where(db.AuditEvent.action == "photo.import"))
    assert imports == CRASH_FILES, context


@pytest.mark.parametrize("slow_step", ["sha256_file", "image_info"])
def test_no_lock_is_held_while_a_file_is_hashed_or_decoded(
    catalog: Catalog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, slow_step: str
) -> None:
    paths = _write_scans(tmp_path / "scans", 3)
    actor = _local_user(catalog)
    original = getattr(db.ingest, slow_step)
    calls: list[int] = []
    entered, release = threading.Event(), threading.Event()

    def slow(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) == 2:  # the second file (the first one is committed by now)
            entered.set()
            release.wait(60)
        return original(*args, **kwargs)

    monkeypatch.setattr(db.ingest, slow_step, slow)
    reports: list[db.ImportReport] = []

    def run_import() -> None:
        with catalog.session() as session:
            reports.append(db.import_paths(session=session, store=catalog.store, settings=catalog.settings,
                                           actor=actor, paths=paths))  # fmt: skip

    def other_writer() -> None:
        with catalog.session() as session:
            db.add_term(session=session, actor=actor, kind="era", name="Written during the import")

    importer = threading.Thread(target=run_import)
    importer.start()
    try:
        assert entered.wait(60)
        writer = threading.Thread(target=other_writer)
        writer.start()
        writer.join(timeout=10)
        writer_done = not writer.is_alive()
        visible = len(_photo_hashes(catalog))
    finally:
        release.set()
        importer.join(timeout=60)
    writer.join(timeout=60)
    assert writer_done, f"another writer waited while the import was in {slow_step}"
    assert visible == 1  # the first file was committed on its own
    assert len(reports) == 1 and len(reports[0].imported) == 3


def test_concurrent_imports_of_overlapping_files_in_opposite_orders(catalog: Catalog, tmp_path: Path) -> None:
    paths = _write_scans(tmp_path / "scans", 40)
    actor = _local_user(catalog)
    barrier = threading.Barrier(2)
    reports: list[db.ImportReport] = []
    errors: list[BaseException] = []

    def run(order: list[Path]) -> None:
        try:
            with catalog.session() as session:
                barrier.wait(timeout=30)
                reports.append(db.import_paths(session=session, store=catalog.store, settings=catalog.settings,
                                               actor=actor, paths=order))  # fmt: skip
        except BaseException as error:  # noqa: BLE001 - checked below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(order,)) for order in (paths, paths[::-1])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == [] and len(reports) == 2
    assert all(len(report.failed) == 0 and len(report.outcomes) == 40 for report in reports)
    assert sum(len(report.imported) for report in reports) == 40  # each file imported exactly once
    hashes = _photo_hashes(catalog)
    assert len(hashes) == len(set(hashes)) == 40
    report = _verify(catalog)
    assert report.ok and report.unreferenced == [] and report.abandoned_staging == []
