"""SimpleVQA and the shared SlowFast-R50: checkpoint layouts, sampling, short/long videos, invariances."""
from __future__ import annotations

import math

import pytest
import torch
from torchvision.models.resnet import Bottleneck, ResNet
from vq_helpers import TinyMotion, load_key_table, nondegenerate_init_, random_state

from aigve.metrics.video_quality._common import load_state_dict_file
from aigve.metrics.video_quality.simple_vqa import (
    SimpleVQA,
    SimpleVQANet,
    key_frame_indices,
    motion_clip_indices,
    seconds_in_video,
)
from aigve.models.slowfast import SlowFastR50, extract_state_dict, pack_pathways
from aigve.registry import METRICS

SMALL = dict(resize_short=72, crop_size=64, motion_size=32, device='cpu')


def _light_net() -> SimpleVQANet:
    """SimpleVQANet on a one-block-per-stage ResNet: same widths (512/1024/2048) and head, 3x cheaper."""
    torch.manual_seed(0)
    return nondegenerate_init_(SimpleVQANet(trunk=ResNet(Bottleneck, [1, 1, 1, 1])))


@pytest.fixture(scope='module')
def metric() -> SimpleVQA:
    return SimpleVQA(net=_light_net(), motion_extractor=TinyMotion(), pretrained=False, **SMALL)


def test_released_checkpoint_layout_loads_strict(tmp_path) -> None:
    # UGC_BVQA_model.resnet50 wrapped in nn.DataParallel, as test_demo.py loads ckpts/UGC_BVQA_model.pth
    table = load_key_table('simplevqa_lsvq_keys.json')
    assert all(k.startswith('module.') for k in table) and table['module.quality.0.weight'] == [128, 9472]
    path = tmp_path / 'UGC_BVQA_model.pth'
    torch.save(random_state(table), path)
    net = SimpleVQANet()
    net.load_state_dict(load_state_dict_file(str(path)), strict=True)
    assert {'module.' + k: list(v.shape) for k, v in net.state_dict().items()} == table


def test_slowfast_checkpoint_layout_loads_strict(tmp_path) -> None:
    # PyTorchVideo slowfast_r50 (SLOWFAST_8x8_R50.pyth stores the state dict under 'model_state')
    table = load_key_table('slowfast_r50_k400_keys.json')
    model = SlowFastR50()
    assert {k: list(v.shape) for k, v in model.state_dict().items()} == table
    path = tmp_path / 'SLOWFAST_8x8_R50.pyth'
    torch.save({'model_state': random_state(table), 'epoch': 196}, path)
    model.load_state_dict(load_state_dict_file(str(path)), strict=True)
    with pytest.raises(TypeError, match='state dict'):
        extract_state_dict([1, 2])


def test_slowfast_features_nondegenerate_and_batch_independent() -> None:
    model = nondegenerate_init_(SlowFastR50())
    clips = torch.randn(2, 3, 16, 32, 32)  # 16 frames keep it fast; the pooling kernel is clamped to the map
    feats = model.forward_features(pack_pathways(clips))
    assert feats.shape == (2, 2304) and torch.isfinite(feats).all()
    assert feats.std() > 0.1, 'random SlowFast must give non-degenerate features'
    single = model.forward_features(pack_pathways(clips[1:]))
    assert torch.allclose(single, feats[1:], rtol=1e-4, atol=1e-4)  # fp32 conv reordering across batch sizes
    assert model(pack_pathways(clips[:1])).shape == (1, 400)


def test_slowfast_matches_pytorchvideo() -> None:
    """Same weights in PyTorchVideo's slowfast_r50 and ours give the same features (skipped without it)."""
    hub = pytest.importorskip('pytorchvideo.models.hub')
    ref = nondegenerate_init_(hub.slowfast_r50(pretrained=False))
    ours = SlowFastR50().eval()
    ours.load_state_dict(ref.state_dict(), strict=True)
    x = pack_pathways(torch.randn(1, 3, 32, 64, 64))
    y = [t.clone() for t in x]
    for block in ref.blocks[:5]:
        y = block(y)
    # below 224x224 PyTorchVideo's fixed 7x7 head pool cannot run; at this size ours is the global mean
    expected = torch.cat([t.mean(dim=(2, 3, 4)) for t in y], dim=1)
    assert torch.allclose(ours.forward_features(x), expected, rtol=1e-5, atol=1e-4)


def test_pack_pathways() -> None:
    clips = torch.arange(32.).view(1, 1, 32, 1, 1).expand(1, 3, 32, 2, 2)
    slow, fast = pack_pathways(clips)
    assert fast.shape[2] == 32 and slow[0, 0, :, 0, 0].tolist() == [0, 4, 8, 13, 17, 22, 26, 31]
    with pytest.raises(ValueError, match='at least 4'):
        pack_pathways(torch.zeros(1, 3, 3, 2, 2))


def test_sampling_follows_test_demo() -> None:
    assert seconds_in_video(250, 25) == 10 and seconds_in_video(10, 25) == 1
    assert key_frame_indices(250, 25) == [0, 25, 50, 75, 100, 125, 150, 175, 200, 225]
    assert key_frame_indices(60, 25) == [0, 25] + [25] * 6  # padded to 8 seconds with the last key frame
    clips = motion_clip_indices(60, 25)
    assert len(clips) == 8 and clips[0] == list(range(32)) and clips[1][:10] == list(range(25, 35))
    assert clips[1][-1] == 56 and clips[1] == clips[7]  # past the end: the last clip frame repeated
    assert motion_clip_indices(70, 25)[1][-1] == 56 and motion_clip_indices(50, 25)[1][-1] == 49


def test_scores_finite_deterministic_batch_independent(metric: SimpleVQA, videos) -> None:
    samples = [dict(video=f'v{i}', fps=25.0) for i in range(len(videos))]  # 200 frames -> 8 seconds
    one_by_one = [metric.score_batch([v], [s])[0]['simple_vqa'] for v, s in zip(videos, samples)]
    assert all(math.isfinite(s) for s in one_by_one)
    batched = [s['simple_vqa'] for s in metric.score_batch(videos, samples)]
    # fp32 CPU; only the composition of the model calls differs
    assert batched == pytest.approx(one_by_one, abs=1e-4)
    assert metric.score_batch([videos[3]], [samples[3]])[0]['simple_vqa'] == one_by_one[3]
    assert len({round(s, 5) for s in one_by_one}) == len(videos)


def test_features_nondegenerate(metric: SimpleVQA, videos) -> None:
    frames = metric.key_frames(videos[3][key_frame_indices(200, 20, 8)])
    assert frames.shape == (10, 3, 64, 64)
    spatial = metric.net.spatial_features(frames)
    motion = metric.motion_features(videos[3], motion_clip_indices(200, 20, metric.clip_len, 8))
    assert spatial.shape == (10, 7168) and motion.shape == (10, 2304)
    assert spatial.std() > 0.1 and motion.std() > 0.1


def test_seconds_in_passes_equal_one_pass_and_lazy_video(metric: SimpleVQA, videos, tmp_path) -> None:
    from helpers.videos import lazy_copy

    video = videos[3]  # 200 frames at 10 fps: 20 seconds, 3 passes of 8
    keys, clips = key_frame_indices(200, 10, 8), motion_clip_indices(200, 10, metric.clip_len, 8)
    spatial = metric.net.spatial_features(metric.key_frames(video[keys]))
    one_pass = metric.net.quality(torch.cat([spatial, metric.motion_features(video, clips)], dim=1)).mean()
    assert metric.score_video(video, 10) == pytest.approx(float(one_pass), abs=1e-5)  # fp32, batch shapes
    lazy = lazy_copy(video, tmp_path, 'long', chunk_frames=16)
    assert metric.score_video(lazy, 10) == metric.score_video(video, 10)  # only the needed frames decoded


def test_fps_drives_sampling_and_fallback(metric: SimpleVQA, videos) -> None:
    video = videos[3]
    at_8 = metric.score_batch([video], [dict(fps=20.0)])[0]['simple_vqa']  # 10 seconds instead of 8
    at_25 = metric.score_batch([video], [dict(fps=25.0)])[0]['simple_vqa']
    assert at_8 != at_25
    fallback = metric.score(video)['simple_vqa']  # samples without fps use fallback_fps = 25
    assert fallback == pytest.approx(at_25, abs=1e-6)
    assert metric.video_fps(dict(fps=29.97)) == 30


def test_registry_and_arguments(metric: SimpleVQA) -> None:
    built = METRICS.build(dict(type='SimpleVQA', net=metric.net, motion_extractor=metric.motion_extractor,
                               pretrained=False, **SMALL))
    assert isinstance(built, SimpleVQA)
    with pytest.raises(ValueError, match='crop_size'):
        SimpleVQA(net=metric.net, motion_extractor=metric.motion_extractor, pretrained=False, crop_size=600)
    with pytest.raises(ValueError, match='fallback_fps'):
        SimpleVQA(net=metric.net, motion_extractor=metric.motion_extractor, pretrained=False, fallback_fps=0)
    with pytest.raises(ValueError, match='same length'):
        metric.net(torch.zeros(2, 3, 64, 64), torch.zeros(3, 2304))
