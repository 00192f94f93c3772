"""GSTVQA: checkpoint layout, VGG16 multi-scale features, short/long videos, invariances."""
from __future__ import annotations

import math

import pytest
import torch
from vq_helpers import FRAME_COUNTS, TinyMultiScale, make_video, nondegenerate_init_

from aigve.metrics.video_quality.gstvqa import GSTVQA, GSTVQANet, stretch_frames, video_statistics
from aigve.metrics.video_quality.gstvqa.functional import GSTVQA_CHECKPOINTS, pyramid_pool
from aigve.models.vgg_features import VGG16MultiScale
from aigve.registry import METRICS

# From Baoliang93/GSTVQA cross_test.py GSTVQA() defaults + channel_attention.ChannelAttention(2944, 320):
# this is what `torch.save(model.state_dict())` wrote into training-all-data-GSTVQA-*-EXP0-best.
GSTVQA_KEYS = {
    'q_reg': [32], 'q_mean': [32],
    'ann.fc0.weight': [256, 1472], 'ann.fc0.bias': [256], 'ann.fc.weight': [256, 256], 'ann.fc.bias': [256],
    'rnn.weight_ih_l0': [96, 256], 'rnn.weight_hh_l0': [96, 32], 'rnn.bias_ih_l0': [96], 'rnn.bias_hh_l0': [96],
    'q.weight': [1, 32], 'q.bias': [1],
    'CA.bottleneck.0.weight': [320, 1472], 'CA.bottleneck.0.bias': [320],
    'CA.bottleneck.2.weight': [1472, 320], 'CA.bottleneck.2.bias': [1472],
    'q_reg2.weight': [1, 127], 'q_reg2.bias': [1],
    'q_att.0.weight': [1, 32, 15], 'q_att.0.bias': [1], 'q_att.2.weight': [1, 1, 15], 'q_att.2.bias': [1],
}
# torchvision vgg16 `features` convolutions (IMAGENET1K_V1 file vgg16-397923af.pth).
VGG16_CONVS = {0: (64, 3), 2: (64, 64), 5: (128, 64), 7: (128, 128), 10: (256, 128), 12: (256, 256),
               14: (256, 256), 17: (512, 256), 19: (512, 512), 21: (512, 512), 24: (512, 512), 26: (512, 512),
               28: (512, 512)}


def _released_state(seed: int = 3) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return {k: torch.randn(s, generator=g) * 0.05 for k, s in GSTVQA_KEYS.items()}


@pytest.fixture(scope='module')
def metric() -> GSTVQA:
    net = GSTVQANet()
    net.load_state_dict(_released_state(), strict=True)
    return GSTVQA(feature_extractor=TinyMultiScale(), net=net, pretrained=False, device='cpu', frame_batch_size=7)


def test_released_checkpoint_layout_loads_strict() -> None:
    net = GSTVQANet()
    assert {k: list(v.shape) for k, v in net.state_dict().items()} == GSTVQA_KEYS
    net.load_state_dict(_released_state(), strict=True)
    bad = _released_state()
    bad['q_reg2.weight'] = torch.zeros(1, 63)
    with pytest.raises(RuntimeError, match='q_reg2'):
        net.load_state_dict(bad, strict=True)


def test_vgg16_checkpoint_layout() -> None:
    model = VGG16MultiScale()
    state = {k: list(v.shape) for k, v in model.state_dict().items()}
    expected = {}
    for idx, (out, inp) in VGG16_CONVS.items():
        expected[f'features.{idx}.weight'] = [out, inp, 3, 3]
        expected[f'features.{idx}.bias'] = [out]
    assert state == expected


def test_multiscale_features_shape_and_nondegenerate() -> None:
    model = nondegenerate_init_(VGG16MultiScale())
    x = torch.randn(3, 3, 32, 48)
    mean, std = model(x)
    # the real trunk inside the metric, on a short uint8 video (native resolution, ImageNet normalised)
    real = GSTVQA(feature_extractor=model, net=GSTVQANet(), pretrained=False, device='cpu')
    feats = real.frame_features(make_video(3, 32, 48))
    assert feats.shape == (3, 2944) and feats.std() > 0.1
    assert math.isfinite(real.score(make_video(3, 32, 48))['gstvqa'])
    assert mean.shape == std.shape == (3, 1472)
    # stage widths 64/128/256/512/512 in order: the last 512 are relu5_3 statistics
    assert torch.isfinite(mean).all() and torch.isfinite(std).all()
    assert mean.std() > 0.1 and std.std() > 0.1, 'random VGG16 must give non-degenerate features'
    assert (std >= 0).all() and (mean >= 0).all()  # post-ReLU maps


def test_video_statistics_is_population_std_of_mean_half() -> None:
    f = torch.tensor([[1.0, 10.0, 0.0, 0.0], [3.0, 10.0, 5.0, 5.0]])
    assert video_statistics(f).tolist() == [1.0, 0.0]


def test_stretch_frames_nearest() -> None:
    x = torch.arange(3.0).unsqueeze(1)
    out = stretch_frames(x)
    assert out.shape == (29, 1)
    assert out[0].item() == 0 and out[-1].item() == 2 and sorted(set(out.flatten().tolist())) == [0, 1, 2]
    assert stretch_frames(torch.zeros(40, 2)).shape == (40, 2)
    with pytest.raises(ValueError, match='at least one frame'):
        stretch_frames(torch.zeros(0, 2))


def test_pyramid_pool_rows() -> None:
    q = torch.rand(10, 4)
    att = torch.ones(10, 4)
    out = pyramid_pool(q, att, levels=7)
    assert out.shape == (127, 4)
    assert torch.allclose(out[0], q.mean(0)) and torch.allclose(out[1:3].mean(0), q.mean(0))


def test_short_sequence_rejected_by_network() -> None:
    with pytest.raises(ValueError, match='at least 29'):
        GSTVQANet()(torch.zeros(28, 2944), torch.zeros(1472))


def test_scores_finite_deterministic_batch_independent(metric: GSTVQA, videos) -> None:
    one_by_one = [metric.score(v) for v in videos]
    for s in one_by_one:
        assert math.isfinite(s['gstvqa']) and math.isfinite(s['gstvqa_mos'])
        assert s['gstvqa_mos'] == pytest.approx(s['gstvqa'] * GSTVQA_CHECKPOINTS['konvid'][2])
    metric.evaluate_videos(videos, batch_size=4)
    batched = [r['gstvqa/gstvqa'] for r in metric.per_video]
    # tolerance: same ops, only batch composition differs; fp32 reductions on CPU
    assert batched == pytest.approx([s['gstvqa'] for s in one_by_one], abs=1e-5)
    assert metric.score(videos[2])['gstvqa'] == one_by_one[2]['gstvqa']
    assert len({round(s['gstvqa'], 6) for s in one_by_one}) == len(FRAME_COUNTS), 'scores must depend on input'


def test_frame_features_batching_and_truncation(metric: GSTVQA, videos) -> None:
    feats = metric.frame_features(videos[3])
    assert feats.shape == (200, 2944)
    assert feats.std() > 0.1
    small = GSTVQA(feature_extractor=metric.feature_extractor, net=metric.net, pretrained=False, device='cpu',
                   frame_batch_size=64, max_len=50)
    assert torch.allclose(small.frame_features(videos[3]), feats, atol=1e-5)  # statistics use every frame
    assert small.score(videos[3])['gstvqa'] != metric.score(videos[3])['gstvqa']  # max_len takes effect


def test_lazy_video_streams_with_the_same_score(metric: GSTVQA, videos, tmp_path) -> None:
    from helpers.videos import lazy_copy

    lazy = lazy_copy(videos[3], tmp_path, 'long', chunk_frames=9)  # 200 frames, 7-frame batches across chunks
    assert metric.score(lazy) == metric.score(videos[3])  # same frames in the same batches: bit-identical


def test_registry_and_arguments(metric: GSTVQA) -> None:
    built = METRICS.build(dict(type='GSTVQA', feature_extractor=metric.feature_extractor, net=metric.net,
                               pretrained=False, device='cpu', train_set='livevqc'))
    assert isinstance(built, GSTVQA) and built.label_scale == pytest.approx(94.2865)
    with pytest.raises(ValueError, match='train_set'):
        GSTVQA(train_set='youtube', pretrained=False, feature_extractor=metric.feature_extractor, net=metric.net)
    with pytest.raises(ValueError, match='frame_batch_size'):
        GSTVQA(frame_batch_size=0, pretrained=False, feature_extractor=metric.feature_extractor, net=metric.net)
    with pytest.raises(ValueError, match='uint8'):
        metric.score(torch.zeros(2, 3, 32, 32))
