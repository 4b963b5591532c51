"""The workspace's before/after split view."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from dashboard.compare import DIVIDER_RGB, split_view


def _flat(rgb: tuple[int, int, int]) -> Image.Image:
    return Image.new("RGB", (100, 10), rgb)


def test_left_part_is_before_and_right_part_is_after() -> None:
    view = np.asarray(split_view(_flat((10, 10, 10)), _flat((200, 100, 50)), 0.3))
    assert tuple(view[5, 10]) == (10, 10, 10)
    assert tuple(view[5, 29]) == DIVIDER_RGB
    assert tuple(view[5, 50]) == (200, 100, 50)


@pytest.mark.parametrize(("fraction", "expected"), [(0.0, (200, 100, 50)), (1.0, (10, 10, 10))])
def test_extreme_positions_show_one_image_without_divider(fraction: float, expected: tuple[int, int, int]) -> None:
    view = np.asarray(split_view(_flat((10, 10, 10)), _flat((200, 100, 50)), fraction))
    assert {tuple(p) for p in view.reshape(-1, 3)} == {expected}


def test_images_of_different_sizes_are_refused() -> None:
    with pytest.raises(ValueError):
        split_view(_flat((0, 0, 0)), Image.new("RGB", (50, 10)), 0.5)
