"""``TemporalFlickering``: VBench's pixel-level flicker score, weight-free."""
from __future__ import annotations

from collections.abc import Sequence

import torch

from aigve.core.base_metric import BaseVideoMetric, Unscorable
from aigve.registry import METRICS
from aigve.utils.lazy_video import iter_chunks

from .functional import flicker_score, pair_differences


@METRICS.register_module()
class TemporalFlickering(BaseVideoMetric):
    """VBench temporal flickering: ``(255 - mean |frame_{t+1} - frame_t|) / 255``, 1 = no flicker.

    Inputs:
        Generated videos ``(T, C, H, W)`` uint8 RGB, all frames (VBench reads every frame), ``T >= 2``.
        A video with fewer than 2 frames is listed as a failure of this metric.

    Per-video scores: ``temporal_flickering`` in [0, 1] and ``mae`` in [0, 255]. The aggregate is the mean
    over videos, as VBench computes it. VBench expects static-camera videos (it filters others first).

    Args:
        device: Where to compute. Defaults to ``'auto'``.
        collect_device: See :class:`BaseVideoMetric`. Defaults to ``'cpu'``.
        prefix: Defaults to ``'temporal_flickering'``.

    Examples:
        >>> import torch
        >>> metric = TemporalFlickering(device='cpu')
        >>> metric.score(torch.zeros(8, 3, 16, 16, dtype=torch.uint8))['temporal_flickering']
        1.0
    """

    default_prefix = 'temporal_flickering'
    higher_is_better = True
    score_range = (0.0, 1.0)
    streams_frames = True  # consecutive pairs only: long videos are read in chunks sharing one frame

    def score_batch(self, videos: Sequence[torch.Tensor], samples: Sequence[dict]) -> list:
        """Score each video; videos shorter than 2 frames are :class:`Unscorable`."""
        scores = []
        for video in videos:
            if video.shape[0] < 2:
                scores.append(Unscorable(f'needs at least 2 frames, got {video.shape[0]}'))
                continue
            pairs = [pair_differences(chunk.to(self.device)) for chunk in iter_chunks(video, overlap=1)]
            mae = float(torch.cat(pairs).mean())
            scores.append(dict(temporal_flickering=flicker_score(mae), mae=mae))
        return scores
