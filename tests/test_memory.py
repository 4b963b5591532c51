"""Large scans: full-resolution work in row blocks, and an image that cannot fit refused up front.

Issue 9, item 11: peak memory near 20 bytes per pixel plus the model (it was ~55), and a
one-line refusal before decoding an image the machine has no memory for. The row-block
code must give exactly the pixels of the whole-image code it replaced.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import findcolor
from core_fixtures import REPO_ROOT, astronaut, astronaut_gray, photo_hints
from findcolor.color import lab_to_rgb_keep_lightness
from findcolor.errors import InsufficientMemoryError
from findcolor.hints import parse_hints
from findcolor.imageio import decode_lightness, load_image, open_image
from findcolor.memory import available_memory, check_memory, colorize_memory_needed
from findcolor.pipeline import colorize_lightness, get_engine, predict_full_resolution_ab

MB = 2**20

# ----------------------------------------------------------------------------- the estimate


def test_memory_estimate_stays_within_the_targets() -> None:
    engine_and_torch = 600 * MB  # what the process holds before the image (measured: ~250-350 MB)
    for pixels, target in ((64_000_000, 2.5e9), (200_000_000, 5e9)):
        for decoded in (1, 2, 4):  # 8-bit gray, 16-bit gray, colour scans
            needed = colorize_memory_needed(pixels, decoded_bytes_per_pixel=decoded, file_bytes=pixels)
            assert needed + engine_and_torch <= target, (pixels, decoded, needed)
            assert needed >= pixels * 8  # never below what the lightness and the output need


def test_memory_estimate_grows_with_pixels_and_storage() -> None:
    small, large = colorize_memory_needed(1_000_000), colorize_memory_needed(100_000_000)
    assert small < large
    assert colorize_memory_needed(10**8, decoded_bytes_per_pixel=4) > colorize_memory_needed(10**8, decoded_bytes_per_pixel=1)


def test_available_memory_reads_meminfo(tmp_path: Path) -> None:
    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemTotal:       16000000 kB\nMemFree:         1000000 kB\nMemAvailable:    2048000 kB\n")
    assert available_memory(meminfo) == 2048000 * 1024
    assert available_memory(tmp_path / "missing") is None
    meminfo.write_text("MemTotal: 1 kB\n")
    assert available_memory(meminfo) is None
    if Path("/proc/meminfo").exists():
        assert available_memory() > 0


def test_check_memory_is_one_line() -> None:
    check_memory("scan.tif", 2 * 2**30, None)  # unknown: no check
    check_memory("scan.tif", 2 * 2**30, 3 * 2**30)
    with pytest.raises(InsufficientMemoryError) as excinfo:
        check_memory("scan.tif", 5 * 2**30, 3 * 2**30)
    assert str(excinfo.value).startswith("scan.tif: colorizing this image needs about 5.0 GB")
    assert "3.0 GB is available" in str(excinfo.value) and "\n" not in str(excinfo.value)


def test_an_image_that_does_not_fit_is_refused_before_it_is_decoded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "scan.png"
    Image.fromarray(astronaut_gray(), "L").save(path)
    monkeypatch.setattr("findcolor.pipeline.available_memory", lambda: 64 * MB)
    monkeypatch.setattr("findcolor.pipeline.decode_lightness", lambda opened: pytest.fail("decoded anyway"))
    with pytest.raises(InsufficientMemoryError, match="scan.png: colorizing this image needs about"):
        findcolor.colorize(path, engine="classical")


# ----------------------------------------------------------------------------- same pixels as before


def _scans(folder: Path) -> dict[str, Path]:
    """The storage kinds the loader handles, each written to a file."""
    gray, colour = astronaut_gray(), astronaut()
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated 90 degrees
    paths = {
        "gray png": ("g.png", lambda p: Image.fromarray(gray, "L").save(p)),
        "16-bit tiff": ("g16.tif", lambda p: Image.fromarray(gray.astype(np.uint16) * 257).save(p)),
        "float tiff": ("f.tif", lambda p: Image.fromarray(gray.astype(np.float32) / 255, "F").save(p)),
        "gray stored as rgb": ("rgb.png", lambda p: Image.fromarray(gray, "L").convert("RGB").save(p)),
        "colour jpeg": ("c.jpg", lambda p: Image.fromarray(colour).save(p, quality=90)),
        "cmyk jpeg": ("k.jpg", lambda p: Image.fromarray(colour).convert("CMYK").save(p)),
        "palette png": ("p.png", lambda p: Image.fromarray(colour).convert("P").save(p)),
        "exif rotated jpeg": ("r.jpg", lambda p: Image.fromarray(colour).save(p, exif=exif.tobytes())),
        "bilevel png": ("b.png", lambda p: Image.fromarray(gray, "L").convert("1").save(p)),
    }
    out = {}
    for kind, (name, write) in paths.items():
        write(folder / name)
        out[kind] = folder / name
    return out


def test_decode_lightness_equals_the_whole_image_lightness(tmp_path: Path) -> None:
    for kind, path in _scans(tmp_path).items():
        loaded = load_image(path)
        lightness, info = decode_lightness(open_image(path))
        assert (info.width, info.height) == (loaded.width, loaded.height), kind
        np.testing.assert_array_equal(lightness, loaded.lightness(), err_msg=kind)
        assert info == loaded.info, kind


def test_decode_lightness_leaves_a_callers_image_alone() -> None:
    image = Image.fromarray(astronaut_gray(), "L")
    before = image.tobytes()
    lightness, _ = decode_lightness(open_image(image))
    assert image.tobytes() == before and lightness.shape == (512, 512)


@pytest.mark.parametrize("working_side", [None, 96, 1024])
def test_row_blocks_give_the_pixels_of_the_whole_image_pipeline(working_side: int | None) -> None:
    """Points and strokes at full resolution, upsampled or not: identical to upsampling everything at once."""
    lightness = load_image(Image.fromarray(astronaut_gray(), "L")).lightness()
    hints = parse_hints(
        {**photo_hints(astronaut(), count=6), "strokes": [{"path": [[10, 10], [300, 40], [200, 500]], "color": "#406030", "width": 9}]},
        image_size=(512, 512),
    )
    engine = get_engine("classical")
    ab = predict_full_resolution_ab(lightness, hints, engine, working_side=working_side)
    expected = (lab_to_rgb_keep_lightness(torch.from_numpy(lightness), torch.from_numpy(ab)) * 255.0).round_().to(torch.uint8)
    output = colorize_lightness(lightness, hints, engine, working_side=working_side)
    np.testing.assert_array_equal(np.asarray(output), expected.numpy())


# ----------------------------------------------------------------------------- measured in a fresh process

_PEAK_CHILD = r"""
import json, sys, threading, time
from pathlib import Path
import findcolor
from findcolor.pipeline import get_engine

def anonymous_kb():  # the process's own memory; file-backed pages (libraries) may come and go
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("RssAnon:"):
            return int(line.split()[1])

peak, running = [0], [True]

def sample():
    while running[0]:
        peak[0] = max(peak[0], anonymous_kb())
        time.sleep(0.002)

get_engine("classical")
findcolor.colorize(sys.argv[1], json.loads(sys.argv[2]), engine="classical", working_side=128)  # warm-up, small work
baseline = anonymous_kb()
sampler = threading.Thread(target=sample, daemon=True)
sampler.start()
image = findcolor.colorize(sys.argv[3], json.loads(sys.argv[4]), engine="classical")
running[0] = False
sampler.join()
print(json.dumps({"baseline_kb": baseline, "peak_kb": max(peak[0], anonymous_kb()), "size": image.size}))
"""


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads the resident memory from /proc")
def test_peak_memory_per_pixel_of_a_12_megapixel_scan(tmp_path: Path) -> None:
    """Was ~55 bytes per pixel over the loaded engine (full-resolution float RGB, chroma, masks); now ~10."""
    width, height = 4000, 3000
    scan = tmp_path / "scan.png"
    Image.fromarray(astronaut_gray(), "L").resize((width, height), Image.Resampling.BILINEAR).save(scan, compress_level=1)
    warm = tmp_path / "warm.png"
    Image.fromarray(astronaut_gray(), "L").save(warm)
    hints = {"version": 1, "points": [{"x": 400 * i + 100, "y": 250 * i + 100, "color": "#a03020", "radius": 8} for i in range(10)]}
    small = {"version": 1, "points": [{"x": 10, "y": 10, "color": "#a03020"}]}
    run = subprocess.run(
        [sys.executable, "-c", _PEAK_CHILD, str(warm), json.dumps(small), str(scan), json.dumps(hints)],
        capture_output=True, text=True, timeout=600, cwd=REPO_ROOT,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    measured = json.loads(run.stdout.strip().splitlines()[-1])
    assert measured["size"] == [width, height]
    per_pixel = (measured["peak_kb"] - measured["baseline_kb"]) * 1024 / (width * height)
    assert per_pixel <= 20, f"{per_pixel:.1f} bytes per pixel over the loaded engine"
