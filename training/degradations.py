"""Old-photo degradations, applied to the network's *input* lightness only.

Archive scans are grainy, soft, faded, scratched, dusty, vignetted, JPEG-compressed and often
scanned from sepia prints. No such corpus exists offline, so clean modern photos are made to
look old here, while the training *targets* (the true chroma) stay clean: the network learns
to colour what old photos look like without learning to reproduce the damage.

Every function takes and returns lightness ``(B, 1, H, W)`` float32 in CIELAB units [0, 100]
and draws its randomness from the ``numpy.random.Generator`` it is given, so a seed
reproduces a sample exactly. ``degrade`` applies a random subset at random strengths
(and leaves some samples clean).
"""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from findcolor.color import rgb_to_lab_torch

Degradation = Callable[[torch.Tensor, np.random.Generator], torch.Tensor]


def _gaussian_kernel(sigma: float) -> torch.Tensor:
    radius = max(1, int(round(3 * sigma)))
    x = torch.arange(-radius, radius + 1, dtype=torch.float32)
    kernel = torch.exp(-0.5 * (x / sigma) ** 2)
    return kernel / kernel.sum()


def gaussian_blur(lightness: torch.Tensor, sigma: float) -> torch.Tensor:
    """Separable Gaussian blur with reflected borders."""
    kernel = _gaussian_kernel(sigma).to(lightness)
    r = kernel.numel() // 2
    x = F.pad(lightness, (r, r, 0, 0), mode="reflect")
    x = F.conv2d(x, kernel.view(1, 1, 1, -1))
    x = F.pad(x, (0, 0, r, r), mode="reflect")
    return F.conv2d(x, kernel.view(1, 1, -1, 1))


def blur(lightness: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
    """Soft focus / lens blur / scanning blur: Gaussian, sigma 0.4..1.6 px."""
    return gaussian_blur(lightness, float(rng.uniform(0.4, 1.6)))


def film_grain(lightness: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
    """Silver-halide grain: Gaussian noise, partly spatially correlated, stronger in mid-tones."""
    noise = torch.from_numpy(rng.standard_normal(lightness.shape).astype(np.float32))
    if rng.random() < 0.5:
        noise = gaussian_blur(noise, float(rng.uniform(0.5, 1.0)))
        noise = noise / noise.std().clamp_min(1e-6)
    amplitude = float(rng.uniform(1.0, 6.0))  # L units
    midtones = 0.5 + 2.0 * (lightness / 100.0) * (1.0 - lightness / 100.0)
    return (lightness + amplitude * midtones * noise).clamp(0.0, 100.0)


def jpeg_artifacts(lightness: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
    """Blocking and ringing of a low-quality JPEG scan (quality 15..70)."""
    quality = int(rng.integers(15, 71))
    out = torch.empty_like(lightness)
    for i in range(lightness.shape[0]):
        gray = (lightness[i, 0].clamp(0, 100) * 2.55).round().to(torch.uint8).numpy()
        buffer = io.BytesIO()
        Image.fromarray(gray).save(buffer, format="JPEG", quality=quality)
        decoded = np.asarray(Image.open(io.BytesIO(buffer.getvalue())), dtype=np.float32) / 2.55
        out[i, 0] = torch.from_numpy(decoded)
    return out


def fade(lightness: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
    """Faded print: contrast squeezed towards a raised black and a lowered white."""
    black = float(rng.uniform(5.0, 30.0))
    white = float(rng.uniform(70.0, 95.0))
    return black + (white - black) * lightness / 100.0


def crush_tones(lightness: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
    """Over-developed or badly scanned print: a gamma change and clipped shadows/highlights."""
    gamma = float(rng.uniform(0.6, 1.6))
    low = float(rng.uniform(0.0, 15.0))
    high = float(rng.uniform(85.0, 100.0))
    x = ((lightness - low) / (high - low)).clamp(0.0, 1.0)
    return 100.0 * x**gamma


def scratches(lightness: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
    """Thin, mostly vertical, bright or dark lines across the print."""
    b, _, h, w = lightness.shape
    out = lightness.clone()
    ys = torch.arange(h, dtype=torch.float32).view(-1, 1)
    xs = torch.arange(w, dtype=torch.float32).view(1, -1)
    for i in range(b):
        for _ in range(int(rng.integers(1, 6))):
            x0 = float(rng.uniform(0, w))
            slope = float(rng.normal(0.0, 0.15))
            width = float(rng.uniform(0.5, 1.5))
            y_start, y_end = sorted(rng.uniform(0, h, size=2))
            distance = (xs - (x0 + slope * (ys - h / 2))).abs()
            line = (distance < width) & (ys >= y_start) & (ys <= y_end)
            value = float(rng.uniform(85, 100)) if rng.random() < 0.7 else float(rng.uniform(0, 15))
            out[i, 0] = torch.where(line, torch.full_like(out[i, 0], value), out[i, 0])
    return out


def dust(lightness: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
    """Specks of dust and small spots, bright (on the negative) or dark (on the print)."""
    b, _, h, w = lightness.shape
    out = lightness.clone()
    for i in range(b):
        count = int(rng.integers(5, 60))
        ys, xs = rng.integers(0, h, size=count), rng.integers(0, w, size=count)
        radii = rng.integers(0, 3, size=count)
        for y, x, r in zip(ys, xs, radii, strict=True):
            value = float(rng.uniform(85, 100)) if rng.random() < 0.6 else float(rng.uniform(0, 15))
            out[i, 0, max(0, y - r) : y + r + 1, max(0, x - r) : x + r + 1] = value
    return out


def vignetting(lightness: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
    """Darkened corners of an old lens: luminance scaled by 1 - s * r^2 (r = 1 at the corners)."""
    _, _, h, w = lightness.shape
    strength = float(rng.uniform(0.2, 0.6))
    ys = torch.linspace(-1, 1, h).view(-1, 1)
    xs = torch.linspace(-1, 1, w).view(1, -1)
    radius2 = (xs**2 + ys**2) / 2.0
    return lightness * (1.0 - strength * radius2)


def sepia_to_gray(lightness: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
    """A sepia-toned print scanned in gray: the toning's tone curve, re-read as CIELAB L.

    The gray scan of a brown-toned print has compressed highlights and lifted shadows
    compared with a neutral print; we render a sepia print from the luminance and keep only
    the lightness the scanner would record.
    """
    y = (lightness / 100.0).clamp(0.0, 1.0)
    tone = torch.tensor([1.0, 0.86, 0.66]).view(1, 3, 1, 1)
    paper = float(rng.uniform(0.0, 0.12))
    rgb = (paper + (1.0 - paper) * y**1.1) * tone + (1.0 - tone) * paper
    return rgb_to_lab_torch(rgb.clamp(0.0, 1.0))[:, 0:1]


DEGRADATIONS: dict[str, tuple[Degradation, float]] = {
    # name: (function, probability of being applied to a degraded sample)
    "sepia_to_gray": (sepia_to_gray, 0.2),
    "fade": (fade, 0.3),
    "crush_tones": (crush_tones, 0.25),
    "vignetting": (vignetting, 0.2),
    "blur": (blur, 0.35),
    "film_grain": (film_grain, 0.4),
    "scratches": (scratches, 0.15),
    "dust": (dust, 0.15),
    "jpeg_artifacts": (jpeg_artifacts, 0.25),
}
CLEAN_FRACTION = 0.4  # share of samples left untouched (modern scans, and the evaluation's clean input)


def degrade(lightness: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
    """Apply a random subset of the degradations, in print-then-scan order, per sample."""
    out = []
    for i in range(lightness.shape[0]):
        sample = lightness[i : i + 1]
        if rng.random() >= CLEAN_FRACTION:
            for function, probability in DEGRADATIONS.values():
                if rng.random() < probability:
                    sample = function(sample, rng)
        out.append(sample.clamp(0.0, 100.0))
    return torch.cat(out, dim=0)
