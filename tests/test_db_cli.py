"""The catalog subcommands of the `findcolor` console command."""

from __future__ import annotations

import hashlib
import io
import os
import socket
import zipfile
from pathlib import Path

import pytest

import db
from findcolor.cli import main


def test_import_verify_export(cli_env: db.Settings, tmp_path: Path, make_scan, make_colorized, capsys) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "scans"
    folder.mkdir()
    for seed in range(3):
        (folder / f"{seed}.png").write_bytes(make_scan(seed))
    (folder / "broken.png").write_bytes(b"broken")
    meta = tmp_path / "meta.csv"
    meta.write_text("filename,title\n0.png,First\n9.png,Missing\n", encoding="utf-8")
    assert main(["import", str(folder), "--csv", str(meta), "--era", "Korean War"]) == 1  # one file failed
    out = capsys.readouterr().out
    assert "3 imported, 0 duplicates, 1 failed" in out and "broken.png" in out and "'9.png'" in out

    assert main(["verify"]) == 0
    assert "checked 3 files: 0 missing, 0 altered" in capsys.readouterr().out

    assert main(["export", "-o", str(tmp_path / "out.zip")]) == 2
    assert "nothing to export" in capsys.readouterr().err

    catalog = db.open_catalog(cli_env)
    try:
        with catalog.session() as session:
            me = db.get_local_user(session=session)
            photo = db.list_photos(session=session, filters=db.PhotoFilter(search="first")).items[0]
            candidate = db.create_colorization(session=session, store=catalog.store, settings=catalog.settings,
                                               actor=me, photo_id=photo.id, hints={}, engine="classical",
                                               output_png=make_colorized(48, 32))
            db.approve_colorization(session=session, settings=catalog.settings, actor=me, colorization_id=candidate.id)
    finally:
        catalog.close()
    assert main(["export", "--era", "Korean War", "-o", str(tmp_path / "out.zip")]) == 0
    assert "exported 1 approved colorizations" in capsys.readouterr().out
    with zipfile.ZipFile(tmp_path / "out.zip") as archive:
        assert any(name.endswith("/data/metadata.json") for name in archive.namelist())
    catalog = db.open_catalog(cli_env)
    try:
        with catalog.read_session() as session:
            exports = db.list_audit_events(session=session, entity_type="export")
    finally:
        catalog.close()
    assert [(event.action, event.username, event.details["photos"]) for event in exports] == [("export.bag", "local", 1)]
    assert exports[0].details["path"] == str(tmp_path / "out.zip") and exports[0].details["era"] == "Korean War"


def test_users_and_db_commands(cli_env: db.Settings, monkeypatch: pytest.MonkeyPatch, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["db", "upgrade"]) == 0
    assert main(["user", "list"]) == 0
    assert "local single-user mode" in capsys.readouterr().out
    monkeypatch.setattr("sys.stdin", io.StringIO("a long password\n"))
    assert main(["user", "add", "ann", "--role", "admin", "--password-stdin"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("another password\n"))
    assert main(["user", "add", "bob", "--role", "curator", "--password-stdin"]) == 2
    assert "--user" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO("another password\n"))
    monkeypatch.setenv("FINDCOLOR_PASSWORD", "a long password")  # ann's
    assert main(["user", "add", "bob", "--role", "curator", "--password-stdin", "--user", "ann"]) == 0
    assert main(["user", "list"]) == 0
    out = capsys.readouterr().out
    assert "ann" in out and "bob" in out and "curator" in out
    catalog = db.open_catalog(cli_env)
    try:
        with catalog.session() as session:
            assert db.authenticate(session=session, username="bob", password="another password").role is db.Role.CURATOR
    finally:
        catalog.close()
    assert main(["import", "nothing-here.png", "--user", "nobody"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no user account named 'nobody'" in err


def test_dead_database_is_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("FINDCOLOR_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("FINDCOLOR_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2")
    assert main(["verify"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("findcolor: error: cannot use the database") and err.count("\n") == 1


def test_write_commands_need_the_password_once_accounts_exist(cli_env: db.Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, make_scan, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("sys.stdin", io.StringIO("a long password\n"))
    assert main(["user", "add", "ann", "--role", "admin", "--password-stdin"]) == 0
    scan = tmp_path / "a.png"
    scan.write_bytes(make_scan(1))
    capsys.readouterr()
    assert main(["import", str(scan), "--user", "ann"]) == 2  # no password given, no terminal to ask on
    assert "FINDCOLOR_PASSWORD" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO("mallory's password\n"))
    assert main(["user", "add", "mallory", "--role", "admin", "--password-stdin", "--user", "ann"]) == 2
    assert "FINDCOLOR_PASSWORD" in capsys.readouterr().err
    monkeypatch.setenv("FINDCOLOR_PASSWORD", "not ann's password")
    monkeypatch.setattr("db.throttle.FREE_FAILURES", 9)  # no waiting between the attempts below
    for command in (["import", str(scan)], ["export", "-o", str(tmp_path / "x.zip")], ["verify", "--repair"],
                    ["user", "unlock", "ann"]):  # fmt: skip
        assert main([*command, "--user", "ann"]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "wrong password" in err, command
    monkeypatch.setenv("FINDCOLOR_PASSWORD", "a long password")
    assert main(["user", "unlock", "ann", "--user", "ann"]) == 0
    assert "cleared 0 failed sign-in counter(s) of account 'ann'" in capsys.readouterr().out  # the sign-in cleared it
    assert main(["import", str(scan), "--user", "ann"]) == 0
    catalog = db.open_catalog(cli_env)
    try:
        with catalog.read_session() as session:
            assert db.get_user_by_name(session=session, username="mallory") is None
            events = db.list_audit_events(session=session)
    finally:
        catalog.close()
    imported = [event for event in events if event.action == "photo.import"]
    assert [event.username for event in imported] == ["ann"]
    failures = [event for event in events if event.action == "user.sign_in_failed"]
    assert len(failures) == 4 and all(event.details["client"].startswith("cli:") for event in failures)


def test_verify_says_how_to_repair_and_repairs(cli_env: db.Settings, tmp_path: Path, make_scan, capsys) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "scans"
    folder.mkdir()
    for seed in range(2):
        (folder / f"{seed}.png").write_bytes(make_scan(seed))
    assert main(["import", str(folder)]) == 0
    store = db.FileStore(cli_env.store_dir)
    damaged = store.path(hashlib.sha256((folder / "0.png").read_bytes()).hexdigest())
    os.chmod(damaged, 0o644)
    damaged.write_bytes(b"bit rot")
    orphan = store.put_bytes(b"left by an interrupted import")
    staging = store.root / "tmp" / f"incoming.999999999.{socket.gethostname()}.x"  # no such process
    staging.write_bytes(b"half a file")
    capsys.readouterr()

    assert main(["verify"]) == 1
    out = capsys.readouterr().out
    assert "altered" in out and "repair: to repair an original, import the intact scan again" in out
    assert "'findcolor verify --repair' removes them" in out
    assert main(["verify", "--repair"]) == 1  # the damaged original still needs its file
    out = capsys.readouterr().out
    assert "removed 1 stored file and 1 staging file" in out and "--repair" not in out.split("removed")[1]
    assert not store.path(orphan).exists() and not staging.exists()
    assert main(["import", str(folder / "0.png")]) == 0
    out = capsys.readouterr().out
    assert "has been restored from this file" in out and "1 stored file restored" in out
    assert main(["verify"]) == 0
    assert "checked 2 files: 0 missing, 0 altered" in capsys.readouterr().out
