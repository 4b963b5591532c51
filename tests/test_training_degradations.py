"""Each old-photo degradation does what its name claims, on the input L only."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from training import degradations as d

SIZE = 64


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def _flat(value: float = 50.0) -> torch.Tensor:
    return torch.full((1, 1, SIZE, SIZE), value)


def _texture(seed: int = 0) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return (torch.rand(1, 1, SIZE, SIZE, generator=generator) * 60.0 + 20.0)


def _ramp() -> torch.Tensor:
    return torch.linspace(0.0, 100.0, SIZE).view(1, 1, 1, -1).expand(1, 1, SIZE, SIZE).contiguous()


def _high_frequency_energy(x: torch.Tensor) -> float:
    return float((x[..., 1:, :] - x[..., :-1, :]).square().mean() + (x[..., :, 1:] - x[..., :, :-1]).square().mean())


@pytest.mark.parametrize("name", list(d.DEGRADATIONS))
def test_every_degradation_keeps_shape_range_and_is_reproducible(name: str) -> None:
    function, _ = d.DEGRADATIONS[name]
    source = _texture()
    first = function(source.clone(), _rng(3))
    second = function(source.clone(), _rng(3))
    assert first.shape == source.shape
    assert float(first.min()) >= -1e-3 and float(first.max()) <= 100.0 + 1e-3
    torch.testing.assert_close(first, second)
    assert not torch.allclose(first, source)  # it does something


def test_blur_removes_high_frequencies() -> None:
    source = _texture()
    assert _high_frequency_energy(d.blur(source, _rng())) < 0.5 * _high_frequency_energy(source)


def test_grain_adds_noise_to_flat_areas_but_keeps_the_mean() -> None:
    out = d.film_grain(_flat(), _rng())
    assert float(out.std()) > 0.5
    assert float(out.mean()) == pytest.approx(50.0, abs=1.0)


def test_fade_lowers_contrast_and_lifts_the_blacks() -> None:
    source = _ramp()
    out = d.fade(source, _rng())
    assert float(out.std()) < 0.95 * float(source.std())
    assert float(out.min()) >= 5.0 and float(out.max()) <= 95.0


def test_crush_tones_clips_shadows_or_highlights() -> None:
    source = _ramp()
    clipped = lambda x: int(((x <= 0.01) | (x >= 99.99)).sum())  # noqa: E731
    assert clipped(d.crush_tones(source, _rng(1))) > clipped(source)


def test_vignetting_darkens_corners_not_the_centre() -> None:
    out = d.vignetting(_flat(), _rng())
    centre = float(out[0, 0, SIZE // 2 - 2 : SIZE // 2 + 2, SIZE // 2 - 2 : SIZE // 2 + 2].mean())
    corner = float(out[0, 0, :3, :3].mean())
    assert centre == pytest.approx(50.0, abs=0.5)
    assert corner < 0.85 * 50.0


def test_scratches_are_thin_extreme_lines() -> None:
    out = d.scratches(_flat(), _rng())
    changed = out != 50.0
    assert 0 < int(changed.sum()) < 0.2 * SIZE * SIZE
    values = out[changed]
    assert bool(((values >= 85.0) | (values <= 15.0)).all())
    # lines: the changed pixels of at least one column-ish band span many rows
    assert int(changed[0, 0].any(dim=1).sum()) > SIZE // 8


def test_dust_is_small_extreme_specks() -> None:
    out = d.dust(_flat(), _rng())
    changed = out != 50.0
    assert 0 < int(changed.sum()) < 0.3 * SIZE * SIZE
    values = out[changed]
    assert bool(((values >= 85.0) | (values <= 15.0)).all())


def test_jpeg_adds_block_artifacts_but_keeps_the_picture() -> None:
    source = _texture()
    out = d.jpeg_artifacts(source, _rng())
    error = (out - source).abs()
    assert float(error.mean()) > 0.5  # lossy
    assert float(out.mean()) == pytest.approx(float(source.mean()), abs=2.0)


def test_sepia_to_gray_is_a_monotone_tone_curve_that_changes_tones() -> None:
    source = _ramp()
    out = d.sepia_to_gray(source, _rng())
    row = out[0, 0, 0]
    assert bool((row[1:] >= row[:-1] - 1e-3).all())  # order of tones kept
    assert float((out - source).abs().max()) > 2.0


def test_degrade_leaves_its_input_alone_and_some_samples_clean() -> None:
    source = _texture().repeat(40, 1, 1, 1)
    kept = source.clone()
    out = d.degrade(source, _rng())
    torch.testing.assert_close(source, kept)
    clean = [bool(torch.equal(out[i], source[i])) for i in range(40)]
    assert 0 < sum(clean) < 40
