"""Training batches: random crops of the training photos -> network inputs and clean targets.

The whole (small) corpus is decoded once into memory at a reduced size; each sample is a
random square crop covering 35-100 % of the photo's shorter side, resized to the training
crop size, flipped at random. That matches what the network sees at inference (a whole
photo resized to the working resolution) better than native-resolution tiles would. Near-gray
crops are redrawn: they teach nothing about colour. The degradations touch the input L only.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from findcolor.color import rgb_to_lab
from findcolor.model import HintNetConfig
from training.degradations import degrade
from training.hint_sim import simulate_hints
from training.photos import Photo, load_rgb

log = logging.getLogger(__name__)

STORED_SHORT_SIDE = 448  # photos are kept in memory at this shorter side
MIN_CROP_FRACTION = 0.35  # smallest crop side, as a fraction of the photo's shorter side
MIN_CROP_CHROMA = 4.0  # crops whose mean chroma is lower are redrawn


@dataclass
class Batch:
    lightness: torch.Tensor  # (B, 1, H, W) degraded input L
    hint_ab: torch.Tensor  # (B, 2, H, W)
    hint_mask: torch.Tensor  # (B, 1, H, W)
    global_hints: torch.Tensor  # (B, G)
    target_ab: torch.Tensor  # (B, 2, H, W) clean ground-truth ab
    clean_lightness: torch.Tensor  # (B, 1, H, W) the undegraded L


def load_photos(photos: list[Photo], short_side: int = STORED_SHORT_SIDE) -> list[np.ndarray]:
    """Decode every photo once (uint8, reduced); unreadable files are skipped with a warning."""
    images = []
    for photo in photos:
        try:
            images.append(load_rgb(Path(photo.path), short_side))
        except Exception as error:  # noqa: BLE001 - a broken file must not stop training
            log.warning("skipping %s: %s", photo.path, error)
    return images


def random_crop(image: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """A random square crop (35-100 % of the shorter side), resized to ``size``, maybe mirrored; float [0, 1]."""
    h, w, _ = image.shape
    side = int(round(min(h, w) * rng.uniform(MIN_CROP_FRACTION, 1.0)))
    side = max(min(side, h, w), 8)
    top, left = int(rng.integers(0, h - side + 1)), int(rng.integers(0, w - side + 1))
    crop = Image.fromarray(image[top : top + side, left : left + side])
    crop = crop.resize((size, size), Image.Resampling.BILINEAR, reducing_gap=2.0)
    rgb = np.asarray(crop, dtype=np.float32) / 255.0
    if rng.random() < 0.5:
        rgb = rgb[:, ::-1]
    return np.ascontiguousarray(rgb)


class CropSampler:
    """Draws training batches from in-memory photos."""

    def __init__(
        self,
        images: list[np.ndarray],
        config: HintNetConfig,
        crop_size: int,
        *,
        degrade_input: bool = True,
        seed: int = 0,
    ) -> None:
        if not images:
            raise ValueError("no training photos")
        self.images = images
        self.config = config
        self.crop_size = crop_size
        self.degrade_input = degrade_input
        self.rng = np.random.default_rng(seed)

    def sample(self) -> tuple[np.ndarray, np.ndarray]:
        """(rgb, lab) of one colourful random crop."""
        for _ in range(10):
            rgb = random_crop(self.images[int(self.rng.integers(len(self.images)))], self.crop_size, self.rng)
            lab = rgb_to_lab(rgb)
            if np.hypot(lab[..., 1], lab[..., 2]).mean() >= MIN_CROP_CHROMA:
                break
        return rgb, lab

    def batch(self, batch_size: int) -> Batch:
        lightness, hint_ab, hint_mask, global_hints, target_ab = [], [], [], [], []
        for _ in range(batch_size):
            rgb, lab = self.sample()
            hints = simulate_hints(lab[..., 1:], rgb, self.config, self.rng)
            lightness.append(lab[..., 0])
            target_ab.append(lab[..., 1:])
            hint_ab.append(hints.ab)
            hint_mask.append(hints.mask)
            global_hints.append(hints.global_vector)
        clean = torch.from_numpy(np.stack(lightness)).unsqueeze(1)
        return Batch(
            lightness=degrade(clean, self.rng) if self.degrade_input else clean,
            hint_ab=torch.from_numpy(np.stack(hint_ab)).permute(0, 3, 1, 2).contiguous(),
            hint_mask=torch.from_numpy(np.stack(hint_mask)).unsqueeze(1).float(),
            global_hints=torch.from_numpy(np.stack(global_hints)),
            target_ab=torch.from_numpy(np.stack(target_ab)).permute(0, 3, 1, 2).contiguous(),
            clean_lightness=clean,
        )
