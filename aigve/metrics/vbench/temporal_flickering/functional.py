"""VBench ``temporal_flickering`` (Huang et al., CVPR 2024; github.com/Vchitect/VBench, Apache-2.0).

.. math::
    \\mathrm{MAE} = \\frac{1}{T-1} \\sum_{t=1}^{T-1} \\operatorname{mean}_{c,h,w} |x_{t+1} - x_t|, \\qquad
    \\mathrm{score} = \\frac{255 - \\mathrm{MAE}}{255}

computed on uint8 frames (0-255). VBench averages the MAE over videos and maps the mean; the map is
linear, so the mean of per-video scores equals it.
"""
from __future__ import annotations

import torch


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
    frames = video.to(torch.int16)
    # per pair mean first (as VBench: mean of cv2.absdiff per pair), then mean over pairs
    per_pair = (frames[1:] - frames[:-1]).abs().flatten(1).to(torch.float64).mean(dim=1)
    return float(per_pair.mean())


def flicker_score(mae: float) -> float:
    """Map a mean absolute difference (0-255) to VBench's score in [0, 1]; 1 means no flicker."""
    return (255.0 - mae) / 255.0
