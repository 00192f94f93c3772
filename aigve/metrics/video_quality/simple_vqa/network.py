"""SimpleVQA network: ResNet-50 trunk with pooled multi-stage features and the ``quality`` head.

Written anew from ``model/UGC_BVQA_model.py`` (``resnet50``) of https://github.com/sunwei925/SimpleVQA
(Apache-2.0); parameter names follow the repository so ``ckpts/UGC_BVQA_model.pth`` (saved from
``nn.DataParallel``, keys prefixed ``module.``) loads with ``strict=True`` after the prefix is removed.
The frame and clip sampling around it is in :mod:`.functional`.
"""
from __future__ import annotations

import torch
from torch import nn

from aigve.metrics.video_quality.simple_vqa.functional import SPATIAL_FEATURE_DIM
from aigve.models.slowfast import SLOWFAST_FEATURE_DIM
from aigve.models.vgg_features import global_std_pool

__all__ = ['SimpleVQANet']


class SimpleVQANet(nn.Module):
    """ResNet-50 trunk + ``quality`` head (``UGC_BVQA_model.resnet50``; no ``fc``).

    Inputs:
        ``forward(frames, motion)``: ``frames`` ``(S, 3, H, W)`` ImageNet-normalised key frames (H, W >= 64
        so ``layer4`` has more than one position), ``motion`` ``(S, 2304)``. Returns ``(S,)`` per-second
        quality.

    Args:
        trunk: A ``torchvision.models.resnet50()`` whose ``conv1 .. layer4`` are used. Defaults to None (a
            new one with random weights).
    """

    def __init__(self, trunk: nn.Module | None = None) -> None:
        super().__init__()
        if trunk is None:
            from torchvision.models import resnet50
            trunk = resnet50(weights=None)
        for name in ('conv1', 'bn1', 'relu', 'maxpool', 'layer1', 'layer2', 'layer3', 'layer4'):
            setattr(self, name, getattr(trunk, name))
        self.quality = nn.Sequential(nn.Linear(SPATIAL_FEATURE_DIM + SLOWFAST_FEATURE_DIM, 128), nn.Linear(128, 1))

    def spatial_features(self, frames: torch.Tensor) -> torch.Tensor:
        """``(S, 3, H, W) -> (S, 7168)``: [avg2, std2, avg3, std3, avg4, std4]."""
        x = self.maxpool(self.relu(self.bn1(self.conv1(frames))))
        x = self.layer2(self.layer1(x))
        feats = [x.mean(dim=(2, 3)), global_std_pool(x)]
        x = self.layer3(x)
        feats += [x.mean(dim=(2, 3)), global_std_pool(x)]
        x = self.layer4(x)
        feats += [x.mean(dim=(2, 3)), global_std_pool(x)]
        return torch.cat(feats, dim=1)

    def forward(self, frames: torch.Tensor, motion: torch.Tensor) -> torch.Tensor:
        if frames.shape[0] != motion.shape[0]:
            raise ValueError(f'`frames` and `motion` must have the same length, but got {frames.shape[0]} and '
                             f'{motion.shape[0]}')
        x = torch.cat([self.spatial_features(frames), motion], dim=1)
        return self.quality(x).squeeze(1)
