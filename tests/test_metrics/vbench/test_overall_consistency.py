"""VBench overall_consistency and temporal_style (one implementation): VBench's 'middle' 8 frames, its
clip_transform on uint8 frames, parity with a transcription of VBench's per-video loop, batching, failures."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from viclip_helpers import char_tokenizer, tiny_viclip

from aigve.metrics import OverallConsistency, TemporalStyle
from aigve.metrics.vbench._common import CLIP_MEAN, CLIP_STD
from aigve.metrics.vbench.overall_consistency import clip_indices, viclip_frame_transform, video_text_cosine
from aigve.registry import METRICS
from aigve.utils.weights import WeightsNotFoundError

PROMPTS = ['a red ball rolls left', 'zoom in on a sunset', 'a cat', 'two white balls circle each other']


@pytest.fixture(scope='module')
def tok_and_vocab(tmp_path_factory):
    return char_tokenizer(tmp_path_factory.mktemp('viclip_tok'))


@pytest.fixture(scope='module')
def model(tok_and_vocab):
    return tiny_viclip(vocab_size=tok_and_vocab[1])


@pytest.fixture(scope='module')
def metric(model, tok_and_vocab):
    return OverallConsistency(model=model, tokenizer=tok_and_vocab[0], device='cpu')


def videos(n: int = 4) -> list[torch.Tensor]:
    g = torch.Generator().manual_seed(3)
    sizes = [(20, 36, 48), (5, 40, 30), (12, 28, 28), (31, 33, 50)]
    return [torch.randint(0, 256, (t, 3, h, w), generator=g, dtype=torch.uint8) for t, h, w in sizes[:n]]


def vbench_clip_transform(n_px):
    """VBench's ``clip_transform`` (``vbench/utils.py``), applied as these dimensions apply it: to uint8 frames."""
    from torchvision import transforms
    from torchvision.transforms import CenterCrop, Compose, InterpolationMode, Normalize, Resize

    return Compose([Resize(n_px, interpolation=InterpolationMode.BICUBIC, antialias=False), CenterCrop(n_px),
                    transforms.Lambda(lambda x: x.float().div(255.0)), Normalize(CLIP_MEAN, CLIP_STD)])


def vbench_overall_consistency(model, tokenizer, video, prompt):
    """A transcription of VBench's per-video computation (``overall_consistency`` / ``temporal_style``)."""
    import numpy as np

    vlen = video.shape[0]
    intervals = np.linspace(start=0, stop=vlen, num=min(8, vlen) + 1).astype(int)
    ranges = [(interv, intervals[i + 1] - 1) for i, interv in enumerate(intervals[:-1])]
    idx = [(x[0] + x[1]) // 2 for x in ranges]
    if len(idx) < 8:
        idx = idx + [idx[-1]] * (8 - len(idx))
    images = vbench_clip_transform(model.image_size)(video[idx])
    clip_feat = model.encode_video(images.unsqueeze(0)).float()
    clip_feat /= clip_feat.norm(dim=-1, keepdim=True)
    text_feat = model.encode_text(tokenizer(prompt)).float()
    text_feat /= text_feat.norm(dim=-1, keepdim=True)
    return float((clip_feat @ text_feat.T)[0][0])


def test_frame_indices_are_vbench_middle() -> None:
    assert clip_indices(100, 16) == [2, 8, 14, 21, 27, 33, 39, 46, 52, 58, 64, 71, 77, 83, 89, 96]
    assert clip_indices(100) == [5, 18, 30, 43, 55, 68, 80, 93]
    assert clip_indices(8) == list(range(8))
    assert clip_indices(5) == [0, 1, 2, 3, 4, 4, 4, 4] and clip_indices(1) == [0] * 8


def test_transform_is_vbench_clip_transform_on_uint8() -> None:
    video = videos(1)[0]
    ours = viclip_frame_transform(video, 28)
    torch.testing.assert_close(ours, vbench_clip_transform(28)(video), atol=1e-6, rtol=0)
    # the uint8 path rounds after the resize: not the float path
    assert not torch.allclose(ours, vbench_clip_transform(28)(video.float()), atol=1e-4)
    with pytest.raises(ValueError, match='uint8'):
        viclip_frame_transform(video.float(), 28)


def test_parity_with_vbench_per_video_loop(metric, model, tok_and_vocab) -> None:
    with torch.no_grad():
        expected = [vbench_overall_consistency(model, tok_and_vocab[0], v, p) for v, p in zip(videos(), PROMPTS)]
    result = metric.evaluate_videos(videos(), prompts=PROMPTS, batch_size=4)
    got = [r['overall_consistency/overall_consistency'] for r in metric.per_video]
    assert max(abs(e) for e in expected) > 0.05  # non-degenerate
    assert got == pytest.approx(expected, abs=1e-5)  # fp32: the same operations, batched
    assert result['overall_consistency'] == pytest.approx(sum(expected) / 4, abs=1e-5)
    assert all(-1 <= s <= 1 for s in got)


def test_batch_size_and_clip_batching_independence(model, tok_and_vocab) -> None:
    one = OverallConsistency(model=model, tokenizer=tok_and_vocab[0], video_batch_size=1, device='cpu')
    many = OverallConsistency(model=model, tokenizer=tok_and_vocab[0], video_batch_size=3, device='cpu')
    one.evaluate_videos(videos(), prompts=PROMPTS, batch_size=1)
    many.evaluate_videos(videos(), prompts=PROMPTS, batch_size=4)
    a = [r['overall_consistency/overall_consistency'] for r in one.per_video]
    b = [r['overall_consistency/overall_consistency'] for r in many.per_video]
    assert a == pytest.approx(b, abs=1e-5)


def test_temporal_style_is_the_same_computation(metric, model, tok_and_vocab) -> None:
    style = METRICS.build(dict(type='TemporalStyle', model=model, tokenizer=tok_and_vocab[0], device='cpu'))
    assert isinstance(style, TemporalStyle) and style.prefix == 'temporal_style'
    a = metric.evaluate_videos(videos(2), prompts=PROMPTS[:2])['overall_consistency']
    b = style.evaluate_videos(videos(2), prompts=PROMPTS[:2])['temporal_style']
    assert a == pytest.approx(b, abs=1e-6)
    assert OverallConsistency.needs_prompt and TemporalStyle.score_range == (-1.0, 1.0)


def test_prompt_changes_the_score_and_missing_prompt_is_a_failure(metric) -> None:
    v = videos(1)[0]
    a = metric.score(v, prompt='a red ball')['overall_consistency']
    b = metric.score(v, prompt='zzzz qqq')['overall_consistency']
    assert a != pytest.approx(b, abs=1e-4)
    metric.evaluate_videos(videos(2), prompts=[None, 'a cat'])
    assert len(metric.per_video) == 1 and 'needs a text prompt' in metric.failures[0]['reason']


def test_long_prompt_is_truncated_with_a_warning(metric, monkeypatch) -> None:
    from aigve.metrics.vbench.overall_consistency import base

    logged = []
    monkeypatch.setattr(base, 'print_log', lambda msg, **kw: logged.append((msg, kw.get('level'))))
    long_prompt = 'a very long prompt ' * 5
    metric.score(videos(1)[0], prompt=long_prompt)
    assert any('cut to 32' in m and level == 30 for m, level in logged)
    assert metric.tokenizer(long_prompt)[0, -1] == metric.tokenizer.eot


def test_cosine_helper() -> None:
    s = video_text_cosine(torch.tensor([[3.0, 4.0]]), torch.tensor([[3.0, 4.0]]))
    assert float(s) == pytest.approx(1.0)
    with pytest.raises(ValueError, match='same shape'):
        video_text_cosine(torch.zeros(2, 3), torch.zeros(2, 4))
    x, y = torch.randn(5, 7), torch.randn(5, 7)
    torch.testing.assert_close(video_text_cosine(x, y).float(), F.cosine_similarity(x, y), atol=1e-6, rtol=0)


def test_arguments_and_offline_weights(model, tok_and_vocab) -> None:
    with pytest.raises(ValueError, match='video_batch_size'):
        OverallConsistency(model=model, tokenizer=tok_and_vocab[0], video_batch_size=0)
    with pytest.raises(TypeError, match='tokenizer'):
        OverallConsistency(model=model, tokenizer=3)
    with pytest.raises(WeightsNotFoundError, match='aigve weights download viclip-internvid-10m-flt'):
        OverallConsistency(device='cpu')


def test_config_pipeline_feeds_the_metric(metric, repo_root) -> None:
    """The config's dataset decodes VBench's 8 'middle' frames of the toy videos; the metric scores them."""
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    from aigve.registry import DATASETS

    cfg = Config.fromfile(str(repo_root / 'configs' / 'vbench_overall_consistency.py'))
    init_default_scope('aigve')
    dataset = DATASETS.build(cfg.val_dataloader.dataset)
    items = [dataset[i] for i in range(2)]
    assert all(item['inputs'].shape[0] == 8 for item in items)
    metric.results.clear()
    metric.process(dict(inputs=[it['inputs'] for it in items]), [it['data_samples'] for it in items])
    result = metric.compute_metrics(metric.results)
    assert -1 <= result['overall_consistency'] <= 1 and len(metric.per_video) == 2


def test_the_two_viclip_dimensions_embed_each_video_once(model, tok_and_vocab):
    """OverallConsistency and TemporalStyle in one run embed the same 8 frames with the same weights: the video
    encoder runs once per video, and both scores equal a run of each alone."""
    from aigve.metrics.vbench.overall_consistency import base

    tokenizer = tok_and_vocab[0]
    videos = [torch.randint(0, 256, (10, 3, 40, 48), dtype=torch.uint8, generator=torch.Generator().manual_seed(s))
              for s in range(3)]
    prompts = ['a cat jumps', 'a dog runs', 'rain falls']
    alone = OverallConsistency(model=model, tokenizer=tokenizer, device='cpu').evaluate_videos(videos, prompts)
    base._SHARED_EMBEDDINGS.clear()
    calls = []
    original = model.encode_video
    model.encode_video = lambda x: calls.append(x.shape[0]) or original(x)
    try:  # as in a run: both metrics are built, then they score
        overall = OverallConsistency(model=model, tokenizer=tokenizer, device='cpu')
        style = TemporalStyle(model=model, tokenizer=tokenizer, device='cpu')
        first, second = overall.evaluate_videos(videos, prompts), style.evaluate_videos(videos, prompts)
    finally:
        model.encode_video = original
    assert sum(calls) == 3  # three clips embedded, for both dimensions
    assert first['overall_consistency'] == pytest.approx(alone['overall_consistency'], abs=1e-6)
    assert second['temporal_style'] == pytest.approx(first['overall_consistency'], abs=1e-6)


def test_shared_embeddings_follow_in_place_weight_changes(model, tok_and_vocab):
    video = torch.randint(0, 256, (8, 3, 32, 32), dtype=torch.uint8, generator=torch.Generator().manual_seed(9))
    metric = OverallConsistency(model=model, tokenizer=tok_and_vocab[0], device='cpu')
    before = metric.score(video, prompt='a cat')['overall_consistency']
    saved = {k: v.clone() for k, v in model.state_dict().items()}
    try:
        with torch.no_grad():
            for p in model.parameters():
                p.mul_(1.5).add_(0.01)
        after = metric.score(video, prompt='a cat')['overall_consistency']
    finally:
        model.load_state_dict(saved)
    assert after != pytest.approx(before, abs=1e-6)  # not the embedding cached under the old weights
