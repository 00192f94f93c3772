import pytest

from aigve.datasets.transforms import SampleFrames
from aigve.utils.frames import frames_within_seconds, pad_indices, stride_indices, uniform_indices


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
