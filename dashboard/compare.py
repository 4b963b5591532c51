"""Before/after comparison image for the workspace: original on the left, result on the right."""

from __future__ import annotations

import numpy as np
from PIL import Image

DIVIDER_RGB = (255, 255, 255)


def split_view(before: Image.Image, after: Image.Image, fraction: float) -> Image.Image:
    """One image showing ``before`` left of ``fraction`` of the width and ``after`` right of it.

    A thin white divider marks the split, so small colour changes are easy to judge by
    moving it. Both images must have the same size (the preview and its colorization).
    """
    if before.size != after.size:
        raise ValueError(f"before {before.size} and after {after.size} differ in size")
    left = np.asarray(before.convert("RGB")).copy()
    right = np.asarray(after.convert("RGB"))
    split = int(round(min(max(fraction, 0.0), 1.0) * left.shape[1]))
    left[:, split:] = right[:, split:]
    if 0 < split < left.shape[1]:
        left[:, split - 1 : split + 1] = DIVIDER_RGB
    return Image.fromarray(left)
