"""VBench dynamic_degree: thresholds and stride known answers, the decision rule against a transcription of
VBench's ``check_move``, a static video scoring 0, the whole per-video computation against a transcription of
VBench's ``infer`` loop on a random RAFT, batching invariance, RAFT-large key table and strict loading."""
from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
import torch
from helpers.flow import DiffFlow, vbench_pair_score
from helpers.init import nondegenerate_
from mmengine.registry import init_default_scope
from torchvision.models.optical_flow import raft_small

from aigve.metrics import DynamicDegree
from aigve.metrics.vbench.dynamic_degree import (
    consecutive_pairs,
    dynamic_thresholds,
    frame_stride,
    is_dynamic,
    pair_flow_scores,
    sampled_positions,
    top_fraction_mean,
)
from aigve.models.raft import build_raft_large, load_raft_large, pad_sintel, raft_flow, sintel_padding
from aigve.registry import METRICS
from aigve.utils.weights import WeightsHashError, WeightsNotFoundError

DATA = Path(__file__).resolve().parents[2] / 'data' / 'vbench'
ITERS = 3  # random-RAFT tests: a few refinement steps keep them fast; the metric's default (20) is checked apart


@pytest.fixture(scope='module')
def raft() -> torch.nn.Module:
    torch.manual_seed(0)
    return nondegenerate_(raft_small()).requires_grad_(False)


def moving_video(t: int = 6, h: int = 130, w: int = 150, seed: int = 0) -> torch.Tensor:
    """A textured frame shifted by 2 pixels per frame (130 x 150: padded to 136 x 152)."""
    g = torch.Generator().manual_seed(seed)
    base = torch.randint(0, 256, (3, h, w + 2 * t), generator=g, dtype=torch.uint8)
    return torch.stack([base[:, :, 2 * i:2 * i + w] for i in range(t)])


def vbench_check_move(score_list, thres, count_num) -> bool:
    """Transcription of VBench's ``DynamicDegree.check_move``."""
    count = 0
    for score in score_list:
        if score > thres:
            count += 1
        if count >= count_num:
            return True
    return False


def vbench_infer(model, video: torch.Tensor, fps: float, iters: int) -> tuple[bool, list[float]]:
    """Transcription of VBench's ``DynamicDegree.infer`` (frames read, stride, set_params, pairs, check)."""
    frame_list = [frame[None].float() for frame in video]  # cv2 RGB frames as float [1, 3, H, W]
    interval = max(1, round(fps / 8))
    frames = [frame_list[i] for i in range(0, len(frame_list), interval)]
    scale = min(list(frames[0].shape)[-2:])
    thres, count_num = 6.0 * (scale / 256.0), round(4 * (len(frames) / 16.0))
    scores = [vbench_pair_score(model, a, b, iters, 0.05) for a, b in zip(frames[:-1], frames[1:])]
    return vbench_check_move(scores, thres, count_num), scores


# ------------------------------------------------------------------------------------ known answers
def test_thresholds_for_512x320_16_frames_at_8fps() -> None:
    assert frame_stride(8) == 1 and len(sampled_positions(16, 8)) == 16
    assert dynamic_thresholds(320, 512, 16) == (7.5, 4)
    assert dynamic_thresholds(512, 320, 16) == (7.5, 4)
    # Python's round (half to even), as VBench: 4 * 10 / 16 = 2.5 -> 2, 4 * 6 / 16 = 1.5 -> 2, 2 frames -> 0
    assert [dynamic_thresholds(320, 512, t)[1] for t in (2, 6, 10, 14)] == [0, 2, 2, 4]


def test_stride_from_the_real_fps() -> None:
    assert [frame_stride(f) for f in (1, 8, 12, 16, 20, 23.976, 24, 25, 30, 60)] == [1, 1, 2, 2, 2, 3, 3, 3, 4, 8]
    assert sampled_positions(49, 24) == list(range(0, 49, 3))
    with pytest.raises(ValueError, match='`fps` must be a positive number'):
        frame_stride(0)


def test_top_fraction_mean_counts_on_the_padded_size() -> None:
    flow = torch.zeros(2, 2, 136, 152)
    k = int(136 * 152 * 0.05)  # 1033 on the padded 136 x 152, not int(130 * 150 * 0.05) = 975
    flow[0, 0].view(-1)[:k] = 3.0
    flow[0, 1].view(-1)[:k] = 4.0
    flow[1, 0].view(-1)[:2 * k] = 1.0
    assert top_fraction_mean(flow, 0.05).tolist() == [5.0, 1.0]
    assert torch.isnan(top_fraction_mean(torch.ones(1, 2, 4, 4), 0.05)).all()  # int(0.8) = 0: VBench's NaN


def test_sintel_padding_is_raft_input_padder() -> None:
    from helpers.flow import vbench_pad

    for h, w in ((130, 150), (128, 128), (321, 511), (250, 333)):
        x = torch.rand(1, 3, h, w)
        torch.testing.assert_close(pad_sintel(x), vbench_pad(x), rtol=0, atol=0)
    assert sintel_padding(130, 150) == (1, 1, 3, 3)


def test_decision_rule_matches_vbench_check_move() -> None:
    rng = random.Random(0)
    cases = [([], 7.5, 0), ([0.0], 7.5, 0), ([0.0, 0.0], 7.5, 1), ([float('nan'), 9.0], 7.5, 1)]
    for _ in range(500):
        n = rng.randint(0, 12)
        cases.append(([rng.uniform(0, 15) for _ in range(n)], 7.5, rng.randint(0, 5)))
    for scores, thres, count_num in cases:
        assert is_dynamic(scores, thres, count_num) == vbench_check_move(scores, thres, count_num), scores


def test_static_video_scores_zero_and_moving_one() -> None:
    static = torch.randint(0, 256, (1, 3, 128, 128), dtype=torch.uint8).repeat(4, 1, 1, 1)
    metric = DynamicDegree(net=DiffFlow(), fallback_fps=8, device='cpu')
    out = metric.evaluate_videos([static, moving_video(4, 128, 128)])
    assert [r['dynamic_degree/dynamic_degree'] for r in metric.per_video] == [0.0, 1.0]
    assert out['dynamic_degree'] == 0.5
    assert [r['dynamic_degree/num_pairs'] for r in metric.per_video] == [3.0, 3.0]
    # two frames: count_num = round(0.5) = 0, so VBench calls even a static video dynamic
    assert metric.score(static[:2])['dynamic_degree'] == 1.0


def test_frames_are_sampled_at_round_fps_over_8() -> None:
    flow = DiffFlow()
    metric = DynamicDegree(net=flow, batch_size=64, device='cpu')
    video = moving_video(10, 128, 128)
    samples = [dict(video='a', fps=24.0), dict(video='b', fps=8.0), dict(video='c', fps=None)]
    out = metric.score_batch([video, video, video], samples)
    assert out[0]['num_pairs'] == 3.0 and out[1]['num_pairs'] == 9.0  # frames 0, 3, 6, 9 vs all 10
    assert 'fps' in out[2].reason and 'fallback_fps' in out[2].reason
    assert flow.calls == [(12, 20)]  # all 12 pairs of both videos in one RAFT call, 20 flow updates
    # the sampled frames are the ones compared: with stride 3 each pair differs by a 6-pixel shift
    expected = [float(top_fraction_mean(raft_flow(DiffFlow(), video[i:i + 1], video[i + 3:i + 4]), 0.05))
                for i in (0, 3, 6)]
    assert metric.pair_scores(video, 24).tolist() == pytest.approx(expected, rel=1e-6)


def test_short_or_small_videos_are_listed_failures() -> None:
    metric = DynamicDegree(net=DiffFlow(), fallback_fps=24, device='cpu')
    metric.evaluate_videos([moving_video(3, 128, 128), torch.zeros(4, 3, 64, 200, dtype=torch.uint8),
                            moving_video(7, 128, 128)])
    reasons = [f['reason'] for f in metric.failures]
    assert 'needs at least 2 frames at stride round(fps / 8) (fps 24), got 1 of 3' in reasons[0]
    assert 'too small for RAFT' in reasons[1]
    assert len(metric.per_video) == 1


# ------------------------------------------------------------------------------- random RAFT parity
def test_random_raft_is_not_degenerate(raft) -> None:
    video = moving_video(3)
    flow = raft_flow(raft, video[:1], video[1:2], ITERS)
    assert flow.shape == (1, 2, 136, 152)
    assert flow.std() > 0.1 and flow.abs().mean() > 0.1


def test_per_video_computation_matches_vbench_infer(raft) -> None:
    metric = DynamicDegree(net=raft, num_flow_updates=ITERS, batch_size=4, device='cpu')
    for video, fps in ((moving_video(5, seed=1), 16.0), ):  # frames 0, 2, 4 of 130 x 150 (padded 136 x 152)
        moved, expected = vbench_infer(raft, video, fps, ITERS)
        ours = metric.pair_scores(video, fps)
        # fp32 RAFT on stacked vs single pairs, numpy vs torch top-k mean: 1e-4 relative
        torch.testing.assert_close(ours, torch.tensor(expected, dtype=torch.float64), rtol=1e-4, atol=1e-4)
        thres, count_num = dynamic_thresholds(*video.shape[-2:], len(sampled_positions(video.shape[0], fps)))
        assert is_dynamic(ours, thres, count_num) == moved  # score_batch's rule on these scores (see above)


def test_batch_size_and_grouping_do_not_change_scores(raft) -> None:
    videos = [moving_video(3, seed=3), moving_video(2, 128, 160, seed=4), moving_video(3, seed=5)]
    # RAFT itself: one pair per call vs all pairs of both sizes grouped (2 + 1 + 2 pairs)
    per_batch = [pair_flow_scores(raft, [consecutive_pairs(v) for v in videos], fraction=0.05, device='cpu',
                                  num_flow_updates=ITERS, batch_size=b) for b in (1, 16)]
    assert [s.numel() for s in per_batch[0]] == [2, 1, 2]
    for a, b in zip(*per_batch):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5)  # fp32 CPU, batched convolutions
    # the metric's plumbing: any pair batch and video batch give the same records
    videos = [moving_video(4, 128, 128, seed=6), torch.zeros(5, 3, 128, 136, dtype=torch.uint8),
              moving_video(6, 128, 128, seed=7)]
    runs = []
    for pairs, per_call in ((1, 1), (4, 2), (64, 3)):
        metric = DynamicDegree(net=DiffFlow(), batch_size=pairs, fallback_fps=8, device='cpu')
        runs.append((metric.evaluate_videos(videos, batch_size=per_call), metric.per_video))
    assert runs[0] == runs[1] == runs[2]


# ------------------------------------------------------------------------------------------ loading
def test_raft_large_key_table_and_strict_load(tmp_path) -> None:
    # every key and shape of raft_large_C_T_V1-22a6c225.pth: torchvision's raft_large() state_dict, which
    # torchvision itself loads that file into with strict=True
    table = json.loads((DATA / 'raft_large_keys.json').read_text())
    assert len(table) == 169
    model = build_raft_large()
    assert {k: list(v.shape) for k, v in model.state_dict().items()} == table
    state = {k: torch.randn(v.shape) if v.is_floating_point() else v for k, v in model.state_dict().items()}
    path = tmp_path / 'raft_large_C_T_V1-22a6c225.pth'
    torch.save(state, path)
    loaded, resolved = load_raft_large(str(path), check_hash=False)
    assert resolved.name == 'raft-large-c-t-v1' and not loaded.training
    assert all(torch.equal(loaded.state_dict()[k], v) for k, v in state.items())
    with pytest.raises(WeightsHashError, match='22a6c225'):
        load_raft_large(str(path))  # a random file is not the released one
    del state['update_block.flow_head.conv2.bias']
    torch.save(state, path)
    with pytest.raises(RuntimeError, match=r'Missing key.*flow_head\.conv2\.bias'):
        load_raft_large(str(path), check_hash=False)


def test_missing_weights_offline_names_the_download_command() -> None:
    with pytest.raises(WeightsNotFoundError, match='aigve weights download raft-large-c-t-v1'):
        DynamicDegree(device='cpu')


def test_registry_card_and_arguments() -> None:
    init_default_scope('aigve')
    metric = METRICS.build(dict(type='DynamicDegree', net=DiffFlow(), device='cpu'))
    assert isinstance(metric, DynamicDegree) and metric.num_flow_updates == 20
    card = DynamicDegree.card()
    assert card['higher_is_better'] is True and card['score_range'] == [0.0, 1.0]
    for kwargs, match in ((dict(num_flow_updates=0), 'num_flow_updates'), (dict(batch_size=0), 'batch_size'),
                          (dict(fallback_fps=-1), 'fallback_fps')):
        with pytest.raises(ValueError, match=match):
            DynamicDegree(net=DiffFlow(), device='cpu', **kwargs)
    with pytest.raises(TypeError, match='`net` must be an nn.Module'):
        DynamicDegree(net='raft', device='cpu')


def test_lazy_video_streams_with_the_same_scores(tmp_path) -> None:
    from helpers.videos import lazy_copy

    video = moving_video(11, 128, 128, seed=8)
    lazy = lazy_copy(video, tmp_path, 'v11', chunk_frames=3)  # stride 2 keeps 6 frames, read in chunks of 3
    metric = DynamicDegree(net=DiffFlow(), device='cpu')
    sample = [dict(video='v', fps=16.0)]
    assert metric.score_batch([lazy], sample) == metric.score_batch([video], sample)
    assert metric.score_batch([video], sample)[0]['num_pairs'] == 5.0
