"""Quantised grids over the CIELAB ab plane: the one numbering of ab cells in the project.

The network's distribution head (bins of 10 ab units), its global palette hint (11 x 11
coarse cells), the training hint simulation's dominant colours and the catalog's palette
memory (``db.palettes``) all count colours per ab cell. They share this class, so a cell
means the same colours everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # only tensor methods are called: the catalog uses this class without loading torch
    import torch


@dataclass(frozen=True)
class ABGrid:
    """``per_axis`` x ``per_axis`` square cells covering [-ab_range, ab_range] on both axes,
    numbered row-major over (a, b); values outside the range fall in the border cells."""

    per_axis: int
    ab_range: float

    @property
    def cells(self) -> int:
        return self.per_axis**2

    @property
    def cell_size(self) -> float:
        return 2.0 * self.ab_range / self.per_axis

    def cell_index(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Flat cell index (int64) of every (a, b)."""
        ia = np.clip(np.floor((np.asarray(a, dtype=np.float64) + self.ab_range) / self.cell_size), 0, self.per_axis - 1).astype(np.int64)
        ib = np.clip(np.floor((np.asarray(b, dtype=np.float64) + self.ab_range) / self.cell_size), 0, self.per_axis - 1).astype(np.int64)
        return ia * self.per_axis + ib

    def cell_index_torch(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """:meth:`cell_index` for tensors (long, same shape as ``a``)."""
        ia = ((a + self.ab_range) / self.cell_size).floor().long().clamp(0, self.per_axis - 1)
        ib = ((b + self.ab_range) / self.cell_size).floor().long().clamp(0, self.per_axis - 1)
        return ia * self.per_axis + ib

    def centers(self) -> np.ndarray:
        """(cells, 2) float32 ab centre of every cell, in index order."""
        axis = -self.ab_range + self.cell_size * (np.arange(self.per_axis, dtype=np.float32) + 0.5)
        a, b = np.meshgrid(axis, axis, indexing="ij")
        return np.stack([a.reshape(-1), b.reshape(-1)], axis=1).astype(np.float32)
