"""Colour science: sRGB <-> CIELAB (D65, 2° observer), for numpy arrays and torch tensors.

All of Find Color works in CIELAB because it separates what a black-and-white photo
already knows (lightness L) from what we predict (chroma a, b). The constants that
normalise Lab for the network live here and nowhere else.

Conventions: sRGB values are floats in [0, 1]; L in [0, 100]; a, b roughly in
[-110, 110]. Numpy functions take ``(..., 3)`` arrays (channels last); torch functions
take ``(B, 3, H, W)`` tensors (channels first), are differentiable and follow the
tensor's device and dtype. The torch half lives in :mod:`findcolor.color_torch` and is
loaded on first use (importing torch takes seconds, and the command line, the catalog and hint
validation need only the numpy half); its names stay importable from here.
"""

from __future__ import annotations

import importlib

import numpy as np

# Network normalisation (Zhang et al. 2016/2017): L_net = (L - L_CENTER) / L_NORM, ab_net = ab / AB_NORM.
L_CENTER = 50.0
L_NORM = 100.0
AB_NORM = 110.0

# D65 reference white (CIE 1931 2°), XYZ scaled so that Y = 1.
WHITE_D65 = (0.95047, 1.0, 1.08883)

# IEC 61966-2-1 sRGB primaries, linear RGB -> XYZ.
RGB_TO_XYZ = np.array(
    [
        [0.4124564, 0.3575761, 0.1804375],
        [0.2126729, 0.7151522, 0.0721750],
        [0.0193339, 0.1191920, 0.9503041],
    ],
    dtype=np.float64,
)
XYZ_TO_RGB = np.linalg.inv(RGB_TO_XYZ)

_EPSILON = 216.0 / 24389.0  # (6/29)^3: where the CIELAB cube root meets its linear segment
_KAPPA = 24389.0 / 27.0


# ---------------------------------------------------------------------------- numpy


def srgb_to_linear(rgb: np.ndarray) -> np.ndarray:
    """Undo the sRGB transfer curve (values in [0, 1])."""
    rgb = np.asarray(rgb, dtype=np.float32)
    return np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4).astype(np.float32)


def linear_to_srgb(linear: np.ndarray) -> np.ndarray:
    """Apply the sRGB transfer curve; input is clipped to [0, 1] first."""
    linear = np.clip(np.asarray(linear, dtype=np.float32), 0.0, 1.0)
    return np.where(
        linear <= 0.0031308, linear * 12.92, 1.055 * np.power(linear, 1.0 / 2.4) - 0.055
    ).astype(np.float32)


def _f(t: np.ndarray) -> np.ndarray:
    return np.where(t > _EPSILON, np.cbrt(t), (_KAPPA * t + 16.0) / 116.0)


def _f_inv(t: np.ndarray) -> np.ndarray:
    return np.where(t**3 > _EPSILON, t**3, (116.0 * t - 16.0) / _KAPPA)


def rgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """sRGB ``(..., 3)`` in [0, 1] -> CIELAB ``(..., 3)`` float32."""
    linear = srgb_to_linear(rgb)
    xyz = linear @ RGB_TO_XYZ.T.astype(np.float32)
    xyz = xyz / np.asarray(WHITE_D65, dtype=np.float32)
    fx, fy, fz = _f(xyz[..., 0]), _f(xyz[..., 1]), _f(xyz[..., 2])
    lab = np.stack([116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)], axis=-1)
    return lab.astype(np.float32)


def lab_to_linear_rgb(lab: np.ndarray) -> np.ndarray:
    """CIELAB ``(..., 3)`` -> linear RGB ``(..., 3)``, *not* clipped (out-of-gamut values leave [0, 1])."""
    lab = np.asarray(lab, dtype=np.float32)
    fy = (lab[..., 0] + 16.0) / 116.0
    fx = fy + lab[..., 1] / 500.0
    fz = fy - lab[..., 2] / 200.0
    xyz = np.stack([_f_inv(fx), _f_inv(fy), _f_inv(fz)], axis=-1) * np.asarray(WHITE_D65, dtype=np.float32)
    return (xyz @ XYZ_TO_RGB.T.astype(np.float32)).astype(np.float32)


def lab_to_rgb(lab: np.ndarray) -> np.ndarray:
    """CIELAB ``(..., 3)`` -> sRGB ``(..., 3)`` in [0, 1] (out-of-gamut values are clipped)."""
    return linear_to_srgb(lab_to_linear_rgb(lab))


def lightness_from_luminance(y: np.ndarray) -> np.ndarray:
    """CIE lightness L* from relative luminance Y in [0, 1] (the gray axis of Lab)."""
    y = np.asarray(y, dtype=np.float32)
    return (116.0 * _f(y) - 16.0).astype(np.float32)


def luminance_from_lightness(lightness: np.ndarray) -> np.ndarray:
    """Relative luminance Y in [0, 1] from CIE lightness L*."""
    return _f_inv((np.asarray(lightness, dtype=np.float32) + 16.0) / 116.0).astype(np.float32)


def hex_to_rgb(color: str) -> tuple[float, float, float]:
    """``"#a03020"`` or ``"#a32"`` -> sRGB floats in [0, 1]. Raises ``ValueError`` on anything else."""
    text = color.strip().lstrip("#") if isinstance(color, str) else ""
    if (
        not isinstance(color, str)
        or not color.strip().startswith("#")
        or len(text) not in (3, 6)
        or any(c not in "0123456789abcdefABCDEF" for c in text)  # int(..., 16) also takes '-', '_', '0x', ' '
    ):
        raise ValueError(f"{color!r} is not a hex colour like '#a03020'")
    if len(text) == 3:
        text = "".join(c * 2 for c in text)
    try:
        value = int(text, 16)
    except ValueError:
        raise ValueError(f"{color!r} is not a hex colour like '#a03020'") from None
    return ((value >> 16) / 255.0, ((value >> 8) & 0xFF) / 255.0, (value & 0xFF) / 255.0)


def rgb_to_hex(rgb: tuple[float, float, float] | np.ndarray) -> str:
    """sRGB floats in [0, 1] -> ``"#rrggbb"`` (lower case)."""
    r, g, b = (int(round(float(np.clip(c, 0.0, 1.0)) * 255.0)) for c in rgb)
    return f"#{r:02x}{g:02x}{b:02x}"


def hex_to_lab(color: str) -> tuple[float, float, float]:
    """``"#a03020"`` -> (L, a, b)."""
    lab = rgb_to_lab(np.asarray(hex_to_rgb(color), dtype=np.float32))
    return float(lab[0]), float(lab[1]), float(lab[2])


def lab_to_hex(lab: tuple[float, float, float] | np.ndarray) -> str:
    """(L, a, b) -> ``"#rrggbb"`` (clipped into the sRGB gamut)."""
    return rgb_to_hex(lab_to_rgb(np.asarray(lab, dtype=np.float32)))


# ---------------------------------------------------------------------------- torch, on first use

_TORCH_NAMES = frozenset(
    {"rgb_to_lab_torch", "lab_to_rgb_torch", "lab_to_rgb_keep_lightness", "lab_block_to_rgb_keep_lightness"}
)


def __getattr__(name: str) -> object:
    """The torch functions, imported from :mod:`findcolor.color_torch` when first asked for."""
    if name in _TORCH_NAMES:
        return getattr(importlib.import_module("findcolor.color_torch"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
