"""The neural engines: the shipped hint network alone, and combined with the affinity solve.

Weights live in ``findcolor/weights/hintnet.safetensors`` next to ``hintnet.json`` (the model
config, how the weights were trained, and the combined engine's tuned blend scales), so the
network is rebuilt from those two files alone.

- :class:`NeuralEngine` runs the network at the working resolution, then makes hinted patches
  exact with a correction that fades out along luminance edges.
- :class:`CombinedEngine` (``engine="auto"``) joins the network and the Levin et al. affinity
  solve (``propagation.propagate``): near hints the hints' own edge-aware propagation, far from
  them the network corrected by the propagated hint residual. Measured on the validation photos
  the network is the stronger engine with few hints and the solve with many; the blend beats
  both (docs/MODEL_CARD.md). Using the network as a weak prior *inside* the solve was measured
  too and lost to the blend at every hint count.
- :func:`suggest` reads the network's distribution over quantised ab bins at a pixel: the
  colours the model expects there given the current hints.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file
from scipy import ndimage

from findcolor.color import lab_to_hex
from findcolor.errors import EngineError, FindColorError
from findcolor.hints import Hints, palette_ab, parse_hints, rasterize_hints
from findcolor.model import (
    HintNet,
    HintNetConfig,
    ab_bin_centers,
    build_model,
    fuse_for_inference,
    global_hint_vector,
    palette_histogram,
)
from findcolor.geodesic import geodesic_distance
from findcolor.guided import guided_upsample
from findcolor.propagation import coarsen_problem, propagate, upsample_2x

log = logging.getLogger(__name__)

WEIGHTS_DIR = Path(__file__).parent / "weights"
WEIGHTS_NAME = "hintnet"
WORKING_SIDE = 256  # the resolution the network was evaluated at (and the 30 ms budget)
DEFAULT_BLEND_SCALE = 64.0  # combined engine's distance scale (pixels) when the metadata carries no tuned value
MULTIPLE = 16  # the network's total downsampling
MIN_HALF_RESOLUTION_SIDE = 32  # below this (at half resolution) the solve runs at full resolution
RESIDUAL_DECAY = 1e-2  # NeuralEngine: pull of the hint correction towards zero (larger = shorter reach)


@dataclass(frozen=True)
class LoadedWeights:
    model: HintNet  # fused, eval mode, channels-last
    config: HintNetConfig
    metadata: dict  # the JSON next to the weights
    sha256: str  # of the .safetensors file


def weights_paths(directory: Path = WEIGHTS_DIR) -> tuple[Path, Path]:
    return directory / f"{WEIGHTS_NAME}.safetensors", directory / f"{WEIGHTS_NAME}.json"


def weights_available(directory: Path = WEIGHTS_DIR) -> bool:
    """True when the shipped network (weights + config) is installed."""
    weights, metadata = weights_paths(directory)
    return weights.is_file() and metadata.is_file()


def save_weights(model: HintNet, metadata: dict, directory: Path = WEIGHTS_DIR) -> str:
    """Write ``hintnet.safetensors`` + ``hintnet.json``; returns the weights' SHA-256."""
    directory.mkdir(parents=True, exist_ok=True)
    weights, meta_path = weights_paths(directory)
    state = {name: tensor.detach().contiguous().cpu() for name, tensor in model.state_dict().items()}
    save_file(state, str(weights))
    weights.chmod(0o644)  # package data: readable by every user of an installation
    sha = hashlib.sha256(weights.read_bytes()).hexdigest()
    meta_path.write_text(json.dumps({**metadata, "model_config": model.config.to_dict(), "sha256": sha}, indent=1))
    return sha


def load_unfused(directory: Path = WEIGHTS_DIR) -> tuple[HintNet, dict, str]:
    """The network exactly as trained (eval mode, batch norms separate), its metadata and SHA-256."""
    weights, meta_path = weights_paths(directory)
    if not weights_available(directory):
        raise EngineError(f"no model weights in {directory} (use the classical engine, or train: see docs/MODEL_CARD.md)")
    try:
        metadata = json.loads(meta_path.read_text())
        config = HintNetConfig.from_dict(metadata["model_config"])
        model = build_model(config)
        model.load_state_dict(load_file(str(weights)))
    except Exception as error:  # noqa: BLE001 - any damage to the files is one user-facing problem
        raise EngineError(f"model weights in {directory} are unreadable: {str(error).splitlines()[0]}") from None
    sha = hashlib.sha256(weights.read_bytes()).hexdigest()
    return model.eval(), metadata, sha


@lru_cache(maxsize=4)
def load_weights(directory: Path = WEIGHTS_DIR) -> LoadedWeights:
    """Load, fuse batch norms, and warm up once (the first pass in a process is ~10x slower)."""
    model, metadata, sha = load_unfused(directory)
    model = fuse_for_inference(model)
    loaded = LoadedWeights(model, model.config, metadata, sha)
    with torch.inference_mode():  # at the working size: oneDNN prepares its kernels per input shape
        zeros = torch.zeros(1, 1, WORKING_SIDE, WORKING_SIDE).contiguous(memory_format=torch.channels_last)
        ab = torch.zeros(1, 2, WORKING_SIDE, WORKING_SIDE).contiguous(memory_format=torch.channels_last)
        model(zeros + 50.0, ab, zeros, torch.zeros(1, model.config.global_dim), with_bins=False)
    return loaded


def global_hints_of(hints: Hints, config: HintNetConfig) -> np.ndarray:
    """The global-hint vector of a curator's palette and saturation (flags off when absent)."""
    palette = palette_ab(hints)
    histogram = None
    if palette:
        colours = np.array([(a, b) for a, b, _ in palette], dtype=np.float32)
        weights = np.array([w for _, _, w in palette], dtype=np.float32)
        histogram = palette_histogram(colours, weights, config)
    return global_hint_vector(config, histogram, hints.saturation)


def _padded(array: np.ndarray, multiple: int) -> np.ndarray:
    """Reflect-pad the first two axes of ``array`` up to multiples of ``multiple``."""
    h, w = array.shape[:2]
    pad_h, pad_w = (-h) % multiple, (-w) % multiple
    if pad_h == 0 and pad_w == 0:
        return array
    mode = "reflect" if min(h, w) > max(pad_h, pad_w) else "edge"
    return np.pad(array, [(0, pad_h), (0, pad_w)] + [(0, 0)] * (array.ndim - 2), mode=mode)


_inference_lock = threading.Lock()  # one model instance is shared by every caller of the process


def run_network(
    weights: LoadedWeights,
    lightness: np.ndarray,
    hint_ab: np.ndarray,
    hint_mask: np.ndarray,
    hints: Hints,
    *,
    with_bins: bool = False,
) -> dict[str, np.ndarray]:
    """The network on one image: ``ab`` (h, w, 2) and, with ``with_bins``, ``bin_logits`` (Q, h', w')."""
    h, w = lightness.shape
    light = _padded(np.asarray(lightness, dtype=np.float32), MULTIPLE)
    masked_ab = np.where(hint_mask[..., None], hint_ab, 0.0).astype(np.float32)
    hint = _padded(masked_ab, MULTIPLE)
    mask = _padded(np.asarray(hint_mask, dtype=np.float32), MULTIPLE)
    if (light.shape[0] - h) or (light.shape[1] - w):  # padding must not invent hints
        mask[h:, :] = 0.0
        mask[:, w:] = 0.0
        hint = hint * mask[..., None]
    channels_last = torch.channels_last
    with _inference_lock, torch.inference_mode():
        out = weights.model(
            torch.from_numpy(light)[None, None].contiguous(memory_format=channels_last),
            torch.from_numpy(np.ascontiguousarray(hint)).permute(2, 0, 1)[None].contiguous(memory_format=channels_last),
            torch.from_numpy(mask)[None, None].contiguous(memory_format=channels_last),
            torch.from_numpy(global_hints_of(hints, weights.config))[None],
            with_bins=with_bins,
        )
    result = {"ab": out["ab"][0, :, :h, :w].permute(1, 2, 0).numpy().astype(np.float32)}
    if with_bins:
        result["bin_logits"] = out["bin_logits"][0].numpy()
    return result


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


def propagate_fast(
    lightness: np.ndarray,
    fields: np.ndarray,
    hint_mask: np.ndarray,
    *,
    decay: float | None = None,
) -> np.ndarray:
    """``propagation.propagate`` solved at half resolution, then guided-upsampled with ``lightness``.

    The propagated fields are smooth along edges, so solving on the 2x-coarsened problem and
    upsampling them with the full-resolution lightness as guide loses nothing measurable
    (validation PSNR equal within 0.05 dB) and is ~2.5x faster: it keeps the engines
    interactive. ``fields`` is (h, w, 2k): k chroma fields sharing one solve. ``decay``, when
    given, pulls the solution towards zero (a fading correction) with that weight per
    full-resolution pixel. Hinted pixels keep their values exactly.
    """
    if min(lightness.shape) < 2 * MIN_HALF_RESOLUTION_SIDE:
        prior = None if decay is None else np.zeros_like(fields)
        return propagate(lightness, fields, hint_mask, prior_ab=prior, prior_weight=decay or 0.0)
    light_low, fields_low, mask_low = coarsen_problem(lightness, fields, hint_mask)
    prior = None if decay is None else np.zeros_like(fields_low)
    # a coarse pixel stands for 4: the same reach needs 4x the weight (as in the multigrid levels)
    solved_low = propagate(light_low, fields_low, mask_low, prior_ab=prior, prior_weight=4.0 * (decay or 0.0))
    guide_low = light_low.astype(np.float32)
    solved = guided_upsample(solved_low, guide_low, lightness)
    solved[hint_mask] = fields[hint_mask]
    return solved


def propagation_estimates(
    lightness: np.ndarray, network_ab: np.ndarray, hint_ab: np.ndarray, hint_mask: np.ndarray, decay: float = 0.0
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
    """
    residual = np.where(hint_mask[..., None], hint_ab - network_ab, 0.0).astype(np.float32)
    solved = propagate_fast(lightness, np.concatenate([hint_ab, residual], axis=-1), hint_mask, decay=decay or None)
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
) -> np.ndarray:
    """The combined engine's chroma: :func:`propagation_estimates` (with ``decay``) blended by
    :func:`blend_by_distance` over the :func:`hint_distance` with ``edge_weight``.

    The scale and decay (per number of hints) and the edge weight are tuned on the validation
    split (``training.evaluate --tune-blend``). Hinted pixels come out exactly as hinted.
    """
    classical, corrected = propagation_estimates(lightness, network_ab, hint_ab, hint_mask, decay)
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
    (``combined_decays``; absent = none).
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
        except (AttributeError, TypeError, ValueError) as error:  # a hand-edited or damaged hintnet.json
            raise EngineError(f"the combined engine's settings in {directory}/{WEIGHTS_NAME}.json are unreadable: {error}") from None
        described = ",".join(f"{k}:{v:g}" for k, v in sorted(self.schedule.items()))
        self.version = f"hintnet+levin2004/{self.weights.sha256[:12]}/blend={described}"
        if self.edge_weight > 0.0:
            self.version += f"/edge={self.edge_weight:g}"
        if any(self.decays.values()):
            self.version += "/decay=" + ",".join(f"{k}:{v:g}" for k, v in sorted(self.decays.items()))

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
        network_ab = run_network(self.weights, lightness, hint_ab, hint_mask, hints)["ab"]
        if not hint_mask.any():
            return network_ab
        count = self._hint_count(hint_mask)  # labelled once for both schedules
        return fuse_with_propagation(
            lightness,
            network_ab,
            hint_ab,
            hint_mask,
            self._scale_at(count),
            edge_weight=self.edge_weight,
            decay=self._decay_at(count),
        )


def suggest(
    image, hints=None, x: float = 0.0, y: float = 0.0, k: int = 6, *, weights_dir: Path = WEIGHTS_DIR
) -> list[tuple[str, float]]:
    """The ``k`` colours the network expects at pixel (x, y) of ``image`` given ``hints``.

    Returns ``[(hex, probability), ...]``, most likely first; probabilities come from the
    network's distribution over quantised ab bins at that pixel (so they sum to at most 1),
    each bin shown at the pixel's own lightness. ``image`` is anything ``load_image``
    accepts; (x, y) are full-resolution pixel coordinates.
    """
    from findcolor.imageio import load_image  # local: keeps `import findcolor.neural` light
    from findcolor.pipeline import working_size

    if not isinstance(k, int) or k < 1:
        raise FindColorError(f"k must be a positive whole number, got {k!r}")
    loaded = load_image(image)
    width, height = loaded.width, loaded.height
    if not (0 <= x <= width - 1 and 0 <= y <= height - 1):
        raise FindColorError(f"({x:g}, {y:g}) is outside the {width}x{height} image")
    parsed = parse_hints(hints, image_size=(width, height))
    weights = load_weights(weights_dir)
    lightness = loaded.lightness()
    size = working_size(width, height, WORKING_SIDE)
    small = np.asarray(
        F.interpolate(torch.from_numpy(lightness)[None, None], size=(size[1], size[0]), mode="area")[0, 0]
    )
    hint_ab, hint_mask = rasterize_hints(parsed, (width, height), size)
    logits = torch.from_numpy(run_network(weights, small, hint_ab, hint_mask, parsed, with_bins=True)["bin_logits"])
    # sample the (Q, h', w') logits at the pixel, in normalised [-1, 1] coordinates of the working image
    padded_h = small.shape[0] + (-small.shape[0]) % MULTIPLE
    padded_w = small.shape[1] + (-small.shape[1]) % MULTIPLE
    gx = ((x + 0.5) / width * size[0]) / padded_w * 2.0 - 1.0
    gy = ((y + 0.5) / height * size[1]) / padded_h * 2.0 - 1.0
    grid = torch.tensor([[[[gx, gy]]]], dtype=torch.float32)
    at_pixel = F.grid_sample(logits[None], grid, mode="bilinear", align_corners=False)[0, :, 0, 0]
    probabilities = torch.softmax(at_pixel, dim=0)
    centers = ab_bin_centers(weights.config)
    pixel_lightness = float(lightness[int(round(y)), int(round(x))])
    merged: dict[str, float] = {}
    for index in torch.argsort(probabilities, descending=True).tolist():
        colour = lab_to_hex((pixel_lightness, float(centers[index, 0]), float(centers[index, 1])))
        if colour not in merged and len(merged) == k:
            break
        merged[colour] = merged.get(colour, 0.0) + float(probabilities[index])  # out-of-gamut bins can share a hex
    return sorted(merged.items(), key=lambda item: -item[1])[:k]
