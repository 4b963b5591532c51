"""The ``findcolor`` command: version, colorize, and one-line errors (never a traceback) on bad input."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import findcolor
import findcolor.imageio  # noqa: F401  (lifts Pillow's pixel limit to Find Color's, so the fixtures can open huge_png)
from core_fixtures import REPO_ROOT, astronaut, astronaut_gray, hex_ab, lab_of, photo_hints, write_huge_bilevel_png
from findcolor.cli import main

FINDCOLOR = Path(sys.executable).with_name("findcolor")


def _digest(path: Path) -> tuple[str, int]:
    return hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns


def _run(*args: str, console_script: bool = True) -> subprocess.CompletedProcess:
    command = [str(FINDCOLOR)] if console_script else [sys.executable, "-m", "findcolor"]
    env = {k: v for k, v in os.environ.items() if k != "FINDCOLOR_MAX_PIXELS"}
    return subprocess.run(command + list(args), capture_output=True, text=True, timeout=120, cwd=REPO_ROOT, env=env)


@pytest.fixture(scope="module")
def scan(tmp_path_factory):
    """The gray photo as a PNG and a hints file with ten hints from its true colours."""
    folder = tmp_path_factory.mktemp("cli")
    image = folder / "scan.png"
    Image.fromarray(astronaut_gray(), "L").save(image)
    hints = photo_hints(astronaut(), count=10)
    hints_path = folder / "hints.json"
    hints_path.write_text(json.dumps(hints))
    return image, hints_path, hints


@pytest.fixture(scope="module")
def small_scan(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli-small")
    image = folder / "small.png"
    Image.fromarray(np.ascontiguousarray(astronaut_gray()[384:432, 152:216]), "L").save(image)
    hints_path = folder / "hints.json"
    hints_path.write_text(json.dumps({"version": 1, "points": [{"x": 30, "y": 20, "color": "#6a4a9a", "radius": 2}]}))
    return image, hints_path


@pytest.fixture(scope="module")
def huge_png(tmp_path_factory):
    """A real 300-megapixel PNG (20000 x 15000, 1-bit, ~40 KB on disk)."""
    path = tmp_path_factory.mktemp("huge") / "huge.png"
    write_huge_bilevel_png(path, 20000, 15000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        with Image.open(path) as image:  # a valid PNG as far as Pillow's header parser is concerned
            assert image.size == (20000, 15000) and image.mode == "1"
    return path


def _bad_inputs(folder: Path, small: Path, huge: Path) -> dict[str, tuple[list[str], tuple[str, ...]]]:
    """name -> (command-line arguments, words one of which the error must contain)."""
    truncated = folder / "truncated.jpg"
    full = folder / "full.jpg"
    Image.fromarray(astronaut(), "RGB").save(full, quality=90)
    truncated.write_bytes(full.read_bytes()[: full.stat().st_size // 2])
    text = folder / "notes.png"
    text.write_text("Dear archivist, this is not a photograph.\n" * 20)
    empty = folder / "empty.jpg"
    empty.write_bytes(b"")
    malformed = folder / "malformed.json"
    malformed.write_text('{"version": 1, "points": [{"x": 3, "y": 4, "color": "#a03020"}')
    red = folder / "red.json"
    red.write_text(json.dumps({"version": 1, "points": [{"x": 3, "y": 4, "color": "red"}]}))
    outside = folder / "outside.json"
    outside.write_text(json.dumps({"version": 1, "points": [{"x": 3000, "y": 4, "color": "#a03020"}]}))
    deep = folder / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    (folder / "existing-folder.png").mkdir(exist_ok=True)
    out = str(folder / "out.png")
    return {
        "truncated jpeg": (["colorize", str(truncated), "-o", out], ("truncated", "corrupt")),
        "text renamed png": (["colorize", str(text), "-o", out], ("not an image",)),
        "empty file": (["colorize", str(empty), "-o", out], ("empty", "0 bytes")),
        "missing file": (["colorize", str(folder / "nope.tif"), "-o", out], ("not found",)),
        "300 megapixels": (["colorize", str(huge), "-o", out], ("megapixels",)),
        "malformed hints": (["colorize", str(small), "--hints", str(malformed), "-o", out], ("json",)),
        "hint colour red": (["colorize", str(small), "--hints", str(red), "-o", out], ("points[0].color",)),
        "hint outside image": (["colorize", str(small), "--hints", str(outside), "-o", out], ("points[0].x",)),
        "missing hints": (["colorize", str(small), "--hints", str(folder / "none.json"), "-o", out], ("not found",)),
        "bad output type": (["colorize", str(small), "-o", str(folder / "out.gif2")], ("unsupported output",)),
        "no output folder": (["colorize", str(small), "-o", str(folder / "no" / "out.png")], ("does not exist",)),
        "output is a folder": (["colorize", str(small), "-o", str(folder / "existing-folder.png")], ("is a folder",)),
        "hints nested 100,000 deep": (["colorize", str(small), "--hints", str(deep), "-o", out], ("nested",)),
        "unknown engine": (["colorize", str(small), "--engine", "magic", "-o", out], ("invalid choice",)),
    }


def _assert_one_line_error(rc: int, stdout: str, stderr: str, words: tuple[str, ...], argv: list[str]) -> None:
    assert rc != 0
    assert "Traceback" not in stderr and "Traceback" not in stdout
    lines = [line for line in stderr.splitlines() if line.strip()]
    if "invalid choice" in words:  # argparse's own usage error: usage line + one error line
        assert lines[-1].startswith("findcolor colorize: error:") or "error:" in lines[-1]
    else:
        assert len(lines) == 1, stderr
        assert lines[0].startswith("findcolor: error:")
    assert any(word in lines[-1].lower() for word in words), lines[-1]


# ----------------------------------------------------------------------------- subprocess


def test_version():
    result = _run("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"findcolor {findcolor.__version__}"
    assert findcolor.__version__ == "0.1.0"


def test_colorize_real_photo_with_hints_file(scan, tmp_path):
    image, hints_path, hints = scan
    before = _digest(image)
    out = tmp_path / "colour.png"
    result = _run("colorize", str(image), "--hints", str(hints_path), "-o", str(out), "--engine", "classical")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert _digest(image) == before  # the input is untouched
    with Image.open(out) as written:
        assert written.size == (512, 512) and written.mode == "RGB"
        rgb = np.asarray(written)
    gray = astronaut_gray()
    assert np.abs(lab_of(rgb)[..., 0] - lab_of(gray)[..., 0]).max() <= 1.0
    for point in hints["points"]:
        x, y, r = point["x"], point["y"], point["radius"]
        patch = lab_of(rgb[y - r : y + r + 1, x - r : x + r + 1])[..., 1:]
        assert np.linalg.norm(patch - hex_ab(point["color"]), axis=-1).max() <= 3.0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["colour.png"]  # no temporary files left


@pytest.mark.parametrize("case", ["truncated jpeg", "300 megapixels"])
def test_bad_input_subprocess(tmp_path, small_scan, huge_png, case):
    # every case runs in process below; two run as real processes, via the console script and `python -m`
    argv, words = _bad_inputs(tmp_path, small_scan[0], huge_png)[case]
    result = _run(*argv, console_script=case == "truncated jpeg")
    _assert_one_line_error(result.returncode, result.stdout, result.stderr, words, argv)
    assert not (tmp_path / "out.png").exists()


# ----------------------------------------------------------------------------- in process


def test_colorize_in_process_writes_same_size(small_scan, tmp_path, capsys):
    image, hints_path = small_scan
    for name in ("out.png", "out.jpg", "out.tif", "out.webp"):
        out = tmp_path / name
        assert main(["colorize", str(image), "--hints", str(hints_path), "-o", str(out)]) == 0
        with Image.open(out) as written:
            assert written.size == (64, 48) and written.mode == "RGB"
    captured = capsys.readouterr()
    assert captured.err == ""
    assert [line.split(" (")[0] for line in captured.out.splitlines()] == [f"wrote {tmp_path / name}" for name in ("out.png", "out.jpg", "out.tif", "out.webp")]
    assert main(["-v", "colorize", str(image), "-o", str(tmp_path / "verbose.png"), "--working-side", "32", "--engine", "classical"]) == 0
    with Image.open(tmp_path / "verbose.png") as written:
        assert written.size == (64, 48)
        rgb = np.asarray(written).astype(int)
    assert (rgb.max(axis=2) - rgb.min(axis=2)).max() <= 1  # no hints, classical: gray


@pytest.mark.parametrize(
    "case",
    ["truncated jpeg", "text renamed png", "empty file", "missing file", "300 megapixels", "malformed hints",
     "hint colour red", "hint outside image", "missing hints", "bad output type", "no output folder", "unknown engine",
     "output is a folder", "hints nested 100,000 deep"],
)
def test_bad_input_in_process(tmp_path, small_scan, huge_png, capsys, case):
    argv, words = _bad_inputs(tmp_path, small_scan[0], huge_png)[case]
    inputs = [Path(a) for a in argv[1:] if Path(a).is_file()]
    before = {path: _digest(path) for path in inputs}
    try:
        rc = main(argv)
    except SystemExit as exc:  # argparse usage errors exit directly
        rc = exc.code
    captured = capsys.readouterr()
    _assert_one_line_error(rc, captured.out, captured.err, words, argv)
    assert {path: _digest(path) for path in inputs} == before
    assert not (tmp_path / "out.png").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".findcolor-")]
    assert not [p for p in (tmp_path / "existing-folder.png").iterdir()]  # nothing written into the folder


def test_max_pixels_option_and_environment(small_scan, tmp_path, capsys, monkeypatch):
    image, _ = small_scan
    assert main(["colorize", str(image), "-o", str(tmp_path / "a.png"), "--max-pixels", "1000"]) != 0
    assert "megapixels" in capsys.readouterr().err
    monkeypatch.setenv("FINDCOLOR_MAX_PIXELS", "1000")
    assert main(["colorize", str(image), "-o", str(tmp_path / "b.png")]) != 0
    assert "megapixels" in capsys.readouterr().err
    assert main(["colorize", str(image), "-o", str(tmp_path / "c.png"), "--max-pixels", "4000"]) == 0


def test_refuses_to_overwrite_the_input(small_scan, tmp_path, capsys):
    image = tmp_path / "scan.png"
    image.write_bytes(small_scan[0].read_bytes())
    before = _digest(image)
    for output in (str(image), os.path.join(str(tmp_path), ".", "scan.png")):
        rc = main(["colorize", str(image), "-o", output])
        err = capsys.readouterr().err
        assert rc != 0 and "overwrite" in err and len(err.strip().splitlines()) == 1
        assert _digest(image) == before


def test_existing_output_is_replaced_atomically(small_scan, tmp_path):
    image, hints_path = small_scan
    out = tmp_path / "out.png"
    out.write_bytes(b"old")
    assert main(["colorize", str(image), "--hints", str(hints_path), "-o", str(out)]) == 0
    with Image.open(out) as written:
        assert written.size == (64, 48)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.png"]


def test_no_command_prints_help_and_fails(capsys):
    assert main([]) != 0
    assert "colorize" in capsys.readouterr().err


def _assert_one_error_line(rc: int, err: str, *words: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert rc == 2 and len(lines) == 1 and lines[0].startswith("findcolor: error:"), err
    assert "Traceback" not in err and all(word in lines[0] for word in words), lines[0]
    return lines[0]


def test_unwritable_output_place_is_one_line(small_scan, tmp_path, capsys, monkeypatch):
    image, _ = small_scan

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("findcolor.cli.tempfile.mkstemp", refuse)  # root may write anywhere: simulate the refusal
    rc = main(["colorize", str(image), "-o", str(tmp_path / "out.png")])
    _assert_one_error_line(rc, capsys.readouterr().err, "out.png", "Permission denied")
    monkeypatch.undo()
    monkeypatch.setattr("findcolor.cli.os.access", lambda path, mode: False)  # a folder the user may not write to
    rc = main(["colorize", str(image), "-o", str(tmp_path / "out.png")])
    _assert_one_error_line(rc, capsys.readouterr().err, "cannot write", "permission denied")
    assert list(tmp_path.iterdir()) == []


class _AllocationFailure:
    """An engine whose allocation fails as torch's does on a machine without the memory."""

    name, version, working_side = "failing", "0", 256

    def predict_ab(self, lightness, hint_ab, hint_mask, hints):
        raise RuntimeError(
            "[enforce fail at alloc_cpu.cpp:117] data. DefaultCPUAllocator: can't allocate memory: "
            "you tried to allocate 34359738368 bytes. Error code 12 (Cannot allocate memory)"
        )


def test_allocation_failure_is_one_line(small_scan, tmp_path, capsys, monkeypatch):
    image, _ = small_scan
    monkeypatch.setattr("findcolor.pipeline.get_engine", lambda name="auto": _AllocationFailure())
    rc = main(["colorize", str(image), "-o", str(tmp_path / "out.png")])
    _assert_one_error_line(rc, capsys.readouterr().err, "not enough memory")
    assert list(tmp_path.iterdir()) == []


def test_an_image_that_would_not_fit_is_refused_before_decoding(small_scan, tmp_path, capsys, monkeypatch):
    image, _ = small_scan
    monkeypatch.setattr("findcolor.pipeline.available_memory", lambda: 100 * 2**20)

    def never(*args, **kwargs):
        raise AssertionError("decoded although it cannot fit")

    monkeypatch.setattr("findcolor.pipeline.decode_lightness", never)
    rc = main(["colorize", str(image), "-o", str(tmp_path / "out.png")])
    _assert_one_error_line(rc, capsys.readouterr().err, str(image), "GB of memory", "0.1 GB is available")


def test_a_broken_catalog_install_is_reported_not_hidden(small_scan, tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "db.cli", None)  # importing it fails, as with a broken dependency
    rc = main(["import", "--csv", "meta.csv", "scans/"])
    _assert_one_error_line(rc, capsys.readouterr().err, "catalog commands cannot be loaded", "db.cli")
    image, _ = small_scan
    assert main(["colorize", str(image), "-o", str(tmp_path / "out.png")]) == 0  # colorize still works


class _NoCatalogPackage:
    """An import hook for which the ``db`` package does not exist (a library-only install)."""

    def find_spec(self, name, path=None, target=None):
        if name == "db" or name.startswith("db."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


def test_without_the_catalog_package_there_are_no_catalog_commands(capsys, monkeypatch):
    for name in [name for name in sys.modules if name == "db" or name.startswith("db.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setattr(sys, "meta_path", [_NoCatalogPackage(), *sys.meta_path])
    with pytest.raises(SystemExit) as excinfo:
        main(["import", "scans/"])
    assert excinfo.value.code == 2 and "invalid choice: 'import'" in capsys.readouterr().err
