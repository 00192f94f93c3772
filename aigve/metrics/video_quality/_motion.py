"""The SlowFast-R50 motion branch shared by SimpleVQA and Light-VQA+: its arguments, its model, its clip features."""
from __future__ import annotations

import logging
from collections.abc import Sequence

import torch
from mmengine.logging import print_log
from torch import nn

from aigve.metrics.video_quality._common import check_positive_int, slowfast_clip_features
from aigve.utils.lazy_video import LazyVideo

__all__ = ['SlowFastMotion']


class SlowFastMotion:
    """Mixin of a :class:`~aigve.core.base_metric.BaseVideoMetric` with a SlowFast-R50 motion branch.

    ``__init__`` calls :meth:`init_motion` after ``super().__init__``; :meth:`motion_features` then gives the
    SlowFast features of clips given as frame indices. The metric documents the arguments it forwards
    (``motion_extractor``, ``slowfast_model_path``, ``motion_size``, ``clip_len``, ``clip_batch_size``).
    """

    motion_extractor: nn.Module
    motion_size: int
    clip_len: int
    clip_batch_size: int

    def init_motion(self, motion_extractor: nn.Module | None, slowfast_model_path: str | None, pretrained: bool, *,
                    motion_size: int, clip_len: int, clip_batch_size: int, fallback_fps: float = 25.0) -> None:
        """Check the motion arguments and build (or take) the extractor, recording its weights.

        Args:
            motion_extractor: A ready module with ``forward_features([slow, fast]) -> (N, 2304)``, or None to
                build :class:`~aigve.models.slowfast.SlowFastR50`.
            slowfast_model_path: ``SLOWFAST_8x8_R50.pyth`` (or a folder) when the extractor is built.
            pretrained: Load the Kinetics-400 checkpoint; ``False`` gives random weights (tests only).
            motion_size: Side of the square frames the extractor sees.
            clip_len: Frames per clip, at least 4 (the slow pathway takes every 4th frame).
            clip_batch_size: Clips per extractor forward.
            fallback_fps: Frame rate of the per-second clips when a sample has none (see :meth:`video_fps`).
                Defaults to 25.0.
        """
        if not isinstance(fallback_fps, (int, float)) or isinstance(fallback_fps, bool) or fallback_fps < 1:
            raise ValueError(f'`fallback_fps` must be a number >= 1, but got {fallback_fps!r}')
        self.fallback_fps = float(fallback_fps)
        self._warned_fps = False
        self.motion_size = check_positive_int(motion_size, 'motion_size')
        self.clip_len = check_positive_int(clip_len, 'clip_len')
        if self.clip_len < 4:
            raise ValueError(f'`clip_len` must be >= 4 (SlowFast samples every 4th frame), but got {clip_len}')
        self.clip_batch_size = check_positive_int(clip_batch_size, 'clip_batch_size')
        if motion_extractor is None:
            from aigve.models.slowfast import SlowFastR50, load_slowfast_r50
            motion_extractor, resolved = load_slowfast_r50(slowfast_model_path) if pretrained \
                else (SlowFastR50(), None)
            self.record_weights(resolved)
        self.motion_extractor = motion_extractor.to(self.device).eval().requires_grad_(False)

    def video_fps(self, sample: dict | None) -> int:
        """The integer frame rate the original code uses (``round(fps)``), or ``fallback_fps`` (warned once)."""
        fps = sample.get('fps') if isinstance(sample, dict) else None
        if fps is None or fps <= 0:
            if not self._warned_fps:
                print_log(f'{type(self).__name__}: a sample has no fps; assuming {self.fallback_fps:g} '
                          '(set `fallback_fps`)', logger='current', level=logging.WARNING)
                self._warned_fps = True
            fps = self.fallback_fps
        return max(1, int(round(fps)))

    def motion_features(self, video: torch.Tensor | LazyVideo, clips: Sequence[Sequence[int]]) -> torch.Tensor:
        """SlowFast features ``(len(clips), 2304)`` of the clips (frame indices) of ``video``."""
        return slowfast_clip_features(self.motion_extractor, video, clips, self.motion_size, self.clip_batch_size,
                                      self.device)
