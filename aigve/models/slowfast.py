"""SlowFast-R50 (8x8, Kinetics-400) with PyTorchVideo's module layout, as a motion-feature extractor.

Paper: Feichtenhofer et al., "SlowFast Networks for Video Recognition", ICCV 2019.
Reference: facebookresearch/pytorchvideo ``pytorchvideo/models/slowfast.py`` (``create_slowfast``) and
``hub/slowfast.py`` (``slowfast_r50``), Apache-2.0. Written anew here; only the layer shapes and the
state-dict key names follow PyTorchVideo, so its checkpoint ``SLOWFAST_8x8_R50.pyth`` loads with
``strict=True`` (``blocks.0`` stems, ``blocks.1-4`` residual stages with fast-to-slow fusion, ``blocks.5``
pooling, ``blocks.6.proj`` the Kinetics classifier).

SimpleVQA and Light-VQA(+) use the network as a frozen feature extractor: the outputs of ``blocks.0-4``
are average pooled per pathway (``blocks.5`` kernels ``(8, 7, 7)`` slow / ``(32, 7, 7)`` fast, stride 1,
then a global average) and concatenated: 2048 slow + 256 fast = 2304 dims per clip.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from aigve.utils.weights import ResolvedWeights, resolve_weights

__all__ = ['SLOWFAST_FEATURE_DIM', 'SlowFastR50', 'extract_state_dict', 'load_slowfast_r50', 'pack_pathways']

#: Channels of the pooled slow (2048) + fast (256) features.
SLOWFAST_FEATURE_DIM = 2304

_STAGE_DEPTHS = (3, 4, 6, 3)
_ALPHA = 4  # frame-rate ratio fast : slow
_BETA_INV = 8  # channel ratio slow : fast
_FUSION_RATIO = 2
_HEAD_POOL = ((8, 7, 7), (32, 7, 7))


def _bn(channels: int) -> nn.BatchNorm3d:
    return nn.BatchNorm3d(channels, eps=1e-5, momentum=0.1)


class _Stem(nn.Module):
    """Conv -> BN -> ReLU -> max pool (keys ``conv``, ``norm``)."""

    def __init__(self, out_channels: int, temporal_kernel: int) -> None:
        super().__init__()
        self.conv = nn.Conv3d(3, out_channels, (temporal_kernel, 7, 7), stride=(1, 2, 2),
                              padding=(temporal_kernel // 2, 3, 3), bias=False)
        self.norm = _bn(out_channels)
        self.activation = nn.ReLU()
        self.pool = nn.MaxPool3d((1, 3, 3), stride=(1, 2, 2), padding=(0, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pool(self.activation(self.norm(self.conv(x))))


class _Bottleneck(nn.Module):
    """1x1 (temporal ``k``) -> 1x3x3 (spatial stride) -> 1x1 (keys ``conv_a/b/c``, ``norm_a/b/c``)."""

    def __init__(self, dim_in: int, dim_inner: int, dim_out: int, temporal_kernel: int, stride: int) -> None:
        super().__init__()
        self.conv_a = nn.Conv3d(dim_in, dim_inner, (temporal_kernel, 1, 1), padding=(temporal_kernel // 2, 0, 0),
                                bias=False)
        self.norm_a = _bn(dim_inner)
        self.act_a = nn.ReLU()
        self.conv_b = nn.Conv3d(dim_inner, dim_inner, (1, 3, 3), stride=(1, stride, stride), padding=(0, 1, 1),
                                bias=False)
        self.norm_b = _bn(dim_inner)
        self.act_b = nn.ReLU()
        self.conv_c = nn.Conv3d(dim_inner, dim_out, 1, bias=False)
        self.norm_c = _bn(dim_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.act_a(self.norm_a(self.conv_a(x)))
        x = self.act_b(self.norm_b(self.conv_b(x)))
        return self.norm_c(self.conv_c(x))


class _ResBlock(nn.Module):
    """Residual block; the first block of a stage has a projection shortcut (``branch1_conv/norm``)."""

    def __init__(self, dim_in: int, dim_inner: int, dim_out: int, temporal_kernel: int, stride: int) -> None:
        super().__init__()
        if dim_in != dim_out or stride != 1:
            self.branch1_conv = nn.Conv3d(dim_in, dim_out, 1, stride=(1, stride, stride), bias=False)
            self.branch1_norm = _bn(dim_out)
        else:
            self.branch1_conv = None
            self.branch1_norm = None
        self.branch2 = _Bottleneck(dim_in, dim_inner, dim_out, temporal_kernel, stride)
        self.activation = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x if self.branch1_conv is None else self.branch1_norm(self.branch1_conv(x))
        return self.activation(shortcut + self.branch2(x))


class _ResStage(nn.Module):

    def __init__(self, depth: int, dim_in: int, dim_inner: int, dim_out: int, temporal_kernel: int,
                 stride: int) -> None:
        super().__init__()
        self.res_blocks = nn.ModuleList([
            _ResBlock(dim_in if i == 0 else dim_out, dim_inner, dim_out, temporal_kernel, stride if i == 0 else 1)
            for i in range(depth)
        ])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for block in self.res_blocks:
            x = block(x)
        return x


class _FastToSlow(nn.Module):
    """Lateral connection: time-strided conv on the fast pathway, concatenated to the slow one."""

    def __init__(self, fast_channels: int) -> None:
        super().__init__()
        self.conv_fast_to_slow = nn.Conv3d(fast_channels, fast_channels * _FUSION_RATIO, (7, 1, 1),
                                           stride=(_ALPHA, 1, 1), padding=(3, 0, 0), bias=False)
        self.norm = _bn(fast_channels * _FUSION_RATIO)
        self.activation = nn.ReLU()

    def forward(self, x: list[torch.Tensor]) -> list[torch.Tensor]:
        fuse = self.activation(self.norm(self.conv_fast_to_slow(x[1])))
        return [torch.cat([x[0], fuse], 1), x[1]]


class _TwoPathway(nn.Module):
    """One block per pathway, then the fusion (keys ``multipathway_blocks``, ``multipathway_fusion``)."""

    def __init__(self, slow: nn.Module, fast: nn.Module, fusion: nn.Module | None) -> None:
        super().__init__()
        self.multipathway_blocks = nn.ModuleList([slow, fast])
        self.multipathway_fusion = fusion if fusion is not None else nn.Identity()

    def forward(self, x: list[torch.Tensor]) -> list[torch.Tensor]:
        out = [self.multipathway_blocks[0](x[0]), self.multipathway_blocks[1](x[1])]
        return self.multipathway_fusion(out)


class _HeadPool(nn.Module):
    """``blocks.5``: per-pathway ``AvgPool3d(kernel, stride=1)`` (no parameters).

    The kernel is clamped to the feature map, so inputs smaller than the 32x224x224 clips the network
    was built for still give a feature; at the native size it is exactly PyTorchVideo's pooling.
    """

    def __init__(self, kernels: Sequence[tuple[int, int, int]] = _HEAD_POOL) -> None:
        super().__init__()
        self.kernels = tuple(tuple(k) for k in kernels)

    def forward(self, x: list[torch.Tensor]) -> list[torch.Tensor]:
        out = []
        for feat, kernel in zip(x, self.kernels):
            k = tuple(min(a, b) for a, b in zip(kernel, feat.shape[2:]))
            out.append(F.avg_pool3d(feat, k, stride=1))
        return out


class _Head(nn.Module):
    """``blocks.6``: dropout + ``proj`` (2304 -> 400 Kinetics logits) + global average."""

    def __init__(self, in_features: int = SLOWFAST_FEATURE_DIM, num_classes: int = 400) -> None:
        super().__init__()
        self.dropout = nn.Dropout(0.5)
        self.proj = nn.Linear(in_features, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.proj(self.dropout(x.permute(0, 2, 3, 4, 1)))
        return x.mean(dim=(1, 2, 3))


class SlowFastR50(nn.Module):
    """SlowFast-R50 8x8 (slow 8 frames, fast 32 frames at 224x224) with PyTorchVideo key names.

    Inputs:
        ``forward_features([slow, fast])``: ``slow`` ``(B, 3, T/4, H, W)`` and ``fast`` ``(B, 3, T, H, W)``
        float tensors normalised with mean 0.45 / std 0.225 (see :func:`pack_pathways`).

    Args:
        num_classes: Size of the Kinetics classifier ``blocks.6.proj``. Defaults to 400.
    """

    def __init__(self, num_classes: int = 400) -> None:
        super().__init__()
        slow_a_kernels = (1, 1, 3, 3)
        blocks: list[nn.Module] = [_TwoPathway(_Stem(64, 1), _Stem(64 // _BETA_INV, 5), _FastToSlow(64 // _BETA_INV))]
        dim_in, dim_out = 64, 256
        for idx, depth in enumerate(_STAGE_DEPTHS):
            stride = 1 if idx == 0 else 2
            slow_in = dim_in + dim_in * _FUSION_RATIO // _BETA_INV
            slow = _ResStage(depth, slow_in, dim_out // 4, dim_out, slow_a_kernels[idx], stride)
            fast = _ResStage(depth, dim_in // _BETA_INV, dim_out // 4 // _BETA_INV, dim_out // _BETA_INV, 3, stride)
            fusion = _FastToSlow(dim_out // _BETA_INV) if idx < len(_STAGE_DEPTHS) - 1 else None
            blocks.append(_TwoPathway(slow, fast, fusion))
            dim_in, dim_out = dim_out, dim_out * 2
        blocks.append(_HeadPool())
        blocks.append(_Head(dim_in + dim_in // _BETA_INV, num_classes))
        self.blocks = nn.ModuleList(blocks)

    def forward_features(self, pathways: Sequence[torch.Tensor]) -> torch.Tensor:
        """Pooled motion features ``(B, 2304)``: slow 2048 then fast 256 channels."""
        x = list(pathways)
        for block in self.blocks[:5]:
            x = block(x)
        x = self.blocks[5](x)
        return torch.cat([feat.mean(dim=(2, 3, 4)) for feat in x], dim=1)

    def forward(self, pathways: Sequence[torch.Tensor]) -> torch.Tensor:
        """Kinetics-400 logits ``(B, num_classes)`` (PyTorchVideo's ``slowfast_r50`` output)."""
        x = list(pathways)
        for block in self.blocks[:6]:
            x = block(x)
        return self.blocks[6](torch.cat(x, dim=1))


def pack_pathways(clips: torch.Tensor) -> list[torch.Tensor]:
    """Split ``(B, 3, T, H, W)`` clips into ``[slow, fast]``: fast = all frames, slow = ``T // 4`` of them.

    The slow frames are ``linspace(0, T - 1, T // 4)`` truncated to integers, as SimpleVQA's and
    Light-VQA's ``pack_pathway_output``.
    """
    if clips.ndim != 5:
        raise ValueError(f'`clips` must be (B, 3, T, H, W), but got shape {tuple(clips.shape)}')
    t = clips.shape[2]
    if t < _ALPHA:
        raise ValueError(f'`clips` must have at least {_ALPHA} frames, but got {t}')
    index = torch.linspace(0, t - 1, t // _ALPHA).long().to(clips.device)
    return [clips.index_select(2, index), clips]


def extract_state_dict(checkpoint: Any, prefix: str = 'module.') -> dict[str, torch.Tensor]:
    """Unwrap a checkpoint to its state dict (``model_state``/``state_dict``/``model`` keys, ``module.``)."""
    state = checkpoint
    for key in ('model_state', 'state_dict', 'model'):
        if isinstance(state, dict) and key in state and isinstance(state[key], dict):
            state = state[key]
            break
    if not isinstance(state, dict):
        raise TypeError(f'checkpoint must hold a state dict, but got {type(state).__name__}')
    if prefix and state and all(k.startswith(prefix) for k in state):
        state = {k[len(prefix):]: v for k, v in state.items()}
    return dict(state)


def load_slowfast_r50(model_path: str | None = None) -> tuple[SlowFastR50, ResolvedWeights]:
    """Build :class:`SlowFastR50` with the Kinetics-400 weights (manifest ``'slowfast-r50-k400'``).

    Args:
        model_path: ``SLOWFAST_8x8_R50.pyth`` or a folder holding it. Defaults to None (cache/download).

    Returns:
        ``(model, resolved)``: the network in eval mode without gradients, on CPU, and the record of its
        checkpoint (pass it to ``BaseVideoMetric.record_weights``).
    """
    resolved = resolve_weights('slowfast-r50-k400', model_path)
    model = SlowFastR50()
    state = extract_state_dict(torch.load(resolved.path, map_location='cpu', weights_only=True))
    model.load_state_dict(state, strict=True)
    return model.eval().requires_grad_(False), resolved
