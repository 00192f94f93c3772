"""AMT-S frame interpolation network (inference only), laid out so the released ``amt-s.pth`` loads strictly.

AMT: All-Pairs Multi-Field Transforms for Efficient Frame Interpolation, Li et al., CVPR 2023
(github.com/MCG-NKU/AMT; code and weights under CC BY-NC 4.0, non-commercial use only). VBench's
``motion_smoothness`` dimension vendors the same code in ``vbench/third_party/amt`` (networks ``AMT-S.py``
and ``blocks/{feat_enc,ifrnet,multi_flow,raft}.py``, config ``cfgs/AMT-S.yaml``: ``corr_radius=3``,
``corr_lvls=4``, ``num_flows=3``); this module is our own implementation of that network, read from there.

Parameter names and shapes equal the released checkpoint's (``state_dict`` entry of ``amt-s.pth``: 213
tensors, 2,990,543 values; ``tests/data/vbench/amt_s_keys.json``).

Structure (shapes for a ``(B, 3, H, W)`` pair, H and W multiples of 16):

* ``feat_encoder``: RAFT's small encoder (instance norm, 84 channels at H/8), shared by both frames, giving an
  all-pairs correlation pyramid (``corr_lvls`` levels, looked up in a ``(2r+1)^2`` window, both directions).
* ``encoder``: a 4-level pyramid (``channels`` at H/2 ... H/16) of PReLU convolutions, per frame.
* ``decoder4`` -> ``decoder3`` -> ``decoder2``: IFRNet-style decoders predicting the two flows to the
  intermediate time and an intermediate feature, each refined by a correlation-driven update block
  (``update4/3/2``).
* ``decoder1``: ``num_flows`` flow pairs, blending masks and residuals at full resolution, merged by
  ``comb_block`` into the predicted frame.
"""
from __future__ import annotations

import os
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from aigve.utils.weights import ResolvedWeights, resolve_weights

__all__ = ['AMTS', 'WEIGHTS_NAME', 'backward_warp', 'extract_amt_state', 'load_amt_s', 'min_padded_side']

#: Manifest entry of the released AMT-S checkpoint.
WEIGHTS_NAME = 'amt-s'


# ------------------------------------------------------------------------------------------- helpers
def _resize(x: torch.Tensor, scale_factor: float) -> torch.Tensor:
    """Bilinear resize by ``scale_factor`` (``align_corners=False``)."""
    return F.interpolate(x, scale_factor=scale_factor, mode='bilinear', align_corners=False)


def _conv_prelu(c_in: int, c_out: int, kernel: int = 3, stride: int = 1, padding: int = 1) -> nn.Sequential:
    """Convolution then a per-channel PReLU (keys ``0.weight``, ``0.bias``, ``1.weight``)."""
    return nn.Sequential(nn.Conv2d(c_in, c_out, kernel, stride, padding), nn.PReLU(c_out))


def backward_warp(image: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
    """Sample ``image`` at ``pixel + flow`` (pixel units, bilinear, border padding, corner-aligned grid)."""
    b, _, h, w = flow.shape
    # the base grid is made on the CPU in float32 and moved, as the original does (linspace may differ by device)
    xs = torch.linspace(-1.0, 1.0, w).view(1, 1, 1, w).expand(b, 1, h, w)
    ys = torch.linspace(-1.0, 1.0, h).view(1, 1, h, 1).expand(b, 1, h, w)
    base = torch.cat([xs, ys], 1).to(image)
    offset = torch.cat([flow[:, 0:1] / ((w - 1.0) / 2.0), flow[:, 1:2] / ((h - 1.0) / 2.0)], 1)
    grid = (base + offset).permute(0, 2, 3, 1)
    return F.grid_sample(image, grid, mode='bilinear', padding_mode='border', align_corners=True)


def _pixel_grid(b: int, h: int, w: int, device: torch.device) -> torch.Tensor:
    """``(b, 2, h, w)`` pixel coordinates, x first."""
    ys, xs = torch.meshgrid(torch.arange(h, device=device), torch.arange(w, device=device), indexing='ij')
    return torch.stack([xs, ys], 0).float()[None].repeat(b, 1, 1, 1)


def _sample_pixels(volume: torch.Tensor, coords: torch.Tensor) -> torch.Tensor:
    """``grid_sample`` at pixel coordinates ``coords[..., (x, y)]`` (zero padding, corner-aligned)."""
    h, w = volume.shape[-2:]
    gx = 2 * coords[..., 0:1] / (w - 1) - 1
    gy = 2 * coords[..., 1:2] / (h - 1) - 1
    return F.grid_sample(volume, torch.cat([gx, gy], -1), align_corners=True)


def min_padded_side(corr_levels: int = 4) -> int:
    """Smallest padded frame side the correlation pyramid works on (128 for 4 levels).

    The pyramid starts at 1/8 of the frame and halves ``corr_levels - 1`` times; the lookup divides by
    ``side - 1`` of each level, so a level one cell wide gives NaN (in the original as here) and every level
    must keep at least two cells.
    """
    return 16 * 2**(corr_levels - 1)


class _BidirCorrelation:
    """All-pairs correlation of two ``(B, D, h, w)`` feature maps, pooled ``levels`` times, looked up both ways.

    Forward volume: for each pixel of map 0, its correlation with every pixel of map 1 (``/ sqrt(D)``); the
    transposed volume the same from map 1's side. Lookups read a ``(2r+1)^2`` window around given coordinates
    on each level (coordinates halved per level) and return ``(B, levels * (2r+1)^2, h, w)`` per direction.
    """

    def __init__(self, fmap0: torch.Tensor, fmap1: torch.Tensor, levels: int, radius: int) -> None:
        self.levels, self.radius = levels, radius
        b, d, h, w = fmap0.shape
        corr = torch.matmul(fmap0.view(b, d, h * w).transpose(1, 2), fmap1.view(b, d, h * w))
        corr = corr.view(b, h, w, 1, h, w) / torch.sqrt(torch.tensor(d).float())
        corr_t = corr.permute(0, 4, 5, 3, 1, 2).reshape(b * h * w, 1, h, w)
        corr = corr.reshape(b * h * w, 1, h, w)
        self.pyramid, self.pyramid_t = [corr], [corr_t]
        for _ in range(levels - 1):
            corr = F.avg_pool2d(corr, 2, stride=2)
            corr_t = F.avg_pool2d(corr_t, 2, stride=2)
            self.pyramid.append(corr)
            self.pyramid_t.append(corr_t)

    def __call__(self, coords0: torch.Tensor, coords1: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        r = self.radius
        c0 = coords0.permute(0, 2, 3, 1)
        c1 = coords1.permute(0, 2, 3, 1)
        b, h, w, _ = c0.shape
        steps = torch.linspace(-r, r, 2 * r + 1, device=c0.device)
        dy, dx = torch.meshgrid(steps, steps, indexing='ij')
        # window offsets as (y, x) pairs added to (x, y) centres, exactly as the original does
        window = torch.stack([dy, dx], -1).view(1, 2 * r + 1, 2 * r + 1, 2)
        fwd, bwd = [], []
        for level in range(self.levels):
            centre0 = c0.reshape(b * h * w, 1, 1, 2) / 2**level
            centre1 = c1.reshape(b * h * w, 1, 1, 2) / 2**level
            fwd.append(_sample_pixels(self.pyramid[level], centre0 + window).view(b, h, w, -1))
            bwd.append(_sample_pixels(self.pyramid_t[level], centre1 + window).view(b, h, w, -1))
        out0 = torch.cat(fwd, -1).permute(0, 3, 1, 2).contiguous().float()
        out1 = torch.cat(bwd, -1).permute(0, 3, 1, 2).contiguous().float()
        return out0, out1


# ------------------------------------------------------------------------ RAFT-style small encoder
class _Bottleneck(nn.Module):
    """1x1 -> 3x3 (stride) -> 1x1 residual bottleneck with parameter-free instance norms."""

    def __init__(self, c_in: int, c_out: int, stride: int = 1) -> None:
        super().__init__()
        mid = c_out // 4
        self.conv1 = nn.Conv2d(c_in, mid, kernel_size=1, padding=0)
        self.conv2 = nn.Conv2d(mid, mid, kernel_size=3, padding=1, stride=stride)
        self.conv3 = nn.Conv2d(mid, c_out, kernel_size=1, padding=0)
        self.norm1 = nn.InstanceNorm2d(mid)
        self.norm2 = nn.InstanceNorm2d(mid)
        self.norm3 = nn.InstanceNorm2d(c_out)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = None
        if stride != 1:
            self.downsample = nn.Sequential(nn.Conv2d(c_in, c_out, kernel_size=1, stride=stride),
                                            nn.InstanceNorm2d(c_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.relu(self.norm1(self.conv1(x)))
        y = self.relu(self.norm2(self.conv2(y)))
        y = self.relu(self.norm3(self.conv3(y)))
        if self.downsample is not None:
            x = self.downsample(x)
        return self.relu(x + y)


class _SmallEncoder(nn.Module):
    """RAFT's small feature encoder: 7x7/2 stem, three bottleneck stages (32, 64/2, 96/2), 1x1 to ``out_dim``."""

    def __init__(self, out_dim: int = 84, widths: Sequence[int] = (32, 64, 96)) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, widths[0], kernel_size=7, stride=2, padding=3)
        self.norm1 = nn.InstanceNorm2d(widths[0])
        self.relu1 = nn.ReLU(inplace=True)
        c_in = widths[0]
        for i, (width, stride) in enumerate(zip(widths, (1, 2, 2)), 1):
            setattr(self, f'layer{i}', nn.Sequential(_Bottleneck(c_in, width, stride), _Bottleneck(width, width)))
            c_in = width
        self.conv2 = nn.Conv2d(c_in, out_dim, kernel_size=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu1(self.norm1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.conv2(x)


# ------------------------------------------------------------------------------- IFRNet-style parts
class _ResBlock(nn.Module):
    """Residual block whose last ``side`` channels get two extra 3x3 convolutions in between."""

    def __init__(self, channels: int, side: int) -> None:
        super().__init__()
        self.side = side
        self.conv1 = _conv_prelu(channels, channels)
        self.conv2 = _conv_prelu(side, side)
        self.conv3 = _conv_prelu(channels, channels)
        self.conv4 = _conv_prelu(side, side)
        self.conv5 = nn.Conv2d(channels, channels, kernel_size=3, stride=1, padding=1)
        self.prelu = nn.PReLU(channels)

    def _side_conv(self, x: torch.Tensor, conv: nn.Module) -> torch.Tensor:
        return torch.cat([x[:, :-self.side], conv(x[:, -self.side:])], 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv3(self._side_conv(self.conv1(x), self.conv2))
        out = self.conv5(self._side_conv(out, self.conv4))
        return self.prelu(x + out)


class _Pyramid(nn.Module):
    """Per-frame context pyramid: ``pyramid{i}`` halves the resolution and outputs ``channels[i-1]``."""

    def __init__(self, channels: Sequence[int]) -> None:
        super().__init__()
        self.depth = len(channels)
        c_in = 3
        for i, ch in enumerate(channels, 1):
            setattr(self, f'pyramid{i}', nn.Sequential(_conv_prelu(c_in, ch, 3, 2, 1), _conv_prelu(ch, ch)))
            c_in = ch

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        feats = []
        for i in range(1, self.depth + 1):
            x = getattr(self, f'pyramid{i}')(x)
            feats.append(x)
        return feats


def _decoder_block(c_in: int, c_mid: int, skip: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(_conv_prelu(c_in, c_mid), _ResBlock(c_mid, skip),
                         nn.ConvTranspose2d(c_mid, c_out, 4, 2, 1, bias=True))


class _InitDecoder(nn.Module):
    """Coarsest decoder: both frames' features and the time -> two flows and a feature, at twice the size."""

    def __init__(self, c_in: int, c_out: int, skip: int) -> None:
        super().__init__()
        self.convblock = _decoder_block(2 * c_in + 1, 2 * c_in, skip, c_out + 4)

    def forward(self, f0: torch.Tensor, f1: torch.Tensor,
                embt: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        h, w = f0.shape[2:]
        out = self.convblock(torch.cat([f0, f1, embt.repeat(1, 1, h, w)], 1))
        return out[:, 0:2], out[:, 2:4], out[:, 4:]


class _IntermediateDecoder(nn.Module):
    """Refines the flows with features warped to the intermediate time; residual on the doubled flows."""

    def __init__(self, c_in: int, c_out: int, skip: int) -> None:
        super().__init__()
        self.convblock = _decoder_block(3 * c_in + 4, 3 * c_in, skip, c_out + 4)

    def forward(self, ft: torch.Tensor, f0: torch.Tensor, f1: torch.Tensor, flow0: torch.Tensor,
                flow1: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        x = torch.cat([ft, backward_warp(f0, flow0), backward_warp(f1, flow1), flow0, flow1], 1)
        out = self.convblock(x)
        new0 = out[:, 0:2] + 2.0 * _resize(flow0, 2.0)
        new1 = out[:, 2:4] + 2.0 * _resize(flow1, 2.0)
        return new0, new1, out[:, 4:]


class _MultiFlowDecoder(nn.Module):
    """Finest decoder: ``num_flows`` flow pairs, sigmoid blend masks and colour residuals at full size."""

    def __init__(self, c_in: int, skip: int, num_flows: int) -> None:
        super().__init__()
        self.num_flows = num_flows
        self.convblock = _decoder_block(3 * c_in + 4, 3 * c_in, skip, 8 * num_flows)

    def forward(self, ft: torch.Tensor, f0: torch.Tensor, f1: torch.Tensor, flow0: torch.Tensor,
                flow1: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        n = self.num_flows
        x = torch.cat([ft, backward_warp(f0, flow0), backward_warp(f1, flow1), flow0, flow1], 1)
        d0, d1, mask, res = torch.split(self.convblock(x), [2 * n, 2 * n, n, 3 * n], 1)
        new0 = d0 + 2.0 * _resize(flow0, 2.0).repeat(1, n, 1, 1)
        new1 = d1 + 2.0 * _resize(flow1, 2.0).repeat(1, n, 1, 1)
        return new0, new1, torch.sigmoid(mask), res


class _UpdateBlock(nn.Module):
    """RAFT-style small update: correlation + flow features -> feature and flow residuals.

    With ``scale`` set, it works at ``1/scale`` of the decoder's resolution (the correlation's H/8) and
    upsamples its residuals back (the flow residual multiplied by ``scale``).
    """

    def __init__(self, cdim: int, hidden: int, flow_dim: int, corr_dim: int, fc_dim: int, corr_levels: int,
                 radius: int, scale: int | None = None) -> None:
        super().__init__()
        planes = corr_levels * (2 * radius + 1)**2
        self.scale = scale
        self.convc1 = nn.Conv2d(2 * planes, corr_dim, 1, padding=0)
        self.convf1 = nn.Conv2d(4, 2 * flow_dim, 7, padding=3)
        self.convf2 = nn.Conv2d(2 * flow_dim, flow_dim, 3, padding=1)
        self.conv = nn.Conv2d(corr_dim + flow_dim, fc_dim, 3, padding=1)
        self.gru = self._two_convs(fc_dim + 4 + cdim, hidden, hidden)
        self.feat_head = self._two_convs(hidden, hidden, cdim)
        self.flow_head = self._two_convs(hidden, hidden, 4)
        self.lrelu = nn.LeakyReLU(negative_slope=0.1, inplace=True)

    @staticmethod
    def _two_convs(c_in: int, c_mid: int, c_out: int) -> nn.Sequential:
        return nn.Sequential(nn.Conv2d(c_in, c_mid, 3, padding=1), nn.LeakyReLU(negative_slope=0.1, inplace=True),
                             nn.Conv2d(c_mid, c_out, 3, padding=1))

    def forward(self, feat: torch.Tensor, flow: torch.Tensor,
                corr: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if self.scale is not None:
            feat = _resize(feat, 1 / self.scale)
        c = self.lrelu(self.convc1(corr))
        f = self.lrelu(self.convf2(self.lrelu(self.convf1(flow))))
        x = torch.cat([self.lrelu(self.conv(torch.cat([c, f], 1))), flow, feat], 1)
        hidden = self.gru(x)
        d_feat, d_flow = self.feat_head(hidden), self.flow_head(hidden)
        if self.scale is not None:
            d_feat = _resize(d_feat, self.scale)
            d_flow = self.scale * _resize(d_flow, self.scale)
        return d_feat, d_flow


# ------------------------------------------------------------------------------------------ the model
class AMTS(nn.Module):
    """AMT-S: predicts the frame at time ``embt`` between two frames.

    Inputs:
        ``img0``, ``img1``: ``(B, 3, H, W)`` float RGB in [0, 1], H and W multiples of 16 and at least
        :func:`min_padded_side` (128 for 4 correlation levels); ``embt``: a float or a ``(B, 1, 1, 1)`` tensor
        of times in (0, 1).

    Args:
        corr_radius: Correlation lookup radius. Defaults to 3 (AMT-S).
        corr_lvls: Correlation pyramid levels. Defaults to 4.
        num_flows: Flow fields per direction at full resolution. Defaults to 3.
        channels: Context pyramid widths (H/2 ... H/16). Defaults to ``(20, 32, 44, 56)``.
        skip_channels: Side channels of the residual blocks. Defaults to 20.
        feat_dim: Correlation feature width. Defaults to 84.
        hidden_dim: Update block width. Defaults to 76.

    Returns (forward):
        ``(B, 3, H, W)`` predicted frame, clamped to [0, 1].

    Examples:
        >>> net = AMTS().eval()
        >>> x = torch.rand(1, 3, 128, 128)
        >>> net(x, x, 0.5).shape
        torch.Size([1, 3, 128, 128])
    """

    def __init__(self, corr_radius: int = 3, corr_lvls: int = 4, num_flows: int = 3,
                 channels: Sequence[int] = (20, 32, 44, 56), skip_channels: int = 20, feat_dim: int = 84,
                 hidden_dim: int = 76) -> None:
        super().__init__()
        if len(channels) != 4:
            raise ValueError(f'`channels` must have 4 widths, but got {list(channels)}')
        self.radius, self.corr_levels, self.num_flows = corr_radius, corr_lvls, num_flows
        c1, c2, c3, c4 = channels
        self.feat_encoder = _SmallEncoder(feat_dim)
        self.encoder = _Pyramid(channels)
        self.decoder4 = _InitDecoder(c4, c3, skip_channels)
        self.decoder3 = _IntermediateDecoder(c3, c2, skip_channels)
        self.decoder2 = _IntermediateDecoder(c2, c1, skip_channels)
        self.decoder1 = _MultiFlowDecoder(c1, skip_channels, num_flows)
        update = dict(hidden=hidden_dim, flow_dim=20, corr_dim=64, fc_dim=68, corr_levels=corr_lvls,
                      radius=corr_radius)
        self.update4 = _UpdateBlock(c3, **update)
        self.update3 = _UpdateBlock(c2, scale=2, **update)
        self.update2 = _UpdateBlock(c1, scale=4, **update)
        self.comb_block = nn.Sequential(nn.Conv2d(3 * num_flows, 6 * num_flows, 3, 1, 1),
                                        nn.PReLU(6 * num_flows), nn.Conv2d(6 * num_flows, 3, 3, 1, 1))

    def _lookup(self, corr: _BidirCorrelation, grid: torch.Tensor, flow0: torch.Tensor, flow1: torch.Tensor,
                embt: torch.Tensor, down: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Correlation at the frame-to-frame positions implied by the two flows (linear motion)."""
        if down != 1:
            flow0 = _resize(flow0, 1 / down) / down
            flow1 = _resize(flow1, 1 / down) / down
        corr0, corr1 = corr(grid + flow1 * (1.0 / embt), grid + flow0 * (1.0 / (1.0 - embt)))
        return torch.cat([corr0, corr1], 1), torch.cat([flow0, flow1], 1)

    @staticmethod
    def _refine(update: _UpdateBlock, feat: torch.Tensor, flow0: torch.Tensor, flow1: torch.Tensor,
                flows: torch.Tensor, corr: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        d_feat, d_flow = update(feat, flows, corr)
        return flow0 + d_flow[:, 0:2], flow1 + d_flow[:, 2:4], feat + d_feat

    def _combine(self, img0: torch.Tensor, img1: torch.Tensor, flow0: torch.Tensor, flow1: torch.Tensor,
                 mask: torch.Tensor, res: torch.Tensor, mean: torch.Tensor) -> torch.Tensor:
        """Warp both frames with every flow pair, blend, add the residual and mean back, merge the candidates."""
        b, c, h, w = flow0.shape
        n = c // 2

        def per_flow(x: torch.Tensor) -> torch.Tensor:  # (b, ...) -> (b * n, ...), each sample repeated n times
            return torch.stack([x] * n, 1).reshape(b * n, *x.shape[1:])

        warped0 = backward_warp(per_flow(img0), flow0.reshape(b * n, 2, h, w))
        warped1 = backward_warp(per_flow(img1), flow1.reshape(b * n, 2, h, w))
        m = mask.reshape(b * n, 1, h, w)
        cands = m * warped0 + (1 - m) * warped1 + per_flow(mean) + res.reshape(b * n, 3, h, w)
        cands = cands.reshape(b, n, 3, h, w)
        return cands.mean(1) + self.comb_block(cands.view(b, -1, h, w))

    def forward(self, img0: torch.Tensor, img1: torch.Tensor, embt: float | torch.Tensor = 0.5,
                scale_factor: float = 1.0) -> torch.Tensor:
        """Predict the frame at ``embt``; ``scale_factor`` < 1 estimates the flows on downscaled frames."""
        b = img0.shape[0]
        if not isinstance(embt, torch.Tensor):
            embt = torch.tensor(float(embt), device=img0.device)
        embt = embt.to(img0).reshape(-1, 1, 1, 1).expand(b, 1, 1, 1)
        mean = torch.cat([img0, img1], 2).mean(1, keepdim=True).mean(2, keepdim=True).mean(3, keepdim=True)
        img0, img1 = img0 - mean, img1 - mean
        x0 = _resize(img0, scale_factor) if scale_factor != 1.0 else img0
        x1 = _resize(img1, scale_factor) if scale_factor != 1.0 else img1
        h, w = x0.shape[-2:]
        grid = _pixel_grid(b, h // 8, w // 8, img0.device)
        fmap0, fmap1 = self.feat_encoder(torch.cat([x0, x1], 0)).split([b, b], 0)
        corr = _BidirCorrelation(fmap0, fmap1, levels=self.corr_levels, radius=self.radius)
        _, f0_2, f0_3, f0_4 = feats0 = self.encoder(x0)
        _, f1_2, f1_3, f1_4 = feats1 = self.encoder(x1)

        flow0, flow1, ft = self.decoder4(f0_4, f1_4, embt)
        corr4, flows = self._lookup(corr, grid, flow0, flow1, embt, down=1)
        flow0, flow1, ft = self._refine(self.update4, ft, flow0, flow1, flows, corr4)

        flow0, flow1, ft = self.decoder3(ft, f0_3, f1_3, flow0, flow1)
        corr3, flows = self._lookup(corr, grid, flow0, flow1, embt, down=2)
        flow0, flow1, ft = self._refine(self.update3, ft, flow0, flow1, flows, corr3)

        flow0, flow1, ft = self.decoder2(ft, f0_2, f1_2, flow0, flow1)
        corr2, flows = self._lookup(corr, grid, flow0, flow1, embt, down=4)
        flow0, flow1, ft = self._refine(self.update2, ft, flow0, flow1, flows, corr2)

        flow0, flow1, mask, res = self.decoder1(ft, feats0[0], feats1[0], flow0, flow1)
        if scale_factor != 1.0:
            inv = 1.0 / scale_factor
            flow0, flow1 = _resize(flow0, inv) * inv, _resize(flow1, inv) * inv
            mask, res = _resize(mask, inv), _resize(res, inv)
        return torch.clamp(self._combine(img0, img1, flow0, flow1, mask, res, mean), 0, 1)


def extract_amt_state(checkpoint: object) -> dict[str, torch.Tensor]:
    """The network weights of a loaded ``amt-s.pth`` (its ``state_dict`` entry; a bare state dict as it is).

    Raises:
        RuntimeError: If the object is neither.
    """
    if isinstance(checkpoint, dict) and isinstance(checkpoint.get('state_dict'), dict):
        return checkpoint['state_dict']
    if isinstance(checkpoint, dict) and checkpoint and all(isinstance(v, torch.Tensor) for v in checkpoint.values()):
        return checkpoint
    kind = sorted(checkpoint)[:5] if isinstance(checkpoint, dict) else type(checkpoint).__name__
    raise RuntimeError(f'an AMT-S checkpoint must hold its weights under `state_dict` (as amt-s.pth does), '
                       f'but got {kind}')


def load_amt_s(model_path: str | os.PathLike | None = None,
               check_hash: bool = True) -> tuple[AMTS, ResolvedWeights]:
    """Build AMT-S (``corr_radius=3, corr_lvls=4, num_flows=3``) and load ``amt-s.pth`` strictly.

    The file is found by :func:`aigve.utils.weights.resolve_weights` (``model_path``, then the aigve cache,
    then a download from Hugging Face ``lalala125/AMT`` unless offline; otherwise an error naming the file
    and the command that fetches it).

    Args:
        model_path: The checkpoint, or a folder holding ``amt-s.pth``. Defaults to None.
        check_hash: Refuse a file whose sha256 differs from a pinned one. Defaults to True.

    Returns:
        ``(model, resolved)``: the network in eval mode without gradients, and where its weights came from.

    Raises:
        RuntimeError: If the checkpoint's keys or shapes differ from AMT-S's (strict loading).
    """
    resolved = resolve_weights(WEIGHTS_NAME, model_path, check_hash=check_hash)
    model = AMTS(corr_radius=3, corr_lvls=4, num_flows=3)
    state = extract_amt_state(torch.load(resolved.path, map_location='cpu', weights_only=True))
    model.load_state_dict(state, strict=True)
    return model.eval().requires_grad_(False), resolved
