"""The neural engine (``engine="neural"``): the shipped hint network alone, with hints made exact.

The network and its files are in ``findcolor.network_io``; the engine that joins it with the
classical affinity solve (``engine="auto"``) is ``findcolor.combined``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from findcolor.hints import Hints
from findcolor.network_io import WEIGHTS_DIR, WORKING_SIDE, load_weights, run_network
from findcolor.propagation import propagate_fast

RESIDUAL_DECAY = 1e-2  # pull of the hint correction towards zero (larger = shorter reach)


class NeuralEngine:
    """The hint network, then an exact hint correction that fades out along luminance edges.

    The network's chroma at a hinted patch is close to, not exactly, the hinted colour. The
    residual (hint - network) is spread by the affinity solve with a pull towards zero
    (``RESIDUAL_DECAY``), so the correction is exact on the patch, fades within a few pixels
    and never crosses a strong edge: no halo, and the network's colours elsewhere are kept.
    """

    name = "neural"
    working_side = WORKING_SIDE

    def __init__(self, directory: Path = WEIGHTS_DIR) -> None:
        self.weights = load_weights(directory)
        self.version = f"hintnet/{self.weights.sha256[:12]}"

    def predict_ab(self, lightness: np.ndarray, hint_ab: np.ndarray, hint_mask: np.ndarray, hints: Hints) -> np.ndarray:
        ab = run_network(self.weights, lightness, hint_ab, hint_mask, hints)["ab"]
        if not hint_mask.any():
            return ab
        residual = np.where(hint_mask[..., None], hint_ab - ab, 0.0).astype(np.float32)
        out = ab + propagate_fast(lightness, residual, hint_mask, decay=RESIDUAL_DECAY)
        out[hint_mask] = hint_ab[hint_mask]
        return out
