"""Pure frame-index choices shared by the pipeline steps and by metrics that sample internally."""
from __future__ import annotations

import math
from typing import Any

import torch

from aigve.utils.lazy_video import LazyVideo


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


def middle_indices(num_frames: int, n: int) -> list[int]:
    """VBench's ``get_frame_indices(n, num_frames, 'middle')``: the middle of ``min(n, num_frames)`` equal parts.

    Part edges are ``numpy.linspace(0, num_frames, k + 1).astype(int)`` and each index is
    ``(start + end - 1) // 2`` of its part, exactly as VBench computes them (padding to ``n`` is separate).

    Examples:
        >>> middle_indices(100, 16)
        [2, 8, 14, 21, 27, 33, 39, 46, 52, 58, 64, 71, 77, 83, 89, 96]
        >>> middle_indices(3, 8)
        [0, 1, 2]
    """
    import numpy as np

    if n <= 0:
        raise ValueError(f'`n` must be positive, but got {n}')
    parts = min(n, num_frames)
    if parts <= 0:
        return []
    edges = np.linspace(0, num_frames, parts + 1).astype(int).tolist()
    return [(start + end - 1) // 2 for start, end in zip(edges[:-1], edges[1:])]


def arange_indices(num_frames: int, n: int) -> list[int]:
    """VideoScore's ``np.arange(0, num_frames, num_frames / n).astype(int)`` when longer than ``n``, else all.

    Examples:
        >>> arange_indices(24, 16)
        [0, 1, 3, 4, 6, 7, 9, 10, 12, 13, 15, 16, 18, 19, 21, 22]
        >>> arange_indices(5, 8)
        [0, 1, 2, 3, 4]
    """
    import numpy as np

    if n <= 0:
        raise ValueError(f'`n` must be positive, but got {n}')
    if num_frames <= n:
        return list(range(num_frames))
    return np.arange(0, num_frames, num_frames / n).astype(int).tolist()


def segment_offsets(num_frames: int, n: int) -> list[int]:
    """mPLUG-Owl-video's ``get_index``: ``int(seg / 2) + int(round(seg * k))``, ``seg = (num_frames - 1) / n``.

    Used by VideoPhy; ``round`` is NumPy's (halves to even), as upstream's ``np.round``.

    Examples:
        >>> segment_offsets(33, 4)
        [4, 12, 20, 28]
        >>> segment_offsets(1, 3)
        [0, 0, 0]
    """
    import numpy as np

    if n <= 0:
        raise ValueError(f'`n` must be positive, but got {n}')
    if num_frames <= 0:
        return []
    seg = float(num_frames - 1) / n
    return [int(seg / 2) + int(np.round(seg * k)) for k in range(n)]


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


#: Frame-selection strategies of :func:`select_frames`.
STRATEGIES = ('all', 'first', 'uniform', 'middle', 'arange', 'segments')
#: Padding modes of :func:`select_frames` (None: a short video stays short).
PAD_MODES = (None, 'repeat_last', 'loop')


def select_frames(total: int, *, num_frames: int | None = None, strategy: str = 'all', stride: int = 1,
                  max_seconds: float | None = None, fps: float | None = None, pad: str | None = None) -> list[int]:
    """Indices of the frames to read from a video of ``total`` frames: the one frame selector of aigve.

    Used by the pipeline step :class:`~aigve.datasets.transforms.SampleFrames` and by metrics that choose
    their own frames (FVD's clip). In order: keep the frames within ``max_seconds`` at the file's real
    ``fps``, take every ``stride``-th of them, then ``'all'`` of those, the ``'first'`` ``num_frames`` or
    ``num_frames`` spread ``'uniform'``-ly (segment centres) or VBench's ``'middle'`` way; finally pad to
    ``num_frames`` when ``pad`` is
    set. A video too short for ``num_frames`` without ``pad`` gives fewer indices (the caller decides);
    a video with no frames gives ``[]`` even with ``pad``.

    Args:
        total: Number of frames of the video.
        num_frames: Frames to keep (``'all'`` ignores it except as the padding target). Defaults to None.
        strategy: ``'all'``, ``'first'``, ``'uniform'``, ``'middle'`` (VBench's sampling, see
            :func:`middle_indices`; VBench pads with ``pad='repeat_last'``), ``'arange'`` (VideoScore's, see
            :func:`arange_indices`) or ``'segments'`` (mPLUG-Owl-video's, see :func:`segment_offsets`; always
            ``num_frames`` indices, repeating frames of a short video). Defaults to ``'all'``.
        stride: Keep every ``stride``-th frame first. Defaults to 1.
        max_seconds: Only the first ``max_seconds`` seconds (needs ``fps``). Defaults to None.
        fps: The video's frame rate. Defaults to None.
        pad: ``None``, ``'repeat_last'`` or ``'loop'``. Defaults to None.

    Returns:
        list[int]: Frame indices, in reading order (repeated when padded).

    Raises:
        ValueError: On an unknown ``strategy`` or ``pad``, a non-positive ``stride``, or a missing
            ``num_frames`` where one is needed.

    Examples:
        >>> select_frames(20, num_frames=4, strategy='first', stride=2)
        [0, 2, 4, 6]
        >>> select_frames(10, num_frames=2, strategy='uniform')
        [2, 7]
        >>> select_frames(3, num_frames=4, strategy='first')
        [0, 1, 2]
        >>> select_frames(3, num_frames=4, strategy='first', pad='loop')
        [0, 1, 2, 0]
    """
    check_frame_selection(num_frames=num_frames, strategy=strategy, stride=stride, pad=pad)
    idx = stride_indices(frames_within_seconds(total, fps, max_seconds), stride)
    if strategy == 'first':
        idx = idx[:num_frames]
    elif strategy == 'uniform':
        idx = [idx[i] for i in uniform_indices(len(idx), num_frames)] if idx else []
    elif strategy == 'middle':
        idx = [idx[i] for i in middle_indices(len(idx), num_frames)]
    elif strategy == 'arange':
        idx = [idx[i] for i in arange_indices(len(idx), num_frames)]
    elif strategy == 'segments':
        idx = [idx[i] for i in segment_offsets(len(idx), num_frames)]
    if pad is not None and idx:
        idx = pad_indices(idx, num_frames, pad)
    return idx


def check_frame_selection(*, num_frames: int | None = None, strategy: str = 'all', stride: int = 1,
                          pad: str | None = None) -> None:
    """Check the arguments of :func:`select_frames` (for constructors that fail early).

    Raises:
        ValueError: On an unknown ``strategy`` or ``pad``, a non-positive ``stride``, a missing or
            non-positive ``num_frames`` for ``'first'``/``'uniform'``, or ``pad`` without ``num_frames``.
    """
    if strategy not in STRATEGIES:
        raise ValueError(f'`strategy` must be one of {STRATEGIES}, but got {strategy!r}')
    if strategy != 'all' and (num_frames is None or num_frames <= 0):
        raise ValueError(f'`num_frames` must be a positive int for strategy {strategy!r}, but got {num_frames}')
    if pad not in PAD_MODES:
        raise ValueError(f"`pad` must be None, 'repeat_last' or 'loop', but got {pad!r}")
    if pad is not None and num_frames is None:
        raise ValueError('`pad` needs `num_frames`')
    if not isinstance(stride, int) or isinstance(stride, bool) or stride <= 0:
        raise ValueError(f'`stride` must be a positive int, but got {stride!r}')


def check_video(video: Any, name: str = 'video', *, min_frames: int = 1) -> Any:
    """Check the one video layout of aigve: ``(T, 3, H, W)`` uint8 RGB, a tensor or a ``LazyVideo``.

    Args:
        video: A ``torch.Tensor`` or a :class:`~aigve.utils.lazy_video.LazyVideo`.
        name: How the message names it. Defaults to ``'video'``.
        min_frames: Fewest frames accepted (0 lets the caller report an empty video itself). Defaults to 1.

    Returns:
        The video, unchanged.

    Raises:
        TypeError: If ``video`` is neither a tensor nor a ``LazyVideo``.
        ValueError: If its shape, dtype or frame count is wrong.
    """
    expected = f'`{name}` must be a (T, 3, H, W) uint8 RGB video with T >= {min_frames}, but got '
    if not isinstance(video, (torch.Tensor, LazyVideo)):
        raise TypeError(expected + type(video).__name__)
    shape = tuple(video.shape)
    if len(shape) != 4 or shape[1] != 3 or shape[0] < min_frames or video.dtype != torch.uint8:
        raise ValueError(expected + f'{type(video).__name__} of shape {shape} and dtype {video.dtype}')
    return video
