"""Repair after a fixity failure: re-importing the intact bytes restores a missing or damaged stored
original (audited); files left without a record by an interrupted import are removed."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

import db
from db.catalog import Catalog
from db.errors import PermissionDenied


def _import_file(catalog: Catalog, path: Path, actor: db.User | None = None) -> db.ImportOutcome:
    with catalog.session() as session:
        report = db.import_paths(
            session=session, store=catalog.store, settings=catalog.settings,
            actor=actor or db.get_local_user(session=session), paths=[path],
        )  # fmt: skip
    (outcome,) = report.outcomes
    return outcome


def _verify(catalog: Catalog) -> db.FixityReport:
    with catalog.read_session() as session:
        return db.verify_store(session=session, store=catalog.store)


def test_reimporting_the_intact_file_restores_a_damaged_original(catalog: Catalog, tmp_path: Path, make_scan) -> None:  # type: ignore[no-untyped-def]
    scan = tmp_path / "scan.png"
    scan.write_bytes(make_scan(1))
    first = _import_file(catalog, scan)
    assert first.status == "imported" and first.sha256 is not None
    stored = catalog.store.path(first.sha256)
    os.chmod(stored, 0o644)
    stored.write_bytes(b"bit rot")

    report = _verify(catalog)
    assert [problem.record_id for problem in report.altered] == [first.photo_id]
    assert any("import the intact scan again" in line for line in report.advice())

    again = _import_file(catalog, scan)
    assert (again.status, again.photo_id, again.restored) == ("duplicate", first.photo_id, True)
    assert "restored" in again.message
    assert stored.read_bytes() == scan.read_bytes() and stored.stat().st_mode & 0o222 == 0  # read-only again
    assert _verify(catalog).ok and _verify(catalog).advice() == []
    once_more = _import_file(catalog, scan)  # intact now: a plain duplicate
    assert (once_more.status, once_more.restored) == ("duplicate", False)
    with catalog.read_session() as session:
        events = db.list_audit_events(session=session, entity_type="photo", entity_id=first.photo_id)
    assert [event.action for event in events] == ["photo.restore_file", "photo.import"]
    assert events[0].details["was"] == "altered" and events[0].details["sha256"] == first.sha256


def test_an_upload_of_the_same_bytes_restores_a_missing_original(catalog: Catalog, catalog_users: dict[str, db.User], make_scan) -> None:  # type: ignore[no-untyped-def]
    data = make_scan(2)
    with catalog.session() as session:
        first = db.import_bytes(session=session, store=catalog.store, settings=catalog.settings,
                                actor=catalog_users["curator"], filename="a.png", data=data)  # fmt: skip
    assert first.sha256 is not None
    catalog.store.path(first.sha256).unlink()
    assert [problem.record_id for problem in _verify(catalog).missing] == [first.photo_id]
    with catalog.session() as session:
        with pytest.raises(PermissionDenied):  # restoring is an import: viewers cannot
            db.import_bytes(session=session, store=catalog.store, settings=catalog.settings,
                            actor=catalog_users["viewer"], filename="b.png", data=data)  # fmt: skip
    with catalog.session() as session:
        again = db.import_bytes(session=session, store=catalog.store, settings=catalog.settings,
                                actor=catalog_users["curator2"], filename="b.png", data=data)  # fmt: skip
    assert (again.status, again.restored) == ("duplicate", True)
    assert _verify(catalog).ok
    with catalog.read_session() as session:
        (event,) = [e for e in db.list_audit_events(session=session) if e.action == "photo.restore_file"]
    assert (event.username, event.entity_id, event.details["was"]) == ("curator2", first.photo_id, "missing")


def test_repair_removes_only_files_no_record_refers_to(catalog: Catalog, catalog_users: dict[str, db.User], tmp_path: Path, make_scan) -> None:  # type: ignore[no-untyped-def]
    scan = tmp_path / "scan.png"
    scan.write_bytes(make_scan(3))
    kept = _import_file(catalog, scan, actor=catalog_users["curator"])
    orphan = catalog.store.put_bytes(b"published, then the import was killed before its commit")
    staging = catalog.store.root / "tmp"
    dead = staging / f"incoming.999999999.{socket.gethostname()}.abc"  # no such process
    alive = staging / f"incoming.{os.getpid()}.{socket.gethostname()}.abc"  # an import in flight
    dead.write_bytes(b"half")
    alive.write_bytes(b"half")

    report = _verify(catalog)
    assert report.ok and report.unreferenced == [orphan] and report.abandoned_staging == [dead.name]
    with catalog.session() as session:
        with pytest.raises(PermissionDenied):
            db.repair_store(session=session, store=catalog.store, actor=catalog_users["viewer"])
    with catalog.session() as session:
        repaired = db.repair_store(session=session, store=catalog.store, actor=catalog_users["curator"])
    assert repaired.removed == [orphan] and repaired.removed_staging == [dead.name]
    assert alive.exists() and not dead.exists() and catalog.store.exists(kept.sha256)  # type: ignore[arg-type]
    report = _verify(catalog)
    assert report.ok and report.unreferenced == [] and report.abandoned_staging == []
    with catalog.read_session() as session:
        (event,) = db.list_audit_events(session=session, entity_type="store")
    assert (event.action, event.username, event.details["removed"]) == ("store.repair", "curator", [orphan])
