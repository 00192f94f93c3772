"""``SimpleVQA`` metric: ResNet-50 key-frame features + SlowFast motion features (Sun et al., ACM MM 2022)."""
from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

from aigve.core.base_metric import BaseVideoMetric
from aigve.metrics.video_quality._common import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    center_crop,
    check_positive_int,
    load_quality_head,
    normalise,
    resize,
    short_side_size,
)
from aigve.metrics.video_quality._motion import SlowFastMotion
from aigve.metrics.video_quality.simple_vqa.functional import key_frame_indices, motion_clip_indices
from aigve.metrics.video_quality.simple_vqa.network import SimpleVQANet
from aigve.registry import METRICS
from aigve.utils.frames import check_video
from aigve.utils.lazy_video import LazyVideo, in_batches, take_frames

__all__ = ['SimpleVQA']

_WEIGHTS = 'simplevqa-lsvq'


@METRICS.register_module()
class SimpleVQA(SlowFastMotion, BaseVideoMetric):
    """SimpleVQA no-reference video quality, LSVQ-trained (higher is better, about the LSVQ MOS scale 0-100).

    Inputs:
        ``videos``: ``(T, 3, H, W)`` uint8 RGB, any ``T >= 1``; ``samples[i]['fps']`` is the frame rate
        (rounded to an integer as the original). When it is None, ``fallback_fps`` is used and a warning
        is logged once. One key frame and one 32-frame clip per second, at least ``min_seconds`` of them.

    Outputs per video: ``simple_vqa``, the mean per-second quality.

    Args:
        model_path: ``UGC_BVQA_model.pth`` (or a folder holding it). Defaults to None (resolver).
        slowfast_model_path: PyTorchVideo ``SLOWFAST_8x8_R50.pyth`` (or a folder). Defaults to None.
        net: A ready :class:`SimpleVQANet`. Defaults to None.
        motion_extractor: A ready module with ``forward_features([slow, fast]) -> (N, 2304)``, e.g.
            :class:`aigve.models.slowfast.SlowFastR50`. Defaults to None.
        pretrained: Load the checkpoints; ``False`` gives random weights (tests only). Defaults to True.
        fallback_fps: Frame rate assumed when a sample has none. Defaults to 25.0.
        min_seconds: Pad to at least this many seconds (the original's 8). Defaults to 8.
        resize_short: Short side before cropping (520 in the original). Defaults to 520.
        crop_size: Centre crop of key frames (448 in the original). Defaults to 448.
        motion_size: Side of the square motion frames (224 in the original). Defaults to 224.
        clip_len: Frames per motion clip (32 in the original). Defaults to 32.
        frame_batch_size: Key frames per ResNet-50 forward. Defaults to 8.
        clip_batch_size: Clips per SlowFast forward. Defaults to 2.
        device: ``'auto'``, ``'cpu'`` or ``'cuda[:N]'``. Defaults to ``'auto'``.
        collect_device: Defaults to ``'cpu'``.
        prefix: Defaults to ``'simple_vqa'``.
    """

    default_prefix = 'simple_vqa'
    higher_is_better = True
    score_range = (None, None)
    streams_frames = True  # a few seconds at a time, decoding only their key frames and clips

    def __init__(self,
                 model_path: str | None = None,
                 slowfast_model_path: str | None = None,
                 net: nn.Module | None = None,
                 motion_extractor: nn.Module | None = None,
                 pretrained: bool = True,
                 fallback_fps: float = 25.0,
                 min_seconds: int = 8,
                 resize_short: int = 520,
                 crop_size: int = 448,
                 motion_size: int = 224,
                 clip_len: int = 32,
                 frame_batch_size: int = 8,
                 clip_batch_size: int = 2,
                 device: str = 'auto',
                 collect_device: str = 'cpu',
                 prefix: str | None = None) -> None:
        super().__init__(device=device, collect_device=collect_device, prefix=prefix)
        self.min_seconds = check_positive_int(min_seconds, 'min_seconds')
        self.resize_short = check_positive_int(resize_short, 'resize_short')
        self.crop_size = check_positive_int(crop_size, 'crop_size')
        if self.crop_size > self.resize_short:
            raise ValueError(f'`crop_size` must be <= `resize_short`, but got {crop_size} > {resize_short}')
        self.frame_batch_size = check_positive_int(frame_batch_size, 'frame_batch_size')

        self.init_motion(motion_extractor, slowfast_model_path, pretrained, motion_size=motion_size,
                         clip_len=clip_len, clip_batch_size=clip_batch_size, fallback_fps=fallback_fps)
        if net is None:
            net, resolved = load_quality_head(SimpleVQANet(), _WEIGHTS, model_path, pretrained, 'SimpleVQA')
            self.record_weights(resolved)
        self.net = net.to(self.device).eval().requires_grad_(False)
        self.protocol = dict(train_set='LSVQ', key_frames='1 per second (fps rounded)', min_seconds=self.min_seconds,
                             spatial=f'resize {self.resize_short} + crop {self.crop_size}, imagenet norm',
                             motion=f'{self.clip_len}-frame clip per second at {self.motion_size}x{self.motion_size}',
                             fallback_fps=self.fallback_fps)

    # ---------------------------------------------------------------------------------------- steps
    def key_frames(self, frames: torch.Tensor) -> torch.Tensor:
        """uint8 key frames -> normalised, cropped ``(S, 3, crop, crop)``."""
        frames = normalise(frames.to(self.device), IMAGENET_MEAN, IMAGENET_STD)
        frames = resize(frames, short_side_size(frames.shape[-2], frames.shape[-1], self.resize_short))
        return center_crop(frames, self.crop_size)

    def score_video(self, video: torch.Tensor | LazyVideo, fps: int) -> float:
        """Mean per-second quality of one video at ``fps``.

        Seconds go through the networks a few at a time (a multiple of both batch sizes, so the batches are those
        of one pass over the whole video), and only their frames are decoded: a long video is never held whole.
        """
        keys = key_frame_indices(video.shape[0], fps, self.min_seconds)
        clips = motion_clip_indices(video.shape[0], fps, self.clip_len, self.min_seconds)
        step = math.lcm(self.frame_batch_size, self.clip_batch_size)
        per_second = []
        for s in range(0, len(keys), step):
            spatial = in_batches(self.key_frames(take_frames(video, keys[s:s + step])), self.frame_batch_size,
                                 self.net.spatial_features)
            motion = self.motion_features(video, clips[s:s + step])
            per_second.append(self.net.quality(torch.cat([spatial, motion], dim=1)).squeeze(1))
        return float(torch.cat(per_second).mean())

    def score_batch(self, videos: Sequence[torch.Tensor], samples: Sequence[dict]) -> list[dict[str, float]]:
        """Score each video; reads ``samples[i]['fps']``."""
        with torch.no_grad():
            return [dict(simple_vqa=self.score_video(check_video(video), self.video_fps(sample)))
                    for video, sample in zip(videos, samples)]
