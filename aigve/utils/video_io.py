"""Video decoding: one reader interface over decord, PyAV and folders of frames.

Every reader returns frames as ``(N, H, W, 3)`` uint8 RGB numpy arrays, indexed in presentation order.

Backends:

* ``'decord'`` (the ``eva-decord`` wheel, ``import decord``): seeks, so random access is cheap.
* ``'pyav'`` (PyAV): decodes sequentially up to the largest requested index and keeps only the
  requested frames. It reads every container FFmpeg reads, including GIF and AV1, which decord cannot.
* ``'frames'``: a folder of ``png/jpg/jpeg/bmp/webp`` images sorted naturally by name
  (``frame_2.png`` before ``frame_10.png``). A folder has no frame rate, so ``fps`` is ``None``.
* ``'auto'`` (default): a folder uses ``'frames'``; a file uses decord, and PyAV when decord is not
  installed or fails on the file, at open or at decode time.

OpenCV is never used to decode: on AV1 files ``cv2.VideoCapture`` silently returns 0 frames.

A still image is not a video, whatever its extension: FFmpeg would decode a PNG renamed ``.mp4`` as a
one-frame video, so every backend refuses a file whose first bytes are an image format's (PNG, JPEG, WebP,
BMP, TIFF, AVIF/HEIC, see :func:`image_format`) with "not a video (it is a PNG image)". Animations FFmpeg
decodes (GIF, APNG) are videos. Images are passed as a folder of frames.

Frame count and frame rate:

* ``num_frames`` counts the video packets in the file (decord builds the same packet index), not the
  header's ``nb_frames``, which is missing in Matroska/WebM and can be wrong after truncation.
* ``fps`` is the stream's average frame rate. For GIF it is ``num_frames / total duration`` from the
  per-frame delays (GIF delays are in 1/100 s, so a GIF written at 8 fps reads back as about 7.95).
  A folder of frames gives ``None``.
* Rotation metadata (display matrix) is applied by both backends, so a 90-degree phone video comes
  out upright, with ``height``/``width`` swapped accordingly.

Decoding parity between decord and PyAV (bit-exact for 8-bit 4:2:0 video with even sizes, not for odd sizes
or high bit depth) was measured; the figures are in ``docs/video_decoding.md``.

Examples:
    >>> from aigve.utils.video_io import open_video, read_video
    >>> with open_video('clip.mp4') as reader:  # doctest: +SKIP
    ...     frames = reader.get_frames([0, 4, 8])  # (3, H, W, 3) uint8 RGB
    >>> frames, fps = read_video('clip.mp4')  # doctest: +SKIP
"""
from __future__ import annotations

import logging
import operator
import os
import re
from collections.abc import Sequence
from typing import Any, TypeVar

import numpy as np

from aigve.utils.imports import is_available

__all__ = [
    'BACKENDS',
    'IMAGE_EXTENSIONS',
    'VIDEO_EXTENSIONS',
    'VideoReadError',
    'VideoReader',
    'image_format',
    'natural_sort_key',
    'open_video',
    'read_video'
]

VIDEO_EXTENSIONS = ('.mp4', '.mov', '.webm', '.mkv', '.avi', '.m4v', '.gif')
IMAGE_EXTENSIONS = ('.png', '.jpg', '.jpeg', '.bmp', '.webp')
BACKENDS = ('auto', 'decord', 'pyav', 'frames')
_IMAGE_FIX = 'to evaluate images, put the frames of each video in a folder of their own and pass the folder'

_DECORD_LOG_PREFIX = re.compile(r'\[\d{2}:\d{2}:\d{2}\]\s+\S+:\d+:\s*')
_ERRNO_PREFIX = re.compile(r'^\[Errno -?\d+\]\s*')
_MAX_CAUSE_CHARS = 240
_ReaderT = TypeVar('_ReaderT', bound='VideoReader')


class VideoReadError(RuntimeError):
    """A video could not be read. The message is one line: ``<path>: <cause>[; <fix>]``."""


def _error(path: str, cause: str, fix: str | None = None) -> VideoReadError:
    """Build a one-line :class:`VideoReadError` naming ``path``, the cause and the fix."""
    text = f'{path}: {cause}' + (f'; {fix}' if fix else '')
    return VideoReadError(' '.join(text.split()))


def _clean_cause(exc: BaseException, path: str | None = None) -> str:
    """First meaningful line of a decord/PyAV exception, without log prefixes, errno or the path again."""
    text = str(exc).split('Stack trace', 1)[0]
    lines = [_DECORD_LOG_PREFIX.sub('', line).strip() for line in text.splitlines()]
    lines = [line for line in lines if line]
    cause = _ERRNO_PREFIX.sub('', lines[0]) if lines else type(exc).__name__
    if path:
        cause = cause.replace(f": '{path}'", '').replace(path, 'the file')
    if len(cause) > _MAX_CAUSE_CHARS:
        cause = cause[:_MAX_CAUSE_CHARS - 3] + '...'
    return cause


def _open_failure(path: str, exc: BaseException, backend: str) -> VideoReadError:
    """Translate a library error raised while opening or decoding ``path`` into a VideoReadError."""
    cause = _clean_cause(exc, path)
    low = cause.lower()
    if 'moov atom not found' in low:
        return _error(path, f'file is truncated or incomplete ({backend}: {cause})',
                      'the download or export did not finish; re-download or re-export the video')
    if 'invalid data' in low or 'end of file' in low or 'read_frame failed' in low:
        return _error(path, f'file is truncated, corrupt or not a video ({backend}: {cause})',
                      're-export the video or check that the file is a video')
    fix = "try backend='auto' or 'pyav', or " if backend == 'decord' else ''
    return _error(path, f'cannot decode the file with {backend} ({cause})', fix + 're-export the video as H.264 mp4')


def natural_sort_key(name: str) -> tuple:
    """Sort key that orders embedded numbers by value: ``f2.png`` < ``f10.png``.

    Examples:
        >>> sorted(['f10.png', 'f2.png', 'F1.png'], key=natural_sort_key)
        ['F1.png', 'f2.png', 'f10.png']
    """
    parts = re.split(r'(\d+)', name)
    return tuple(int(p) if i % 2 else p.lower() for i, p in enumerate(parts))


def _to_rgb_numpy(batch: Any) -> np.ndarray:
    """decord returns its own NDArray (or a torch tensor when a bridge is set); make it numpy."""
    if hasattr(batch, 'asnumpy'):
        return batch.asnumpy()
    if hasattr(batch, 'numpy'):
        return batch.cpu().numpy() if hasattr(batch, 'cpu') else batch.numpy()
    return np.asarray(batch)


class VideoReader:
    """Common interface of every backend. Create one with :func:`open_video`.

    Attributes:
        path (str): The file or folder that was opened.
        backend (str): ``'decord'``, ``'pyav'`` or ``'frames'`` (the backend actually decoding).
        num_frames (int): Number of frames in the video (at least 1).
        fps (float | None): The file's average frame rate; ``None`` for a folder of frames.
        height (int): Frame height in pixels, after applying rotation metadata.
        width (int): Frame width in pixels, after applying rotation metadata.
    """

    path: str
    backend: str
    num_frames: int
    fps: float | None
    height: int
    width: int

    def get_frames(self, indices: Sequence[int]) -> np.ndarray:
        """Decode the frames at ``indices`` (any order, repeats allowed).

        Args:
            indices: Frame indices in ``[0, num_frames)``.

        Returns:
            np.ndarray: ``(len(indices), height, width, 3)`` uint8 RGB.

        Raises:
            TypeError: If an index is not an integer.
            IndexError: If an index is outside ``[0, num_frames)``.
            VideoReadError: If decoding fails.
        """
        idx = self._check_indices(indices)
        if not idx:
            return np.empty((0, self.height, self.width, 3), dtype=np.uint8)
        return self._read(idx)

    def _read(self, indices: list[int]) -> np.ndarray:
        raise NotImplementedError

    def close(self) -> None:
        """Release the decoder (idempotent)."""

    def _check_indices(self, indices: Sequence[int]) -> list[int]:
        try:
            idx = [operator.index(i) for i in indices]
        except TypeError as e:
            raise TypeError(f'`indices` must be a sequence of integers, but got {indices!r}') from e
        bad = [i for i in idx if not 0 <= i < self.num_frames]
        if bad:
            raise IndexError(f'`indices` must be in [0, {self.num_frames}) for {self.path}, '
                             f'but got {bad[:5]}')
        return idx

    def __len__(self) -> int:
        return self.num_frames

    def __enter__(self: _ReaderT) -> _ReaderT:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(path={self.path!r}, backend={self.backend!r}, '
                f'num_frames={self.num_frames}, fps={self.fps}, size={self.height}x{self.width})')


def _load_pyav_first() -> None:
    """Load PyAV's FFmpeg before decord's bundled one.

    decord ships its own FFmpeg 4.1 libraries; once they are loaded first, PyAV's libvpx-vp9 encoder (and
    possibly other shared codec libraries) fails with EINVAL in the same process. Loading PyAV first keeps
    both working.
    """
    try:
        import av  # noqa: F401
    except ImportError:
        pass


class _DecordReader(VideoReader):
    """decord backend: seeks to each requested frame."""

    def __init__(self, path: str) -> None:
        _load_pyav_first()
        import decord

        self.path, self.backend = path, 'decord'
        try:
            self._vr = decord.VideoReader(path, ctx=decord.cpu(0), num_threads=0)
            self.num_frames = len(self._vr)
            if self.num_frames < 1:
                raise _error(path, 'the video stream has no frames', 're-export the video')
            first = _to_rgb_numpy(self._vr.get_batch([0]))
            fps = float(self._vr.get_avg_fps())
        except VideoReadError:
            raise
        except Exception as e:  # decord raises DECORDError / RuntimeError with C++ log text
            raise _open_failure(path, e, 'decord') from e
        self.fps = fps if np.isfinite(fps) and fps > 0 else None
        self.height, self.width = int(first.shape[1]), int(first.shape[2])

    def _read(self, indices: list[int]) -> np.ndarray:
        try:
            frames = _to_rgb_numpy(self._vr.get_batch(indices))
        except Exception as e:
            raise _open_failure(self.path, e, 'decord') from e
        return np.ascontiguousarray(frames, dtype=np.uint8)

    def close(self) -> None:
        self._vr = None


class _PyAVReader(VideoReader):
    """PyAV backend: counts packets at open, decodes sequentially on each request."""

    def __init__(self, path: str) -> None:
        import av

        self._av = av
        self.path, self.backend = path, 'pyav'
        try:
            with av.open(path) as container:
                if not container.streams.video:
                    kinds = sorted({s.type for s in container.streams}) or ['none']
                    raise _error(path, f'no video stream in the file (streams: {", ".join(kinds)})',
                                 'pass a video file')
                stream = container.streams.video[0]
                count, ticks = 0, 0
                for packet in container.demux(stream):
                    if packet.size:
                        count += 1
                        ticks += packet.duration or 0
                self.num_frames = count
                self.fps = self._frame_rate(stream, container.format.name, count, ticks)
            if count < 1:
                raise _error(path, 'the video stream has no frames', 're-export the video')
            with av.open(path) as container:
                first = next(container.decode(container.streams.video[0]), None)
                if first is None:
                    raise _error(path, 'no frame could be decoded from the video stream',
                                 're-export the video')
                self._rotation = round(getattr(first, 'rotation', 0) / 90.0) % 4
                self._coded = (first.height, first.width)
        except VideoReadError:
            raise
        except (av.FFmpegError, OSError, ValueError) as e:
            raise _open_failure(path, e, 'pyav') from e
        rotated = self._rotation % 2 == 1
        self.height, self.width = self._coded[::-1] if rotated else self._coded

    @staticmethod
    def _frame_rate(stream: Any, format_name: str, count: int, ticks: int) -> float | None:
        seconds = float(ticks * stream.time_base) if stream.time_base and ticks else 0.0
        if format_name == 'gif' or stream.codec_context.name == 'gif':
            return count / seconds if seconds > 0 else None
        for rate in (stream.average_rate, stream.guessed_rate):
            if rate and float(rate) > 0:
                return float(rate)
        return count / seconds if seconds > 0 else None

    def _to_rgb(self, frame: Any) -> np.ndarray:
        if (frame.height, frame.width) != self._coded:  # mid-stream size change: decord rescales too
            frame = frame.reformat(width=self._coded[1], height=self._coded[0])
        rgb = frame.to_ndarray(format='rgb24')
        if self._rotation:
            rgb = np.rot90(rgb, k=self._rotation)
        return np.ascontiguousarray(rgb)

    def _read(self, indices: list[int]) -> np.ndarray:
        wanted: dict[int, list[int]] = {}
        for pos, i in enumerate(indices):
            wanted.setdefault(i, []).append(pos)
        out = np.empty((len(indices), self.height, self.width, 3), dtype=np.uint8)
        last, decoded = max(wanted), 0
        try:
            with self._av.open(self.path) as container:
                stream = container.streams.video[0]
                stream.thread_type = 'AUTO'
                for k, frame in enumerate(container.decode(stream)):
                    decoded = k + 1
                    if k in wanted:
                        rgb = self._to_rgb(frame)
                        for pos in wanted[k]:
                            out[pos] = rgb
                    if k >= last:
                        break
        except (self._av.FFmpegError, OSError, ValueError) as e:
            raise _open_failure(self.path, e, 'pyav') from e
        if decoded <= last:
            raise _error(self.path, f'only {decoded} of {self.num_frames} frames could be decoded, '
                         f'but frame {last} was requested', 'the file is probably truncated; re-export it')
        return out


class _FramesReader(VideoReader):
    """A folder of images, one per frame, sorted naturally by file name."""

    def __init__(self, path: str) -> None:
        self.path, self.backend, self.fps = path, 'frames', None
        names = [n for n in os.listdir(path) if n.lower().endswith(IMAGE_EXTENSIONS)]
        if not names:
            raise _error(path, f'folder contains no {"/".join(e[1:] for e in IMAGE_EXTENSIONS)} images',
                         'put the frames of one video in this folder')
        self._files = [os.path.join(path, n) for n in sorted(names, key=natural_sort_key)]
        self.num_frames = len(self._files)
        self.height, self.width = self._load(0).shape[:2]

    def _load(self, i: int) -> np.ndarray:
        from PIL import Image

        try:
            with Image.open(self._files[i]) as img:
                rgb = np.asarray(img.convert('RGB'), dtype=np.uint8)
        except (OSError, ValueError) as e:
            raise _error(self._files[i], f'cannot read frame image ({_clean_cause(e)})',
                         'replace or remove the broken image') from e
        if i and rgb.shape[:2] != (self.height, self.width):
            raise _error(self._files[i], f'frame size {rgb.shape[0]}x{rgb.shape[1]} differs from the first '
                         f'frame {self.height}x{self.width}', 'all frames of a video must have one size')
        return rgb

    def _read(self, indices: list[int]) -> np.ndarray:
        cache = {i: self._load(i) for i in dict.fromkeys(indices)}
        return np.stack([cache[i] for i in indices])


class _AutoReader(VideoReader):
    """decord first; PyAV when decord is missing or fails on the file at open or decode time."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._impl: VideoReader
        if is_available('decord') and not _is_gif(path):  # decord cannot read GIF at all
            try:
                self._impl = _DecordReader(path)
                return
            except VideoReadError as e:
                self._log_fallback(e)
        self._impl = _PyAVReader(path)

    def _log_fallback(self, exc: VideoReadError) -> None:
        from mmengine.logging import print_log

        print_log(f'decord failed, decoding with PyAV instead: {exc}', logger='current', level=logging.DEBUG)

    backend = property(lambda self: self._impl.backend)  # type: ignore[assignment]
    num_frames = property(lambda self: self._impl.num_frames)  # type: ignore[assignment]
    fps = property(lambda self: self._impl.fps)  # type: ignore[assignment]
    height = property(lambda self: self._impl.height)  # type: ignore[assignment]
    width = property(lambda self: self._impl.width)  # type: ignore[assignment]

    def _read(self, indices: list[int]) -> np.ndarray:
        try:
            return self._impl._read(indices)
        except VideoReadError as e:
            if self._impl.backend != 'decord':
                raise
            self._log_fallback(e)
            self._impl.close()
            self._impl = _PyAVReader(self.path)
            return self._impl._read(indices)

    def close(self) -> None:
        self._impl.close()


def _is_gif(path: str) -> bool:
    with open(path, 'rb') as fh:
        return fh.read(4) == b'GIF8'


_BMP_HEADER_SIZES = (12, 16, 40, 52, 56, 64, 108, 124)  # the DIB header variants
_HEIF_BRANDS = {b'avif': 'AVIF', b'heic': 'HEIC', b'heix': 'HEIC', b'heim': 'HEIC', b'heis': 'HEIC',
                b'mif1': 'HEIF'}  # still-image brands only; image sequences (avis, msf1, hevc) are videos


def _is_animated_png(fh: Any) -> bool:
    """Whether the PNG open at offset 8 has an ``acTL`` chunk before its first ``IDAT`` (an APNG)."""
    for _ in range(256):
        header = fh.read(8)
        if len(header) < 8 or header[4:8] in (b'IDAT', b'IEND'):
            return False
        if header[4:8] == b'acTL':
            return True
        fh.seek(int.from_bytes(header[:4], 'big') + 4, os.SEEK_CUR)  # chunk data and CRC
    return False


def image_format(path: str | os.PathLike) -> str | None:
    """The still-image format of a file, from its first bytes (magic numbers), whatever its extension.

    A still image renamed ``.mp4`` would otherwise decode as a one-frame video. Animated formats that
    FFmpeg decodes as videos (GIF, APNG) are not still images and give ``None``.

    Args:
        path: A file.

    Returns:
        str | None: ``'PNG'``, ``'JPEG'``, ``'WebP'``, ``'BMP'``, ``'TIFF'``, ``'AVIF'``, ``'HEIC'`` or
        ``'HEIF'``; ``None`` for anything else (videos included).

    Raises:
        OSError: If the file cannot be read.

    Examples:
        >>> image_format('frame.png')  # doctest: +SKIP
        'PNG'
        >>> image_format('clip.mp4') is None  # doctest: +SKIP
        True
    """
    with open(path, 'rb') as fh:
        head = fh.read(32)
        if head.startswith(b'\x89PNG\r\n\x1a\n'):
            fh.seek(8)
            return None if _is_animated_png(fh) else 'PNG'
    if head.startswith(b'\xff\xd8\xff'):
        return 'JPEG'
    if head[:4] == b'RIFF' and head[8:12] == b'WEBP':
        return 'WebP'
    if (head[:2] == b'BM' and len(head) >= 18 and head[6:10] == bytes(4)
            and int.from_bytes(head[14:18], 'little') in _BMP_HEADER_SIZES):
        return 'BMP'
    if head[:4] in (b'II*\x00', b'MM\x00*', b'II+\x00', b'MM\x00+'):  # TIFF and BigTIFF
        return 'TIFF'
    if head[4:8] == b'ftyp':
        return _HEIF_BRANDS.get(head[8:12])
    return None


_BACKEND_CLASSES = {'decord': _DecordReader, 'pyav': _PyAVReader, 'frames': _FramesReader}
_BACKEND_MODULES = {'decord': ('decord', 'pip install eva-decord'), 'pyav': ('av', 'pip install av')}


def open_video(path: str | os.PathLike, backend: str = 'auto') -> VideoReader:
    """Open a video file or a folder of frames for decoding.

    Args:
        path: A video file (mp4, mov, webm, mkv, avi, m4v, gif, or anything FFmpeg reads) or a folder
            of png/jpg/jpeg/bmp/webp frames.
        backend: ``'auto'``, ``'decord'``, ``'pyav'`` or ``'frames'`` (see the module docstring).
            Defaults to ``'auto'``.

    Returns:
        VideoReader: Use ``get_frames(indices)``; close it (or use ``with``) when done.

    Raises:
        ValueError: If ``backend`` is unknown.
        ImportError: If the requested backend's library is not installed.
        VideoReadError: If the path is missing, empty, truncated, not a video (a still image, whatever
            its extension: see :func:`image_format`), has no frames, or does not fit the backend (a
            folder with ``'decord'``, a file with ``'frames'``).
    """
    if backend not in BACKENDS:
        raise ValueError(f'`backend` must be one of {BACKENDS}, but got {backend!r}')
    path = os.fspath(path)
    if not os.path.exists(path):
        where = '' if os.path.isabs(path) else f' (relative paths start at {os.getcwd()})'
        raise _error(path, 'file not found', f'check the path{where}')
    if os.path.isdir(path):
        if backend not in ('auto', 'frames'):
            raise _error(path, f"is a folder, which backend '{backend}' cannot read",
                         "use backend='frames' or 'auto' for a folder of frames")
        return _FramesReader(path)
    if backend == 'frames':
        raise _error(path, "is a file, but backend 'frames' reads folders of images",
                     "use backend='auto', 'decord' or 'pyav'")
    if os.path.getsize(path) == 0:
        raise _error(path, 'file is empty (0 bytes)', 're-export the video')
    try:
        still = image_format(path)
    except OSError as e:
        raise _error(path, f'cannot read the file ({_clean_cause(e, path)})', 'check its permissions') from e
    if still:
        raise _error(path, f'not a video (it is a {still} image)', _IMAGE_FIX)
    if backend == 'auto':
        if not (is_available('decord') or is_available('av')):
            raise ImportError('reading videos requires decord or PyAV; install one with: '
                              'pip install eva-decord av')
        return _AutoReader(path)
    module, hint = _BACKEND_MODULES[backend]
    if not is_available(module):
        raise ImportError(f"backend '{backend}' requires `{module}`; install it with: {hint}")
    return _BACKEND_CLASSES[backend](path)


def read_video(path: str | os.PathLike,
               indices: Sequence[int] | None = None,
               backend: str = 'auto') -> tuple[np.ndarray, float | None]:
    """Decode a whole video (or the frames at ``indices``) in one call.

    Args:
        path: A video file or a folder of frames (see :func:`open_video`).
        indices: Frame indices to decode; ``None`` decodes every frame. Defaults to None.
        backend: See :func:`open_video`. Defaults to ``'auto'``.

    Returns:
        tuple[np.ndarray, float | None]: ``(N, H, W, 3)`` uint8 RGB frames and the frame rate
        (``None`` for a folder of frames).

    Raises:
        VideoReadError: If the video cannot be read (see :func:`open_video`).
    """
    with open_video(path, backend=backend) as reader:
        wanted = range(reader.num_frames) if indices is None else indices
        return reader.get_frames(wanted), reader.fps
