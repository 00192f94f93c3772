"""Tests of aigve.utils.video_io: containers x backends, decord/PyAV parity, fallback, failures."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from helpers.videos import LOSSLESS, synthetic_frames, write_frames_folder, write_video

from aigve.utils import video_io
from aigve.utils.video_io import VideoReadError, natural_sort_key, open_video, read_video

FIXTURES = Path('/work/shared/fixtures')
T, H, W, FPS = 12, 48, 64, 8

# (file name, write_video kwargs, backends that read it, lossless?)
CASES = [
    ('h264.mp4', {}, ('decord', 'pyav'), False),
    ('h264.mov', {}, ('decord', 'pyav'), False),
    ('h264.mkv', {}, ('decord', 'pyav'), False),
    ('h264.m4v', {}, ('decord', 'pyav'), False),
    ('vp9.webm', {'codec': 'libvpx-vp9'}, ('decord', 'pyav'), False),
    ('vp8.webm', {'codec': 'libvpx'}, ('decord', 'pyav'), False),
    ('mpeg4.avi', {'codec': 'mpeg4'}, ('decord', 'pyav'), False),
    ('mjpeg.avi', {'codec': 'mjpeg'}, ('decord', 'pyav'), False),
    ('anim.gif', {'codec': 'gif'}, ('pyav',), False),  # decord cannot read GIF
    ('av1.mp4', {'codec': 'libsvtav1'}, ('pyav',), False),  # decord's FFmpeg 4.1 has no AV1 decoder
    ('x264rgb.mkv', dict(codec='libx264rgb', **LOSSLESS['libx264rgb']), ('decord', 'pyav'), True),
    ('ffv1.mkv', dict(codec='ffv1', **LOSSLESS['ffv1']), ('decord', 'pyav'), True),
    ('png.mov', dict(codec='png', **LOSSLESS['png']), ('decord', 'pyav'), True),
]
# Lossy codecs: every decoded frame must be closest to its own source frame, and the mean abs error
# small. Measured mean errors on these 48x64 clips: 3-6 for the YUV codecs (colour edges of the moving
# square under 4:2:0), about 16 for GIF (256-colour palette); the bounds leave headroom.
LOSSY_MEAN_TOL = {'anim.gif': 24.0}
LOSSY_MEAN_TOL_DEFAULT = 10.0


@pytest.fixture(scope='module')
def source() -> np.ndarray:
    return synthetic_frames(T, H, W, seed=0)


@pytest.fixture(scope='module')
def videos(tmp_path_factory: pytest.TempPathFactory, source: np.ndarray) -> Path:
    folder = tmp_path_factory.mktemp('videos')
    for name, kwargs, _, _ in CASES:
        write_video(folder / name, source, fps=FPS, **kwargs)
    write_frames_folder(folder / 'frames', source)
    return folder


def _one_line_naming(err: pytest.ExceptionInfo, name: str) -> str:
    msg = str(err.value)
    assert '\n' not in msg, msg
    assert name in msg, msg
    return msg


# ----------------------------------------------------------------------------- containers x backends
@pytest.mark.parametrize('backend', ['auto', 'decord', 'pyav'])
@pytest.mark.parametrize('name,kwargs,backends,lossless', CASES, ids=[c[0] for c in CASES])
def test_container_reads_back(videos: Path, source: np.ndarray, name: str, kwargs: dict, backends: tuple,
                              lossless: bool, backend: str) -> None:
    path = videos / name
    if backend != 'auto' and backend not in backends:
        with pytest.raises(VideoReadError) as err:
            open_video(path, backend=backend)
        _one_line_naming(err, name)
        return
    with open_video(path, backend=backend) as reader:
        assert reader.backend == (backends[0] if backend == 'auto' else backend)
        assert (reader.num_frames, reader.height, reader.width) == (T, H, W)
        frames = reader.get_frames(range(reader.num_frames))
    assert frames.shape == (T, H, W, 3) and frames.dtype == np.uint8
    if name.endswith('.gif'):  # GIF delays are centiseconds: 8 fps is stored as 13/12/13... -> 12 / 1.51 s
        assert reader.fps == pytest.approx(FPS, abs=0.1)
    else:
        assert reader.fps == pytest.approx(FPS, abs=1e-6)
    if lossless:
        np.testing.assert_array_equal(frames, source)
        return
    err = np.abs(frames.astype(np.float64)[:, None] - source.astype(np.float64)[None]).mean(axis=(2, 3, 4))
    np.testing.assert_array_equal(err.argmin(axis=1), np.arange(T))  # right frame at the right index
    assert err.diagonal().mean() < LOSSY_MEAN_TOL.get(name, LOSSY_MEAN_TOL_DEFAULT)


def test_frames_folder_natural_order_exact_pixels(videos: Path, source: np.ndarray) -> None:
    folder = videos / 'frames'
    assert (folder / 'frame_10.png').exists()  # lexicographic order would put it before frame_2
    (folder / 'notes.txt').write_text('not a frame')
    reader = open_video(folder)
    assert (reader.backend, reader.num_frames, reader.fps, reader.height, reader.width) == ('frames', T, None, H, W)
    np.testing.assert_array_equal(reader.get_frames(range(T)), source)
    np.testing.assert_array_equal(reader.get_frames([11, 2, 2]), source[[11, 2, 2]])
    frames, fps = read_video(folder, backend='frames')
    assert fps is None and frames.shape == (T, H, W, 3)


def test_frames_folder_jpg_and_upper_case(tmp_path: Path, source: np.ndarray) -> None:
    write_frames_folder(tmp_path, source[:3], ext='JPG', pattern='{}')
    frames, _ = read_video(tmp_path)
    assert frames.shape == (3, H, W, 3)
    assert np.abs(frames.astype(int) - source[:3]).mean() < 6  # JPEG quality 75


def test_natural_sort_key() -> None:
    names = ['f10.png', 'f2.png', 'f1.png', 'g0.png', 'F3.png']
    assert sorted(names, key=natural_sort_key) == ['f1.png', 'f2.png', 'F3.png', 'f10.png', 'g0.png']


# ----------------------------------------------------------------------------- random access
@pytest.mark.parametrize('backend', ['decord', 'pyav', 'frames'])
def test_random_access_matches_full_decode(videos: Path, backend: str) -> None:
    path = videos / ('frames' if backend == 'frames' else 'h264.mp4')
    with open_video(path, backend=backend) as reader:
        full = reader.get_frames(range(T))
        idx = [7, 0, 7, 11, 3]
        np.testing.assert_array_equal(reader.get_frames(idx), full[idx])
        np.testing.assert_array_equal(reader.get_frames(np.array([5])), full[[5]])
        assert reader.get_frames([]).shape == (0, H, W, 3)


def test_pyav_converts_only_requested_frames(videos: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    orig = video_io._PyAVReader._to_rgb
    monkeypatch.setattr(video_io._PyAVReader, '_to_rgb', lambda self, f: calls.append(1) or orig(self, f))
    reader = open_video(videos / 'h264.mp4', backend='pyav')
    reader.get_frames([4, 1, 4])
    assert len(calls) == 2


def test_read_video_indices(videos: Path) -> None:
    frames, fps = read_video(videos / 'h264.mp4', indices=[0, 5])
    full, _ = read_video(videos / 'h264.mp4')
    assert fps == 8.0 and full.shape == (T, H, W, 3)
    np.testing.assert_array_equal(frames, full[[0, 5]])


# ----------------------------------------------------------------------------- decord == PyAV
@pytest.mark.parametrize('codec,pix_fmt,size', [
    ('libx264', 'yuv420p', (64, 80)),
    ('libx264', 'yuv444p', (64, 80)),
    ('libx264', 'yuvj420p', (64, 80)),
    ('mpeg4', 'yuv420p', (64, 80)),
    ('libvpx-vp9', 'yuv420p', (64, 80)),
    ('mjpeg', 'yuvj420p', (64, 80)),
    ('ffv1', 'yuv420p', (64, 80)),
])
def test_decord_equals_pyav_bit_exact(tmp_path: Path, codec: str, pix_fmt: str, size: tuple) -> None:
    # Noise makes every pixel's chroma lossy, so any difference in YUV->RGB conversion shows up.
    frames = synthetic_frames(6, *size, seed=1, noise=20)
    path = write_video(tmp_path / 'clip.mkv', frames, codec=codec, pix_fmt=pix_fmt)
    a, fps_a = read_video(path, backend='decord')
    b, fps_b = read_video(path, backend='pyav')
    assert fps_a == fps_b == 8.0
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize('codec,pix_fmt,size', [
    ('libvpx-vp9', 'yuv420p', (61, 77)),  # odd size: swscale's general path differs across versions
    ('libx264', 'yuv420p10le', (64, 80)),  # high bit depth: same
])
def test_decord_vs_pyav_documented_tolerance(tmp_path: Path, codec: str, pix_fmt: str, size: tuple) -> None:
    frames = synthetic_frames(6, *size, seed=1)
    path = write_video(tmp_path / 'clip.mkv', frames, codec=codec, pix_fmt=pix_fmt)
    a, _ = read_video(path, backend='decord')
    b, _ = read_video(path, backend='pyav')
    diff = np.abs(a.astype(int) - b.astype(int))
    assert a.shape == b.shape == (6, *size, 3)
    assert diff.mean() < 3.0 and diff.max() <= 96  # module docstring: measured mean 0.9-2.3, max 58-83


def test_rotation_metadata_applied_like_decord(tmp_path: Path) -> None:
    frames = synthetic_frames(4, 64, 80)
    for rotation, k in [(90, 1), (-90, -1), (180, 2)]:
        path = write_video(tmp_path / f'rot{rotation}.mp4', frames, codec='libx264rgb',
                           **LOSSLESS['libx264rgb'], rotation=rotation)
        reader = open_video(path, backend='pyav')
        expected = np.rot90(frames, k=k, axes=(1, 2))
        assert (reader.height, reader.width) == expected.shape[1:3]
        np.testing.assert_array_equal(reader.get_frames(range(4)), expected)
        np.testing.assert_array_equal(read_video(path, backend='decord')[0], expected)


@pytest.mark.skipif(not FIXTURES.is_dir(), reason='sample videos of /work/shared/fixtures not present')
def test_decord_equals_pyav_on_sample_videos() -> None:
    files = sorted((FIXTURES / 'toy' / 'evaluate').glob('*.mp4'))[:2]
    files += sorted((FIXTURES / 'AIGVE_Bench_toy' / 'videos_3frame').glob('*.mp4'))[:2]
    files += sorted((FIXTURES / 'AIGVE_Bench_toy' / 'videos').glob('*.mp4'))[:1]
    assert files
    for path in files:
        a, b = open_video(path, backend='decord'), open_video(path, backend='pyav')
        assert (a.num_frames, a.fps, a.height, a.width) == (b.num_frames, b.fps, b.height, b.width)
        idx = sorted({0, a.num_frames // 2, a.num_frames - 1})
        np.testing.assert_array_equal(a.get_frames(idx), b.get_frames(idx), err_msg=str(path))


# ----------------------------------------------------------------------------- auto fallback
def test_auto_falls_back_when_decord_fails_to_open(videos: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import decord

    def broken(*args, **kwargs):
        raise RuntimeError('[12:00:00] /src/video_reader.cc:1: simulated decord failure\nStack trace: ...')

    monkeypatch.setattr(decord, 'VideoReader', broken)
    with pytest.raises(VideoReadError, match='simulated decord failure') as err:
        open_video(videos / 'h264.mp4', backend='decord')
    _one_line_naming(err, 'h264.mp4')
    reader = open_video(videos / 'h264.mp4')
    assert reader.backend == 'pyav'
    assert reader.get_frames([0, 11]).shape == (2, H, W, 3)


def test_auto_falls_back_when_decord_fails_to_decode(videos: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = read_video(videos / 'h264.mp4', backend='pyav')[0]
    reader = open_video(videos / 'h264.mp4')
    assert reader.backend == 'decord'

    def broken(self, indices):
        raise video_io._error(self.path, 'simulated decode failure')

    monkeypatch.setattr(video_io._DecordReader, '_read', broken)
    np.testing.assert_array_equal(reader.get_frames([3, 9]), expected[[3, 9]])
    assert reader.backend == 'pyav'


def test_auto_uses_pyav_when_decord_missing(videos: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = video_io.is_available
    monkeypatch.setattr(video_io, 'is_available', lambda m: False if m == 'decord' else real(m))
    assert open_video(videos / 'h264.mp4').backend == 'pyav'
    with pytest.raises(ImportError, match='eva-decord'):
        open_video(videos / 'h264.mp4', backend='decord')


# ----------------------------------------------------------------------------- failures
def _truncated_mp4(tmp_path: Path, source: np.ndarray, faststart: bool) -> Path:
    full = write_video(tmp_path / 'full.mp4', np.concatenate([source] * 3),
                       container_options={'movflags': 'faststart'} if faststart else None)
    cut = tmp_path / f'cut{"_faststart" if faststart else ""}.mp4'
    data = full.read_bytes()
    cut.write_bytes(data[:int(len(data) * 0.6)])
    return cut


def _failure_file(kind: str, tmp_path: Path, source: np.ndarray) -> Path:
    if kind == 'missing':
        return tmp_path / 'missing.mp4'
    if kind == 'empty':
        (tmp_path / 'empty.mp4').write_bytes(b'')
        return tmp_path / 'empty.mp4'
    if kind == 'truncated':  # moov atom at the end, cut off
        return _truncated_mp4(tmp_path, source, faststart=False)
    if kind == 'truncated_faststart':  # moov first, media data cut off
        return _truncated_mp4(tmp_path, source, faststart=True)
    if kind == 'not_a_video':
        (tmp_path / 'notes.mp4').write_text('hello, this is not a video\n' * 50)
        return tmp_path / 'notes.mp4'
    if kind == 'zero_frames':  # an AVI header with a video stream and no frames
        import av

        with av.open(str(tmp_path / 'zero.avi'), 'w') as container:
            stream = container.add_stream('mpeg4', rate=8)
            stream.width, stream.height = 64, 48
            container.start_encoding()
        return tmp_path / 'zero.avi'
    raise AssertionError(kind)


FAILURES = {
    'missing': 'file not found',
    'empty': r'file is empty \(0 bytes\); re-export',
    'truncated': 'truncated',
    'truncated_faststart': 'truncated|corrupt',
    'not_a_video': 'not a video|cannot decode',
    'zero_frames': 'no frames|cannot decode',
}


@pytest.mark.parametrize('backend', ['auto', 'decord', 'pyav'])
@pytest.mark.parametrize('kind', list(FAILURES))
def test_failures_raise_one_line_video_read_error(tmp_path: Path, source: np.ndarray, kind: str,
                                                  backend: str) -> None:
    path = _failure_file(kind, tmp_path, source)
    with pytest.raises(VideoReadError) as err:
        read_video(path, backend=backend)
    msg = _one_line_naming(err, path.name)
    if backend != 'decord':  # decord's own wording is less specific for the last two kinds
        assert err.match(FAILURES[kind]), msg
    assert isinstance(err.value, RuntimeError)


def test_zero_frames_message_with_pyav(tmp_path: Path, source: np.ndarray) -> None:
    path = _failure_file('zero_frames', tmp_path, source)
    with pytest.raises(VideoReadError, match=r'zero.avi: the video stream has no frames; re-export'):
        open_video(path, backend='pyav')


def test_no_video_stream(tmp_path: Path) -> None:
    import wave

    with wave.open(str(tmp_path / 'audio.wav'), 'wb') as fh:  # audio only
        fh.setnchannels(1)
        fh.setsampwidth(2)
        fh.setframerate(8000)
        fh.writeframes(np.zeros(800, dtype=np.int16).tobytes())
    with pytest.raises(VideoReadError, match=r'audio.wav: no video stream in the file \(streams: audio\)'):
        open_video(tmp_path / 'audio.wav', backend='pyav')
    with pytest.raises(VideoReadError) as err:
        open_video(tmp_path / 'audio.wav')
    _one_line_naming(err, 'audio.wav')


def test_truncated_webm_reads_the_decodable_frames(tmp_path: Path, source: np.ndarray) -> None:
    # Matroska has no frame count in its header; a cut file yields fewer frames, and both backends
    # report the frames actually present, not the duration-based estimate.
    full = write_video(tmp_path / 'full.webm', np.concatenate([source] * 3), codec='libvpx-vp9')
    cut = tmp_path / 'cut.webm'
    data = full.read_bytes()
    cut.write_bytes(data[:int(len(data) * 0.6)])
    a, b = open_video(cut, backend='decord'), open_video(cut, backend='pyav')
    assert 0 < a.num_frames == b.num_frames < 3 * T
    np.testing.assert_array_equal(a.get_frames(range(a.num_frames)), b.get_frames(range(b.num_frames)))


def test_frames_folder_failures(tmp_path: Path, source: np.ndarray) -> None:
    (tmp_path / 'empty_dir').mkdir()
    with pytest.raises(VideoReadError, match='empty_dir: folder contains no png/jpg'):
        open_video(tmp_path / 'empty_dir')
    mixed = write_frames_folder(tmp_path / 'mixed', source[:2])
    write_frames_folder(tmp_path / 'other', synthetic_frames(1, 20, 20))
    shutil.copy(tmp_path / 'other' / 'frame_0.png', mixed / 'frame_2.png')
    reader = open_video(mixed)
    with pytest.raises(VideoReadError, match=r'frame_2.png: frame size 20x20 differs from the first frame 48x64'):
        reader.get_frames([0, 1, 2])
    (mixed / 'frame_3.png').write_bytes(b'broken')
    with pytest.raises(VideoReadError, match='frame_3.png: cannot read frame image'):
        open_video(mixed).get_frames([3])


def test_bad_arguments(videos: Path) -> None:
    with pytest.raises(ValueError, match="`backend` must be one of .* but got 'opencv'"):
        open_video(videos / 'h264.mp4', backend='opencv')
    with pytest.raises(VideoReadError, match="frames: is a folder, which backend 'decord' cannot read"):
        open_video(videos / 'frames', backend='decord')
    with pytest.raises(VideoReadError, match="h264.mp4: is a file, but backend 'frames'"):
        open_video(videos / 'h264.mp4', backend='frames')
    reader = open_video(videos / 'h264.mp4')
    with pytest.raises(IndexError, match=r'`indices` must be in \[0, 12\) .* but got \[12, -1\]'):
        reader.get_frames([0, 12, -1])
    with pytest.raises(TypeError, match='`indices` must be a sequence of integers'):
        reader.get_frames([0.5])
    assert len(reader) == 12 and 'backend=' in repr(reader)


def test_pyav_still_encodes_vp9_after_a_decord_read(tmp_path):
    """decord's bundled FFmpeg, loaded first, breaks PyAV's libvpx-vp9 in the same process (see video_io)."""
    import subprocess
    import sys
    write_video(tmp_path / 'a.mp4', synthetic_frames(3, 32, 32))  # in this process: the child starts clean
    code = ('from aigve.utils.video_io import open_video; import sys; sys.path.insert(0, "tests");'
            f'open_video("{tmp_path}/a.mp4", "decord");'
            'from helpers.videos import write_video, synthetic_frames;'
            f'write_video("{tmp_path}/b.webm", synthetic_frames(3, 32, 32), codec="libvpx-vp9")')
    repo = Path(__file__).resolve().parents[2]
    proc = subprocess.run([sys.executable, '-c', code], cwd=repo, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]


def _still_image(path: Path, fmt: str, frames: np.ndarray) -> Path:
    from PIL import Image

    Image.fromarray(frames[0]).save(path, format=fmt)
    return path


STILL_FORMATS = {'PNG': 'PNG', 'JPEG': 'JPEG', 'WEBP': 'WebP', 'BMP': 'BMP', 'TIFF': 'TIFF'}


@pytest.mark.parametrize('backend', ['auto', 'decord', 'pyav'])
@pytest.mark.parametrize('fmt', list(STILL_FORMATS))
def test_still_image_renamed_mp4_is_not_a_video(tmp_path: Path, source: np.ndarray, fmt: str, backend: str) -> None:
    # FFmpeg decodes a still image as a one-frame video: without the magic-byte check this opened with 1 frame
    path = _still_image(tmp_path / f'still_{fmt.lower()}.mp4', fmt, source)
    with pytest.raises(VideoReadError) as err:
        open_video(path, backend=backend)
    msg = _one_line_naming(err, path.name)
    assert f'not a video (it is a {STILL_FORMATS[fmt]} image)' in msg and 'folder' in msg


def test_image_format_from_magic_bytes(tmp_path: Path, videos: Path, source: np.ndarray) -> None:
    from PIL import Image

    for fmt, name in STILL_FORMATS.items():  # the extension does not matter
        assert video_io.image_format(_still_image(tmp_path / f'x.{fmt}.mov', fmt, source)) == name
    for name, _, _, _ in CASES:  # every video container of the read-back tests, mjpeg/png codecs included
        assert video_io.image_format(videos / name) is None, name
    frames = [Image.fromarray(f) for f in source[:3]]
    frames[0].save(tmp_path / 'anim.png', format='PNG', save_all=True, append_images=frames[1:], duration=125)
    assert video_io.image_format(tmp_path / 'anim.png') is None  # APNG: an animation FFmpeg decodes
    (tmp_path / 'notes.mp4').write_text('hello')
    assert video_io.image_format(tmp_path / 'notes.mp4') is None
    (tmp_path / 'photo.heic').write_bytes(b'\x00\x00\x00\x18ftypheic' + bytes(16))
    assert video_io.image_format(tmp_path / 'photo.heic') == 'HEIC'


def test_gif_and_apng_still_decode_as_videos(tmp_path: Path, videos: Path, source: np.ndarray) -> None:
    from PIL import Image

    with open_video(videos / 'anim.gif') as reader:
        assert reader.num_frames == T and reader.backend == 'pyav'
    frames = [Image.fromarray(f) for f in source[:4]]
    frames[0].save(tmp_path / 'anim.mp4', format='PNG', save_all=True, append_images=frames[1:], duration=125)
    got, _ = read_video(tmp_path / 'anim.mp4')
    np.testing.assert_array_equal(got, source[:4])  # APNG is lossless


def test_missing_file_hint_names_the_cwd_only_for_relative_paths(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(VideoReadError) as err:
        open_video(tmp_path / 'missing.mp4')
    assert err.match('file not found; check the path$') and 'relative paths' not in str(err.value)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(VideoReadError) as err:
        open_video('missing.mp4')
    assert str(err.value) == f'missing.mp4: file not found; check the path (relative paths start at {Path.cwd()})'


def test_unreadable_file_is_a_one_line_video_read_error(videos: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def denied(path):
        raise PermissionError(13, 'Permission denied', str(path))

    monkeypatch.setattr(video_io, 'image_format', denied)  # as open() does on a file without read permission
    with pytest.raises(VideoReadError, match=r'h264.mp4: cannot read the file \(Permission denied\); check its'):
        open_video(videos / 'h264.mp4')
