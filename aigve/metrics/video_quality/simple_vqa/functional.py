"""SimpleVQA: the network and the frame/clip sampling around it.

Paper: Wei Sun, Xiongkuo Min, Wei Lu, Guangtao Zhai, "A Deep Learning based No-reference Quality Assessment
Model for UGC Videos", ACM MM 2022 (arXiv 2204.14047). Repository: https://github.com/sunwei925/SimpleVQA
(Apache-2.0): ``model/UGC_BVQA_model.py`` (``resnet50``) and ``test_demo.py`` (sampling, preprocessing,
``slowfast``). Written anew; parameter names follow the repository so ``ckpts/UGC_BVQA_model.pth`` (saved
from ``nn.DataParallel``, keys prefixed ``module.``) loads with ``strict=True`` after the prefix is removed.

Per second ``i`` of the video (``fps`` rounded to an integer, ``n = floor(T / fps)`` seconds):

* key frame ``i * fps`` -> Resize(520) -> CenterCrop(448) -> ImageNet normalisation -> ResNet-50; global
  mean and unbiased std of ``layer2``, ``layer3``, ``layer4`` (2 x (512 + 1024 + 2048) = 7168 dims);
* the 32 frames from ``i * fps`` (past the end: the last frame repeated) -> 224x224 -> mean 0.45 / std
  0.225 -> SlowFast-R50 -> 2304 dims;
* ``quality`` = Linear(9472, 128) -> Linear(128, 1) on the concatenation; the video score is the mean
  over seconds. Both lists are padded to at least 8 seconds by repeating the last entry (the original
  frame extractor's ``video_length_min = 8``; training used exactly 8 seconds).
"""
from __future__ import annotations

import torch
from torch import nn

from aigve.models.slowfast import SLOWFAST_FEATURE_DIM

__all__ = ['SPATIAL_FEATURE_DIM', 'SimpleVQANet', 'key_frame_indices', 'motion_clip_indices', 'seconds_in_video']

#: 2 x (512 + 1024 + 2048).
SPATIAL_FEATURE_DIM = 7168


def _std_pool(x: torch.Tensor) -> torch.Tensor:
    return x.flatten(2).std(dim=2, unbiased=True)


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
        feats = [x.mean(dim=(2, 3)), _std_pool(x)]
        x = self.layer3(x)
        feats += [x.mean(dim=(2, 3)), _std_pool(x)]
        x = self.layer4(x)
        feats += [x.mean(dim=(2, 3)), _std_pool(x)]
        return torch.cat(feats, dim=1)

    def forward(self, frames: torch.Tensor, motion: torch.Tensor) -> torch.Tensor:
        if frames.shape[0] != motion.shape[0]:
            raise ValueError(f'`frames` and `motion` must have the same length, but got {frames.shape[0]} and '
                             f'{motion.shape[0]}')
        x = torch.cat([self.spatial_features(frames), motion], dim=1)
        return self.quality(x).squeeze(1)


def seconds_in_video(num_frames: int, fps: int) -> int:
    """Whole seconds ``floor(num_frames / fps)``, at least 1 (a video shorter than a second keeps frame 0).

    Examples:
        >>> seconds_in_video(250, 25), seconds_in_video(10, 25)
        (10, 1)
    """
    if num_frames < 1 or fps < 1:
        raise ValueError(f'`num_frames` and `fps` must be >= 1, but got {num_frames} and {fps}')
    return max(1, num_frames // fps)


def key_frame_indices(num_frames: int, fps: int, min_seconds: int = 8) -> list[int]:
    """Key frame ``i * fps`` for every second, padded to ``min_seconds`` with the last one.

    Examples:
        >>> key_frame_indices(100, 25, 6)
        [0, 25, 50, 75, 75, 75]
    """
    seconds = seconds_in_video(num_frames, fps)
    idx = [i * fps for i in range(seconds)]
    return idx + [idx[-1]] * max(0, min_seconds - len(idx))


def motion_clip_indices(num_frames: int, fps: int, clip_len: int = 32, min_seconds: int = 8) -> list[list[int]]:
    """Frame indices of the clip of every second: ``clip_len`` frames from ``i * fps``, the last frame of
    the video repeated past its end; padded to ``min_seconds`` clips with the last clip.

    Examples:
        >>> motion_clip_indices(5, 2, clip_len=4, min_seconds=3)
        [[0, 1, 2, 3], [2, 3, 4, 4], [2, 3, 4, 4]]
    """
    seconds = seconds_in_video(num_frames, fps)
    clips = [[min(i * fps + j, num_frames - 1) for j in range(clip_len)] for i in range(seconds)]
    return clips + [clips[-1]] * max(0, min_seconds - len(clips))
