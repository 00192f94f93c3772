"""CLIPTemp: static video = 1, reversal invariance, range, short videos, batching."""
from __future__ import annotations

import pytest
import torch

from aigve.metrics.text_video import CLIPTemp
from aigve.metrics.text_video.clip_temp.functional import clip_temp_from_embeddings, consecutive_cosine
from aigve.registry import METRICS


@pytest.fixture
def metric(tiny_clip_dir):
    return METRICS.build(dict(type='CLIPTemp', model_path=str(tiny_clip_dir), device='cpu'))


def test_card(metric):
    assert isinstance(metric, CLIPTemp) and not metric.needs_prompt and metric.default_prefix == 'clip_temp'


def test_static_video_scores_one(metric, make_video):
    # identical frames give identical embeddings; 1e-6 covers float32 round-off across batch rows
    static = make_video(1).expand(6, -1, -1, -1).contiguous()
    assert metric.score(static)['clip_temp'] == pytest.approx(1.0, abs=1e-6)
    metric.frame_batch_size = 4  # frames of one video split over two passes
    assert metric.score(static)['clip_temp'] == pytest.approx(1.0, abs=1e-6)


def test_reversal_invariance_and_range(metric, make_video):
    for seed in range(3):
        video = make_video(6, seed=seed)
        forward, backward = metric.score(video)['clip_temp'], metric.score(video.flip(0))['clip_temp']
        assert forward == pytest.approx(backward, abs=1e-6)
        assert -1.0 <= forward < 1.0 - 1e-6  # moving content is not perfectly consistent


def test_changing_content_scores_lower_than_static(metric, make_video):
    still = make_video(1, seed=5).expand(4, -1, -1, -1).contiguous()
    moving = make_video(4, seed=5)
    assert metric.score(moving)['clip_temp'] < metric.score(still)['clip_temp']


def test_functional_known_values():
    e = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])
    assert consecutive_cosine(e).tolist() == [0.0, 0.0]
    assert clip_temp_from_embeddings(torch.tensor([[1.0, 1.0], [2.0, 2.0]])) == pytest.approx(1.0, abs=1e-12)
    with pytest.raises(ValueError, match='T >= 2'):
        consecutive_cosine(torch.ones(1, 4))


def test_single_frame_video_is_a_failure(metric, make_video):
    result = metric.evaluate_videos([make_video(4), make_video(1)])
    assert 'clip_temp' in result and [f['video'] for f in metric.failures] == ['video_1']
    with pytest.raises(ValueError, match='at least 2 frame'):
        metric.score(make_video(1))


def test_num_frames_must_allow_a_pair(tiny_clip_dir):
    with pytest.raises(ValueError, match='>= 2'):
        CLIPTemp(model_path=str(tiny_clip_dir), num_frames=1, device='cpu')


def test_frame_batch_size_does_not_change_scores(tiny_clip_dir, make_video):
    videos = [make_video(5, seed=1), make_video(3, 32, 64, seed=2)]
    samples = [dict(video='a'), dict(video='b')]
    a = CLIPTemp(model_path=str(tiny_clip_dir), frame_batch_size=1, device='cpu').score_batch(videos, samples)
    b = CLIPTemp(model_path=str(tiny_clip_dir), frame_batch_size=64, device='cpu').score_batch(videos, samples)
    for x, y in zip(a, b):
        assert x['clip_temp'] == pytest.approx(y['clip_temp'], abs=1e-5)
