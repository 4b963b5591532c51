"""The catalog subcommands of the `findcolor` console command."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

import db
from findcolor.cli import main


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, settings: db.Settings) -> db.Settings:
    monkeypatch.setenv("FINDCOLOR_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("FINDCOLOR_DATABASE_URL", settings.database_url)
    monkeypatch.delenv("FINDCOLOR_USER", raising=False)
    return settings


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

    assert main(["export", "--approved", "-o", str(tmp_path / "out.zip")]) == 2
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
    assert main(["export", "--approved", "--era", "Korean War", "-o", str(tmp_path / "out.zip")]) == 0
    assert "exported 1 approved colorizations" in capsys.readouterr().out
    with zipfile.ZipFile(tmp_path / "out.zip") as archive:
        assert any(name.endswith("/data/metadata.json") for name in archive.namelist())


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
