"""Full-resolution work in row blocks on a small shared thread pool.

Elementwise work on a 12-megapixel scan is memory-bound, and torch's OpenMP parallelism
on such operations collapses when the machine is busy: on a 2-core machine with one core
taken by another program, a 2-thread torch Lab conversion was measured 6-9x *slower* than
a 1-thread one (spinning threads wait for a descheduled peer at every operation).
Independent row blocks on Python threads (torch and numpy release the GIL) use every free
core, slow down gracefully when a core is taken, and keep each block's working set small.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

_WORKERS = max(1, min(4, os.cpu_count() or 1))
_POOL = ThreadPoolExecutor(max_workers=_WORKERS, thread_name_prefix="findcolor-block")
_PIXELS_PER_BLOCK = 1 << 17  # ~128k pixels: large enough to amortise dispatch, small enough for cache


def row_blocks(height: int, width: int) -> list[slice]:
    """Row ranges covering ``height`` rows, each of about ``_PIXELS_PER_BLOCK`` pixels."""
    rows = max(1, _PIXELS_PER_BLOCK // max(1, width))
    return [slice(start, min(start + rows, height)) for start in range(0, height, rows)]


def for_each_row_block(height: int, width: int, work: Callable[[slice], None]) -> None:
    """Call ``work(rows)`` for every row block, in parallel; re-raises the first failure."""
    blocks = row_blocks(height, width)
    if len(blocks) == 1:
        work(blocks[0])
        return
    for future in [_POOL.submit(work, block) for block in blocks]:
        future.result()
