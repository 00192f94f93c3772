"""Videos too large to hold whole: sampled frames decoded on demand, chunk by chunk.

:class:`~aigve.datasets.transforms.DecodeFrames` hands a metric a :class:`LazyVideo` instead of a
``(T, C, H, W)`` uint8 tensor when the sampled frames would take more than its ``max_bytes``. A
``LazyVideo`` holds only the path, the backend and the frame indices, so it crosses from DataLoader workers to
the main process for free; frames are decoded when the metric reads them.

Metrics that look at frames one at a time or in pairs (per-frame embeddings, frame differences, per-frame
Inception features) set ``streams_frames = True`` and read their input with :func:`iter_chunks`, which yields
a tensor as it is and a ``LazyVideo`` as consecutive chunks, decoding the next chunk in a background thread
while the caller works on the current one (decord and PyAV release the GIL). Peak memory is then about two
chunks, whatever the video's length. Every other metric receives the whole video (:func:`materialize`).

Examples:
    >>> import torch
    >>> video = torch.zeros(5, 3, 4, 4, dtype=torch.uint8)
    >>> [c.shape[0] for c in iter_chunks(video)]
    [5]
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import torch

__all__ = ['LazyVideo', 'frame_batches', 'in_batches', 'iter_chunks', 'materialize', 'subset', 'take_frames']


class LazyVideo:
    """The sampled frames of one video file, decoded on demand.

    Behaves like the ``(T, 3, H, W)`` uint8 video it stands for where metrics look at its size: ``shape``,
    ``dtype``, ``ndim``, ``len()``.

    Args:
        path: The video file or frame folder.
        indices: Frame indices to read, in order (repeats allowed).
        height: Frame height after rotation metadata.
        width: Frame width.
        backend: Decoding backend, as :func:`aigve.utils.video_io.open_video` takes it. Defaults to ``'auto'``.
        chunk_frames: Frames decoded at a time. Defaults to 64.
    """

    dtype = torch.uint8
    ndim = 4

    def __init__(self, path: str, indices: Sequence[int], height: int, width: int, backend: str = 'auto',
                 chunk_frames: int = 64) -> None:
        if chunk_frames < 1:
            raise ValueError(f'`chunk_frames` must be >= 1, but got {chunk_frames}')
        self.path, self.backend = path, backend
        self.indices = [int(i) for i in indices]
        self.height, self.width = int(height), int(width)
        self.chunk_frames = int(chunk_frames)

    @property
    def shape(self) -> torch.Size:
        return torch.Size((len(self.indices), 3, self.height, self.width))

    def __len__(self) -> int:
        return len(self.indices)

    def dim(self) -> int:
        return 4

    def select(self, positions: Sequence[int]) -> LazyVideo:
        """The frames at ``positions`` (indices into this video), still lazy."""
        return LazyVideo(self.path, [self.indices[p] for p in positions], self.height, self.width,
                         self.backend, self.chunk_frames)

    def chunks(self, overlap: int = 0) -> Iterator[torch.Tensor]:
        """Yield ``(t, 3, H, W)`` uint8 chunks in order; each repeats the previous chunk's last ``overlap`` frames.

        The next chunk is decoded in a background thread while the caller uses the current one.
        """
        from aigve.utils.memory import release_free_memory
        from aigve.utils.video_io import open_video

        if not 0 <= overlap < self.chunk_frames:
            raise ValueError(f'`overlap` must be in [0, {self.chunk_frames}), but got {overlap}')
        starts = _chunk_starts(len(self.indices), self.chunk_frames, overlap)
        with open_video(self.path, backend=self.backend) as reader, ThreadPoolExecutor(max_workers=1) as pool:
            def decode(start: int) -> torch.Tensor:
                frames = reader.get_frames(self.indices[start:start + self.chunk_frames])
                return torch.from_numpy(frames).permute(0, 3, 1, 2).contiguous()

            pending = pool.submit(decode, starts[0]) if starts else None
            for k in range(len(starts)):
                if k:
                    release_free_memory()  # the chunks before the caller's current one are gone: keep RSS flat
                chunk = pending.result()
                pending = pool.submit(decode, starts[k + 1]) if k + 1 < len(starts) else None
                yield chunk

    def materialize(self) -> torch.Tensor:
        """Decode every frame into one ``(T, 3, H, W)`` uint8 tensor."""
        if not self.indices:
            return torch.empty(0, 3, self.height, self.width, dtype=torch.uint8)
        return torch.cat(list(self.chunks()))

    def __repr__(self) -> str:
        return (f'LazyVideo(path={self.path!r}, frames={len(self.indices)}, size={self.height}x{self.width}, '
                f'chunk_frames={self.chunk_frames})')


def _chunk_starts(n: int, size: int, overlap: int) -> list[int]:
    """Start positions of chunks of ``size`` frames over ``n`` frames, consecutive chunks sharing ``overlap``."""
    if n == 0:
        return []
    starts, step = [0], size - overlap
    while starts[-1] + size < n:
        starts.append(starts[-1] + step)
    return starts


def iter_chunks(video: Any, overlap: int = 0) -> Iterator[torch.Tensor]:
    """Yield a video's frames in order: a tensor whole, a :class:`LazyVideo` chunk by chunk.

    Args:
        video: ``(T, C, H, W)`` tensor or :class:`LazyVideo`.
        overlap: Frames each chunk repeats from the end of the previous one (1 for metrics on consecutive
            pairs). Defaults to 0.
    """
    if isinstance(video, LazyVideo):
        yield from video.chunks(overlap)
    else:
        yield video


def materialize(video: Any) -> Any:
    """The whole video as a tensor (a tensor or None is returned as it is)."""
    return video.materialize() if isinstance(video, LazyVideo) else video


def subset(video: Any, positions: Sequence[int]) -> Any:
    """The frames at ``positions``, of the same kind: a tensor is indexed, a :class:`LazyVideo` stays lazy."""
    if isinstance(video, LazyVideo):
        return video.select(positions)
    return video[list(positions)]


def take_frames(video: Any, positions: Sequence[int]) -> torch.Tensor:
    """The frames at ``positions`` as a ``(len, C, H, W)`` tensor; a :class:`LazyVideo` decodes only those."""
    return materialize(subset(video, positions))


def frame_batches(videos: Sequence[Any], batch_size: int,
                  same_size: bool = False) -> Iterator[tuple[list[torch.Tensor], list[int]]]:
    """Group the frames of several videos, in order, into batches of at most ``batch_size`` frames.

    Batches run across video boundaries, so short videos share model passes; lazy videos are decoded chunk by
    chunk as the batches need them.

    Args:
        videos: ``(T_i, C, H, W)`` tensors or :class:`LazyVideo` s.
        batch_size: Frames per batch.
        same_size: Start a new batch where the frame size changes (for models that take one stacked tensor).
            Defaults to False.

    Yields:
        ``(frames, owners)``: ``(C, H, W)`` frames and, per frame, the position of its video in ``videos``.

    Examples:
        >>> vids = [torch.zeros(3, 3, 2, 2, dtype=torch.uint8), torch.zeros(2, 3, 2, 2, dtype=torch.uint8)]
        >>> [owners for _, owners in frame_batches(vids, 4)]
        [[0, 0, 0, 1], [1]]
    """
    frames: list[torch.Tensor] = []
    owners: list[int] = []
    for i, video in enumerate(videos):
        for chunk in iter_chunks(video):
            for frame in chunk.unbind(0):
                if frames and (len(frames) == batch_size or (same_size and frame.shape != frames[0].shape)):
                    yield frames, owners
                    frames, owners = [], []
                frames.append(frame)
                owners.append(i)
    if frames:
        yield frames, owners


def in_batches(items: Any, batch_size: int, fn: Callable[[torch.Tensor], torch.Tensor]) -> torch.Tensor:
    """``fn`` over consecutive stacks of at most ``batch_size`` items; the outputs concatenated along dim 0.

    ``items`` is a tensor (sliced along dim 0), a :class:`LazyVideo` (decoded chunk by chunk into the same
    slices) or a list of equally shaped tensors (stacked per slice, so only one slice is stacked at a time).
    An empty list gives an empty tensor.

    Examples:
        >>> in_batches([torch.ones(2, 3)] * 3, 2, lambda x: x.sum((1, 2))).tolist()
        [6.0, 6.0, 6.0]
        >>> in_batches(torch.arange(5), 2, lambda x: x * 10).tolist()
        [0, 10, 20, 30, 40]
    """
    if isinstance(items, LazyVideo):
        parts = [fn(torch.stack(frames)) for frames, _ in frame_batches([items], batch_size)]
    elif isinstance(items, torch.Tensor):
        parts = [fn(items[i:i + batch_size]) for i in range(0, items.shape[0], batch_size)]
    else:
        parts = [fn(torch.stack(items[i:i + batch_size])) for i in range(0, len(items), batch_size)]
    return torch.cat(parts, dim=0) if parts else torch.empty(0)
