"""VBench ``dynamic_degree`` math (Huang et al., CVPR 2024; github.com/Vchitect/VBench ``vbench/dynamic_degree.py``,
Apache-2.0), as pure functions.

Per pair of sampled frames, the score is the mean of the largest 5% optical-flow magnitudes of the padded
flow; a video is dynamic when enough pairs exceed a resolution-scaled threshold:

.. math::
    s_k = \\operatorname{mean}\\, \\operatorname{top}_{\\lfloor 0.05\\, H' W' \\rfloor} \\lVert F_k \\rVert, \\qquad
    \\tau = 6 \\cdot \\frac{\\min(H, W)}{256}, \\qquad
    n = \\operatorname{round}\\!\\left(4 \\cdot \\frac{T'}{16}\\right), \\qquad
    \\mathrm{dynamic} \\iff \\#\\{k : s_k > \\tau\\} \\ge n

with ``H' x W'`` the padded flow size, ``H x W`` the frame size, ``T'`` the number of frames sampled at
stride ``max(1, round(fps / 8))``, and Python's ``round`` (half to even) as VBench uses it.
"""
from __future__ import annotations

from collections.abc import Sequence

import torch

__all__ = ['dynamic_thresholds', 'frame_stride', 'is_dynamic', 'moving_pairs', 'sampled_positions',
           'top_fraction_mean']


def frame_stride(fps: float) -> int:
    """VBench's frame interval ``max(1, round(fps / 8))`` (about 8 frames per second).

    Raises:
        ValueError: If ``fps`` is not a positive number.

    Examples:
        >>> [frame_stride(f) for f in (8, 12, 20, 24, 30, 60)]
        [1, 2, 2, 3, 4, 8]
    """
    if not isinstance(fps, (int, float)) or isinstance(fps, bool) or not fps > 0:
        raise ValueError(f'`fps` must be a positive number, but got {fps!r}')
    return max(1, round(fps / 8))


def sampled_positions(num_frames: int, fps: float) -> list[int]:
    """Frames VBench's ``extract_frame`` keeps: ``0, s, 2s, ...`` with ``s = frame_stride(fps)``.

    Examples:
        >>> sampled_positions(10, 24)
        [0, 3, 6, 9]
    """
    return list(range(0, int(num_frames), frame_stride(fps)))


def dynamic_thresholds(height: int, width: int, num_frames: int) -> tuple[float, int]:
    """VBench's ``set_params``: ``(thres, count_num) = (6 * min(H, W) / 256, round(4 * T' / 16))``.

    ``height`` and ``width`` are the unpadded frame size; ``num_frames`` the number of sampled frames.

    Examples:
        >>> dynamic_thresholds(320, 512, 16)
        (7.5, 4)
        >>> dynamic_thresholds(320, 512, 10)  # round(2.5) == 2 (half to even, as Python's round)
        (7.5, 2)
    """
    scale = min(int(height), int(width))
    return 6.0 * (scale / 256.0), round(4 * (int(num_frames) / 16.0))


def top_fraction_mean(flow: torch.Tensor, fraction: float) -> torch.Tensor:
    """Per flow field, the mean of its ``int(H * W * fraction)`` largest magnitudes (VBench's ``get_score``).

    Inputs:
        ``flow``: ``(N, 2, H, W)`` flow (``u``, ``v``); ``H x W`` is the size the magnitudes are counted on
        (VBench: the padded size).

    Args:
        flow: Flow fields.
        fraction: Share of the pixels kept (``dynamic_degree``: 0.05, static filter: 0.02).

    Returns:
        ``(N,)`` float64; NaN where ``int(H * W * fraction)`` is 0 (VBench's mean of an empty array).

    Examples:
        >>> flow = torch.zeros(1, 2, 4, 5); flow[0, 0, 0, 0] = 3.0; flow[0, 1, 0, 0] = 4.0
        >>> top_fraction_mean(flow, 0.05).tolist()  # int(20 * 0.05) = 1: the single largest magnitude
        [5.0]
    """
    if not isinstance(flow, torch.Tensor) or flow.ndim != 4 or flow.shape[1] != 2:
        shape = tuple(flow.shape) if isinstance(flow, torch.Tensor) else type(flow).__name__
        raise ValueError(f'`flow` must be a (N, 2, H, W) tensor, but got {shape}')
    n, _, h, w = flow.shape
    k = int(h * w * fraction)  # exactly VBench's expression (float product, then int)
    if k <= 0:
        return torch.full((n, ), float('nan'), dtype=torch.float64)
    magnitude = torch.sqrt(flow[:, 0].float().square() + flow[:, 1].float().square()).flatten(1)
    return magnitude.topk(k, dim=1).values.double().mean(dim=1).cpu()


def moving_pairs(scores: Sequence[float] | torch.Tensor, thres: float) -> int:
    """How many pair scores exceed ``thres`` (strictly; NaN never does)."""
    return sum(1 for s in torch.as_tensor(scores, dtype=torch.float64).tolist() if s > thres)


def is_dynamic(scores: Sequence[float] | torch.Tensor, thres: float, count_num: int) -> bool:
    """VBench's ``check_move``: True once the number of pairs above ``thres`` reaches ``count_num``.

    VBench checks after every pair, so with ``count_num <= 0`` any video with at least one pair is dynamic, and
    a video without pairs never is.

    Examples:
        >>> is_dynamic([8.0, 1.0, 9.0], thres=7.5, count_num=2)
        True
        >>> is_dynamic([0.0, 0.0], thres=7.5, count_num=0)
        True
        >>> is_dynamic([], thres=7.5, count_num=0)
        False
    """
    values = torch.as_tensor(scores, dtype=torch.float64)
    if values.numel() == 0:
        return False
    return count_num <= 0 or moving_pairs(values, thres) >= count_num
