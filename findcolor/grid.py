"""The 8-connected pixel grid that the edge-aware stages (propagation, geodesic distance) work on.

Both build a graph whose nodes are pixels and whose edges join each pixel to its 8 neighbours;
listing each undirected edge once, as a pair of array windows, keeps them on the same grid.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

# Offsets (dy, dx) of half the 8-neighbourhood; the other half is the same edges reversed.
NEIGHBOUR_OFFSETS = ((0, 1), (1, 0), (1, 1), (1, -1))


def neighbour_windows(height: int, width: int) -> Iterator[tuple[tuple[int, int], tuple[slice, slice], tuple[slice, slice]]]:
    """Yield ``((dy, dx), source, target)`` per offset: pixel ``source[i, j]`` and pixel
    ``target[i, j]`` are neighbours, and every undirected edge of the grid appears exactly once."""
    for dy, dx in NEIGHBOUR_OFFSETS:
        source = (slice(0, height - dy), slice(max(0, -dx), width - max(0, dx)))
        target = (slice(dy, height), slice(max(0, dx), width + min(0, dx)))
        yield (dy, dx), source, target


def pixel_index(height: int, width: int) -> np.ndarray:
    """(h, w) int64 array of flat node indices, row-major."""
    return np.arange(height * width, dtype=np.int64).reshape(height, width)
