"""Edge-aware (geodesic) distance to the nearest hinted pixel.

The combined engine trusts the classical propagation of the hints *near* them and the network
further away. Measured straight (Euclidean distance), "near" reaches across object boundaries:
a skin hint on a face made the sky around the head take the hints' flooded colour, a visible
orange halo. Measured along the image, a path that crosses a lightness step of ``dL`` pays
``edge_weight * dL`` extra pixels, so the sky beside a face is far from the face's hint while
the rest of the face stays near it (the geodesic distance of Criminisi et al. 2008, "GeoS").
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from findcolor.grid import neighbour_windows, pixel_index


def geodesic_distance(lightness: np.ndarray, seeds: np.ndarray, edge_weight: float, *, pixel_size: float = 1.0) -> np.ndarray:
    """Shortest-path distance from every pixel to the nearest seed pixel on the 8-connected grid.

    A step between neighbours costs ``pixel_size * length + edge_weight * |L_r - L_s|``
    (``length`` 1 or sqrt 2; ``lightness`` in CIELAB L units, 0..100). ``pixel_size`` lets a
    coarsened grid measure in the pixels of the finer one. Seeds are at distance 0; without
    any seed every distance is infinite. Returns (h, w) float32.
    """
    lightness = np.asarray(lightness, dtype=np.float64)
    seeds = np.asarray(seeds, dtype=bool)
    h, w = lightness.shape
    if not seeds.any():
        return np.full((h, w), np.inf, dtype=np.float32)
    index = pixel_index(h, w)
    rows, cols, costs = [], [], []
    for (dy, dx), source, target in neighbour_windows(h, w):
        step = pixel_size * float(np.hypot(dy, dx)) + edge_weight * np.abs(lightness[source] - lightness[target])
        rows.append(index[source].ravel())
        cols.append(index[target].ravel())
        costs.append(step.ravel())
    graph = sp.csr_matrix((np.concatenate(costs), (np.concatenate(rows), np.concatenate(cols))), shape=(h * w, h * w))
    distance = dijkstra(graph, directed=False, indices=np.flatnonzero(seeds), min_only=True)
    return distance.reshape(h, w).astype(np.float32)
