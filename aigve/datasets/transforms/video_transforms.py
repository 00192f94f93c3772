"""Video pipeline steps (run in DataLoader workers).

A typical pipeline::

    pipeline = [
        dict(type='OpenVideo'),                                  # generated video (+ reference when listed)
        dict(type='SampleFrames', num_frames=16, strategy='uniform'),
        dict(type='DecodeFrames'),
        dict(type='PackVideoInputs'),
    ]

Every step handles the generated video and, when present, the reference video (keys prefixed ``ref_``),
each by its own length and fps.
"""
from __future__ import annotations

import os

import numpy as np
import torch

from aigve.registry import TRANSFORMS
from aigve.utils.frames import check_frame_selection, select_frames
from aigve.utils.lazy_video import LazyVideo

PREFIXES = ('', 'ref_')


def _present(results: dict) -> list[str]:
    """Prefixes ('' generated, 'ref_' reference) of the videos opened in ``results``."""
    return [p for p in PREFIXES if results.get(f'{p}video_reader') is not None]


@TRANSFORMS.register_module()
class OpenVideo:
    """Open the generated video and, if listed and wanted, the reference video.

    Adds ``video_reader``, ``num_frames``, ``fps``, ``video_sha256`` (content hash: the key of the run journal
    and of feature caches) and their ``ref_*`` twins. Decoding happens in :class:`DecodeFrames`, after
    :class:`SampleFrames` chose the frames.

    Args:
        backend: ``'auto'`` (decord, then PyAV when decord is missing or fails), ``'decord'``, ``'pyav'``
            or ``'frames'``. Defaults to ``'auto'``.
        with_reference: Also open ``ref_video_path`` when the entry has one. Defaults to True.
        allowed_roots: Folders every video must resolve inside (symlinks followed) when it is opened; a video
            outside them is refused with ``PermissionError``. The service sets them. Defaults to None (any).
    """

    def __init__(self, backend: str = 'auto', with_reference: bool = True,
                 allowed_roots: list[str] | None = None) -> None:
        self.backend = backend
        self.with_reference = with_reference
        self.allowed_roots = [os.path.realpath(r) for r in allowed_roots] if allowed_roots is not None else None

    def __call__(self, results: dict) -> dict:
        from aigve.utils.hashing import file_sha256
        from aigve.utils.video_io import open_video

        paths = [('', results['video_path'])]
        if self.with_reference and results.get('ref_video_path'):
            paths.append(('ref_', results['ref_video_path']))
        for prefix, path in paths:
            if self.allowed_roots is not None:
                real = os.path.realpath(path)
                if not any(real == r or real.startswith(r.rstrip(os.sep) + os.sep) for r in self.allowed_roots):
                    raise PermissionError(f'`{prefix}video_path` {path} resolves to {real}, outside the allowed '
                                          f'roots {self.allowed_roots}')
            reader = open_video(path, backend=self.backend)
            results[f'{prefix}video_reader'] = reader
            results[f'{prefix}num_frames'] = reader.num_frames
            results[f'{prefix}fps'] = reader.fps
            results[f'{prefix}video_sha256'] = file_sha256(path)
        return results


@TRANSFORMS.register_module()
class SampleFrames:
    """Choose frame indices (deterministically) for each opened video.

    Order of operations: keep the frames within ``max_seconds`` (at the file's real fps), take every
    ``stride``-th of them, then ``'all'`` of those, the ``'first'`` ``num_frames``, or ``num_frames``
    ``'uniform'``-ly spread; finally pad to ``num_frames`` when ``pad`` is set and the video is short.

    Args:
        num_frames: Frames to keep (ignored by ``'all'``). Defaults to None.
        strategy: ``'all'``, ``'first'`` or ``'uniform'``. Defaults to ``'all'``.
        stride: Keep every ``stride``-th frame first. Defaults to 1.
        max_seconds: Only the first ``max_seconds`` seconds. Defaults to None (whole video).
        pad: ``None`` (short videos stay short), ``'repeat_last'`` or ``'loop'``. Defaults to None.
    """

    def __init__(self, num_frames: int | None = None, strategy: str = 'all', stride: int = 1,
                 max_seconds: float | None = None, pad: str | None = None) -> None:
        check_frame_selection(num_frames=num_frames, strategy=strategy, stride=stride, pad=pad)
        self.num_frames, self.strategy, self.stride = num_frames, strategy, stride
        self.max_seconds, self.pad = max_seconds, pad

    def indices(self, num_frames: int, fps: float | None) -> list[int]:
        """Frame indices for a video of ``num_frames`` frames at ``fps`` (:func:`~aigve.utils.frames.select_frames`)."""
        return select_frames(num_frames, num_frames=self.num_frames, strategy=self.strategy, stride=self.stride,
                             max_seconds=self.max_seconds, fps=fps, pad=self.pad)

    def __call__(self, results: dict) -> dict:
        for prefix in _present(results):
            results[f'{prefix}frame_inds'] = self.indices(results[f'{prefix}num_frames'], results[f'{prefix}fps'])
        return results


@TRANSFORMS.register_module()
class DecodeFrames:
    """Decode the chosen frames (all frames when no sampler ran) into ``(T, H, W, 3)`` uint8 RGB arrays.

    Adds ``frames`` (and ``ref_frames``) and closes the readers. A video whose chosen frames would take more
    than ``max_bytes`` is not decoded here: it becomes a :class:`~aigve.utils.lazy_video.LazyVideo`, which
    metrics read in chunks of at most ``max_bytes / 2`` (the chunk in use and the one being decoded), so a
    long or high-resolution video is never held whole by a metric that does not need it whole.

    Args:
        max_bytes: Largest decoded size (``T * H * W * 3``) held whole; None always decodes whole.
            Defaults to 256 MiB (about 40 frames of 1080p, 120 of 720p, 1300 of 256x256).
    """

    def __init__(self, max_bytes: int | None = 256 * 2**20) -> None:
        if max_bytes is not None and max_bytes < 1:
            raise ValueError(f'`max_bytes` must be a positive int or None, but got {max_bytes!r}')
        self.max_bytes = max_bytes

    def __call__(self, results: dict) -> dict:
        from aigve.utils.video_io import VideoReadError

        for prefix in _present(results):
            reader = results.pop(f'{prefix}video_reader')
            try:
                inds = results.get(f'{prefix}frame_inds')
                if inds is None:
                    inds = list(range(reader.num_frames))
                if not inds:
                    raise VideoReadError(f'{reader.path}: no frames to decode (the video has 0 frames)')
                frame_bytes = 3 * reader.height * reader.width
                if self.max_bytes is not None and len(inds) * frame_bytes > self.max_bytes:
                    chunk = max(2, self.max_bytes // (2 * frame_bytes))
                    results[f'{prefix}frames'] = LazyVideo(reader.path, inds, reader.height, reader.width,
                                                           getattr(reader, 'backend', 'auto'), chunk)
                else:
                    results[f'{prefix}frames'] = reader.get_frames(inds)
            finally:
                reader.close()
        return results


@TRANSFORMS.register_module()
class PackVideoInputs:
    """Pack into ``dict(inputs=(T, C, H, W) uint8 tensor, data_samples=dict(...))`` (see BaseVideoDataset)."""

    def __call__(self, results: dict) -> dict:
        def to_tensor(frames: np.ndarray | LazyVideo | None) -> torch.Tensor | LazyVideo | None:
            if frames is None or isinstance(frames, LazyVideo):
                return frames
            return torch.from_numpy(np.ascontiguousarray(frames)).permute(0, 3, 1, 2).contiguous()

        sample = dict(
            video=results['video'],
            video_id=results.get('video_id'),
            prompt=results.get('prompt'),
            ref_video=to_tensor(results.get('ref_frames')),
            ref_video_path=results.get('ref_video_path'),
            video_path=results.get('video_path'),
            video_sha256=results.get('video_sha256'),
            ref_video_sha256=results.get('ref_video_sha256'),
            fps=results.get('fps'),
            frame_inds=results.get('frame_inds'),
            ref_frame_inds=results.get('ref_frame_inds'),
            meta=results.get('meta', {}),
        )
        return dict(inputs=to_tensor(results['frames']), data_samples=sample)
