"""``LightVQA`` metric: no-reference quality of low-light enhanced videos (Light-VQA, ACM MM 2023)."""
from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from aigve.core.base_metric import BaseVideoMetric
from aigve.metrics.video_quality._common import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    check_positive_int,
    load_quality_head,
    normalise,
    resize,
)
from aigve.metrics.video_quality._motion import SlowFastMotion
from aigve.metrics.video_quality.light_vqa.functional import (
    BC_SIZE,
    SWIN_SIZE,
    brightness_consistency,
    grey_block_means,
    key_frame_indices,
    motion_clip_indices,
)
from aigve.metrics.video_quality.light_vqa.network import LightVQANet
from aigve.registry import METRICS
from aigve.utils.frames import check_video
from aigve.utils.lazy_video import LazyVideo, in_batches, take_frames

__all__ = ['LightVQA']

_WEIGHTS = 'light-vqa-llveqa'


@METRICS.register_module()
class LightVQA(SlowFastMotion, BaseVideoMetric):
    """Light-VQA quality of a low-light enhanced video (higher is better, in [0, 100]).

    Per clip ``i`` of 8: key frame ``i`` through Swin-S at 512 x 960 (stage-3 and stage-4 means) with its
    brightness and noise features, the SlowFast-R50 features of second ``i``'s 32-frame clip and the
    brightness consistency of the ``i``-th eighth of the video; the video score is the mean of the 8 clip
    scores. ``docs/metrics/light_vqa.md`` lists the facts of the released code this follows.

    Inputs:
        ``videos``: ``(T, 3, H, W)`` uint8 RGB, any ``T >= 1``; ``samples[i]['fps']`` is the frame rate
        (rounded as the original); when missing, ``fallback_fps`` is used and a warning logged once.

    Outputs per video: ``light_vqa``.

    Args:
        model_path: The released Light-VQA checkpoint. Defaults to None (resolver).
        slowfast_model_path: ``SLOWFAST_8x8_R50.pyth`` (or a folder). Defaults to None (resolver).
        net: A ready :class:`LightVQANet`. Defaults to None.
        motion_extractor: A ready module with ``forward_features([slow, fast]) -> (N, 2304)``. Defaults to None.
        pretrained: Load the checkpoints; ``False`` gives random weights (tests only). Defaults to True.
        key_frames: ``'released'`` (frames 0..7, what the released extraction reads) or ``'intended'``
            (``i * floor(T / 8)``). Defaults to ``'released'``.
        fallback_fps: Frame rate assumed when a sample has none. Defaults to 25.0.
        motion_size: Side of the SlowFast frames. Defaults to 224.
        clip_len: Frames per SlowFast clip. Defaults to 32.
        frame_batch_size: Frames per Swin / brightness forward. Defaults to 4.
        clip_batch_size: Clips per SlowFast forward. Defaults to 2.
        device: ``'auto'``, ``'cpu'`` or ``'cuda[:N]'``. Defaults to ``'auto'``.
        collect_device: Defaults to ``'cpu'``.
        prefix: Defaults to ``'light_vqa'``.
    """

    default_prefix = 'light_vqa'
    higher_is_better = True
    score_range = (0.0, 100.0)
    streams_frames = True  # brightness consistency reads every frame, a batch at a time

    def __init__(self,
                 model_path: str | None = None,
                 slowfast_model_path: str | None = None,
                 net: nn.Module | None = None,
                 motion_extractor: nn.Module | None = None,
                 pretrained: bool = True,
                 key_frames: str = 'released',
                 fallback_fps: float = 25.0,
                 motion_size: int = 224,
                 clip_len: int = 32,
                 frame_batch_size: int = 4,
                 clip_batch_size: int = 2,
                 device: str = 'auto',
                 collect_device: str = 'cpu',
                 prefix: str | None = None) -> None:
        super().__init__(device=device, collect_device=collect_device, prefix=prefix)
        key_frame_indices(1, key_frames)  # checks the mode
        self.key_frame_mode = key_frames
        self.frame_batch_size = check_positive_int(frame_batch_size, 'frame_batch_size')
        self.init_motion(motion_extractor, slowfast_model_path, pretrained, motion_size=motion_size,
                         clip_len=clip_len, clip_batch_size=clip_batch_size, fallback_fps=fallback_fps)
        if net is None:
            net, resolved = load_quality_head(LightVQANet(), _WEIGHTS, model_path, pretrained, 'LightVQA')
            self.record_weights(resolved)
        self.net = net.to(self.device).eval().requires_grad_(False)
        self.protocol = dict(train_set='LLVE-QA', key_frames=key_frames, swin_size=list(SWIN_SIZE),
                             motion=f'{self.clip_len}-frame clip per second, first 8 s, at {self.motion_size}',
                             brightness_consistency=f'144 grey block means at {BC_SIZE[0]}x{BC_SIZE[1]}, all frames',
                             fallback_fps=self.fallback_fps)

    # ---------------------------------------------------------------------------------------- steps
    def consistency(self, video: torch.Tensor | LazyVideo) -> torch.Tensor:
        """Brightness consistency ``(8, 144)`` of every frame of the video."""

        def run(chunk: torch.Tensor) -> torch.Tensor:
            return grey_block_means(resize(chunk.to(self.device).float() / 255.0, BC_SIZE)).float()

        return brightness_consistency(in_batches(video, self.frame_batch_size, run))

    def clip_scores(self, video: torch.Tensor | LazyVideo, fps: int) -> torch.Tensor:
        """The 8 clip scores ``(8,)`` in [0, 100] of one uint8 video."""
        keys = key_frame_indices(video.shape[0], self.key_frame_mode)
        clips = motion_clip_indices(video.shape[0], fps, self.clip_len)
        temporal = torch.cat([self.motion_features(video, clips), self.consistency(video)], dim=1)
        frames = resize(normalise(take_frames(video, keys).to(self.device), IMAGENET_MEAN, IMAGENET_STD), SWIN_SIZE)
        return torch.cat([self.net(frames[i:i + self.frame_batch_size], temporal[i:i + self.frame_batch_size])
                          for i in range(0, frames.shape[0], self.frame_batch_size)])

    def score_batch(self, videos: Sequence[torch.Tensor], samples: Sequence[dict]) -> list[dict[str, float]]:
        """Score each video; reads ``samples[i]['fps']``."""
        with torch.no_grad():
            return [dict(light_vqa=float(self.clip_scores(check_video(video), self.video_fps(sample)).mean()))
                    for video, sample in zip(videos, samples)]
