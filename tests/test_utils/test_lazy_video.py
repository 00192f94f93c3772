"""Lazy (chunk-decoded) videos: exact frames, chunk overlaps, batching, DecodeFrames' switch, metrics agree."""
from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch
from helpers.videos import synthetic_frames, write_lossless

from aigve.datasets.transforms import DecodeFrames, OpenVideo, PackVideoInputs, SampleFrames
from aigve.metrics.vbench import TemporalFlickering
from aigve.utils.lazy_video import (
    LazyVideo,
    _chunk_starts,
    frame_batches,
    in_batches,
    iter_chunks,
    materialize,
    subset,
    take_frames,
)

FRAMES = synthetic_frames(11, 16, 24, seed=3)  # (T, H, W, 3) uint8, every frame different


@pytest.fixture(scope='module')
def video_file(tmp_path_factory) -> str:
    return str(write_lossless(tmp_path_factory.mktemp('lazy') / 'v.mkv', FRAMES))


def whole() -> torch.Tensor:
    return torch.from_numpy(FRAMES).permute(0, 3, 1, 2).contiguous()


def lazy(path: str, chunk: int = 4, indices: list[int] | None = None) -> LazyVideo:
    return LazyVideo(path, list(range(11)) if indices is None else indices, 16, 24, 'auto', chunk)


@pytest.mark.parametrize('n, size, overlap, expected', [
    (0, 4, 0, []), (3, 4, 0, [0]), (8, 4, 0, [0, 4]), (9, 4, 0, [0, 4, 8]), (9, 4, 1, [0, 3, 6]),
    (10, 4, 1, [0, 3, 6]), (11, 4, 1, [0, 3, 6, 9]), (2, 2, 1, [0]),
])
def test_chunk_starts(n, size, overlap, expected):
    assert _chunk_starts(n, size, overlap) == expected


@pytest.mark.parametrize('overlap', [0, 1, 2])
def test_chunks_cover_the_frames_exactly(video_file, overlap):
    chunks = list(lazy(video_file).chunks(overlap))
    assert all(c.shape[0] <= 4 and c.dtype == torch.uint8 for c in chunks)
    rebuilt = torch.cat([chunks[0]] + [c[overlap:] for c in chunks[1:]])
    assert torch.equal(rebuilt, whole())  # lossless file: decoded frames are the written ones
    for prev, nxt in zip(chunks, chunks[1:]):
        assert torch.equal(prev[len(prev) - overlap:], nxt[:overlap])


def test_lazy_video_is_small_picklable_and_selectable(video_file):
    video = lazy(video_file, indices=[0, 5, 5, 10])
    assert video.shape == (4, 3, 16, 24) and len(video) == 4 and video.dim() == 4
    assert len(pickle.dumps(video)) < 500  # crosses from DataLoader workers without frames
    assert torch.equal(pickle.loads(pickle.dumps(video)).materialize(), whole()[[0, 5, 5, 10]])
    assert torch.equal(subset(video, [1, 3]).materialize(), whole()[[5, 10]])
    assert torch.equal(take_frames(video, [3, 0]), whole()[[10, 0]])
    assert torch.equal(materialize(video), whole()[[0, 5, 5, 10]])
    assert materialize(None) is None


def test_frame_batches_are_the_same_for_lazy_and_whole_videos(video_file):
    other = torch.zeros(3, 3, 16, 24, dtype=torch.uint8)
    eager = list(frame_batches([whole(), other], 5))
    mixed = list(frame_batches([lazy(video_file, chunk=3), other], 5))
    assert [o for _, o in eager] == [o for _, o in mixed] == [[0] * 5, [0] * 5, [0, 1, 1, 1]]
    for (a, _), (b, _) in zip(eager, mixed):
        assert torch.equal(torch.stack(a), torch.stack(b))
    sized = [o for _, o in frame_batches([whole(), torch.zeros(2, 3, 8, 8, dtype=torch.uint8)], 32, same_size=True)]
    assert sized == [[0] * 11, [1, 1]]


@pytest.mark.parametrize('batch_size', [1, 4, 11, 32])
def test_in_batches_gives_the_same_rows_for_every_input_kind(video_file, batch_size):
    seen = []

    def per_frame_mean(batch: torch.Tensor) -> torch.Tensor:
        seen.append(batch.shape[0])
        return batch.float().mean((1, 2, 3))

    expected = whole().float().mean((1, 2, 3))
    for items in (whole(), lazy(video_file, chunk=3), list(whole())):
        seen.clear()
        assert torch.equal(in_batches(items, batch_size, per_frame_mean), expected)
        assert max(seen) <= batch_size and sum(seen) == 11
    assert in_batches([], batch_size, per_frame_mean).numel() == 0


def test_iter_chunks_passes_tensors_whole():
    video = whole()
    assert [c.data_ptr() for c in iter_chunks(video)] == [video.data_ptr()]


def pipeline(path: str, max_bytes: int | None) -> dict:
    results = dict(video_path=path)
    for step in (OpenVideo(), SampleFrames(), DecodeFrames(max_bytes=max_bytes), PackVideoInputs()):
        results = step(dict(results, video=path) if isinstance(step, PackVideoInputs) else results)
    return results


def test_decode_frames_goes_lazy_above_max_bytes(video_file):
    frame_bytes = 16 * 24 * 3
    eager = pipeline(video_file, max_bytes=11 * frame_bytes)  # exactly fits: decoded whole
    assert isinstance(eager['inputs'], torch.Tensor) and torch.equal(eager['inputs'], whole())
    small = pipeline(video_file, max_bytes=10 * frame_bytes)
    assert isinstance(small['inputs'], LazyVideo)
    assert small['inputs'].chunk_frames == 5  # two chunks (in use + being decoded) fit in max_bytes
    assert torch.equal(small['inputs'].materialize(), whole())
    assert isinstance(pipeline(video_file, max_bytes=None)['inputs'], torch.Tensor)
    with pytest.raises(ValueError, match='max_bytes'):
        DecodeFrames(max_bytes=0)


@pytest.mark.parametrize('chunk', [2, 3, 11])
def test_temporal_flickering_streams_chunks_with_the_same_result(video_file, chunk):
    metric = TemporalFlickering(device='cpu')
    expected = metric.score(whole())
    samples = [dict(video='v', video_id=0)]
    got = metric.score_batch([lazy(video_file, chunk=chunk)], samples)[0]
    assert got['mae'] == pytest.approx(expected['mae'], rel=1e-12) and got['mae'] > 1  # float64 sums
    np.testing.assert_allclose(got['temporal_flickering'], expected['temporal_flickering'], rtol=1e-12)


def test_metrics_that_do_not_stream_get_the_whole_video(video_file):
    class Shapes(TemporalFlickering):
        streams_frames = False

        def score_batch(self, videos, samples):
            assert all(isinstance(v, torch.Tensor) for v in videos)
            assert all(s['ref_video'] is None or isinstance(s['ref_video'], torch.Tensor) for s in samples)
            return super().score_batch(videos, samples)

    metric = Shapes(device='cpu')
    sample = dict(video='v', video_id=0, ref_video=lazy(video_file))
    metric.process(dict(inputs=[lazy(video_file)]), [sample])
    assert metric.results[0]['scores']['mae'] == pytest.approx(metric.score(whole())['mae'], rel=1e-12)


def test_a_lazy_video_that_fails_to_decode_is_a_counted_failure(tmp_path):
    """Decoding happens in the metric for lazy videos: a read error there fails that video only, with its reason."""
    good = lazy(str(write_lossless(tmp_path / 'good.mkv', FRAMES)))
    bad = lazy(str(write_lossless(tmp_path / 'bad.mkv', FRAMES)))
    (tmp_path / 'bad.mkv').write_bytes(b'not a video any more')  # changed after the pipeline opened it
    metric = TemporalFlickering(device='cpu')
    samples = [dict(video='good', video_id=0), dict(video='bad', video_id=1)]
    metric.process(dict(inputs=[good, bad]), samples)
    result = metric.compute_metrics(metric.results)
    assert result['mae'] == pytest.approx(metric.score(whole())['mae'], rel=1e-12)
    assert [f['video'] for f in metric.failures] == ['bad']
    assert 'bad.mkv' in metric.failures[0]['reason'] and '\n' not in metric.failures[0]['reason']
