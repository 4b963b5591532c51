"""The `findcolor` command as a newcomer meets it: fast start-up, the sample collection, what it
prints on success, file permissions, help that lists the CSV columns, counted nouns."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

import db
from core_fixtures import REPO_ROOT
from db.sample_collection import sample_files
from findcolor.cli import main

HEAVY = ("torch", "findcolor.pipeline", "scipy", "cryptography", "c2pa", "alembic")


def _modules_after(args: list[str]) -> set[str]:
    """The heavy modules loaded by importing the CLI and running ``findcolor ARGS`` in a fresh interpreter."""
    probe = (
        "import sys\nfrom findcolor.cli import main\n"
        f"try:\n    main({args!r})\nexcept SystemExit:\n    pass\n"
        f"print('\\n' + ','.join(name for name in {HEAVY!r} if name in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, cwd=REPO_ROOT,
        env={**os.environ, "FINDCOLOR_DATA_DIR": os.devnull},
    )  # fmt: skip
    return set(filter(None, result.stdout.splitlines()[-1].split(",")))


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["import", "--help"], ["colorize", "--help"]])
def test_help_and_version_load_no_heavy_library(args: list[str]) -> None:
    assert _modules_after(args) == set()


def test_a_catalog_command_does_not_load_torch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    probe = (
        "import sys\nfrom findcolor.cli import main\nassert main(['user', 'list']) == 0\n"
        "print('torch' in sys.modules, 'findcolor.pipeline' in sys.modules)"
    )
    env = {**os.environ, "FINDCOLOR_DATA_DIR": str(tmp_path / "data")}
    env.pop("FINDCOLOR_DATABASE_URL", None)
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, cwd=REPO_ROOT, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "False False"


def test_import_help_lists_the_csv_columns(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["import", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for column in ("filename", "title", "date_text", "year_from", "place", "source", "rights", "era", "event", "tags"):
        assert column in text


def test_export_has_no_approved_flag_that_does_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_code:
        main(["export", "--approved", "-o", "x.zip"])
    assert exit_code.value.code == 2 and "--approved" in capsys.readouterr().err


@pytest.fixture
def gray_scan(tmp_path: Path) -> Path:
    path = tmp_path / "scan.png"
    Image.open(sample_files()[0]).resize((96, 96)).save(path)
    hints = tmp_path / "hints.json"
    hints.write_text(json.dumps({"version": 1, "points": [{"x": 10, "y": 10, "color": "#a03020", "radius": 2}]}))
    return path


def test_colorize_says_what_it_wrote_and_respects_the_umask(gray_scan: Path, capsys: pytest.CaptureFixture[str]) -> None:
    output = gray_scan.with_name("colour.png")
    previous = os.umask(0o022)
    try:
        assert main(["colorize", str(gray_scan), "--hints", str(gray_scan.with_name("hints.json")),
                     "--engine", "classical", "-o", str(output)]) == 0  # fmt: skip
    finally:
        os.umask(previous)
    assert stat.S_IMODE(output.stat().st_mode) == 0o644
    out = capsys.readouterr().out
    assert str(output) in out and "96x96" in out and "MB" in out


def test_sample_loads_the_collection_once(cli_env: db.Settings, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sample"]) == 0
    out = capsys.readouterr().out
    assert f"{len(sample_files())} imported, 0 duplicates, 0 failed" in out and "LICENSES.md" in out
    assert main(["sample"]) == 0
    assert "nothing added" in capsys.readouterr().out
    with db.open_catalog(db.load_settings()).read_session() as session:
        assert db.list_photos(session=session, filters=db.PhotoFilter(), page=1).total == len(sample_files())


def test_counts_of_one_are_singular(cli_env: db.Settings, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["import", str(sample_files()[0])]) == 0
    assert "1 imported, 0 duplicates, 0 failed" in capsys.readouterr().out
    assert main(["import", str(sample_files()[0])]) == 0
    assert "0 imported, 1 duplicate, 0 failed" in capsys.readouterr().out
    assert main(["verify"]) == 0
    assert "checked 1 file: 0 missing, 0 altered" in capsys.readouterr().out
