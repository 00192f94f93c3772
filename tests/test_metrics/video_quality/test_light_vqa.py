"""LightVQA: released key layout (strict), the released feature protocol, analytic checks of every stage."""
from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from vq_helpers import TinyMotion, load_key_table, random_state

from aigve.metrics.video_quality._common import load_quality_head
from aigve.metrics.video_quality.light_vqa import (
    LightVQA,
    LightVQANet,
    bright_noise_features,
    brightness_consistency,
    grey_block_means,
    key_frame_indices,
    motion_clip_indices,
)
from aigve.metrics.video_quality.lightvqa_plus import LightVQAPlusNet
from aigve.registry import METRICS

#: A cheap trunk (8 channels, one block per stage) so 512x960 key frames run fast on two cores.
TINY_SWIN = dict(embed_dim=8, depths=(1, 1, 1, 1), num_heads=(1, 1, 1, 1), window_size=7)


def _tiny_net() -> LightVQANet:
    torch.manual_seed(0)
    net = LightVQANet(swin=TINY_SWIN).eval()
    with torch.no_grad():
        net.head2.bias.fill_(50.0)  # keep random scores inside [0, 100] rather than clamped
        net.head2.weight.mul_(100.0)
    return net


@pytest.fixture(scope='module')
def metric() -> LightVQA:
    return LightVQA(net=_tiny_net(), motion_extractor=TinyMotion(), pretrained=False, motion_size=32, device='cpu')


# ------------------------------------------------------------------------------------------ loading
def test_released_key_layout_loads_strict(tmp_path) -> None:
    # key/shape table of final_fusion_model.swin_small_patch4_window7_224(first_fc=1024): Swin-S keys and
    # head Linear(768 * 2 + 2 * 64 + 2304 + 144 = 4112, 1024), head1 Linear(1024, 64), head2 Linear(64, 1)
    table = load_key_table('light_vqa_keys.json')
    net = LightVQANet()
    assert {k: list(v.shape) for k, v in net.state_dict().items()} == table
    path = tmp_path / 'last2_SI+TI_epoch_16_SRCC_0.937369.pth'
    state = random_state(table)
    torch.save(state, path)
    loaded, resolved = load_quality_head(LightVQANet(), 'light-vqa-llveqa', str(path), True, 'LightVQA')
    assert resolved.name == 'light-vqa-llveqa'
    assert all(torch.equal(loaded.state_dict()[k], v) for k, v in state.items())


def test_strict_loading_names_the_wrong_keys(tmp_path) -> None:
    table = load_key_table('light_vqa_keys.json')
    state = random_state(table)
    state['extra.weight'] = state.pop('head2.weight')
    path = tmp_path / 'wrong.pth'
    torch.save(state, path)
    with pytest.raises(RuntimeError, match=r'(?s)Missing key.*head2\.weight.*Unexpected key.*extra\.weight'):
        load_quality_head(LightVQANet(), 'light-vqa-llveqa', str(path), True, 'LightVQA')
    # the Light-VQA+ reconstruction's head (fused 1536 input) is refused too, with the mismatch named
    with pytest.raises(RuntimeError, match='size mismatch for head.weight'):
        LightVQAPlusNet().load_state_dict(random_state(table), strict=False)


def test_lightvqa_plus_is_built_on_light_vqa() -> None:
    from aigve.metrics.video_quality.light_vqa import LightVQATrunk
    from aigve.metrics.video_quality.lightvqa_plus import LightVQAPlus

    assert issubclass(LightVQAPlusNet, LightVQATrunk) and issubclass(LightVQANet, LightVQATrunk)
    assert LightVQAPlus.card()['experimental'] is True and LightVQA.card()['experimental'] is False
    from aigve.cli.metrics import card_row

    assert card_row(LightVQAPlus)['name'] == 'LightVQAPlus (experimental)' and card_row(LightVQA)['name'] == 'LightVQA'


# ---------------------------------------------------------------------------------- feature protocol
def test_key_frames() -> None:
    assert key_frame_indices(200) == list(range(8))  # a sequential decoder read 8 times
    assert key_frame_indices(200, 'intended') == [0, 25, 50, 75, 100, 125, 150, 175]
    assert key_frame_indices(1) == [0] * 8 and key_frame_indices(3, 'intended') == [0, 1, 2, 2, 2, 2, 2, 2]
    with pytest.raises(ValueError, match='mode'):
        key_frame_indices(10, 'uniform')


def test_motion_clips_per_second_over_the_first_8_seconds() -> None:
    clips = motion_clip_indices(300, 25)  # 12 s: only the first 8 seconds are read
    assert [c[0] for c in clips] == [25 * i for i in range(8)] and all(c == list(range(c[0], c[0] + 32)) for c in clips)
    clips = motion_clip_indices(80, 25)  # 3 s: the last clip repeated up to 8, padding with the last frame
    assert [c[0] for c in clips] == [0, 25, 50, 50, 50, 50, 50, 50] and clips[2][-1] == 79 and clips[2][29] == 79
    assert motion_clip_indices(10, 0)[0][0] == 0  # fps 0: 10 clips from frame 0
    assert motion_clip_indices(3, 25) == [[0, 1, 2] + [2] * 29] * 8  # shorter than one second


def _blocks_loop(grey: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Brightness/noise by explicit loops over the block grid and the raster runs (an independent path)."""
    k = grey.shape[0]
    bright = torch.zeros(k, 64)
    noise = torch.zeros(k, 64)
    flat = grey.reshape(k, -1)
    for c in range(64):
        col = [grey[:, r * 16:(r + 1) * 16, c * 15:(c + 1) * 15].amax(dim=(1, 2)) for r in range(32)]
        bright[:, c] = torch.stack(col, 1).mean(1) / 10
        runs = [flat[:, (r * 64 + c) * 240:(r * 64 + c + 1) * 240].var(dim=1) for r in range(32)]
        noise[:, c] = torch.stack(runs, 1).mean(1)
    return bright, noise


def test_bright_noise_features_analytic() -> None:
    torch.manual_seed(0)
    frames = torch.randn(2, 3, 512, 960)
    out = bright_noise_features(frames)
    bright, noise = _blocks_loop(frames.mean(1))
    assert out.shape == (2, 128)
    torch.testing.assert_close(out, torch.cat([bright, noise], 1), rtol=1e-5, atol=1e-5)
    const = bright_noise_features(torch.full((1, 3, 512, 960), 2.0))
    assert torch.allclose(const[:, :64], torch.full((1, 64), 0.2)) and torch.all(const[:, 64:] == 0)
    with pytest.raises(ValueError, match='512, 960'):
        bright_noise_features(torch.zeros(1, 3, 224, 224))


def test_brightness_consistency_analytic() -> None:
    white = torch.ones(1, 3, 720, 1280)
    assert torch.allclose(grey_block_means(white), torch.full((1, 144), (1 - 0.485) / 0.229), atol=1e-5)
    frames = torch.zeros(1, 3, 720, 1280)
    frames[0, 1, :5] = 1.0  # the first 5 rows = the first raster run of 6400 values, green only
    means = grey_block_means(frames)
    assert means[0, 0] == pytest.approx((0.587 - 0.485) / 0.229, abs=1e-5)
    assert torch.allclose(means[0, 1:], torch.full((143,), -0.485 / 0.229), atol=1e-5)
    per_frame = torch.arange(20.0).unsqueeze(1).repeat(1, 144)  # 20 frames: groups of 2, frames 16..19 dropped
    bc = brightness_consistency(per_frame)
    assert bc.shape == (8, 144) and torch.allclose(bc, torch.full((8, 144), 0.5 * 10))
    assert torch.all(brightness_consistency(per_frame[:12]) == 0)  # one frame per group: 0 (NaN in the original)


def test_network_stage_order_and_regressor() -> None:
    """The regressor input is [stage-4 | brightness | noise | stage-3 | SlowFast | BC] (analytic, by probing)."""
    net = _tiny_net()
    torch.manual_seed(1)
    frames = torch.randn(2, 3, 512, 960)
    temporal = torch.randn(2, 2304 + 144)
    stage3, stage4 = net.features(frames)
    expected = torch.cat([stage4, bright_noise_features(frames), stage3, temporal], 1)
    assert expected.shape[1] == net.head.in_features
    x = F.relu(F.linear(expected, net.head.weight, net.head.bias))
    x = F.relu(F.linear(x, net.head1.weight, net.head1.bias))
    want = F.linear(x, net.head2.weight, net.head2.bias).squeeze(1).clamp(0, 100)
    torch.testing.assert_close(net(frames, temporal), want)
    # probing one input column at a time through an identity-like head tells the positions apart
    probe = LightVQANet(swin=TINY_SWIN).eval()
    probe.load_state_dict(net.state_dict())
    with torch.no_grad():
        for col, value in ((0, stage4[0, 0]), (64, bright_noise_features(frames)[0, 0]), (64 + 64 + 128 + 64, None)):
            probe.head.weight.zero_()
            probe.head.bias.zero_()
            probe.head.weight[0, col] = 1.0
            probe.head1.weight.zero_()
            probe.head1.bias.zero_()
            probe.head1.weight[0, 0] = 1.0
            probe.head2.weight.zero_()
            probe.head2.bias.zero_()
            probe.head2.weight[0, 0] = 1.0
            got = probe(frames, temporal)[0]
            assert float(got) == pytest.approx(max(float(expected[0, col]), 0.0), abs=1e-5)
            if value is not None:
                assert float(expected[0, col]) == pytest.approx(float(value))
    with pytest.raises(ValueError, match='temporal'):
        net(frames, torch.zeros(2, 2304))


# -------------------------------------------------------------------------------------------- metric
def test_scores_finite_deterministic_batch_independent(metric: LightVQA, videos) -> None:
    samples = [dict(fps=8.0) for _ in videos]
    one_by_one = [metric.score_batch([v], [s])[0]['light_vqa'] for v, s in zip(videos, samples)]
    assert all(math.isfinite(s) and 0.0 <= s <= 100.0 for s in one_by_one)
    assert metric.score_batch(videos, samples) == [dict(light_vqa=s) for s in one_by_one]  # batch-size independent
    assert [metric.score_batch([v], [s])[0]['light_vqa'] for v, s in zip(videos, samples)] == one_by_one
    with torch.no_grad():
        clips = metric.clip_scores(videos[3], 8)
    assert clips.shape == (8, ) and clips.std() > 0.1, 'random weights must not give a constant score'
    assert float(clips.mean()) == pytest.approx(one_by_one[3], abs=1e-5)


def test_registry_and_arguments(metric: LightVQA) -> None:
    parts = dict(net=metric.net, motion_extractor=metric.motion_extractor, pretrained=False, device='cpu')
    assert isinstance(METRICS.build(dict(type='LightVQA', **parts)), LightVQA)
    assert LightVQA(key_frames='intended', **parts).key_frame_mode == 'intended'
    with pytest.raises(ValueError, match='mode'):
        LightVQA(key_frames='uniform', **parts)
    with pytest.raises(ValueError, match='fallback_fps'):
        LightVQA(fallback_fps=0, **parts)
    assert metric.video_fps(dict(fps=29.97)) == 30 and metric.video_fps({}) == 25


def test_lazy_video_streams_with_the_same_score(metric: LightVQA, videos, tmp_path) -> None:
    from helpers.videos import lazy_copy

    lazy = lazy_copy(videos[2], tmp_path, 'v16', chunk_frames=5)  # 16 frames in chunks of 5
    sample = [dict(fps=8.0)]
    assert metric.score_batch([lazy], sample) == metric.score_batch([videos[2]], sample)
