"""The hint network v1 (shipped until v2): kept so its weights
(``training/baselines/hintnet-v1``) can still be loaded and evaluated beside v2.

A U-Net trained from scratch over a pixel-unshuffled input, with region-adaptive (DRConv)
layers at 1/8 and 1/16, FiLM global hints and the same two heads as v2. Its blocks are the
ones of ``findcolor.model``; only its config, its decoder step and the network live here.
Files written for v1 have no ``architecture`` field; ``findcolor.model.config_from_dict``
sends them here.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from findcolor.color import AB_NORM, L_CENTER, L_NORM
from findcolor.model import GlobalContext, GlobalHintModulation, OutputsConfig, RegionAdaptiveConv, ResidualBlock, conv_bn_relu

# ----------------------------------------------------------------------------- config


@dataclass
class HintNetV1Config(OutputsConfig):
    widths: tuple[int, int, int, int] = (24, 64, 128, 192)  # channels at 1/2, 1/4, 1/8, 1/16 resolution (24 at 1/2: the 30 ms budget)
    bottleneck_dilations: tuple[int, ...] = (1, 2, 4, 1)  # one residual block per entry at 1/16, with this dilation
    regions: int = 4  # K: regions per region-adaptive (DRConv-style) layer
    region_layers_at_eighth: int = 1  # region-adaptive layers at 1/8 resolution (encoder)
    region_layers_at_sixteenth: int = 2  # region-adaptive layers interleaved in the bottleneck
    dropout: float = 0.0  # dropout on bottleneck features during training (0 = off)

    @property
    def multiple(self) -> int:
        return 16


# ----------------------------------------------------------------------------- blocks


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


class HintNetV1(nn.Module):
    """U-Net over a pixel-unshuffled input, region-adaptive layers at 1/8 and 1/16, two heads.

    Height and width must be multiples of 16 (``network_io.run_network`` pads).
    """

    def __init__(self, config: HintNetV1Config) -> None:
        super().__init__()
        self.config = config
        w0, w1, w2, w3 = config.widths
        self.stem = nn.Sequential(conv_bn_relu(16, w0), conv_bn_relu(w0, w0))  # 4 channels x 2x2 unshuffle
        self.down1 = nn.Sequential(conv_bn_relu(w0, w1, stride=2), conv_bn_relu(w1, w1))
        self.down2 = nn.Sequential(
            conv_bn_relu(w1, w2, stride=2),
            *[RegionAdaptiveConv(w2, config.regions, broadcast=False) for _ in range(config.region_layers_at_eighth)],
        )
        self.down3 = conv_bn_relu(w2, w3, stride=2)
        self.global_hints = GlobalHintModulation(config.global_dim, w3)
        blocks: list[nn.Module] = []
        for i, dilation in enumerate(config.bottleneck_dilations):
            blocks.append(ResidualBlock(w3, dilation))
            if i < config.region_layers_at_sixteenth:
                blocks.append(RegionAdaptiveConv(w3, config.regions, broadcast=False))
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
