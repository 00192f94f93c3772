"""Write small synthetic test videos with PyAV (and folders of frames with Pillow).

Encoders used here are all bundled in the PyAV 18 wheel (checked with ``av.codec.Codec(name, 'w')``):
``libx264``, ``libx264rgb``, ``mpeg4``, ``libvpx``, ``libvpx-vp9``, ``mjpeg``, ``gif``, ``ffv1``, ``png``,
``libsvtav1`` (AV1; the wheel decodes AV1 with ``libdav1d``).

``LOSSLESS`` lists the (codec, pix_fmt, options) settings that give back the exact RGB pixels:
``libx264rgb`` at ``crf 0`` (stored as planar GBR), ``ffv1`` in ``bgr0`` (both in mkv) and ``png`` in
``rgb24`` (mov or avi: the Matroska muxer here refuses png).
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

#: Default pixel format per encoder, for the lossy ones: what real-world files use.
DEFAULT_PIX_FMT = {
    'libx264': 'yuv420p',
    'libx264rgb': 'rgb24',
    'mpeg4': 'yuv420p',
    'libvpx': 'yuv420p',
    'libvpx-vp9': 'yuv420p',
    'mjpeg': 'yuvj420p',
    'gif': 'rgb8',
    'ffv1': 'bgr0',
    'png': 'rgb24',
    'libsvtav1': 'yuv420p',
}

#: Lossless settings: decoding gives back the exact uint8 RGB frames.
LOSSLESS = {
    'libx264rgb': {'pix_fmt': 'rgb24', 'options': {'crf': '0', 'preset': 'ultrafast'}},
    'ffv1': {'pix_fmt': 'bgr0', 'options': {}},
    'png': {'pix_fmt': 'rgb24', 'options': {}},
}


def synthetic_frames(num_frames: int = 12, height: int = 48, width: int = 64, seed: int = 0,
                     noise: int = 0) -> np.ndarray:
    """Smooth moving colour gradients plus a moving square, ``(T, H, W, 3)`` uint8 RGB.

    Every frame differs from the others (the pattern moves by a few pixels per frame), so a reader that
    returns the wrong frame index fails a pixel comparison. ``noise`` adds uniform integer noise in
    ``[-noise, noise]`` (seeded), which makes chroma subsampling lossy at every pixel.
    """
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    frames = np.empty((num_frames, height, width, 3), dtype=np.float32)
    for t in range(num_frames):
        frames[t, ..., 0] = 128 + 100 * np.sin((xx + 3 * t) / 9.0)
        frames[t, ..., 1] = 128 + 100 * np.cos((yy - 2 * t) / 11.0)
        frames[t, ..., 2] = (xx + yy + 8 * t) * 255.0 / (width + height + 8 * num_frames)
        y0, x0 = (4 + 2 * t) % max(1, height - 12), (4 + 3 * t) % max(1, width - 12)
        frames[t, y0:y0 + 10, x0:x0 + 10] = (250, 240, 20)
    if noise:
        frames += rng.integers(-noise, noise + 1, size=frames.shape)
    return np.clip(np.rint(frames), 0, 255).astype(np.uint8)


def write_video(path: str | os.PathLike, frames: np.ndarray, fps: float = 8, codec: str = 'libx264',
                pix_fmt: str | None = None, options: dict[str, str] | None = None,
                container_options: dict[str, str] | None = None, rotation: int = 0) -> Path:
    """Encode ``frames`` (``(T, H, W, 3)`` uint8 RGB) into ``path``; the container follows the suffix.

    Args:
        path: Output file; ``.mp4 .mov .mkv .webm .avi .m4v .gif`` pick the muxer.
        frames: ``(T, H, W, 3)`` uint8 RGB.
        fps: Frame rate. Defaults to 8.
        codec: A PyAV encoder name. Defaults to ``'libx264'``.
        pix_fmt: Encoder pixel format; ``DEFAULT_PIX_FMT[codec]`` when None. Defaults to None.
        options: Encoder options, e.g. ``{'crf': '0'}``. Defaults to None.
        container_options: Muxer options, e.g. ``{'movflags': 'faststart'}``. Defaults to None.
        rotation: Display rotation in degrees (counter-clockwise) stored as metadata. Defaults to 0.

    Returns:
        Path: ``path``.
    """
    from fractions import Fraction

    import av

    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
        raise ValueError(f'`frames` must be (T, H, W, 3) uint8, but got {frames.shape} {frames.dtype}')
    path = Path(path)
    with av.open(str(path), 'w', options=container_options or {}) as container:
        stream = container.add_stream(codec, rate=Fraction(fps).limit_denominator(1001), options=options or {})
        stream.width, stream.height = frames.shape[2], frames.shape[1]
        stream.pix_fmt = pix_fmt or DEFAULT_PIX_FMT.get(codec, 'yuv420p')
        if rotation:
            stream.set_display_rotation(rotation)
        for rgb in frames:
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format='rgb24')
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    return path


def write_lossless(path: str | os.PathLike, frames: np.ndarray, fps: float = 8, codec: str = 'libx264rgb') -> Path:
    """Encode losslessly with one of ``LOSSLESS`` (mkv for libx264rgb/ffv1, mov or avi for png)."""
    return write_video(path, frames, fps=fps, codec=codec, **LOSSLESS[codec])


def write_frames_folder(folder: str | os.PathLike, frames: np.ndarray, ext: str = 'png',
                        pattern: str = 'frame_{}') -> Path:
    """Save each frame as ``<pattern>.<ext>`` with unpadded numbers (``frame_2`` < ``frame_10`` naturally)."""
    from PIL import Image

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for i, rgb in enumerate(frames):
        Image.fromarray(rgb).save(folder / f'{pattern.format(i)}.{ext}')
    return folder


def lazy_copy(video, folder: str | os.PathLike, name: str, chunk_frames: int = 3):
    """Write a ``(T, 3, H, W)`` uint8 tensor losslessly and return a ``LazyVideo`` of it (same frames, decoded in
    chunks of ``chunk_frames``): for checking that a metric gives the same numbers streaming a long video."""
    from aigve.utils.lazy_video import LazyVideo

    path = write_lossless(Path(folder) / f'{name}.mkv', video.permute(0, 2, 3, 1).numpy())
    t, _, h, w = video.shape
    return LazyVideo(str(path), list(range(t)), h, w, 'auto', chunk_frames)
