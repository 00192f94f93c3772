"""VBench's static-video filter: thresholds, the rule against a transcription of ``check_static``, its pairs
(every consecutive pair plus first/last both ways) against a transcription of ``infer`` on a random RAFT, and
the ``TemporalFlickering(static_filter=True)`` option."""
from __future__ import annotations

import random

import pytest
import torch
from helpers.flow import DiffFlow, vbench_pair_score
from helpers.init import nondegenerate_
from torchvision.models.optical_flow import raft_small

from aigve.metrics import TemporalFlickering
from aigve.metrics.vbench.static_filter import STATIC_TOP_FRACTION, StaticFilter, is_static, static_thresholds
from aigve.utils.weights import WeightsNotFoundError


def vbench_check_static(score_list, thres, count_num) -> bool:
    """Transcription of VBench's ``StaticFilter.check_static``."""
    count = 0
    for score in score_list[:-2]:
        if score > thres:
            count += 1
        if count > count_num:
            return False
    for score in score_list[-2:]:
        if score > thres * count_num * 2:
            return False
    return True


def shifting(t: int, shift: int, size: int = 128, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    base = torch.randint(0, 256, (3, size, size + shift * t), generator=g, dtype=torch.uint8)
    return torch.stack([base[:, :, shift * i:shift * i + size] for i in range(t)])


def test_thresholds() -> None:
    assert static_thresholds(320, 512, 16) == (3.75, 2)
    assert [static_thresholds(320, 512, t)[1] for t in (4, 12, 20, 28)] == [0, 2, 2, 4]  # half to even


def test_rule_matches_vbench_check_static() -> None:
    rng = random.Random(0)
    for _ in range(500):
        n = rng.randint(1, 12)
        scores = [rng.choice([0.0, rng.uniform(0, 10)]) for _ in range(n + 2)]
        thres, count_num = 3.75, rng.randint(0, 3)
        assert is_static(scores[:-2], scores[-2:], thres, count_num) == vbench_check_static(scores, thres, count_num)


def test_known_answers_with_a_zero_flow_model() -> None:
    still = torch.randint(0, 256, (1, 3, 128, 128), dtype=torch.uint8).repeat(8, 1, 1, 1)
    flow = DiffFlow()
    decide = StaticFilter(flow, 'cpu', num_flow_updates=20, batch_size=64)
    assert decide([still, shifting(8, 4)]) == [True, False]
    assert flow.calls == [(2 * (7 + 2), 20)]  # 7 consecutive + 2 first/last pairs per video, one call
    consecutive, first_last = decide.scores([still])[0]
    assert consecutive.tolist() == [0.0] * 7 and first_last.tolist() == [0.0, 0.0]


def test_pairs_and_scores_match_vbench_infer_on_random_raft() -> None:
    torch.manual_seed(0)
    raft = nondegenerate_(raft_small()).requires_grad_(False)
    video = shifting(3, 2, size=130)  # padded to 136 x 136
    frames = [f[None].float() for f in video]
    pairs = zip(frames[:-1] + [frames[0], frames[-1]], frames[1:] + [frames[-1], frames[0]])
    expected = [vbench_pair_score(raft, a, b, 2, 0.02) for a, b in pairs]
    consecutive, first_last = StaticFilter(raft, 'cpu', num_flow_updates=2).scores([video])[0]
    ours = torch.cat([consecutive, first_last])
    assert STATIC_TOP_FRACTION == 0.02 and ours.std() > 0  # non-degenerate flow scores
    torch.testing.assert_close(ours, torch.tensor(expected, dtype=torch.float64), rtol=1e-4, atol=1e-4)
    thres, count_num = static_thresholds(130, 130, 3)
    assert is_static(consecutive, first_last, thres, count_num) == vbench_check_static(expected, thres, count_num)


def test_temporal_flickering_option_lists_non_static_videos() -> None:
    still = torch.randint(0, 256, (1, 3, 128, 128), dtype=torch.uint8).repeat(6, 1, 1, 1)
    small = torch.zeros(4, 3, 32, 32, dtype=torch.uint8)
    metric = TemporalFlickering(static_filter=True, raft_net=DiffFlow(), device='cpu')
    out = metric.evaluate_videos([still, shifting(6, 4), small, still[:1]])
    assert out['temporal_flickering'] == 1.0 and len(metric.per_video) == 1
    assert [f['reason'] for f in metric.failures] == [
        "temporal_flickering: not static (VBench's filter)",
        'temporal_flickering: frames of 32x32 are too small for RAFT (torchvision needs at least 128 pixels a side)',
        'temporal_flickering: needs at least 2 frames, got 1']
    # without the option nothing changes: every video of 2+ frames is scored
    plain = TemporalFlickering(device='cpu')
    plain.evaluate_videos([still, shifting(6, 4), small])
    assert len(plain.per_video) == 3 and plain.failures == []


def test_option_arguments_and_offline_weights() -> None:
    with pytest.raises(WeightsNotFoundError, match='aigve weights download raft-large-c-t-v1'):
        TemporalFlickering(static_filter=True, device='cpu')
    with pytest.raises(TypeError, match='`static_filter` must be a bool'):
        TemporalFlickering(static_filter='yes', device='cpu')
    with pytest.raises(ValueError, match='num_flow_updates'):
        TemporalFlickering(static_filter=True, raft_net=DiffFlow(), num_flow_updates=0, device='cpu')
