"""Will this image fit? The memory ``colorize`` needs, checked before any pixel is decoded.

A scan under the pixel limit can still be too large for the machine it lands on. Rather
than fail halfway with an allocator error, ``colorize`` estimates its peak from the image's
size and storage mode and compares it with what the kernel says is available.

Where the peak comes from (bytes per pixel; the pipeline works in row blocks, so nothing
else grows with the image):

* decoding: the file's bytes, the decoded image (1 for 8-bit gray, 2 for 16-bit gray, 4 for
  colour or 32-bit, as Pillow stores them; twice while an EXIF rotation is applied) and
  the lightness being computed from it (4);
* colorizing: the lightness (4) and the output image (4, Pillow's RGB).

A fixed margin covers the working-resolution engine and the row blocks in flight.
"""

from __future__ import annotations

from pathlib import Path

from findcolor.errors import InsufficientMemoryError

LIGHTNESS_BYTES = 4  # float32 CIELAB L per pixel, kept for the whole run
OUTPUT_BYTES = 4  # Pillow keeps an RGB image as 4 bytes per pixel
WORKING_MARGIN = 384 * 2**20  # the engine at working resolution, row blocks in flight, allocator slack


def colorize_memory_needed(pixels: int, *, decoded_bytes_per_pixel: int = 4, file_bytes: int = 0) -> int:
    """Estimated peak bytes ``colorize`` allocates for an image of ``pixels``, beyond the loaded engine."""
    decoding = file_bytes + pixels * (2 * decoded_bytes_per_pixel + LIGHTNESS_BYTES)
    colorizing = pixels * (LIGHTNESS_BYTES + OUTPUT_BYTES)
    return max(decoding, colorizing) + WORKING_MARGIN


def available_memory(meminfo: str | Path = "/proc/meminfo") -> int | None:
    """Bytes that can be allocated without swapping (Linux ``MemAvailable``); None where unknown."""
    try:
        for line in Path(meminfo).read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024  # the kernel reports kB
    except (OSError, ValueError, IndexError):
        return None
    return None


def check_memory(name: str, needed: int, available: int | None) -> None:
    """Raise :class:`InsufficientMemoryError` (one line) when ``needed`` bytes exceed ``available``."""
    if available is not None and needed > available:
        raise InsufficientMemoryError(
            f"{name}: colorizing this image needs about {needed / 2**30:.1f} GB of memory and only "
            f"{available / 2**30:.1f} GB is available (free memory, or use a smaller scan or --max-pixels)"
        )
