"""findcolor.color: sRGB <-> CIELAB against published values, numpy vs torch, hex parsing, gamut mapping."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from skimage import color as skcolor

from findcolor import color

# Published CIELAB (D65, 2 deg) of sRGB primaries and grays (e.g. Bruce Lindbloom's calculator,
# colormine.org): white, black, the primaries, secondaries and mid gray #777777.
REFERENCE_LAB = {
    "#ffffff": (100.0, 0.0, 0.0),
    "#000000": (0.0, 0.0, 0.0),
    "#ff0000": (53.24, 80.09, 67.20),
    "#00ff00": (87.73, -86.18, 83.18),
    "#0000ff": (32.30, 79.19, -107.86),
    "#ffff00": (97.14, -21.55, 94.48),
    "#00ffff": (91.11, -48.09, -14.13),
    "#ff00ff": (60.32, 98.23, -60.82),
    "#777777": (50.03, 0.0, 0.0),
    "#808080": (53.59, 0.0, 0.0),
}


@pytest.mark.parametrize(("hex_color", "expected"), REFERENCE_LAB.items())
def test_rgb_to_lab_matches_published_values(hex_color, expected):
    rgb = np.array(color.hex_to_rgb(hex_color), dtype=np.float32)
    lab = color.rgb_to_lab(rgb)
    assert lab.shape == (3,)
    np.testing.assert_allclose(lab, expected, atol=0.02)


@pytest.mark.parametrize(("hex_color", "expected"), REFERENCE_LAB.items())
def test_lab_to_rgb_inverts_published_values(hex_color, expected):
    rgb = color.lab_to_rgb(np.array(expected, dtype=np.float32))
    np.testing.assert_allclose(rgb, color.hex_to_rgb(hex_color), atol=1.5 / 255)
    assert color.lab_to_hex(expected) == hex_color


def test_rgb_to_lab_agrees_with_scikit_image_on_random_colours():
    rgb = np.random.default_rng(0).random((64, 64, 3)).astype(np.float32)
    ours = color.rgb_to_lab(rgb)
    reference = skcolor.rgb2lab(rgb.astype(np.float64))
    assert ours.shape == (64, 64, 3) and ours.dtype == np.float32
    # scikit-image rounds the sRGB matrix differently (4th decimal), hence 0.05 rather than 1e-3
    np.testing.assert_allclose(ours, reference, atol=0.05)


def test_round_trip_rgb_lab_rgb():
    rgb = np.random.default_rng(1).random((1000, 3)).astype(np.float32)
    back = color.lab_to_rgb(color.rgb_to_lab(rgb))
    np.testing.assert_allclose(back, rgb, atol=1e-4)


def test_round_trip_of_all_grays_and_lightness_luminance():
    levels = np.arange(256, dtype=np.float32) / 255.0
    rgb = np.repeat(levels[:, None], 3, axis=1)
    lab = color.rgb_to_lab(rgb)
    np.testing.assert_allclose(lab[:, 1:], 0.0, atol=1e-3)
    assert np.all(np.diff(lab[:, 0]) > 0)  # L strictly increasing along the gray axis
    np.testing.assert_allclose(color.lab_to_rgb(lab), rgb, atol=1e-4)
    y = color.srgb_to_linear(levels)
    np.testing.assert_allclose(color.lightness_from_luminance(y), lab[:, 0], atol=1e-3)
    np.testing.assert_allclose(color.luminance_from_lightness(lab[:, 0]), y, atol=1e-5)


def test_srgb_transfer_curve_round_trip_and_known_points():
    assert color.srgb_to_linear(np.float32(0.5)) == pytest.approx(0.21404, abs=1e-4)
    assert color.linear_to_srgb(np.float32(0.18)) == pytest.approx(0.46135, abs=1e-4)
    v = np.linspace(0, 1, 1001, dtype=np.float32)
    np.testing.assert_allclose(color.linear_to_srgb(color.srgb_to_linear(v)), v, atol=1e-5)


def test_numpy_and_torch_agree_on_random_data():
    rng = np.random.default_rng(2)
    rgb = rng.random((2, 3, 17, 23)).astype(np.float32)
    lab_torch = color.rgb_to_lab_torch(torch.from_numpy(rgb)).numpy()
    lab_numpy = color.rgb_to_lab(rgb.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    assert lab_torch.shape == rgb.shape
    np.testing.assert_allclose(lab_torch, lab_numpy, atol=2e-3)

    lab = np.stack(
        [rng.uniform(0, 100, (2, 17, 23)), rng.uniform(-60, 60, (2, 17, 23)), rng.uniform(-60, 60, (2, 17, 23))], axis=1
    ).astype(np.float32)
    rgb_torch = color.lab_to_rgb_torch(torch.from_numpy(lab)).numpy()
    rgb_numpy = color.lab_to_rgb(lab.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    np.testing.assert_allclose(rgb_torch, rgb_numpy, atol=1e-4)
    assert rgb_torch.min() >= 0.0 and rgb_torch.max() <= 1.0


def test_torch_round_trip_and_reference_value():
    red = torch.tensor([1.0, 0.0, 0.0]).view(1, 3, 1, 1)
    np.testing.assert_allclose(color.rgb_to_lab_torch(red).flatten().numpy(), REFERENCE_LAB["#ff0000"], atol=0.02)
    rgb = torch.rand(3, 3, 8, 8, generator=torch.Generator().manual_seed(3))
    np.testing.assert_allclose(color.lab_to_rgb_torch(color.rgb_to_lab_torch(rgb)).numpy(), rgb.numpy(), atol=1e-4)


def test_torch_follows_dtype_float64():
    rgb = torch.rand(1, 3, 4, 5, dtype=torch.float64, generator=torch.Generator().manual_seed(4))
    lab = color.rgb_to_lab_torch(rgb)
    assert lab.dtype == torch.float64 and lab.device == rgb.device
    back = color.lab_to_rgb_torch(lab)
    assert back.dtype == torch.float64
    # float64 end to end is far more exact than a float32 pass would be
    np.testing.assert_allclose(back.numpy(), rgb.numpy(), atol=1e-10)
    reference = skcolor.rgb2lab(rgb[0].permute(1, 2, 0).numpy())
    np.testing.assert_allclose(lab[0].permute(1, 2, 0).numpy(), reference, atol=0.05)


def test_torch_is_differentiable_with_correct_gradients():
    # colours away from the sRGB/Lab knees and inside the gamut, so the maps are smooth there
    rgb = (0.2 + 0.6 * torch.rand(1, 3, 3, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(5)))
    rgb.requires_grad_(True)
    assert torch.autograd.gradcheck(color.rgb_to_lab_torch, (rgb,), eps=1e-6, atol=1e-5)
    lab = color.rgb_to_lab_torch(rgb.detach()).requires_grad_(True)
    assert torch.autograd.gradcheck(color.lab_to_rgb_torch, (lab,), eps=1e-6, atol=1e-5)


def test_torch_gradients_are_finite_everywhere_including_black_and_white():
    rgb = torch.tensor([[0.0, 0.0, 0.0], [1.0, 1.0, 1.0], [0.01, 0.5, 1.0], [0.04045, 0.0031308, 0.3]])
    rgb = rgb.T.reshape(1, 3, 4, 1).clone().requires_grad_(True)
    color.rgb_to_lab_torch(rgb).sum().backward()
    assert torch.isfinite(rgb.grad).all()
    lab = torch.tensor([[0.0, 0.0, 0.0], [100.0, 0.0, 0.0], [50.0, 120.0, -120.0]]).T.reshape(1, 3, 3, 1)
    lab = lab.clone().requires_grad_(True)
    color.lab_to_rgb_torch(lab).sum().backward()
    assert torch.isfinite(lab.grad).all()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("#abc", (0xAA / 255, 0xBB / 255, 0xCC / 255)),
        ("#AABBCC", (0xAA / 255, 0xBB / 255, 0xCC / 255)),
        ("#a03020", (0xA0 / 255, 0x30 / 255, 0x20 / 255)),
        ("#000", (0.0, 0.0, 0.0)),
        ("#FFFFFF", (1.0, 1.0, 1.0)),
    ],
)
def test_hex_to_rgb_accepts_short_and_long_forms(text, expected):
    assert color.hex_to_rgb(text) == pytest.approx(expected)


@pytest.mark.parametrize(
    "text",
    ["red", "", "#", "abc", "a03020", "#ab", "#abcd", "#abcdeff", "#ggg", "#12345z", "#-12345", "#0x1234", "#1_2345",
     "# 12345", None, 0xA03020],
)
def test_hex_to_rgb_rejects_everything_else(text):
    with pytest.raises(ValueError):
        color.hex_to_rgb(text)


def test_rgb_to_hex_round_trip():
    for text in ("#a03020", "#000000", "#ffffff", "#123456"):
        assert color.rgb_to_hex(color.hex_to_rgb(text)) == text
    assert color.rgb_to_hex((2.0, -1.0, 0.5)) == "#ff0080"  # clipped, rounded


def _lab_of_rgb_tensor(rgb: torch.Tensor) -> np.ndarray:
    return skcolor.rgb2lab(rgb.numpy().astype(np.float64))


def test_keep_lightness_keeps_l_for_out_of_gamut_chroma():
    rng = np.random.default_rng(6)
    lightness = rng.uniform(5, 95, (40, 40)).astype(np.float32)
    ab = rng.uniform(-127, 127, (40, 40, 2)).astype(np.float32)  # mostly far outside sRGB
    rgb = color.lab_to_rgb_keep_lightness(torch.from_numpy(lightness), torch.from_numpy(ab))
    assert rgb.shape == (40, 40, 3) and rgb.dtype == torch.float32
    assert float(rgb.min()) >= 0.0 and float(rgb.max()) <= 1.0
    out = _lab_of_rgb_tensor(rgb)
    # L survives (tolerance: 8 bisection steps + matrix rounding), chroma only ever shrinks, hue kept
    np.testing.assert_allclose(out[..., 0], lightness, atol=0.3)
    chroma_in = np.hypot(ab[..., 0], ab[..., 1])
    chroma_out = np.hypot(out[..., 1], out[..., 2])
    assert np.all(chroma_out <= chroma_in + 0.3)
    strong = chroma_out > 10
    hue_in = np.arctan2(ab[..., 1], ab[..., 0])
    hue_out = np.arctan2(out[..., 2], out[..., 1])
    hue_error = np.abs(np.angle(np.exp(1j * (hue_in - hue_out))))
    assert hue_error[strong].max() < 0.05
    # plain clipping, for contrast, does change L a lot on the same data
    clipped = color.lab_to_rgb(np.dstack([lightness, ab]))
    assert np.abs(skcolor.rgb2lab(clipped.astype(np.float64))[..., 0] - lightness).max() > 5


def test_keep_lightness_is_identity_in_gamut():
    rgb = np.random.default_rng(7).random((30, 30, 3)).astype(np.float32)
    lab = color.rgb_to_lab(rgb)
    out = color.lab_to_rgb_keep_lightness(torch.from_numpy(lab[..., 0].copy()), torch.from_numpy(lab[..., 1:].copy()))
    np.testing.assert_allclose(out.numpy(), rgb, atol=2e-4)


def test_keep_lightness_gray_axis_and_many_pixels():
    # more pixels than one internal block, to cover the chunking
    lightness = torch.linspace(0, 100, 1100 * 1000).reshape(1100, 1000)
    out = color.lab_to_rgb_keep_lightness(lightness, torch.zeros(1100, 1000, 2))
    assert out.shape == (1100, 1000, 3)
    assert float((out.amax(dim=2) - out.amin(dim=2)).max()) < 1e-5  # gray stays gray
    expected = color.lab_to_rgb(np.stack([lightness[::97, ::89].numpy()] + [np.zeros((12, 12), np.float32)] * 2, -1))
    np.testing.assert_allclose(out[::97, ::89].numpy(), expected, atol=1e-4)
