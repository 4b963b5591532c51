"""Any folder of colour photos (or a corpus built by ``training.corpus``) as training material.

The split is decided per *scene* (a photo, or the photos of one scene a corpus groups) from a
hash of its identifier, never per crop, so no crop of a validation or test photo is ever
trained on, and the split does not change when photos are added to the folder. A corpus may
hold a whole source out as the out-of-distribution test split ("ood"): photos from other
photographers and cameras, the honest proxy for the archive photos the model has never seen.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff", ".bmp"}
SPLITS = ("train", "val", "test", "ood")


@dataclass(frozen=True)
class Photo:
    id: str  # stable identifier (corpus id, or the path relative to the folder)
    path: Path
    scene: str = ""  # photos of one scene share a split ("" = the photo is its own scene)
    fixed_split: str | None = None  # set by the corpus for a source held out whole

    @property
    def split(self) -> str:
        return self.fixed_split or split_of(self.scene or self.id)


def list_photos(folder: Path) -> list[Photo]:
    """Photos of a corpus (its ``manifest.json``) or, without a manifest, every image file below ``folder``."""
    folder = Path(folder)
    manifest = folder / "manifest.json"
    if manifest.exists():
        records = json.loads(manifest.read_text())["photos"]
        return [Photo(record["id"], folder / record["file"], record.get("scene", ""), record.get("split")) for record in records]
    paths = sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
    return [Photo(str(p.relative_to(folder)), p) for p in paths]


def split_of(photo_id: str, val_fraction: float = 0.1, test_fraction: float = 0.1) -> str:
    """'train', 'val' (checkpoint selection, tuning) or 'test' (the in-distribution table), by a hash of the id."""
    position = int(hashlib.sha1(photo_id.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    if position < test_fraction:
        return "test"
    if position < test_fraction + val_fraction:
        return "val"
    return "train"


def photos_in_split(folder: Path, split: str) -> list[Photo]:
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    return [photo for photo in list_photos(folder) if photo.split == split]


def load_rgb(path: Path, short_side: int | None = None) -> np.ndarray:
    """(H, W, 3) uint8 sRGB; reduced so that the shorter side is ``short_side`` when it is larger."""
    with Image.open(path) as image:
        image = image.convert("RGB")
        if short_side is not None and min(image.size) > short_side:
            scale = short_side / min(image.size)
            size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
            image = image.resize(size, Image.Resampling.LANCZOS)
        return np.asarray(image, dtype=np.uint8)


def centre_crop(rgb: np.ndarray, side: int) -> np.ndarray:
    """The evaluation view (Zhang et al. 2017): shorter side resized to ``side``, centre square crop."""
    image = Image.fromarray(rgb)
    scale = side / min(image.size)
    size = (max(side, round(image.width * scale)), max(side, round(image.height * scale)))
    image = image.resize(size, Image.Resampling.BICUBIC)
    left, top = (image.width - side) // 2, (image.height - side) // 2
    return np.asarray(image.crop((left, top, left + side, top + side)), dtype=np.uint8)
