"""Pure frame-index choices shared by the pipeline steps and by metrics that sample internally."""
from __future__ import annotations

import math


def uniform_indices(num_frames: int, n: int) -> list[int]:
    """``n`` indices spread evenly over ``num_frames`` (segment centres, as mmaction2's test mode).

    Fewer than ``n`` frames gives every frame once (pad afterwards if a fixed length is needed).

    Examples:
        >>> uniform_indices(10, 5)
        [1, 3, 5, 7, 9]
        >>> uniform_indices(3, 5)
        [0, 1, 2]
    """
    if n <= 0:
        raise ValueError(f'`n` must be positive, but got {n}')
    if num_frames <= n:
        return list(range(num_frames))
    step = num_frames / n
    return [min(num_frames - 1, int(step * i + step / 2)) for i in range(n)]


def stride_indices(num_frames: int, stride: int, start: int = 0) -> list[int]:
    """Every ``stride``-th frame from ``start``.

    Examples:
        >>> stride_indices(7, 3)
        [0, 3, 6]
    """
    if stride <= 0:
        raise ValueError(f'`stride` must be positive, but got {stride}')
    return list(range(start, num_frames, stride))


def frames_within_seconds(num_frames: int, fps: float | None, max_seconds: float | None) -> int:
    """Number of leading frames that lie within ``max_seconds`` at the file's real ``fps``.

    Examples:
        >>> frames_within_seconds(100, 8.0, 2.0)
        16
        >>> frames_within_seconds(100, None, 2.0)
        100
    """
    if max_seconds is None or fps is None or fps <= 0:
        return num_frames
    return min(num_frames, max(1, math.floor(max_seconds * fps + 1e-9)))


def pad_indices(indices: list[int], n: int, mode: str = 'repeat_last') -> list[int]:
    """Pad ``indices`` to length ``n``: ``'repeat_last'`` repeats the last index, ``'loop'`` cycles.

    Examples:
        >>> pad_indices([0, 1, 2], 5)
        [0, 1, 2, 2, 2]
        >>> pad_indices([0, 1, 2], 5, 'loop')
        [0, 1, 2, 0, 1]
    """
    if not indices:
        raise ValueError('cannot pad an empty frame list: the video has no frames')
    if len(indices) >= n:
        return list(indices)
    if mode == 'repeat_last':
        return list(indices) + [indices[-1]] * (n - len(indices))
    if mode == 'loop':
        return [indices[i % len(indices)] for i in range(n)]
    raise ValueError(f"`pad` must be 'repeat_last' or 'loop', but got {mode!r}")
