"""Light-VQA+ (reconstructed): checkpoint layout, CLIP guidance features, short/long videos, invariances."""
from __future__ import annotations

import math

import pytest
import torch
from helpers.tiny_hf import build_tiny_clip
from vq_helpers import TinyMotion, load_key_table, random_state

from aigve.metrics.video_quality._common import load_state_dict_file
from aigve.metrics.video_quality.lightvqa_plus import (
    LightVQAPlus,
    LightVQAPlusNet,
    brightness_consistency,
    key_frame_indices,
    segment_means,
    tile_frames,
)
from aigve.metrics.video_quality.lightvqa_plus.lightvqa_plus_metric import build_clip_exposure_prompts
from aigve.registry import METRICS

TILE = 16  # the tiny CLIP's image size; frames are 3 x 5 tiles = 48 x 80 (fast on two cores)
SMALL = dict(frame_size=(3 * TILE, 5 * TILE), tile_size=TILE, motion_size=32, device='cpu')
LIGHT_SWIN = dict(embed_dim=96, depths=(2, 2, 2, 2), num_heads=(3, 6, 12, 24), window_size=7)


def _light_net() -> LightVQAPlusNet:
    """Swin with 2 blocks per stage (same widths and head as Swin-S); head2 bias inside [0, 100]."""
    torch.manual_seed(0)
    net = LightVQAPlusNet(swin=LIGHT_SWIN).eval()
    with torch.no_grad():
        net.head2.bias.fill_(50.0)  # random heads would otherwise often clamp every score to 0
        net.head2.weight.mul_(100.0)
    return net


@pytest.fixture(scope='module')
def metric(tmp_path_factory) -> LightVQAPlus:
    clip_dir = build_tiny_clip(tmp_path_factory.mktemp('tiny_clip'), image_size=TILE)
    return LightVQAPlus(net=_light_net(), motion_extractor=TinyMotion(),
                        exposure_prompts=build_clip_exposure_prompts(str(clip_dir)), pretrained=False, **SMALL)


def test_checkpoint_layout_loads_strict(tmp_path) -> None:
    # Light-VQA's final_fusion_model.swin_small_patch4_window7_224 keys; head input 4440 (reconstructed)
    table = load_key_table('lightvqa_plus_keys.json')
    net = LightVQAPlusNet()
    assert {k: list(v.shape) for k, v in net.state_dict().items()} == table
    path = tmp_path / 'lightvqa_plus.pth'
    torch.save(random_state(table), path)
    net.load_state_dict(load_state_dict_file(str(path)), strict=True)
    v1 = dict(random_state(table))
    v1['head.weight'] = torch.zeros(1024, 4112)  # Light-VQA (v1) head: must be refused, not half-loaded
    with pytest.raises(RuntimeError, match='head.weight'):
        net.load_state_dict(v1, strict=True)


def test_key_frames_and_tiles() -> None:
    assert key_frame_indices(200) == [0, 28, 57, 85, 114, 142, 171, 199]
    assert key_frame_indices(1) == [0] * 8
    frames = torch.arange(2 * 3 * 6 * 10, dtype=torch.float).view(2, 3, 6, 10)
    tiles = tile_frames(frames, 2)
    assert tiles.shape == (30, 3, 2, 2)
    # columns outer, rows inner: tile 1 is row 1 of column 0
    assert torch.equal(tiles[1], frames[0, :, 2:4, 0:2]) and torch.equal(tiles[3], frames[0, :, 0:2, 2:4])
    with pytest.raises(ValueError, match='multiple'):
        tile_frames(torch.zeros(1, 3, 5, 4), 2)


def test_segments_and_brightness_consistency() -> None:
    x = torch.arange(20.).unsqueeze(1)
    means = segment_means(x)
    assert means.shape == (8, 1) and means[0].item() == 0.5 and means[7].item() == pytest.approx(16.5)
    assert segment_means(torch.arange(3.).unsqueeze(1)).flatten().tolist() == [0, 0, 0, 1, 1, 1, 2, 2]
    const = brightness_consistency(torch.ones(50, 75))
    assert const.shape == (8, 300) and torch.count_nonzero(const) == 0  # no change -> no variance
    moving = brightness_consistency(torch.randn(50, 75))
    assert (moving > 0).all()
    assert torch.equal(moving[0, 225:], moving[7, 225:])  # step 8: one segment shared by all key frames
    assert torch.equal(moving[0, 75:150], moving[1, 75:150])  # step 2: key frames 0 and 1 share a segment
    assert brightness_consistency(torch.randn(1, 75)).abs().sum() == 0  # one frame: variance 0, not NaN


def test_clip_probabilities(metric: LightVQAPlus, videos) -> None:
    noise, exposure = metric.clip_probabilities(videos[2])
    assert noise.shape == exposure.shape == (16, 75)
    # softmax over 5 prompts x 10, for each of the 15 tiles
    assert torch.allclose(exposure.view(16, 15, 5).sum(-1), torch.full((16, 15), 10.0), atol=1e-4)
    assert exposure.std() > 1e-3, 'tiny CLIP must tell tiles apart'


def test_scores_finite_deterministic_batch_independent(metric: LightVQAPlus, videos) -> None:
    one_by_one = [metric.score(v)['lightvqa_plus'] for v in videos]
    assert all(math.isfinite(s) and 0.0 <= s <= 100.0 for s in one_by_one)
    metric.evaluate_videos(videos, batch_size=4)
    batched = [r['lightvqa_plus/lightvqa_plus'] for r in metric.per_video]
    assert batched == pytest.approx(one_by_one, abs=1e-3)  # fp32 on a 0-100 scale
    with torch.no_grad():
        per_frame = metric.score_video(videos[3])
    assert float(per_frame.mean()) == one_by_one[3]  # deterministic
    assert per_frame.shape == (8,) and per_frame.std() > 0.1, 'random weights must not give a constant score'


def test_registry_and_arguments(metric: LightVQAPlus) -> None:
    parts = dict(net=metric.net, motion_extractor=metric.motion_extractor, exposure_prompts=metric.exposure_prompts)
    assert isinstance(METRICS.build(dict(type='LightVQAPlus', pretrained=False, **parts, **SMALL)), LightVQAPlus)
    with pytest.raises(ValueError, match='frame_size'):
        LightVQAPlus(pretrained=False, frame_size=(100, 100), tile_size=TILE, **parts)
    with pytest.raises(ValueError, match='clip_len'):
        LightVQAPlus(pretrained=False, clip_len=2, **parts, **SMALL)
