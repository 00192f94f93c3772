"""VBench subject consistency: DINO module (key table, strict load, parity with DINO's code, pos-embed rule),
VBench's dino_transform, the s_i formula against a transcription of VBench's loop, frame weighting, batching."""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from helpers.vbench_tiny import TINY_DINO, smooth_video, tiny_dino, tiny_dino_state, vbench_consistency_loop

from aigve.metrics import SubjectConsistency
from aigve.metrics.vbench._common import FrameWeightedMetric, consistency_scores, dino_transform, frame_weighted_mean
from aigve.models import dino_vit
from aigve.models.dino_vit import DinoVisionTransformer, convert_hf_vit_state_dict, interpolate_pos_embed
from aigve.registry import METRICS

DATA = Path(__file__).resolve().parents[2] / 'data' / 'vbench'


@pytest.fixture(scope='module')
def net():
    return tiny_dino()


@pytest.fixture
def metric(net):
    return SubjectConsistency(net=net, image_size=32, device='cpu')


# ----------------------------------------------------------------------------------- DINO module
def test_state_dict_matches_the_released_checkpoint_key_table():
    table = json.loads((DATA / 'dino_keys.json').read_text())
    with torch.device('meta'):  # shapes only, no 340 MB of memory
        net = dino_vit.dino_vitb16()
    assert {k: list(v.shape) for k, v in net.state_dict().items()} == table  # every key and shape, nothing more
    net.load_state_dict({k: torch.zeros(s, device='meta') for k, s in table.items()}, strict=True, assign=True)
    assert net.norm.eps == 1e-6 and net.blocks[0].norm1.eps == 1e-6


def test_parity_with_dinos_own_vision_transformer(net):
    """Outputs of DINO's ``VisionTransformer`` (same tiny weights) stored in dino_reference.json, square and
    non-square inputs (the latter through the position-embedding interpolation). Tolerance 1e-5: our attention
    is ``scaled_dot_product_attention``, DINO's an explicit softmax (observed difference <= 1e-6)."""
    ref = json.loads((DATA / 'dino_reference.json').read_text())
    assert set(ref['outputs']) == {'32x32', '48x40', '48x48', '40x56'}
    for key, expected in ref['outputs'].items():
        h, w = map(int, key.split('x'))
        x = torch.randn(2, 3, h, w, generator=torch.Generator().manual_seed(h * 1000 + w))
        torch.testing.assert_close(net(x).double(), torch.tensor(expected, dtype=torch.float64), atol=1e-5, rtol=0)


def _cubic(x: float, a: float = -0.75) -> float:
    x = abs(x)
    if x <= 1:
        return (a + 2) * x**3 - (a + 3) * x**2 + 1
    return a * x**3 - 5 * a * x**2 + 8 * a * x - 4 * a if x < 2 else 0.0


def _bicubic_axis(arr: np.ndarray, out_n: int, scale: float, axis: int) -> np.ndarray:
    """PyTorch's bicubic rule by hand: source = (i + 0.5) / scale - 0.5, Keys kernel a=-0.75, edge clamping."""
    n = arr.shape[axis]
    rows = []
    for i in range(out_n):
        src = (i + 0.5) / scale - 0.5
        f = math.floor(src)
        t = src - f
        weights = [_cubic(1 + t), _cubic(t), _cubic(1 - t), _cubic(2 - t)]
        rows.append(sum(wt * np.take(arr, min(max(f - 1 + j, 0), n - 1), axis=axis) for j, wt in enumerate(weights)))
    return np.stack(rows, axis=axis)


def test_pos_embed_interpolation_is_dinos_scale_factor_rule():
    g = torch.Generator().manual_seed(3)
    pos = torch.randn(1, 1 + 16, 5, generator=g)  # a 4x4 grid of 5-d embeddings and the class position
    out = interpolate_pos_embed(pos, 48, 40, 8)  # 6 x 5 patches
    assert out.shape == (1, 1 + 30, 5)
    torch.testing.assert_close(out[:, 0], pos[:, 0], atol=0, rtol=0)
    grid = pos[0, 1:].reshape(4, 4, 5).double().numpy()
    hand = _bicubic_axis(_bicubic_axis(grid, 6, 6.1 / 4, 0), 5, 5.1 / 4, 1)  # scale (H//p + 0.1) / sqrt(N)
    np.testing.assert_allclose(out[0, 1:].reshape(6, 5, 5).double().numpy(), hand, atol=1e-5, rtol=0)
    # resampling to the output size instead (timm / transformers style) gives other values
    by_size = F.interpolate(pos[:, 1:].reshape(1, 4, 4, 5).permute(0, 3, 1, 2), size=(6, 5), mode='bicubic',
                            align_corners=False).permute(0, 2, 3, 1).reshape(1, 30, 5)
    assert float((by_size - out[:, 1:]).abs().max()) > 1e-3


def test_pos_embed_kept_for_the_trained_square_size():
    pos = torch.randn(1, 17, 5)
    assert interpolate_pos_embed(pos, 32, 32, 8) is pos
    assert interpolate_pos_embed(pos, 48, 48, 8).shape == (1, 37, 5)  # square but larger: interpolated


def test_tiny_backbone_is_not_degenerate(net):
    feats = SubjectConsistency(net=net, image_size=32, device='cpu').frame_features([smooth_video(6, 40, 48)])[0]
    assert 0.3 < float(feats.std()) < 5.0
    cos = F.cosine_similarity(feats[1:], feats[:-1])
    assert float(cos.max()) < 0.99  # different frames give different features


def _save_tiny(tmp_path, state):
    path = tmp_path / 'dino_vitbase16_pretrain.pth'
    torch.save(state, path)
    return path


def test_loader_is_strict_and_records_weights(tmp_path, monkeypatch, net):
    monkeypatch.setattr(dino_vit, 'dino_vitb16', lambda: DinoVisionTransformer(**TINY_DINO))
    path = _save_tiny(tmp_path, net.state_dict())
    loaded, resolved = dino_vit.load_dino_vitb16(str(tmp_path))
    assert resolved.name == 'dino-vitb16' and resolved.source == 'model_path' and len(resolved.sha256) == 64
    assert not any(p.requires_grad for p in loaded.parameters()) and not loaded.training
    x = torch.randn(1, 3, 32, 32)
    torch.testing.assert_close(loaded(x), net(x), atol=0, rtol=0)
    metric = SubjectConsistency(model_path=str(path), image_size=32, device='cpu')
    assert list(metric.weights_used) == ['dino-vitb16']
    state = dict(net.state_dict())
    state.pop('norm.bias')
    with pytest.raises(RuntimeError, match='norm.bias'):
        dino_vit.load_dino_vitb16(str(_save_tiny(tmp_path, state)))


def test_missing_weights_offline_names_the_file_and_the_command():
    with pytest.raises(FileNotFoundError, match='dino_vitbase16_pretrain.pth') as err:
        SubjectConsistency(device='cpu')
    assert 'aigve weights download dino-vitb16' in str(err.value)
    with pytest.raises(FileNotFoundError, match='facebook/dino-vitb16'):  # the transformers layout, by hub id
        dino_vit.load_dino_vitb16('facebook/dino-vitb16')


@pytest.fixture(scope='module')
def hf_vit(tmp_path_factory):
    """A tiny transformers ``ViTModel`` (DINO's eps 1e-6, non-degenerate weights) saved with save_pretrained."""
    from transformers import ViTConfig, ViTModel

    config = ViTConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=128,
                       image_size=32, patch_size=8, layer_norm_eps=1e-6, qkv_bias=True, hidden_act='gelu')
    hf = ViTModel(config, add_pooling_layer=False).eval()
    shapes = {k: list(v.shape) for k, v in hf.state_dict().items()}
    hf.load_state_dict(tiny_dino_state(shapes, seed=5), strict=True)
    path = tmp_path_factory.mktemp('hf_vit')
    hf.save_pretrained(path)
    return hf, path


def test_transformers_vit_layout_converts_exactly(hf_vit):
    """The saved transformers folder loads into our module through the key conversion; its CLS output after
    the final norm equals ours (independent implementation, square input, no interpolation; tolerance 1e-5 for
    fp32 attention differences)."""
    hf, path = hf_vit
    ours, resolved = dino_vit.load_dino_vitb16(str(path))
    assert resolved.name == 'dino-vitb16-hf'
    x = torch.randn(3, 3, 32, 32)
    with torch.no_grad():
        expected = hf(pixel_values=x).last_hidden_state[:, 0]
    assert 0.3 < float(expected.std()) < 5.0
    torch.testing.assert_close(ours(x), expected, atol=1e-5, rtol=0)


def test_config_runs_end_to_end_on_the_toy_set(hf_vit, tmp_path):
    from aigve.core.evaluate import evaluate_config

    results = evaluate_config('configs/vbench_subject_consistency.py', work_dir=str(tmp_path),
                              cfg_options={'model_path': str(hf_vit[1]), 'val_evaluator.image_size': 32,
                                           'val_dataloader.num_workers': 0})
    metrics = results['metrics']
    assert 0.0 < metrics['subject_consistency/subject_consistency'] <= 1.0 + 1e-6
    assert metrics['subject_consistency/num_pairs'] > 0 and results['failures'] == []
    assert 'dino-vitb16-hf' in str(results['provenance']['weights'])


def test_conversion_of_the_hub_key_names_round_trips(net):
    """The hub files' names (``encoder.layer.N.attention.attention.query``...) map back onto ours exactly."""
    state = net.state_dict()
    legacy = {'vit.embeddings.cls_token': state['cls_token'], 'vit.embeddings.position_embeddings': state['pos_embed'],
              'embeddings.patch_embeddings.projection.weight': state['patch_embed.proj.weight'],
              'embeddings.patch_embeddings.projection.bias': state['patch_embed.proj.bias'],
              'layernorm.weight': state['norm.weight'], 'layernorm.bias': state['norm.bias'],
              'pooler.dense.weight': torch.zeros(32, 32), 'pooler.dense.bias': torch.zeros(32)}
    names = {'norm1': 'layernorm_before', 'norm2': 'layernorm_after', 'attn.proj': 'attention.output.dense',
             'mlp.fc1': 'intermediate.dense', 'mlp.fc2': 'output.dense'}
    for i in range(TINY_DINO['depth']):
        for kind in ('weight', 'bias'):
            for ours, theirs in names.items():
                legacy[f'encoder.layer.{i}.{theirs}.{kind}'] = state[f'blocks.{i}.{ours}.{kind}']
            q, k, v = state[f'blocks.{i}.attn.qkv.{kind}'].chunk(3, dim=0)
            for part, value in zip(('query', 'key', 'value'), (q, k, v)):
                legacy[f'encoder.layer.{i}.attention.attention.{part}.{kind}'] = value
    converted = convert_hf_vit_state_dict(legacy)
    assert set(converted) == set(state)
    for key in state:
        torch.testing.assert_close(converted[key], state[key], atol=0, rtol=0)
    with pytest.raises(KeyError, match='classifier'):
        convert_hf_vit_state_dict({**legacy, 'classifier.weight': torch.zeros(2, 32)})


# ----------------------------------------------------------------------------------- transform
def test_dino_transform_is_vbenchs():
    video = smooth_video(2, 30, 50)
    out = dino_transform(video, size=20)
    assert out.shape == (2, 3, 20, 33)  # short side 20, long side int(20 * 50 / 30): no crop
    expected = F.interpolate(video.float(), size=(20, 33), mode='bilinear', align_corners=False, antialias=False)
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    torch.testing.assert_close(out, (expected / 255 - mean) / std, atol=1e-6, rtol=0)
    same = dino_transform(smooth_video(1, 20, 24), size=20)  # short side already 20: only normalised
    torch.testing.assert_close(same, (smooth_video(1, 20, 24).float() / 255 - mean) / std, atol=1e-6, rtol=0)


# ----------------------------------------------------------------------------------- formula and metric
def test_formula_parity_with_vbenchs_loop_given_the_same_features():
    """Same features: per-video values and the aggregate agree to 1e-6 (VBench takes float32 ``.item()``
    cosines, we compute in float64)."""
    g = torch.Generator().manual_seed(0)
    feats = [torch.randn(t, 8, generator=g) + 0.8 * torch.randn(1, 8, generator=g) for t in (2, 5, 9)]
    feats.append(torch.randn(4, 8, generator=g))  # some negative cosines: the max(0, .) clamp matters
    expected_all, expected_per_video = vbench_consistency_loop(feats)
    ours = [consistency_scores(f) for f in feats]
    assert any(float(F.cosine_similarity(f[1:], f[:1]).min()) < 0 for f in feats)
    np.testing.assert_allclose([float(s.mean()) for s in ours], expected_per_video, atol=1e-6, rtol=0)
    aggregate = frame_weighted_mean([float(s.mean()) for s in ours], [s.numel() for s in ours])
    assert aggregate == pytest.approx(expected_all, abs=1e-6)
    assert aggregate != pytest.approx(float(np.mean(expected_per_video)), abs=1e-3)  # not a video mean


def test_metric_equals_vbench_given_its_backbone(metric, net):
    videos = [smooth_video(6, 40, 48, 0), smooth_video(3, 32, 56, 1), smooth_video(9, 48, 40, 2)]
    values = metric.evaluate_videos(videos, batch_size=2)
    feats = [net(dino_transform(v, 32)) for v in videos]  # VBench: model(dino_transform(frames)) per frame
    expected_all, expected_per_video = vbench_consistency_loop(feats)
    assert values['subject_consistency'] == pytest.approx(expected_all, abs=1e-5)
    assert values['num_pairs'] == 5 + 2 + 8
    got = [r['subject_consistency/subject_consistency'] for r in metric.per_video]
    np.testing.assert_allclose(got, expected_per_video, atol=1e-5, rtol=0)


def test_static_video_scores_one(metric):
    video = smooth_video(1, 40, 48).repeat(7, 1, 1, 1)
    assert metric.score(video)['subject_consistency'] == pytest.approx(1.0, abs=1e-6)


def test_batch_size_and_frame_batch_independence(net):
    videos = [smooth_video(t, 40, 48, seed) for seed, t in enumerate((5, 2, 8, 3))]
    one = SubjectConsistency(net=net, image_size=32, frame_batch_size=1, device='cpu')
    many = SubjectConsistency(net=net, image_size=32, frame_batch_size=64, device='cpu')
    a, b = one.evaluate_videos(videos, batch_size=1), many.evaluate_videos(videos, batch_size=4)
    assert a == pytest.approx(b, abs=1e-5)


def test_lazy_video_gives_the_same_numbers(metric, tmp_path):
    from helpers.videos import lazy_copy

    video = smooth_video(7, 32, 48, 4)
    lazy = lazy_copy(video, tmp_path, 'v', chunk_frames=3)
    assert metric.score(video) == pytest.approx(metric.evaluate_videos([lazy]), abs=1e-6)


def test_short_videos_are_counted_failures(metric):
    values = metric.evaluate_videos([smooth_video(1), smooth_video(4, seed=1)])
    assert values['num_pairs'] == 3
    assert len(metric.failures) == 1 and 'at least 2 frame' in metric.failures[0]['reason']
    with pytest.raises(RuntimeError, match='no video was scored'):
        metric.evaluate_videos([smooth_video(1)])


def test_registry_card_and_argument_checks(net):
    m = METRICS.build(dict(type='SubjectConsistency', net=net, image_size=32, device='cpu'))
    assert isinstance(m, SubjectConsistency) and isinstance(m, FrameWeightedMetric)
    assert m.card()['score_range'] == [0.0, 1.0] and m.higher_is_better and m.default_prefix == 'subject_consistency'
    with pytest.raises(ValueError, match='frame_batch_size'):
        SubjectConsistency(net=net, frame_batch_size=0)
    with pytest.raises(TypeError, match='net'):
        SubjectConsistency(net='dino')
