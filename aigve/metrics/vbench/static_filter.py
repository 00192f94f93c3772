"""VBench's static-video filter (``static_filter.py`` of github.com/Vchitect/VBench, Apache-2.0).

VBench scores ``temporal_flickering`` only on videos this filter keeps. It runs RAFT (20 iterations, padded
frames) on every pair of consecutive frames, plus the pairs (first, last) and (last, first); per pair the score
is the mean of the largest 2% flow magnitudes. With ``T`` the number of frames (all of them),

.. math::
    \\tau = 3 \\cdot \\frac{\\min(H, W)}{256}, \\qquad n = \\operatorname{round}\\!\\left(2 \\cdot \\frac{T}{16}\\right)

a video is static iff at most ``n`` consecutive pairs score above ``tau`` and neither first/last pair scores
above ``2 n tau`` (so with ``n = 0`` any motion between the first and last frame makes it non-static).
VBench then keeps at most 5 static videos per prompt; that selection belongs to the prompt suite, not here.

The RAFT loader and the flow scoring are those of ``dynamic_degree``
(:mod:`aigve.metrics.vbench.dynamic_degree`).
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import torch
from torch import nn

from aigve.utils.lazy_video import take_frames

from .dynamic_degree.flow import consecutive_pairs, pair_flow_scores

__all__ = ['STATIC_TOP_FRACTION', 'StaticFilter', 'is_static', 'static_thresholds']

#: VBench's share of the largest flow magnitudes averaged per pair in the static filter.
STATIC_TOP_FRACTION = 0.02


def static_thresholds(height: int, width: int, num_frames: int) -> tuple[float, int]:
    """VBench's static-filter ``set_params``: ``(3 * min(H, W) / 256, round(2 * T / 16))``.

    Examples:
        >>> static_thresholds(320, 512, 16)
        (3.75, 2)
    """
    scale = min(int(height), int(width))
    return 3.0 * (scale / 256.0), round(2 * (int(num_frames) / 16.0))


def is_static(consecutive: Sequence[float] | torch.Tensor, first_last: Sequence[float] | torch.Tensor,
              thres: float, count_num: int) -> bool:
    """VBench's ``check_static`` given the consecutive-pair scores and the two (first, last) pair scores.

    Examples:
        >>> is_static([4.0, 0.1, 0.2], [0.5, 0.5], thres=3.75, count_num=2)
        True
        >>> is_static([4.0, 4.0, 4.0], [0.5, 0.5], thres=3.75, count_num=2)
        False
        >>> is_static([0.0], [20.0, 0.0], thres=3.75, count_num=2)
        False
    """
    moving = sum(1 for s in torch.as_tensor(consecutive, dtype=torch.float64).tolist() if s > thres)
    if moving > count_num:
        return False
    limit = thres * count_num * 2
    return not any(s > limit for s in torch.as_tensor(first_last, dtype=torch.float64).tolist())


def _first_last_pairs(video: Any) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    ends = take_frames(video, [0, int(video.shape[0]) - 1])
    yield ends, ends.flip(0)  # (first, last) and (last, first)


class StaticFilter:
    """VBench's static-video decision for a batch of videos (RAFT batched across them).

    Args:
        net: The RAFT module (see :func:`aigve.metrics.vbench.dynamic_degree.flow_model`).
        device: Where RAFT runs.
        num_flow_updates: RAFT iterations (VBench: 20). Defaults to 20.
        batch_size: Frame pairs per RAFT call. Defaults to 8.
    """

    def __init__(self, net: nn.Module, device: torch.device | str, num_flow_updates: int = 20,
                 batch_size: int = 8) -> None:
        self.net, self.device = net, device
        self.num_flow_updates, self.batch_size = num_flow_updates, batch_size

    def scores(self, videos: Sequence[Any]) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """Per video ``(consecutive-pair scores, (first, last) and (last, first) scores)``, every frame used."""
        streams: list = []
        for video in videos:
            streams.append(consecutive_pairs(video))
            streams.append(_first_last_pairs(video))
        out = pair_flow_scores(self.net, streams, fraction=STATIC_TOP_FRACTION, device=self.device,
                               num_flow_updates=self.num_flow_updates, batch_size=self.batch_size)
        return [(out[2 * i], out[2 * i + 1]) for i in range(len(videos))]

    def __call__(self, videos: Sequence[Any]) -> list[bool]:
        """Whether each ``(T, 3, H, W)`` video (``T >= 2``, every frame) is static by VBench's rule."""
        decisions = []
        for video, (consecutive, first_last) in zip(videos, self.scores(videos)):
            thres, count_num = static_thresholds(int(video.shape[-2]), int(video.shape[-1]), int(video.shape[0]))
            decisions.append(is_static(consecutive, first_last, thres, count_num))
        return decisions
