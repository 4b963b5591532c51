"""Edge-aware propagation of colour hints: the classical engine.

Levin, Lischinski & Weiss, "Colorization using Optimization" (SIGGRAPH 2004): neighbouring
pixels of similar lightness should have similar chroma. We use the symmetric form of
their energy, ``sum_rs w_rs (u_r - u_s)^2`` over 8-connected neighbours with
``w_rs = exp(-(Y_r - Y_s)^2 / sigma_rs^2)`` and ``sigma`` from the local variance, which
makes the system a graph Laplacian: symmetric positive definite once the hinted pixels
are fixed. That lets us solve it with conjugate gradients preconditioned by algebraic
multigrid (pyamg), in a fraction of a second at working resolution, instead of the ~8 s a
direct solve of the original non-symmetric system takes at 512x512.

An optional *prior* turns the same solve into the combined engine: minimise
``sum w_rs (u_r - u_s)^2 + lambda * sum (u_r - prior_r)^2`` with hints fixed, so far from
hints the network's chroma wins, and near hints the correction spreads along edges.
"""

from __future__ import annotations

import logging

import numpy as np
import pyamg
import scipy.sparse as sp

from findcolor.hints import Hints

log = logging.getLogger(__name__)

# Offsets (dy, dx) of half the 8-neighbourhood; the other half is the transpose.
_NEIGHBOUR_OFFSETS = ((0, 1), (1, 0), (1, 1), (1, -1))
_MIN_SIGMA2 = 2e-5  # lightness variance floor (lightness scaled to [0, 1]): flat areas stay connected
_MIN_WEIGHT = 1e-6  # keeps every pixel connected, so each solve is well posed
_SOLVER_TOLERANCE = 1e-4  # relative residual; ab changes by < 0.05 beyond it (measured)


def _local_variance(y: np.ndarray) -> np.ndarray:
    """Variance of the 3x3 window around each pixel (edge-replicated)."""
    padded = np.pad(y, 1, mode="edge")
    h, w = y.shape
    windows = [padded[dy : dy + h, dx : dx + w] for dy in range(3) for dx in range(3)]
    stack = np.stack(windows)
    return stack.var(axis=0)


def affinity_laplacian(lightness: np.ndarray) -> sp.csr_matrix:
    """Graph Laplacian ``D - W`` of the 8-connected pixel grid weighted by lightness similarity.

    ``lightness`` is CIELAB L (0..100) of shape (h, w); returns an (h*w, h*w) CSR matrix.
    """
    y = np.asarray(lightness, dtype=np.float64) / 100.0
    h, w = y.shape
    variance = _local_variance(y)
    index = np.arange(h * w, dtype=np.int64).reshape(h, w)
    rows, cols, weights = [], [], []
    for dy, dx in _NEIGHBOUR_OFFSETS:
        # each pixel (i, j) of the source window pairs with (i + dy, j + dx) of the target window
        ys, xs = slice(0, h - dy), slice(max(0, -dx), w - max(0, dx))
        yt, xt = slice(dy, h), slice(max(0, dx), w + min(0, dx))
        diff = y[ys, xs] - y[yt, xt]
        sigma2 = np.maximum(0.6 * (variance[ys, xs] + variance[yt, xt]), _MIN_SIGMA2)
        weights.append(np.exp(-(diff * diff) / sigma2).ravel() + _MIN_WEIGHT)
        rows.append(index[ys, xs].ravel())
        cols.append(index[yt, xt].ravel())
    r = np.concatenate(rows)
    c = np.concatenate(cols)
    v = np.concatenate(weights)
    adjacency = sp.coo_matrix((np.concatenate([v, v]), (np.concatenate([r, c]), np.concatenate([c, r]))), shape=(h * w, h * w))
    adjacency = adjacency.tocsr()
    degree = np.asarray(adjacency.sum(axis=1)).ravel()
    return (sp.diags(degree) - adjacency).tocsr()


def propagate(
    lightness: np.ndarray,
    hint_ab: np.ndarray,
    hint_mask: np.ndarray,
    *,
    prior_ab: np.ndarray | None = None,
    prior_weight: float = 1e-3,
) -> np.ndarray:
    """Spread hinted chroma along lightness edges; hinted pixels keep their chroma exactly.

    ``lightness`` (h, w) CIELAB L, ``hint_ab`` (h, w, 2), ``hint_mask`` (h, w) bool,
    optional ``prior_ab`` (h, w, 2) pulled towards with ``prior_weight`` per pixel.
    Without hints and without a prior there is nothing to spread: the result is gray (ab = 0).
    """
    h, w = lightness.shape
    known = np.asarray(hint_mask, dtype=bool).ravel()
    if prior_ab is None and not known.any():
        return np.zeros((h, w, 2), dtype=np.float32)
    if known.all():
        return np.asarray(hint_ab, dtype=np.float32).copy()

    laplacian = affinity_laplacian(lightness)
    unknown = ~known
    system = laplacian[unknown][:, unknown]
    coupling = laplacian[unknown][:, known]
    if prior_ab is not None:
        system = (system + sp.identity(system.shape[0], format="csr") * prior_weight).tocsr()

    known_values = np.asarray(hint_ab, dtype=np.float64).reshape(-1, 2)[known]
    rhs = -(coupling @ known_values) if known.any() else np.zeros((int(unknown.sum()), 2))
    if prior_ab is not None:
        rhs = rhs + prior_weight * np.asarray(prior_ab, dtype=np.float64).reshape(-1, 2)[unknown]

    # Classical (Ruge-Stuben) AMG: set-up is 2-3x cheaper than smoothed aggregation on these
    # grid Laplacians for the same accuracy, and one set-up serves both chroma channels.
    solver = pyamg.ruge_stuben_solver(system)
    result = np.zeros((h * w, 2), dtype=np.float64)
    result[known] = known_values
    for channel in range(2):
        residuals: list[float] = []
        result[unknown, channel] = solver.solve(
            rhs[:, channel], tol=_SOLVER_TOLERANCE, accel="cg", maxiter=200, residuals=residuals
        )
        log.debug("propagate channel %d: %d iterations", channel, len(residuals))
    return result.reshape(h, w, 2).astype(np.float32)


class ClassicalEngine:
    """Levin et al. 2004 as an engine: honours hints exactly, needs no weights, gray without hints."""

    name = "classical"
    version = "levin2004-amg/1"
    working_side = 384  # solve + guided upsampling: ~0.5 s on 2 cores, edges from the full-resolution guide

    def predict_ab(self, lightness: np.ndarray, hint_ab: np.ndarray, hint_mask: np.ndarray, hints: Hints) -> np.ndarray:
        return propagate(lightness, hint_ab, hint_mask)
