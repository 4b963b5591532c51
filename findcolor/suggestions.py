"""Colour suggestions: the colours the hint network expects at one pixel, given the other hints.

The network's ab-bin head is a distribution over quantised ab cells (``HintNetConfig.bin_grid``);
:func:`suggest` reads it at a pixel and shows each cell at that pixel's own lightness.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from findcolor.color import lab_to_hex
from findcolor.errors import FindColorError
from findcolor.hints import Hints, PointHint, StrokeHint, parse_hints, prepare_hints, rasterize_hints
from findcolor.imageio import load_image
from findcolor.model import ab_bin_centers
from findcolor.network_io import WEIGHTS_DIR, WORKING_SIDE, load_weights, padded_shape, run_network
from findcolor.resolution import resize_area, working_size


def without_hints_at(hints: Hints, image_size: tuple[int, int], x: float, y: float) -> Hints:
    """``hints`` less every point and stroke that covers pixel (x, y) of the image.

    The pixel is the one whose centre is nearest to (x, y) in full-resolution coordinates
    (``image_size`` is ``(width, height)``); a hint covers it when rasterising it at full
    resolution colours that pixel. Global hints (palette, saturation) are kept.
    """
    width, height = image_size
    column = min(max(int(np.floor(x + 0.5)), 0), width - 1)  # rounded as hint coordinates are
    row = min(max(int(np.floor(y + 0.5)), 0), height - 1)

    def covers(hint: PointHint | StrokeHint) -> bool:
        alone = Hints(points=(hint,)) if isinstance(hint, PointHint) else Hints(strokes=(hint,))
        _, mask = prepare_hints(alone, image_size, image_size).rows(slice(row, row + 1))
        return bool(mask[0, column])

    return dataclasses.replace(
        hints,
        points=tuple(point for point in hints.points if not covers(point)),
        strokes=tuple(stroke for stroke in hints.strokes if not covers(stroke)),
    )


def suggest(
    image, hints=None, x: float = 0.0, y: float = 0.0, k: int = 6, *, weights_dir: Path = WEIGHTS_DIR
) -> list[tuple[str, float]]:
    """The ``k`` colours the network expects at pixel (x, y) of ``image`` given ``hints``.

    Returns ``[(hex, probability), ...]``, most likely first; probabilities come from the
    network's distribution over quantised ab bins at that pixel (so they sum to at most 1),
    each bin shown at the pixel's own lightness. ``image`` is anything ``load_image``
    accepts; (x, y) are full-resolution pixel coordinates. Points and strokes that cover
    (x, y) itself are left out, so asking at a hinted pixel gives the model's own candidates
    for it, not the hint echoed back; the other hints are used.
    """
    if not isinstance(k, int) or k < 1:
        raise FindColorError(f"k must be a positive whole number, got {k!r}")
    loaded = load_image(image)
    width, height = loaded.width, loaded.height
    if not (0 <= x <= width - 1 and 0 <= y <= height - 1):
        raise FindColorError(f"({x:g}, {y:g}) is outside the {width}x{height} image")
    parsed = without_hints_at(parse_hints(hints, image_size=(width, height)), (width, height), x, y)
    weights = load_weights(weights_dir)
    lightness = loaded.lightness()
    size = working_size(width, height, WORKING_SIDE)
    small = resize_area(lightness, size)
    hint_ab, hint_mask = rasterize_hints(parsed, (width, height), size)
    logits = torch.from_numpy(run_network(weights, small, hint_ab, hint_mask, parsed, with_bins=True)["bin_logits"])
    # sample the (Q, h', w') logits at the pixel, in normalised [-1, 1] coordinates of the padded working image
    padded_h, padded_w = padded_shape(*small.shape, weights.config.multiple)
    gx = ((x + 0.5) / width * size[0]) / padded_w * 2.0 - 1.0
    gy = ((y + 0.5) / height * size[1]) / padded_h * 2.0 - 1.0
    grid = torch.tensor([[[[gx, gy]]]], dtype=torch.float32)
    at_pixel = F.grid_sample(logits[None], grid, mode="bilinear", align_corners=False)[0, :, 0, 0]
    probabilities = torch.softmax(at_pixel, dim=0)
    centers = ab_bin_centers(weights.config)
    pixel_lightness = float(lightness[int(np.floor(y + 0.5)), int(np.floor(x + 0.5))])  # the pixel without_hints_at looked at
    merged: dict[str, float] = {}
    for index in torch.argsort(probabilities, descending=True).tolist():
        colour = lab_to_hex((pixel_lightness, float(centers[index, 0]), float(centers[index, 1])))
        if colour not in merged and len(merged) == k:
            break
        merged[colour] = merged.get(colour, 0.0) + float(probabilities[index])  # out-of-gamut bins can share a hex
    return sorted(merged.items(), key=lambda item: -item[1])[:k]
