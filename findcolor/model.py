"""The context-aware hint network: predicts the chroma of a black-and-white photo from its
lightness and the curator's hints.

Reading order: config -> encoding of the inputs -> blocks -> network -> factory.

Ideas it is built from:

- Zhang, Zhu, Isola, Geng, Lin, Yu, Efros, "Real-Time User-Guided Image Colorization with
  Learned Deep Priors", SIGGRAPH 2017: the inputs (L, a sparse ab hint map with its mask, and
  global hints = an ab histogram of the wanted palette and a mean saturation, each with a
  "given" flag, randomly withheld in training), the U-Net with skip connections, and the two
  heads (ab regression + a distribution over quantised ab bins, the latter used for colour
  suggestions).
- Chen, Wang, Xu, Cheng, Wang, Shi, Xia, Sun, "Dynamic Region-Aware Convolution", CVPR 2021
  (DRConv): a guide branch assigns every pixel to one of K regions (hard argmax in the forward
  pass, softmax gradient in the backward pass) and a filter generator makes per-image filters
  for each region from pooled context. Different objects thus get different colouring filters
  without an instance detector. Here the generated filters are depthwise 3x3 (made from the
  features pooled over each region) followed by a shared pointwise convolution, which keeps the
  cost of a region-adaptive layer close to that of one separable convolution.
- Perez et al., "FiLM", AAAI 2018: the global hints modulate the bottleneck features with a
  learned per-channel scale and shift.
- Shi et al., "Real-Time Single Image and Video Super-Resolution Using an Efficient
  Sub-Pixel CNN", CVPR 2016: pixel-unshuffle stem and pixel-shuffle output, so the full
  resolution is never convolved (the CPU budget is a 256x256 forward pass in 30 ms on 2 cores).

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

from findcolor.color import AB_NORM, L_CENTER, L_NORM

# ----------------------------------------------------------------------------- config


@dataclass
class HintNetConfig:
    widths: tuple[int, int, int, int] = (24, 64, 128, 192)  # channels at 1/2, 1/4, 1/8, 1/16 resolution (24 at 1/2: the 30 ms budget)
    bottleneck_dilations: tuple[int, ...] = (1, 2, 4, 1)  # one residual block per entry at 1/16, with this dilation
    regions: int = 4  # K: regions per region-adaptive (DRConv-style) layer
    region_layers_at_eighth: int = 1  # region-adaptive layers at 1/8 resolution (encoder)
    region_layers_at_sixteenth: int = 2  # region-adaptive layers interleaved in the bottleneck
    ab_bin_size: float = 10.0  # width of a quantised ab bin (Lab units) for the distribution head
    ab_range: float = 110.0  # bins cover [-ab_range, ab_range] on both axes
    palette_grid: int = 11  # global hint histogram: palette_grid x palette_grid coarse ab cells over the same range
    dropout: float = 0.0  # dropout on bottleneck features during training (0 = off)

    @property
    def bins_per_axis(self) -> int:
        return int(round(2 * self.ab_range / self.ab_bin_size))

    @property
    def num_bins(self) -> int:
        return self.bins_per_axis**2

    @property
    def global_dim(self) -> int:
        # palette histogram + its flag + saturation + its flag
        return self.palette_grid**2 + 3

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> HintNetConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in values.items() if k in known}
        return cls(**kwargs)


# ----------------------------------------------------------------------------- inputs


def ab_bin_centers(config: HintNetConfig) -> torch.Tensor:
    """(num_bins, 2) ab centre of every quantised bin, row-major over (a, b)."""
    n = config.bins_per_axis
    centers = -config.ab_range + config.ab_bin_size * (torch.arange(n, dtype=torch.float32) + 0.5)
    a, b = torch.meshgrid(centers, centers, indexing="ij")
    return torch.stack([a.reshape(-1), b.reshape(-1)], dim=1)


def ab_to_bin(ab: torch.Tensor, config: HintNetConfig) -> torch.Tensor:
    """Index of the quantised bin of every ab value; ab is (B, 2, H, W) -> (B, H, W) long."""
    n = config.bins_per_axis
    index = ((ab + config.ab_range) / config.ab_bin_size).floor().long().clamp(0, n - 1)
    return index[:, 0] * n + index[:, 1]


def palette_histogram(ab: np.ndarray, weights: np.ndarray, config: HintNetConfig) -> np.ndarray:
    """Normalised histogram of palette colours over the coarse ab grid, flattened.

    Used both for a curator's palette (a few colours with weights) and in training, where the
    palette is the dominant colours of the ground truth, so the two look alike to the network.
    """
    grid = config.palette_grid
    cell = 2 * config.ab_range / grid
    hist = np.zeros((grid, grid), dtype=np.float32)
    ab = np.asarray(ab, dtype=np.float32).reshape(-1, 2)
    weights = np.asarray(weights, dtype=np.float32).reshape(-1)
    if ab.size == 0 or weights.sum() <= 0:
        return hist.reshape(-1)
    index = np.clip(((ab + config.ab_range) / cell).astype(np.int64), 0, grid - 1)
    np.add.at(hist, (index[:, 0], index[:, 1]), weights)
    return (hist / hist.sum()).reshape(-1)


def global_hint_vector(
    config: HintNetConfig,
    palette_hist: np.ndarray | None = None,
    saturation: float | None = None,
) -> np.ndarray:
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


# ----------------------------------------------------------------------------- blocks


def conv_bn_relu(cin: int, cout: int, *, stride: int = 1, dilation: int = 1) -> nn.Sequential:
    """3x3 convolution, batch norm, ReLU."""
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, stride=stride, padding=dilation, dilation=dilation, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class ResidualBlock(nn.Module):
    """Two dilated 3x3 convolutions with an identity shortcut (the bottleneck's context)."""

    def __init__(self, channels: int, dilation: int) -> None:
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
    3. each pixel is filtered with its own region's kernel; a shared 1x1 conv mixes channels.
    A residual connection keeps the block easy to train.
    """

    def __init__(self, channels: int, regions: int) -> None:
        super().__init__()
        self.channels = channels
        self.regions = regions
        self.guide = nn.Conv2d(channels, regions, 3, padding=1)
        hidden = max(channels // 4, 16)
        self.generator = nn.Sequential(nn.Linear(channels, hidden), nn.ReLU(inplace=True), nn.Linear(hidden, channels * 9))
        nn.init.zeros_(self.generator[-1].weight)
        nn.init.zeros_(self.generator[-1].bias)
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
        # region descriptors: features averaged over each region's soft mask
        weights = soft / soft.sum(dim=(2, 3), keepdim=True).clamp_min(1e-6)
        descriptors = torch.einsum("bkhw,bchw->bkc", weights, x)  # (B, K, C)
        kernels = self.base_kernel.unsqueeze(0) + self.generator(descriptors).view(b, k, c, 3, 3)
        # per-image, per-region depthwise filtering in one grouped conv: group = (image, channel)
        kernels = kernels.permute(0, 2, 1, 3, 4).reshape(b * c * k, 1, 3, 3)  # (B*C*K, 1, 3, 3)
        filtered = F.conv2d(x.reshape(1, b * c, h, w), kernels, padding=1, groups=b * c)
        filtered = filtered.view(b, c, k, h, w)
        selected = (filtered * mask.unsqueeze(1)).sum(dim=2)  # (B, C, H, W)
        return F.relu(x + self.norm(self.pointwise(selected)))


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
    """Image-wide context (scene type, lighting) pooled from the bottleneck and fed back as a channel gate."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(channels, channels // 2), nn.ReLU(inplace=True), nn.Linear(channels // 2, channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gate = torch.sigmoid(self.mlp(x.mean(dim=(2, 3)))).unsqueeze(-1).unsqueeze(-1)
        return x * (2.0 * gate)


class UpBlock(nn.Module):
    """Decoder step: 1x1 to the skip's width, bilinear x2, add the skip, 3x3 conv."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.reduce = nn.Conv2d(cin, cout, 1, bias=False)
        self.conv = conv_bn_relu(cout, cout)

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        x = F.interpolate(self.reduce(x), size=skip.shape[-2:], mode="bilinear", align_corners=False)
        return self.conv(x + skip)


# ----------------------------------------------------------------------------- network


class HintNet(nn.Module):
    """U-Net over a pixel-unshuffled input, region-adaptive layers at 1/8 and 1/16, two heads.

    Height and width must be multiples of 16 (``neural.py`` pads).
    """

    def __init__(self, config: HintNetConfig) -> None:
        super().__init__()
        self.config = config
        w0, w1, w2, w3 = config.widths
        self.stem = nn.Sequential(conv_bn_relu(16, w0), conv_bn_relu(w0, w0))  # 4 channels x 2x2 unshuffle
        self.down1 = nn.Sequential(conv_bn_relu(w0, w1, stride=2), conv_bn_relu(w1, w1))
        self.down2 = nn.Sequential(
            conv_bn_relu(w1, w2, stride=2),
            *[RegionAdaptiveConv(w2, config.regions) for _ in range(config.region_layers_at_eighth)],
        )
        self.down3 = conv_bn_relu(w2, w3, stride=2)
        self.global_hints = GlobalHintModulation(config.global_dim, w3)
        blocks: list[nn.Module] = []
        for i, dilation in enumerate(config.bottleneck_dilations):
            blocks.append(ResidualBlock(w3, dilation))
            if i < config.region_layers_at_sixteenth:
                blocks.append(RegionAdaptiveConv(w3, config.regions))
        self.bottleneck = nn.Sequential(*blocks)
        self.context = GlobalContext(w3)
        self.dropout = nn.Dropout2d(config.dropout)
        self.up3 = UpBlock(w3, w2)
        self.up2 = UpBlock(w2, w1)
        self.up1 = UpBlock(w1, w0)
        self.ab_head = nn.Conv2d(w0, 2 * 4, 3, padding=1)  # 2 ab channels x 2x2 pixel shuffle
        self.bin_head = nn.Conv2d(w2, config.num_bins, 1)  # ab distribution at 1/8 resolution

    def forward(
        self,
        lightness: torch.Tensor,  # (B, 1, H, W) CIELAB L in [0, 100]
        hint_ab: torch.Tensor,  # (B, 2, H, W) hinted ab (Lab units), 0 where no hint
        hint_mask: torch.Tensor,  # (B, 1, H, W) 1 where a hint is given
        global_hints: torch.Tensor,  # (B, config.global_dim), see global_hint_vector
        *,
        with_bins: bool = True,
    ) -> dict[str, torch.Tensor]:
        x = torch.cat([(lightness - L_CENTER) / L_NORM, hint_ab / AB_NORM, hint_mask], dim=1)  # (B, 4, H, W)
        x = F.pixel_unshuffle(x, 2)  # (B, 16, H/2, W/2)
        s1 = self.stem(x)  # (B, w0, H/2, W/2)
        s2 = self.down1(s1)  # (B, w1, H/4, W/4)
        s3 = self.down2(s2)  # (B, w2, H/8, W/8)
        z = self.down3(s3)  # (B, w3, H/16, W/16)
        z = self.global_hints(z, global_hints)
        z = self.context(self.bottleneck(z))
        z = self.dropout(z)
        d3 = self.up3(z, s3)  # (B, w2, H/8, W/8)
        d2 = self.up2(d3, s2)  # (B, w1, H/4, W/4)
        d1 = self.up1(d2, s1)  # (B, w0, H/2, W/2)
        ab = torch.tanh(F.pixel_shuffle(self.ab_head(d1), 2)) * AB_NORM  # (B, 2, H, W)
        out = {"ab": ab}
        if with_bins:
            out["bin_logits"] = self.bin_head(d3)  # (B, num_bins, H/8, W/8)
        return out


# ----------------------------------------------------------------------------- factory


def build_model(config: HintNetConfig | None = None) -> HintNet:
    """A fresh network in channels-last memory layout (1.7x faster convolutions on CPU)."""
    model = HintNet(config or HintNetConfig())
    return model.to(memory_format=torch.channels_last)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def count_macs(model: HintNet, size: int = 256) -> int:
    """Multiply-accumulates of one forward pass (ab path) at size x size, counted over conv/linear layers."""
    total = 0

    def conv_hook(module: nn.Conv2d, _inputs: tuple, output: torch.Tensor) -> None:
        nonlocal total
        kernel = module.kernel_size[0] * module.kernel_size[1] * module.in_channels // module.groups
        total += int(output.numel() * kernel)

    def linear_hook(module: nn.Linear, _inputs: tuple, output: torch.Tensor) -> None:
        nonlocal total
        total += int(output.numel() * module.in_features)

    handles = []
    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            handles.append(module.register_forward_hook(conv_hook))
        elif isinstance(module, nn.Linear):
            handles.append(module.register_forward_hook(linear_hook))
    was_training = model.training
    model.eval()
    with torch.no_grad():
        zeros = torch.zeros(1, 1, size, size)
        model(zeros + 50, torch.zeros(1, 2, size, size), zeros, torch.zeros(1, model.config.global_dim), with_bins=False)
    model.train(was_training)
    for handle in handles:
        handle.remove()
    # grouped region-adaptive filtering (F.conv2d, not a module): C*K*9 MACs per pixel
    for module in model.modules():
        if isinstance(module, RegionAdaptiveConv):
            scale = 8 if module in list(model.down2.modules()) else 16
            total += module.channels * module.regions * 9 * (size // scale) ** 2
    return total



def _fold_batch_norm(conv: nn.Conv2d, norm: nn.BatchNorm2d) -> None:
    """Fold an eval-mode batch norm into the convolution before it (same outputs, one op fewer)."""
    scale = norm.weight / torch.sqrt(norm.running_var + norm.eps)
    conv.weight.data = conv.weight.data * scale.view(-1, 1, 1, 1)
    bias = conv.bias.data if conv.bias is not None else torch.zeros_like(norm.running_mean)
    conv.bias = nn.Parameter((bias - norm.running_mean) * scale + norm.bias)


def fuse_for_inference(model: HintNet) -> HintNet:
    """Fold every batch norm into its convolution; call on an eval-mode copy used only for inference."""
    model.eval()
    for module in list(model.modules()):
        if isinstance(module, nn.Sequential):
            for i in range(len(module) - 1):
                if isinstance(module[i], nn.Conv2d) and isinstance(module[i + 1], nn.BatchNorm2d):
                    _fold_batch_norm(module[i], module[i + 1])
                    module[i + 1] = nn.Identity()
        elif isinstance(module, ResidualBlock) and isinstance(module.norm2, nn.BatchNorm2d):
            _fold_batch_norm(module.conv2, module.norm2)
            module.norm2 = nn.Identity()
        elif isinstance(module, RegionAdaptiveConv) and isinstance(module.norm, nn.BatchNorm2d):
            _fold_batch_norm(module.pointwise, module.norm)
            module.norm = nn.Identity()
    return model
