"""VBench ``temporal_flickering`` (Huang et al., CVPR 2024; github.com/Vchitect/VBench, Apache-2.0).

.. math::
    \\mathrm{MAE} = \\frac{1}{T-1} \\sum_{t=1}^{T-1} \\operatorname{mean}_{c,h,w} |x_{t+1} - x_t|, \\qquad
    \\mathrm{score} = \\frac{255 - \\mathrm{MAE}}{255}

computed on uint8 frames (0-255). VBench averages the MAE over videos and maps the mean; the map is
linear, so the mean of per-video scores equals it.
"""
from __future__ import annotations

import torch


def pair_differences(video: torch.Tensor) -> torch.Tensor:
    """Mean absolute difference of each pair of consecutive frames of a ``(T, C, H, W)`` uint8 video.

    Returns:
        ``(T - 1,)`` float64 values in 0-255 units.

    Examples:
        >>> v = torch.zeros(3, 3, 2, 2, dtype=torch.uint8); v[1] = 255
        >>> pair_differences(v).tolist()
        [255.0, 255.0]
    """
    frames = video.to(torch.int16)
    # per pair mean first (as VBench: mean of cv2.absdiff per pair), then mean over pairs; exact integer sums
    # (no float64 copy of the differences, which would take 8x the video's memory)
    sums = (frames[1:] - frames[:-1]).abs_().flatten(1).sum(dim=1, dtype=torch.int64)
    return sums.to(torch.float64) / frames[0].numel()


def mean_abs_frame_difference(video: torch.Tensor) -> float:
    """Mean absolute difference of consecutive frames of a ``(T, C, H, W)`` uint8 video, in 0-255 units.

    Raises:
        ValueError: If the video has fewer than 2 frames.

    Examples:
        >>> v = torch.zeros(4, 3, 2, 2, dtype=torch.uint8); v[1::2] = 255
        >>> mean_abs_frame_difference(v)
        255.0
    """
    if video.ndim != 4 or video.shape[0] < 2:
        raise ValueError(f'`video` must be (T, C, H, W) with T >= 2, but got shape {tuple(video.shape)}')
    return float(pair_differences(video).mean())


def flicker_score(mae: float) -> float:
    """Map a mean absolute difference (0-255) to VBench's score in [0, 1]; 1 means no flicker."""
    return (255.0 - mae) / 255.0
