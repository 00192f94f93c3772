"""VBench ``motion_smoothness`` as pure functions (Huang et al., CVPR 2024; github.com/Vchitect/VBench, Apache-2.0).

Read from VBench's ``vbench/motion_smoothness.py`` and ``third_party/amt/utils/utils.py``:

* every frame of the video is read; the even frames ``0, 2, 4, ...`` go to the interpolator, which predicts
  the frame halfway between each consecutive pair; prediction ``k`` (between frames ``2k`` and ``2k+2``) is
  compared with the original frame ``2k+1`` (:func:`interpolation_triplets`);
* frames are ``uint8 / 255`` in float32, replicate-padded to multiples of 16 (:func:`pad_amounts`,
  :func:`pad_frames`), predicted, cropped back (:func:`unpad_frames`) and turned back into uint8 by
  ``(x * 255)`` *truncated* (:func:`to_uint8`);
* per pair the mean over pixels and channels of ``|predicted - original|`` in uint8 (``cv2.absdiff``,
  :func:`abs_diff_means`); per video the mean over pairs ``m`` and

.. math::
    \\mathrm{motion\\_smoothness} = \\frac{255 - m}{255}

The aggregate is the mean over videos.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = ['abs_diff_means', 'interpolation_triplets', 'pad_amounts', 'pad_frames', 'smoothness_score',
           'to_uint8', 'unpad_frames']


def interpolation_triplets(num_frames: int) -> list[tuple[int, int, int]]:
    """VBench's pairing: ``(first, second, compared)`` frame indices ``(2k, 2k + 2, 2k + 1)``.

    With ``E = ceil(T / 2)`` even frames there are ``E - 1`` predictions. For an odd ``T`` every odd frame is
    compared; for an even ``T`` the last frame (odd, ``T - 1``) has no even frame after it and is not used.
    VBench refuses a video with fewer than two even frames (``T < 3``); here that gives an empty list.

    Examples:
        >>> interpolation_triplets(5)
        [(0, 2, 1), (2, 4, 3)]
        >>> interpolation_triplets(6)
        [(0, 2, 1), (2, 4, 3)]
        >>> interpolation_triplets(2)
        []
    """
    if num_frames < 0:
        raise ValueError(f'`num_frames` must be >= 0, but got {num_frames}')
    evens = (num_frames + 1) // 2
    return [(2 * k, 2 * k + 2, 2 * k + 1) for k in range(evens - 1)]


def pad_amounts(height: int, width: int, divisor: int = 16) -> tuple[int, int, int, int]:
    """``(left, right, top, bottom)`` replicate padding that makes both sides multiples of ``divisor``.

    As AMT's ``InputPadder``: the padding of each side is split, the smaller half first.

    Examples:
        >>> pad_amounts(100, 90)
        (3, 3, 6, 6)
        >>> pad_amounts(99, 64)
        (0, 0, 6, 7)
    """
    if height < 1 or width < 1 or divisor < 1:
        raise ValueError(f'sizes and `divisor` must be >= 1, but got {height}x{width} and {divisor}')
    pad_h = -height % divisor
    pad_w = -width % divisor
    return pad_w // 2, pad_w - pad_w // 2, pad_h // 2, pad_h - pad_h // 2


def pad_frames(frames: torch.Tensor, pads: tuple[int, int, int, int]) -> torch.Tensor:
    """Replicate-pad ``(B, C, H, W)`` float frames by ``(left, right, top, bottom)``."""
    if not any(pads):
        return frames
    return F.pad(frames, list(pads), mode='replicate')


def unpad_frames(frames: torch.Tensor, pads: tuple[int, int, int, int]) -> torch.Tensor:
    """Crop what :func:`pad_frames` added.

    Examples:
        >>> x = torch.zeros(1, 3, 100, 90)
        >>> p = pad_amounts(100, 90)
        >>> tuple(pad_frames(x, p).shape), tuple(unpad_frames(pad_frames(x, p), p).shape)
        ((1, 3, 112, 96), (1, 3, 100, 90))
    """
    left, right, top, bottom = pads
    h, w = frames.shape[-2:]
    return frames[..., top:h - bottom, left:w - right]


def to_uint8(frames: torch.Tensor) -> torch.Tensor:
    """VBench's ``tensor2img``: ``(x * 255)`` clipped to [0, 255] and *truncated* to uint8 (no rounding).

    Examples:
        >>> to_uint8(torch.tensor([0.0, 0.5, 0.999, 1.0, 1.5])).tolist()
        [0, 127, 254, 255, 255]
    """
    return (frames * 255.0).clamp(0.0, 255.0).to(torch.uint8)


def abs_diff_means(predicted: torch.Tensor, original: torch.Tensor) -> torch.Tensor:
    """Per pair, the mean over pixels and channels of ``|predicted - original|`` of uint8 frames.

    ``cv2.absdiff`` of two uint8 images followed by ``np.mean``; computed with exact integer sums.

    Args:
        predicted: ``(B, C, H, W)`` uint8.
        original: ``(B, C, H, W)`` uint8.

    Returns:
        ``(B,)`` float64, in 0-255 units.

    Examples:
        >>> a = torch.tensor([[[[10, 200]]]], dtype=torch.uint8); b = torch.tensor([[[[13, 100]]]], dtype=torch.uint8)
        >>> abs_diff_means(a, b).tolist()
        [51.5]
    """
    if predicted.shape != original.shape or predicted.ndim != 4:
        raise ValueError(f'`predicted` and `original` must be (B, C, H, W) of one shape, but got '
                         f'{tuple(predicted.shape)} and {tuple(original.shape)}')
    diff = (predicted.to(torch.int16) - original.to(torch.int16)).abs_()
    sums = diff.flatten(1).sum(dim=1, dtype=torch.int64)
    return sums.to(torch.float64) / predicted[0].numel()


def smoothness_score(mean_abs_diff: float) -> float:
    """Map the mean absolute difference (0-255) between predicted and real frames to ``(255 - m) / 255``."""
    return (255.0 - mean_abs_diff) / 255.0
