"""Shared helpers for the findcolor core tests (imported explicitly, not a conftest).

Reference colour science here is *independent* of ``findcolor.color``: scikit-image's
``rgb2lab`` and the textbook sRGB transfer curve, so a bug in the library cannot hide
behind the same bug in the expected values.
"""

from __future__ import annotations

import functools
import re
import shlex
import struct
import zlib
from pathlib import Path

import numpy as np
from skimage import color as skcolor
from skimage import data as skdata

REPO_ROOT = Path(__file__).resolve().parents[1]


def readme_user_commands() -> list[list[str]]:
    """The README's user-account commands (the block after its ``readme-users`` marker), split as a shell would."""
    text = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- readme-users:.*?-->\s*```bash\n(.*?)```", text, re.S)
    assert block, "README.md has no readme-users block"
    return [shlex.split(line, comments=True) for line in block.group(1).splitlines() if line.strip()]


def srgb_decode(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, dtype=np.float64)
    return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)


def srgb_encode(v: np.ndarray) -> np.ndarray:
    v = np.clip(np.asarray(v, dtype=np.float64), 0.0, 1.0)
    return np.where(v <= 0.0031308, v * 12.92, 1.055 * v ** (1 / 2.4) - 0.055)


def lab_of(rgb8: np.ndarray) -> np.ndarray:
    """CIELAB (D65) of an 8-bit RGB (H, W, 3) or gray (H, W) array, via scikit-image."""
    rgb8 = np.asarray(rgb8)
    if rgb8.ndim == 2:
        rgb8 = np.repeat(rgb8[..., None], 3, axis=2)
    return skcolor.rgb2lab(rgb8.astype(np.float64) / 255.0)


def hex_ab(color: str) -> np.ndarray:
    """(a, b) of a '#rrggbb' colour, via scikit-image."""
    text = color.lstrip("#")
    rgb = np.array([int(text[i : i + 2], 16) for i in (0, 2, 4)], dtype=np.float64) / 255.0
    return skcolor.rgb2lab(rgb[None, None])[0, 0, 1:]


def to_hex(rgb8) -> str:
    return "#" + "".join(f"{int(round(float(c))):02x}" for c in rgb8)


def gray_of(rgb8: np.ndarray) -> np.ndarray:
    """8-bit gray with the CIELAB lightness of ``rgb8`` (relative luminance Y, sRGB-encoded)."""
    luminance = srgb_decode(rgb8 / 255.0) @ np.array([0.2126729, 0.7151522, 0.0721750])
    return np.round(srgb_encode(luminance) * 255.0).astype(np.uint8)


@functools.lru_cache(maxsize=None)
def astronaut() -> np.ndarray:
    """scikit-image's bundled colour photo (512x512x3 uint8), read-only."""
    image = skdata.astronaut()
    image.setflags(write=False)
    return image


@functools.lru_cache(maxsize=None)
def astronaut_gray() -> np.ndarray:
    image = gray_of(astronaut())
    image.setflags(write=False)
    return image


def photo_hints(
    rgb8: np.ndarray, count: int = 10, radius: int = 2, grid: tuple[int, int] = (4, 4), min_chroma: float = 10.0
) -> dict:
    """``count`` point hints taken from the true colours of ``rgb8``.

    The image is split into ``grid`` cells; in each cell the flattest (lowest Lab std) candidate
    patch is taken, and the ``count`` flattest of those are kept, so hints are spread over the
    photo and sit on regions where one colour is meaningful; only clearly coloured (chroma >=
    ``min_chroma``), neither black nor white patches count. The hint colour is the patch mean.
    """
    lab = lab_of(rgb8)
    height, width = rgb8.shape[:2]
    rows, cols = grid
    chosen = []
    for r in range(rows):
        for c in range(cols):
            best = None
            y_lo, y_hi = r * height // rows + 8, (r + 1) * height // rows - 8
            x_lo, x_hi = c * width // cols + 8, (c + 1) * width // cols - 8
            for y in range(y_lo, y_hi, 6):
                for x in range(x_lo, x_hi, 6):
                    patch = lab[y - radius : y + radius + 1, x - radius : x + radius + 1].reshape(-1, 3)
                    mean = patch.mean(axis=0)
                    if np.hypot(mean[1], mean[2]) < min_chroma or not 15 <= mean[0] <= 90:
                        continue  # black, white or gray patches would not test chroma at all
                    if patch[:, 0].std() > 4:
                        continue  # one colour at very different lightness may not fit the gamut everywhere
                    score = float(patch.std(axis=0).sum())
                    if best is None or score < best[0]:
                        best = (score, x, y)
            if best is not None:
                chosen.append(best)
    assert len(chosen) >= count, "not enough coloured flat patches for the hints"
    chosen.sort()
    points = []
    for _, x, y in chosen[:count]:
        mean = rgb8[y - radius : y + radius + 1, x - radius : x + radius + 1].reshape(-1, 3).mean(axis=0)
        points.append({"x": x, "y": y, "color": to_hex(mean), "radius": radius})
    return {"version": 1, "points": points}


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)) ** 2)
    return float(10.0 * np.log10(255.0**2 / mse))


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF)


def write_huge_bilevel_png(path: Path, width: int, height: int) -> None:
    """A valid all-black 1-bit PNG of ``width`` x ``height``, streamed row by row (a few MB of RAM,
    well under a second), for decompression-limit tests."""
    row = b"\x00" + bytes((width + 7) // 8)  # filter byte 0 + packed bits
    compressor = zlib.compressobj(9)
    chunks = []
    block = row * 500
    for _ in range(height // 500):
        chunks.append(compressor.compress(block))
    chunks.append(compressor.compress(row * (height % 500)))
    chunks.append(compressor.flush())
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # bit depth 1, gray
    with open(path, "wb") as handle:
        handle.write(b"\x89PNG\r\n\x1a\n")
        handle.write(_png_chunk(b"IHDR", header))
        handle.write(_png_chunk(b"IDAT", b"".join(chunks)))
        handle.write(_png_chunk(b"IEND", b""))
