"""Set-level metrics on lazy (chunk-decoded) videos give the same numbers as on whole videos."""
from __future__ import annotations

import pytest
from dist_helpers import random_videos
from helpers.videos import lazy_copy
from test_fid import TinyPool

from aigve.metrics.distribution import FID, FVD

GEN = random_videos(3, frames=10, seed=5)
REF = random_videos(3, frames=10, seed=6, offset=30)


def lazies(videos, folder, tag):
    return [lazy_copy(v, folder, f'{tag}{i}', chunk_frames=4) for i, v in enumerate(videos)]


@pytest.mark.parametrize('num_frames', [None, 3])
def test_fid_streams_lazy_videos(tmp_path, num_frames):
    metric = FID(model=TinyPool(), num_frames=num_frames, batch_size=7, use_cache=False, device='cpu')
    whole = metric.evaluate_videos(GEN, ref_videos=REF)
    streamed = metric.evaluate_videos(lazies(GEN, tmp_path, 'g'), ref_videos=lazies(REF, tmp_path, 'r'))
    assert whole['fid'] > 0.1 and streamed == whole  # same frames, same batches: bit-identical


def test_fvd_decodes_only_the_clip_of_a_lazy_video(i3d_script_path, tmp_path):
    metric = FVD(backbone='i3d', model_path=i3d_script_path, num_frames=9, use_cache=False, device='cpu')
    whole = metric.evaluate_videos(GEN, ref_videos=REF)
    streamed = metric.evaluate_videos(lazies(GEN, tmp_path, 'g'), ref_videos=lazies(REF, tmp_path, 'r'))
    assert whole['fvd'] > 0.1 and streamed == whole


def test_a_lazy_video_that_fails_to_decode_is_not_counted(tmp_path):
    gen, ref = lazies(GEN, tmp_path, 'g'), lazies(REF, tmp_path, 'r')
    for name in ('g1.mkv', 'r1.mkv'):
        (tmp_path / name).write_bytes(b'garbage')  # changed after the pipeline opened them
    metric = FID(model=TinyPool(), use_cache=False, device='cpu')
    value = metric.evaluate_videos(gen, ref_videos=ref)['fid']
    expected = FID(model=TinyPool(), use_cache=False, device='cpu').evaluate_videos(
        [GEN[0], GEN[2]], ref_videos=[REF[0], REF[2]])['fid']
    # the readable videos of each side; rel 1e-6: after the error the features run one video at a time (fp32)
    assert value == pytest.approx(expected, rel=1e-6) and value > 0.1
    assert len(metric.failures) == 2 and all('video_1' in f['video'] for f in metric.failures)
