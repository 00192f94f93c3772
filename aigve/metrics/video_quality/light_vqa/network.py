"""Light-VQA network: Swin-S trunk, brightness/noise features and the ``head`` -> ``head1`` -> ``head2`` regressor.

Key names follow the released checkpoint (``final_fusion_model.SwinTransformer``): the Swin trunk of
:class:`~aigve.models.swin.SwinBackbone` (``patch_embed``, ``layers.<i>...``, ``norm``) and ``head``
(4112 -> 1024), ``head1`` (1024 -> 64), ``head2`` (64 -> 1); the parameter-free pools of the original hold
no keys. The checkpoint therefore loads with ``strict=True``.
"""
from __future__ import annotations

import torch
from torch import nn

from aigve.metrics.video_quality.light_vqa.functional import BC_DIM, BRIGHT_NOISE_DIM, MOTION_DIM, bright_noise_features
from aigve.models.swin import SWIN_SMALL, SwinBackbone

__all__ = ['LightVQANet', 'LightVQATrunk']


class LightVQATrunk(SwinBackbone):
    """Swin trunk + Light-VQA's regressor (``head`` -> ReLU -> ``head1`` (64) -> ReLU -> ``head2``, clamped).

    Shared by :class:`LightVQANet` and Light-VQA+ (which feeds the regressor a fused feature).

    Args:
        in_features: Width of the regressor input.
        first_fc: Width of ``head``. Defaults to 1024.
        swin: Swin configuration. Defaults to Swin-S.
    """

    def __init__(self, in_features: int, first_fc: int = 1024, swin: dict | None = None) -> None:
        super().__init__(**(swin or SWIN_SMALL))
        self.head = nn.Linear(in_features, first_fc)
        self.head1 = nn.Linear(first_fc, 64)
        self.head2 = nn.Linear(64, 1)

    def features(self, frames: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Pooled Swin (stage-3, stage-4) features of ``(K, 3, H, W)`` frames, each ``(K, 8 * embed_dim)``."""
        return SwinBackbone.forward(self, frames)

    def regress_clips(self, x: torch.Tensor) -> torch.Tensor:
        """``(..., in_features)`` -> per-clip scores ``(...)`` clamped to [0, 100]."""
        return self.head2(torch.relu(self.head1(torch.relu(self.head(x))))).squeeze(-1).clamp(0.0, 100.0)


class LightVQANet(LightVQATrunk):
    """Light-VQA: per key frame ``[stage-4 | brightness 64 | noise 64 | stage-3 | SlowFast 2304 | BC 144]`` -> score.

    Inputs:
        ``forward(frames, temporal)``: ``frames`` ``(K, 3, 512, 960)`` ImageNet-normalised key frames,
        ``temporal`` ``(K, 2448)`` (SlowFast slow 2048, fast 256, brightness consistency x10 144).
        Returns per-clip scores ``(K,)`` in [0, 100]; the video score is their mean.

    Args:
        first_fc: Width of ``head``. Defaults to 1024.
        swin: Swin configuration. Defaults to Swin-S.
    """

    def __init__(self, first_fc: int = 1024, swin: dict | None = None) -> None:
        cfg = swin or SWIN_SMALL
        width = cfg['embed_dim'] * 8
        super().__init__(2 * width + BRIGHT_NOISE_DIM + MOTION_DIM + BC_DIM, first_fc, cfg)
        self.temporal_dim = MOTION_DIM + BC_DIM

    def forward(self, frames: torch.Tensor, temporal: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        if temporal.dim() != 2 or temporal.shape != (frames.shape[0], self.temporal_dim):
            raise ValueError(f'`temporal` must be ({frames.shape[0]}, {self.temporal_dim}), but got '
                             f'{tuple(temporal.shape)}')
        bn = bright_noise_features(frames)
        stage3, stage4 = self.features(frames)
        return self.regress_clips(torch.cat([stage4, bn, stage3, temporal], dim=1))
