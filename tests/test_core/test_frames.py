import pytest
import torch

from aigve.datasets.transforms import SampleFrames
from aigve.utils.frames import (
    check_video,
    frames_within_seconds,
    pad_indices,
    select_frames,
    stride_indices,
    uniform_indices,
)


def test_uniform_indices_are_segment_centres():
    assert uniform_indices(10, 5) == [1, 3, 5, 7, 9]
    assert uniform_indices(16, 16) == list(range(16))
    assert uniform_indices(3, 8) == [0, 1, 2]
    assert uniform_indices(100, 4) == [12, 37, 62, 87]


def test_stride_seconds_and_padding():
    assert stride_indices(10, 4) == [0, 4, 8]
    assert frames_within_seconds(81, 16.0, 2.0) == 32  # the file's real fps, not an assumed 25
    assert frames_within_seconds(81, 16.0, 10.0) == 81
    assert pad_indices([4, 5], 4) == [4, 5, 5, 5]
    assert pad_indices([4, 5], 5, 'loop') == [4, 5, 4, 5, 4]
    with pytest.raises(ValueError, match='empty'):
        pad_indices([], 3)


@pytest.mark.parametrize('kwargs, n, fps, expected', [
    (dict(strategy='all'), 5, 8.0, [0, 1, 2, 3, 4]),
    (dict(strategy='first', num_frames=3), 10, 8.0, [0, 1, 2]),
    (dict(strategy='uniform', num_frames=2), 10, 8.0, [2, 7]),
    (dict(strategy='all', stride=3), 10, 8.0, [0, 3, 6, 9]),
    (dict(strategy='all', max_seconds=0.5), 10, 8.0, [0, 1, 2, 3]),
    (dict(strategy='all', max_seconds=0.5), 10, 4.0, [0, 1]),
    (dict(strategy='first', num_frames=6, pad='repeat_last'), 4, 8.0, [0, 1, 2, 3, 3, 3]),
    (dict(strategy='uniform', num_frames=2, stride=2, max_seconds=1.0), 100, 8.0, [2, 6]),
])
def test_sample_frames_composition(kwargs, n, fps, expected):
    assert SampleFrames(**kwargs).indices(n, fps) == expected


def test_sample_frames_applies_to_reference_by_its_own_length():
    class Reader:
        pass
    results = dict(video_reader=Reader(), num_frames=10, fps=8.0, ref_video_reader=Reader(), ref_num_frames=4,
                   ref_fps=8.0)
    out = SampleFrames(strategy='uniform', num_frames=4)(results)
    assert out['frame_inds'] == [1, 3, 6, 8]
    assert out['ref_frame_inds'] == [0, 1, 2, 3]


@pytest.mark.parametrize('kwargs, match', [
    (dict(strategy='random'), 'strategy'),
    (dict(strategy='uniform'), 'num_frames'),
    (dict(strategy='all', pad='loop'), 'pad'),
    (dict(strategy='all', stride=0), 'stride'),
])
def test_sample_frames_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        SampleFrames(**kwargs)


# ------------------------------------------------------------------ one selector: parity with the two old ones
def _old_sample_frames_indices(total, fps, num_frames, strategy, stride, max_seconds, pad):
    """``SampleFrames.indices`` as it was before ``select_frames`` (frozen copy)."""
    limit = frames_within_seconds(total, fps, max_seconds)
    base = stride_indices(limit, stride)
    if strategy == 'first':
        base = base[:num_frames]
    elif strategy == 'uniform':
        base = [base[i] for i in uniform_indices(len(base), num_frames)] if base else []
    if pad and num_frames:
        base = pad_indices(base, num_frames, pad)
    return base


def _old_clip_indices(total, length, stride=1, clip='first', pad=None):
    """FVD's ``clip_indices`` as it was before ``select_frames`` (frozen copy; None = too short)."""
    base = stride_indices(total, stride)
    idx = base[:length] if clip == 'first' else ([base[i] for i in uniform_indices(len(base), length)] if base else [])
    if len(idx) < length:
        return pad_indices(idx, length, pad) if (pad and idx) else None
    return idx


GRID_TOTALS = (1, 2, 3, 5, 8, 9, 16, 17, 31, 100)


@pytest.mark.parametrize('strategy', ['all', 'first', 'uniform'])
@pytest.mark.parametrize('pad', [None, 'repeat_last', 'loop'])
def test_select_frames_reproduces_sample_frames(strategy, pad):
    for total in GRID_TOTALS:
        for num_frames in (None, 1, 4, 16):
            if (strategy != 'all' or pad) and num_frames is None:
                continue
            for stride in (1, 2, 3):
                for max_seconds, fps in ((None, None), (None, 8.0), (0.5, 8.0), (1.0, 25.0), (2.0, None), (3.0, 7.5)):
                    old = _old_sample_frames_indices(total, fps, num_frames, strategy, stride, max_seconds, pad)
                    kw = dict(num_frames=num_frames, strategy=strategy, stride=stride, max_seconds=max_seconds,
                              pad=pad)
                    assert select_frames(total, fps=fps, **kw) == old, (total, fps, kw)
                    assert SampleFrames(**kw).indices(total, fps) == old, (total, fps, kw)


@pytest.mark.parametrize('clip', ['first', 'uniform'])
@pytest.mark.parametrize('pad', [None, 'repeat_last', 'loop'])
def test_select_frames_reproduces_fvd_clip_indices(clip, pad):
    for total in (0, *GRID_TOTALS):
        for length in (1, 4, 9, 16):
            for stride in (1, 2, 3):
                old = _old_clip_indices(total, length, stride, clip, pad)
                new = select_frames(total, num_frames=length, strategy=clip, stride=stride, pad=pad)
                assert (new if len(new) == length else None) == old, (total, length, stride)  # FVD's rule


def test_select_frames_of_an_empty_video_is_empty():
    # the old SampleFrames raised from pad_indices here; now DecodeFrames reports the empty video as a failure
    assert select_frames(0, num_frames=4, strategy='first', pad='repeat_last') == []
    assert select_frames(0) == []


@pytest.mark.parametrize('video, match, error', [
    ('not a video', 'str', TypeError),
    (torch.zeros(3, 8, 8, 3, dtype=torch.uint8), r'shape \(3, 8, 8, 3\)', ValueError),
    (torch.zeros(3, 3, 8, 8), 'dtype torch.float32', ValueError),
    (torch.zeros(0, 3, 8, 8, dtype=torch.uint8), r'shape \(0, 3, 8, 8\)', ValueError),
])
def test_check_video_one_message(video, match, error):
    expected = r'`video` must be a \(T, 3, H, W\) uint8 RGB video with T >= 1, but got .*'
    with pytest.raises(error, match=expected + match):
        check_video(video)


def test_check_video_accepts_tensors_and_lazy_videos():
    from aigve.utils.lazy_video import LazyVideo

    video = torch.zeros(2, 3, 8, 8, dtype=torch.uint8)
    assert check_video(video) is video
    lazy = LazyVideo('unused.mp4', [0, 1, 2], 8, 8)  # nothing is decoded by the check
    assert check_video(lazy, 'ref', min_frames=3) is lazy
    with pytest.raises(ValueError, match='`ref` must be .* T >= 4'):
        check_video(lazy, 'ref', min_frames=4)
    assert check_video(torch.zeros(0, 3, 8, 8, dtype=torch.uint8), min_frames=0).shape[0] == 0


def test_middle_strategy_is_vbench_get_frame_indices():
    """VBench ``get_frame_indices(16, 100, 'middle')``, and its padding with the last index when short."""
    from aigve.utils.frames import select_frames

    assert select_frames(100, num_frames=16, strategy='middle') == [
        2, 8, 14, 21, 27, 33, 39, 46, 52, 58, 64, 71, 77, 83, 89, 96]
    assert select_frames(8, num_frames=8, strategy='middle') == list(range(8))
    assert select_frames(5, num_frames=8, strategy='middle', pad='repeat_last') == [0, 1, 2, 3, 4, 4, 4, 4]
    assert select_frames(0, num_frames=8, strategy='middle', pad='repeat_last') == []
