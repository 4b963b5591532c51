"""The combined engine (``engine="auto"``): the hint network and the Levin et al. affinity solve.

Near hints it takes the hints' own edge-aware propagation, far from them the network corrected
by the propagated hint residual (:func:`fuse_with_propagation`). Measured on the validation
photos the network is the stronger engine with few hints and the solve with many; the blend
beats both (docs/MODEL_CARD.md). Using the network as a weak prior *inside* the solve was
measured too and lost to the blend at every hint count.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from scipy import ndimage

from findcolor.errors import EngineError
from findcolor.geodesic import geodesic_distance
from findcolor.hints import Hints
from findcolor.network_io import WEIGHTS_DIR, WEIGHTS_NAME, WORKING_SIDE, load_weights, run_network
from findcolor.propagation import MIN_HALF_RESOLUTION_SIDE, coarsen_problem, propagate_fast, upsample_2x

DEFAULT_BLEND_SCALE = 64.0  # distance scale (pixels) when the weights' metadata carries no tuned value
OBJECT_FEATURE_COMPONENTS = 8  # principal directions of the decoder features kept for the affinities


def object_features(features: np.ndarray, components: int = OBJECT_FEATURE_COMPONENTS) -> np.ndarray:
    """The network's decoder features (h, w, C) projected on this image's ``components`` principal
    directions: what tells the image's objects apart, without the channels that only carry noise.

    Levin's affinities see lightness only, so a hint spreads as far onto a gray wall as onto the
    gray coat of the same tone; the features the network groups pixels by (its region layers
    read them) know the coat from the wall. Exact SVD of the C x C covariance (C = 64 at 1/8
    resolution): deterministic, ~2 ms. It runs in torch: right after the network, NumPy's
    LAPACK took 60-90 ms for the same 64 x 64 decomposition, its threads competing with
    torch's. Signs do not matter: only distances between features are used.
    """
    flat = torch.from_numpy(features.reshape(-1, features.shape[-1]).astype(np.float64))
    flat = flat - flat.mean(dim=0)
    directions = torch.linalg.svd(flat.T @ flat).U  # columns by decreasing variance
    return (flat @ directions[:, :components]).numpy().reshape(*features.shape[:2], -1)


def propagation_estimates(
    lightness: np.ndarray,
    network_ab: np.ndarray,
    hint_ab: np.ndarray,
    hint_mask: np.ndarray,
    decay: float = 0.0,
    features: np.ndarray | None = None,
    feature_bandwidth: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """(classical, corrected): two chroma estimates, both exact on hinted pixels.

    - ``classical``: the hints spread along luminance edges (Levin et al. 2004). Measured on
      the validation photos it is the most accurate estimate close to hints and, with many
      hints, nearly everywhere;
    - ``corrected``: the network's chroma plus the hint residual (hint - network) spread the
      same way. Far from hints it is much better than flooding a region with the nearest
      hint's colour, because the network knows what objects look like.

    Both are the same linear system with different right-hand sides: one 4-channel solve.
    ``decay`` > 0 pulls both spread fields towards zero (see :func:`propagate_fast`). Undamped,
    a single hint's residual reaches every pixel at full strength (a harmonic field with one
    boundary value is constant): one stroke on a coat shifts the colour of the whole photo.
    A small pull fixes that with one or two hints (+0.3 dB at 1 point, +0.4 dB at 1 stroke on
    the validation photos) and costs accuracy with many, so it is tuned per hint count.
    ``features`` (:func:`object_features`) with ``feature_bandwidth`` > 0 make both spreads
    stop where the network sees another object, not only at lightness edges.
    """
    residual = np.where(hint_mask[..., None], hint_ab - network_ab, 0.0).astype(np.float32)
    solved = propagate_fast(
        lightness,
        np.concatenate([hint_ab, residual], axis=-1),
        hint_mask,
        decay=decay or None,
        features=features,
        feature_bandwidth=feature_bandwidth,
    )
    return solved[..., :2], network_ab + solved[..., 2:]


def hint_distance(lightness: np.ndarray, hint_mask: np.ndarray, edge_weight: float = 0.0) -> np.ndarray:
    """Distance (pixels of ``lightness``) from every pixel to the nearest hinted pixel.

    ``edge_weight`` 0: straight-line distance. Above 0: the geodesic distance, where crossing a
    lightness step of ``dL`` costs ``edge_weight * dL`` extra pixels, so a hint stays "near"
    only on its own side of an edge. It is computed on the half-resolution grid (as the solves
    are: ~4 ms instead of ~22 ms at 256x256) and upsampled; hinted pixels are at distance 0.
    """
    if edge_weight <= 0.0:
        return ndimage.distance_transform_edt(~hint_mask).astype(np.float32)
    if min(lightness.shape) < 2 * MIN_HALF_RESOLUTION_SIDE:
        return geodesic_distance(lightness, hint_mask, edge_weight)
    no_fields = np.zeros((*lightness.shape, 0), dtype=np.float32)
    light_low, _, mask_low = coarsen_problem(lightness, no_fields, hint_mask)
    distance_low = geodesic_distance(light_low, mask_low, edge_weight, pixel_size=2.0)
    distance = upsample_2x(distance_low[..., None], lightness.shape)[..., 0].astype(np.float32)
    distance[hint_mask] = 0.0
    return distance


def blend_by_distance(classical: np.ndarray, corrected: np.ndarray, distance: np.ndarray, scale: float) -> np.ndarray:
    """A pixel at ``distance`` from the nearest hint takes ``exp(-distance / scale)`` of ``classical``, the rest of ``corrected``."""
    near = np.exp(-distance / scale).astype(np.float32)[..., None]
    return (near * classical + (1.0 - near) * corrected).astype(np.float32)


def fuse_with_propagation(
    lightness: np.ndarray,
    network_ab: np.ndarray,
    hint_ab: np.ndarray,
    hint_mask: np.ndarray,
    scale: float,
    edge_weight: float = 0.0,
    decay: float = 0.0,
    features: np.ndarray | None = None,
    feature_bandwidth: float = 0.0,
) -> np.ndarray:
    """The combined engine's chroma: :func:`propagation_estimates` (with ``decay``, and the
    object ``features`` at ``feature_bandwidth``) blended by :func:`blend_by_distance` over the
    :func:`hint_distance` with ``edge_weight``.

    The scale and decay (per number of hints), the edge weight and the feature bandwidth are
    tuned on the validation split (``training.evaluate --tune-blend``). Hinted pixels come out
    exactly as hinted.
    """
    classical, corrected = propagation_estimates(lightness, network_ab, hint_ab, hint_mask, decay, features, feature_bandwidth)
    fused = blend_by_distance(classical, corrected, hint_distance(lightness, hint_mask, edge_weight), scale)
    fused[hint_mask] = hint_ab[hint_mask]
    return fused


class CombinedEngine:
    """The network and the edge-aware affinity solve as one engine (``engine="auto"``).

    Without hints it is the network. With hints, :func:`fuse_with_propagation` blends the
    classical propagation of the hints (trusted near them) with the network corrected by the
    propagated hint residual (trusted far from them). The blend's distance scale depends on
    how many hints there are, so it is tuned on the validation split per hint count and
    stored with the weights (``combined_blend_scales``: hint count -> scale in pixels at the
    working resolution); between tuned counts it is interpolated on log scales. Hints are
    counted as connected hinted regions, so a stroke counts once. Distance is measured along
    the image (``combined_edge_weight``, tuned with the scales; 0 = straight-line distance,
    the behaviour of weights that carry no such value), so a hint is near only on its own
    side of an edge. The pull of the spread fields towards zero is tuned per hint count too
    (``combined_decays``; absent = none). With ``combined_feature_bandwidth`` > 0 the spreads
    also follow the network's own features (:func:`object_features`), so a hint fills its
    object and stops at the next one even where both have the same gray (absent = lightness
    only, as v1 and the first v2 weights were tuned).
    """

    name = "auto"
    working_side = WORKING_SIDE

    def __init__(self, directory: Path = WEIGHTS_DIR, *, blend_scale: float | None = None, edge_weight: float | None = None) -> None:
        self.weights = load_weights(directory)
        metadata = self.weights.metadata
        try:
            if blend_scale is not None:
                self.schedule = {1: float(blend_scale)}
            elif metadata.get("combined_blend_scales"):
                self.schedule = {int(k): float(v) for k, v in metadata["combined_blend_scales"].items()}
            else:
                self.schedule = {1: DEFAULT_BLEND_SCALE}
            self.decays = {int(k): float(v) for k, v in (metadata.get("combined_decays") or {}).items()}
            self.edge_weight = float(metadata.get("combined_edge_weight", 0.0) if edge_weight is None else edge_weight)
            self.feature_bandwidth = float(metadata.get("combined_feature_bandwidth", 0.0))
        except (AttributeError, TypeError, ValueError) as error:  # a hand-edited or damaged hintnet.json
            raise EngineError(f"the combined engine's settings in {directory}/{WEIGHTS_NAME}.json are unreadable: {error}") from None
        described = ",".join(f"{k}:{v:g}" for k, v in sorted(self.schedule.items()))
        self.version = f"hintnet+levin2004/{self.weights.sha256[:12]}/blend={described}"
        if self.edge_weight > 0.0:
            self.version += f"/edge={self.edge_weight:g}"
        if any(self.decays.values()):
            self.version += "/decay=" + ",".join(f"{k}:{v:g}" for k, v in sorted(self.decays.items()))
        if self.feature_bandwidth > 0.0:
            self.version += f"/features={self.feature_bandwidth:g}"

    @staticmethod
    def _hint_count(hint_mask: np.ndarray) -> int:
        return max(1, ndimage.label(hint_mask, structure=np.ones((3, 3)))[1])

    def _scale_at(self, hints: int) -> float:
        counts = sorted(self.schedule)
        if len(counts) == 1:
            return self.schedule[counts[0]]
        log_scales = [np.log(self.schedule[c]) for c in counts]
        return float(np.exp(np.interp(np.log(hints), np.log(counts), log_scales)))

    def _decay_at(self, hints: int) -> float:
        if not self.decays:
            return 0.0
        counts = sorted(self.decays)
        return float(np.interp(np.log(hints), np.log(counts), [self.decays[c] for c in counts]))

    def blend_scale_for(self, hint_mask: np.ndarray) -> float:
        """The tuned distance scale for this many hints (log-log interpolation, clamped at the ends)."""
        return self._scale_at(self._hint_count(hint_mask))

    def decay_for(self, hint_mask: np.ndarray) -> float:
        """The tuned decay for this many hints (linear in log count, clamped at the ends; 0 if untuned)."""
        return self._decay_at(self._hint_count(hint_mask))

    def predict_ab(self, lightness: np.ndarray, hint_ab: np.ndarray, hint_mask: np.ndarray, hints: Hints) -> np.ndarray:
        hinted = bool(hint_mask.any())
        with_features = hinted and self.feature_bandwidth > 0.0
        network = run_network(self.weights, lightness, hint_ab, hint_mask, hints, with_features=with_features)
        if not hinted:
            return network["ab"]
        count = self._hint_count(hint_mask)  # labelled once for both schedules
        return fuse_with_propagation(
            lightness,
            network["ab"],
            hint_ab,
            hint_mask,
            self._scale_at(count),
            edge_weight=self.edge_weight,
            decay=self._decay_at(count),
            features=object_features(network["features"]) if with_features else None,
            feature_bandwidth=self.feature_bandwidth,
        )

