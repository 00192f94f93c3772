"""VBench temporal flickering: known answers on lossless frames, aggregation, short videos."""
import pytest
import torch
from mmengine.registry import init_default_scope

from aigve.metrics import TemporalFlickering
from aigve.metrics.vbench.temporal_flickering import flicker_score, mean_abs_frame_difference
from aigve.registry import METRICS


def alternating(t=8, size=8):
    video = torch.zeros(t, 3, size, size, dtype=torch.uint8)
    video[1::2] = 255
    return video


def test_static_video_scores_one():
    video = torch.randint(0, 256, (1, 3, 16, 16), dtype=torch.uint8).repeat(6, 1, 1, 1)
    assert TemporalFlickering(device='cpu').score(video) == {'temporal_flickering': 1.0, 'mae': 0.0}


def test_alternating_black_white_scores_zero():
    assert TemporalFlickering(device='cpu').score(alternating())['temporal_flickering'] == 0.0


def test_known_mae_per_pair_then_mean():
    # pairs differ by 10 and by 30 on every pixel: MAE = 20, score = 235 / 255
    video = torch.zeros(3, 3, 4, 4, dtype=torch.uint8)
    video[1] = 10
    video[2] = 40
    assert mean_abs_frame_difference(video) == pytest.approx(20.0, abs=1e-12)
    assert flicker_score(20.0) == pytest.approx(235 / 255, abs=1e-15)


def test_no_uint8_wraparound():
    video = torch.tensor([200, 10], dtype=torch.uint8).view(2, 1, 1, 1)
    assert mean_abs_frame_difference(video) == 190.0


def test_aggregate_is_sample_weighted_mean_over_all_batches():
    videos = [torch.zeros(4, 3, 8, 8, dtype=torch.uint8), alternating(), alternating(t=3)]
    metric = TemporalFlickering(device='cpu')
    whole = metric.evaluate_videos(videos, batch_size=3)
    by_one = metric.evaluate_videos(videos, batch_size=1)
    assert whole == by_one
    assert whole['temporal_flickering'] == pytest.approx(1 / 3, abs=1e-12)
    assert [r['temporal_flickering/temporal_flickering'] for r in metric.per_video] == [1.0, 0.0, 0.0]


def test_single_frame_video_is_a_listed_failure_not_a_silent_drop():
    metric = TemporalFlickering(device='cpu')
    out = metric.evaluate_videos([torch.zeros(1, 3, 4, 4, dtype=torch.uint8), alternating()])
    assert out['temporal_flickering'] == 0.0
    assert metric.failures == [
        dict(video='video_0', video_id=0, reason='temporal_flickering: needs at least 2 frames, got 1')]
    with pytest.raises(ValueError, match='at least 2 frames'):
        metric.score(torch.zeros(1, 3, 4, 4, dtype=torch.uint8))


def test_registry_build_and_card():
    init_default_scope('aigve')
    metric = METRICS.build(dict(type='TemporalFlickering', device='cpu'))
    assert isinstance(metric, TemporalFlickering)
    card = TemporalFlickering.card()
    assert card['higher_is_better'] is True and card['score_range'] == [0.0, 1.0]
    assert card['set_level'] is False and card['needs_reference'] is False
