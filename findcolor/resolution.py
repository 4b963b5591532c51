"""The working resolution: engines and the network run on the scan reduced to a few hundred
pixels (it keeps them interactive), and only chroma is brought back to full resolution."""

from __future__ import annotations

import numpy as np
from PIL import Image


def working_size(width: int, height: int, working_side: int) -> tuple[int, int]:
    """(w, h) with the longer side at most ``working_side``, aspect ratio kept."""
    scale = min(1.0, working_side / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def resize_area(channel: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Area-averaging resize of a float32 (H, W) array to ``size`` = (w, h)."""
    if channel.shape[::-1] == size:
        return channel
    image = Image.fromarray(np.ascontiguousarray(channel, dtype=np.float32))
    return np.array(image.resize(size, Image.Resampling.BOX), dtype=np.float32)  # writable, for torch
