"""Light-VQA+ (reconstructed): checkpoint layout, fusion and HVS math, CLIP guidance, short/long videos."""
from __future__ import annotations

import math

import pytest
import torch
from helpers.tiny_hf import build_tiny_clip
from vq_helpers import TinyMotion, load_key_table, random_state

from aigve.metrics.video_quality._common import load_state_dict_file
from aigve.metrics.video_quality.lightvqa_plus import (
    CrossAttention,
    CrossAttentionFusion,
    LightVQAPlus,
    LightVQAPlusNet,
    brightness_consistency,
    hvs_pool,
    key_frame_indices,
    multi_head_attention,
    segment_means,
    tile_frames,
)
from aigve.metrics.video_quality.lightvqa_plus.lightvqa_plus_metric import build_clip_exposure_prompts
from aigve.registry import METRICS

TILE = 16  # the tiny CLIP's image size; frames are 3 x 5 tiles = 48 x 80 (fast on two cores)
SMALL = dict(frame_size=(3 * TILE, 5 * TILE), tile_size=TILE, motion_size=32, device='cpu')
LIGHT_SWIN = dict(embed_dim=96, depths=(2, 2, 2, 2), num_heads=(3, 6, 12, 24), window_size=7)
#: Parameters after the Swin trunk, written by hand from the reconstruction (dim 768, 8 heads, head 1024,
#: HVS hidden 128); spatial in = 768 + 300 + 768, temporal in = 2304 + 300. The names are ours: the real
#: Light-VQA+ checkpoint keys are unknown.
FUSION_HEAD_TABLE = {
    'spatial_proj.weight': [768, 1836], 'spatial_proj.bias': [768],
    'temporal_proj.weight': [768, 2604], 'temporal_proj.bias': [768],
    **{f'fusion.{side}_attn.{proj}.{p}': [768, 768] if p == 'weight' else [768]
       for side in ('spatial', 'temporal') for proj in ('query', 'key', 'value', 'out') for p in ('weight', 'bias')},
    'fusion.spatial_norm.weight': [768], 'fusion.spatial_norm.bias': [768],
    'fusion.temporal_norm.weight': [768], 'fusion.temporal_norm.bias': [768],
    'head.weight': [1024, 1536], 'head.bias': [1024],
    'head1.weight': [64, 1024], 'head1.bias': [64],
    'head2.weight': [1, 64], 'head2.bias': [1],
    'hvs.proj.weight': [128, 1536], 'hvs.proj.bias': [128],
    'hvs.score.weight': [1, 128], 'hvs.score.bias': [1],
}


def _light_net() -> LightVQAPlusNet:
    """Swin with 2 blocks per stage (same widths, fusion and head as Swin-S); head2 bias inside [0, 100]."""
    torch.manual_seed(0)
    net = LightVQAPlusNet(swin=LIGHT_SWIN).eval()
    with torch.no_grad():
        net.head2.bias.fill_(50.0)  # random heads would otherwise often clamp every score to 0
        net.head2.weight.mul_(100.0)
        net.hvs.score.weight.mul_(20.0)  # default init gives logits within +-0.1: nearly uniform weights
    return net


@pytest.fixture(scope='module')
def metric(tmp_path_factory) -> LightVQAPlus:
    clip_dir = build_tiny_clip(tmp_path_factory.mktemp('tiny_clip'), image_size=TILE)
    return LightVQAPlus(net=_light_net(), motion_extractor=TinyMotion(),
                        exposure_prompts=build_clip_exposure_prompts(str(clip_dir))[0], pretrained=False, **SMALL)


def test_checkpoint_layout_loads_strict(tmp_path) -> None:
    # Swin trunk: Light-VQA's final_fusion_model.swin_small_patch4_window7_224 keys (table file); the rest is ours
    old_table = load_key_table('lightvqa_plus_keys.json')  # the previous concatenation head (input 4440)
    table = {k: v for k, v in old_table.items() if not k.startswith('head')} | FUSION_HEAD_TABLE
    net = LightVQAPlusNet()
    assert {k: list(v.shape) for k, v in net.state_dict().items()} == table
    path = tmp_path / 'lightvqa_plus.pth'
    torch.save(random_state(table), path)
    net.load_state_dict(load_state_dict_file(str(path)), strict=True)
    # the concatenation-head reconstruction (and Light-VQA v1) must be refused, with the keys named
    with pytest.raises(RuntimeError, match=r'(?s)Missing key.*spatial_proj.weight.*size mismatch for head.weight'):
        net.load_state_dict(random_state(old_table), strict=True)


@torch.no_grad()
def test_multi_head_attention_matches_torch() -> None:
    torch.manual_seed(0)
    attn = CrossAttention(dim=16, num_heads=4)
    ref = torch.nn.MultiheadAttention(16, 4, batch_first=True)
    ref.in_proj_weight.copy_(torch.cat([attn.query.weight, attn.key.weight, attn.value.weight]))
    ref.in_proj_bias.copy_(torch.cat([attn.query.bias, attn.key.bias, attn.value.bias]))
    ref.out_proj.weight.copy_(attn.out.weight)
    ref.out_proj.bias.copy_(attn.out.bias)
    x, context = torch.randn(2, 3, 16), torch.randn(2, 5, 16)  # Lq != Lk
    out = attn(x, context)
    assert out.shape == (2, 3, 16) and out.std() > 0.1
    # same float32 math in a different order: 1e-5
    assert torch.allclose(out, ref(x, context, context, need_weights=False)[0], atol=1e-5)
    # 2 heads of width 2. Head 1: the query matches key 1 only (logit gap 200 / sqrt(2)) and takes its
    # value (1, 2); head 2 sees q = k = 0, equal weights, the mean ((3 + 7) / 2, (4 + 8) / 2) = (5, 6)
    q = torch.tensor([[[10.0, 0.0, 0.0, 0.0]]])
    k = torch.tensor([[[10.0, 0.0, 0.0, 0.0], [-10.0, 0.0, 0.0, 0.0]]])
    v = torch.tensor([[[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]]])
    assert torch.allclose(multi_head_attention(q, k, v, 2), torch.tensor([[[1.0, 2.0, 5.0, 6.0]]]), atol=1e-6)
    with pytest.raises(ValueError, match='num_heads'):
        CrossAttention(dim=16, num_heads=5)


def test_hvs_pool() -> None:
    assert hvs_pool(torch.tensor([1.0, 3.0]), torch.tensor([0.0, math.log(3.0)])).item() == pytest.approx(2.5)
    logits = torch.randn(2, 8)
    const = hvs_pool(torch.full((2, 8), 42.0), logits)  # constant clip quality gives that constant
    assert const.shape == (2, ) and torch.allclose(const, torch.full((2, ), 42.0))
    scores = torch.rand(2, 8) * 100
    assert torch.allclose(hvs_pool(scores, torch.zeros(2, 8)), scores.mean(1))  # equal weights: the mean
    assert torch.allclose(hvs_pool(scores, logits + 5.0), hvs_pool(scores, logits))  # softmax shift invariance
    pooled = hvs_pool(scores, logits)
    assert (pooled >= scores.min(1).values).all() and (pooled <= scores.max(1).values).all()  # convex weights
    with pytest.raises(ValueError, match='same'):
        hvs_pool(torch.zeros(8), torch.zeros(7))


@torch.no_grad()
def test_cross_attention_fusion_shapes_and_mixing() -> None:
    torch.manual_seed(0)
    fusion = CrossAttentionFusion(dim=32, num_heads=4).eval()
    spatial, temporal = torch.randn(3, 8, 32), torch.randn(3, 8, 32)
    fused = fusion(spatial, temporal)
    assert fused.shape == (3, 8, 64)
    assert fused.std() == pytest.approx(1.0, abs=0.05)  # LayerNorm outputs: non-degenerate
    one_by_one = torch.stack([fusion(spatial[i], temporal[i]) for i in range(3)])
    assert torch.allclose(fused, one_by_one, atol=1e-6)  # videos do not see each other
    moved = temporal.clone()
    moved[0, 5] += 1.0  # one temporal clip changes every spatial token of that video only
    changed = (fusion(spatial, moved) - fused).abs().amax(-1)
    assert (changed[0] > 1e-4).all() and changed[1:].max() == 0


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
        scores, logits = metric.clip_quality(videos[3])
    assert float(hvs_pool(scores, logits)) == one_by_one[3]  # deterministic, and the score is the HVS pool
    assert scores.shape == logits.shape == (8, )
    assert scores.std() > 0.1, 'random weights must not give a constant score'
    assert logits.std() > 0.1, 'HVS weights must not be uniform'


def test_lazy_video_streams_with_the_same_score(metric: LightVQAPlus, videos, tmp_path) -> None:
    from helpers.videos import lazy_copy

    lazy = lazy_copy(videos[2], tmp_path, 'v16', chunk_frames=5)  # 16 frames in chunks of 5
    assert metric.score(lazy) == metric.score(videos[2])  # same frames in the same batches: bit-identical


def test_registry_and_arguments(metric: LightVQAPlus) -> None:
    parts = dict(net=metric.net, motion_extractor=metric.motion_extractor, exposure_prompts=metric.exposure_prompts)
    assert isinstance(METRICS.build(dict(type='LightVQAPlus', pretrained=False, **parts, **SMALL)), LightVQAPlus)
    small_head = dict(dim=64, num_heads=4, first_fc=32, hvs_hidden=8, swin=LIGHT_SWIN)
    built = LightVQAPlus(pretrained=False, net_cfg=small_head, motion_extractor=metric.motion_extractor,
                         exposure_prompts=metric.exposure_prompts, **SMALL)
    assert built.net.fusion.spatial_attn.num_heads == 4 and built.net.hvs.proj.weight.shape == (8, 128)
    with pytest.raises(ValueError, match='frame_size'):
        LightVQAPlus(pretrained=False, frame_size=(100, 100), tile_size=TILE, **parts)
    with pytest.raises(ValueError, match='clip_len'):
        LightVQAPlus(pretrained=False, clip_len=2, **parts, **SMALL)
