"""CLIPSim: known answers, parity with torchmetrics' CLIPScore, batching, truncation, failures."""
from __future__ import annotations

import pytest
import torch
from transformers.modeling_outputs import BaseModelOutputWithPooling

from aigve.metrics.text_video import CLIPSim, hf_common
from aigve.registry import METRICS
from aigve.utils.frames import uniform_indices


@pytest.fixture
def metric(tiny_clip_dir):
    return CLIPSim(model_path=str(tiny_clip_dir), device='cpu')


def test_builds_from_registry_and_card(tiny_clip_dir):
    import aigve.metrics.text_video  # noqa: F401  (registers)

    m = METRICS.build(dict(type='CLIPSim', model_path=str(tiny_clip_dir), device='cpu'))
    assert isinstance(m, CLIPSim)
    assert m.default_prefix == 'clip_sim' and m.needs_prompt and m.higher_is_better
    assert m.card()['score_range'] == [-1.0, 1.0]
    assert len(next(iter(m.weights_used.values()))) == 64


def test_random_weights_give_non_degenerate_embeddings(metric, make_video):
    # STYLE 15: a degenerate backbone would let the parity and range tests pass trivially
    emb = metric.frame_embeddings([make_video(8)])[0]
    assert 0.3 < float(emb.std()) < 5.0
    assert float(emb.std(0).mean()) > 1e-2  # frames differ from each other
    text = metric.text_embedding('a red ball')
    assert 0.3 < float(text.std()) < 5.0


def test_scores_in_documented_ranges(metric, make_video):
    for seed in range(3):
        s = metric.score(make_video(5, seed=seed), 'a red ball rolls left')
        assert -1.0 <= s['clip_sim'] <= 1.0
        assert 0.0 <= s['clip_score'] <= 100.0
        assert s['clip_score'] == pytest.approx(max(100 * s['clip_sim'], 0.0), rel=1e-12)


@pytest.mark.parametrize('v5_outputs', [True, False])
def test_identical_image_and_text_embedding_gives_cosine_one(metric, make_video, monkeypatch, v5_outputs):
    """Every frame and the prompt map to the same direction (at different scales): cos = 1, CLIPScore = 100.
    Both output styles are exercised: transformers 5 objects and transformers 4 tensors."""
    e = torch.linspace(-1, 2, metric.model.config.projection_dim)

    def wrap(x):
        return BaseModelOutputWithPooling(pooler_output=x) if v5_outputs else x

    monkeypatch.setattr(metric.model, 'get_image_features',
                        lambda pixel_values: wrap(e.expand(len(pixel_values), -1) * 3.0))
    monkeypatch.setattr(metric.model, 'get_text_features', lambda **tokens: wrap(e[None] * 0.5))
    s = metric.score(make_video(4), 'anything')
    assert s['clip_sim'] == pytest.approx(1.0, abs=1e-6)
    assert s['clip_score'] == pytest.approx(100.0, abs=1e-4)


class _V4Outputs(torch.nn.Module):
    """Wraps a transformers-5 CLIPModel so get_*_features return tensors, as torchmetrics 1.9 expects."""

    def __init__(self, model):
        super().__init__()
        self.model = model
        self.config = model.config

    def get_image_features(self, *args, **kwargs):
        return hf_common.feature_tensor(self.model.get_image_features(*args, **kwargs))

    def get_text_features(self, *args, **kwargs):
        return hf_common.feature_tensor(self.model.get_text_features(*args, **kwargs))


@pytest.mark.parametrize('fixture,prompt', [('positive_clip_dir', 'red ball'), ('positive_clip_dir', 'a cat'),
                                            ('tiny_clip_dir', 'red ball')])
def test_clip_score_matches_torchmetrics(request, make_video, fixture, prompt):
    """Same local model, same frames: our clip_score equals torchmetrics' CLIPScore (rel 1e-5; float32
    embeddings, we normalise in float64, torchmetrics in float32). The positive model gives scores well
    above 0 so the comparison is not 0 == 0; the plain model checks the clamp."""
    from torchmetrics.multimodal.clip_score import CLIPScore
    from transformers import CLIPModel, CLIPProcessor

    path = request.getfixturevalue(fixture)
    video = make_video(5, seed=3)
    ours = CLIPSim(model_path=str(path), device='cpu').score(video, prompt)
    model, processor = CLIPModel.from_pretrained(path).eval(), CLIPProcessor.from_pretrained(path)
    reference = CLIPScore(model_name_or_path=lambda: (_V4Outputs(model), processor))
    reference.update(list(video), [prompt] * len(video))
    expected = float(reference.compute())
    if fixture == 'positive_clip_dir':
        assert expected > 5.0
    else:
        assert ours['clip_sim'] < 0 and expected == 0.0
    assert ours['clip_score'] == pytest.approx(expected, rel=1e-5, abs=1e-6)


def test_frame_batch_size_does_not_change_scores(tiny_clip_dir, make_video):
    """Frames of videos of different sizes batched 1 at a time or all together agree to 1e-5 (CPU)."""
    videos = [make_video(5, seed=1), make_video(3, 32, 64, seed=2), make_video(7, 50, 30, seed=3)]
    prompts = ['a red ball', 'a blue cube', 'a red ball']
    one = CLIPSim(model_path=str(tiny_clip_dir), frame_batch_size=1, device='cpu')
    many = CLIPSim(model_path=str(tiny_clip_dir), frame_batch_size=64, device='cpu')
    samples = [dict(video=f'v{i}', prompt=p) for i, p in enumerate(prompts)]
    a, b = one.score_batch(videos, samples), many.score_batch(videos, samples)
    for x, y in zip(a, b):
        for k in x:
            assert x[k] == pytest.approx(y[k], abs=1e-5)
    # and video by video through evaluate_videos (batch 1) vs all at once
    agg1 = many.evaluate_videos(videos, prompts, batch_size=1)
    agg3 = many.evaluate_videos(videos, prompts, batch_size=3)
    assert agg1['clip_sim'] == pytest.approx(agg3['clip_sim'], abs=1e-6)
    assert agg3['clip_sim'] == pytest.approx(sum(s['clip_sim'] for s in b) / 3, abs=1e-9)


def test_frames_share_passes_and_each_prompt_is_encoded_once(metric, make_video, monkeypatch):
    calls = dict(image=[], text=0)
    get_image, get_text = metric.model.get_image_features, metric.model.get_text_features

    def image(pixel_values):
        calls['image'].append(len(pixel_values))
        return get_image(pixel_values=pixel_values)

    def text(**tokens):
        calls['text'] += 1
        return get_text(**tokens)

    monkeypatch.setattr(metric.model, 'get_image_features', image)
    monkeypatch.setattr(metric.model, 'get_text_features', text)
    metric.frame_batch_size = 8
    videos = [make_video(4, seed=i) for i in range(3)]
    metric.score_batch(videos, [dict(video=str(i), prompt='same prompt') for i in range(3)])
    assert calls == dict(image=[8, 4], text=1)


def test_long_prompt_is_truncated_with_a_warning(metric, make_video, monkeypatch, tiny_max_text_len):
    logged = []
    monkeypatch.setattr(hf_common, 'print_log', lambda msg, **kw: logged.append((msg, kw.get('level'))))
    words = [chr(ord('a') + i) for i in range(26)]  # one token per word with the tiny tokenizer
    kept = tiny_max_text_len - 2  # minus start/end tokens
    video = make_video(3)
    long_score = metric.score(video, ' '.join(words))
    assert any('truncated' in msg and str(tiny_max_text_len) in msg and level == 30 for msg, level in logged)
    logged.clear()
    short_score = metric.score(video, ' '.join(words[:kept]))
    assert not logged  # a prompt within the limit is not reported
    assert long_score['clip_sim'] == pytest.approx(short_score['clip_sim'], abs=1e-7)


def test_num_frames_subsamples_uniformly(tiny_clip_dir, make_video):
    video = make_video(9)
    sub = CLIPSim(model_path=str(tiny_clip_dir), num_frames=3, device='cpu').score(video, 'a cat')
    full = CLIPSim(model_path=str(tiny_clip_dir), device='cpu').score(video[uniform_indices(9, 3)], 'a cat')
    assert sub['clip_sim'] == pytest.approx(full['clip_sim'], abs=1e-6)
    assert sub['clip_sim'] != pytest.approx(
        CLIPSim(model_path=str(tiny_clip_dir), device='cpu').score(video, 'a cat')['clip_sim'], abs=1e-7)


def test_video_without_prompt_is_a_failure_not_a_crash(metric, make_video):
    result = metric.evaluate_videos([make_video(3), make_video(3, seed=1)], prompts=['a cat', None])
    assert set(result) == {'clip_sim', 'clip_score'}
    assert [f['video'] for f in metric.failures] == ['video_1']
    with pytest.raises(ValueError, match='prompt'):
        metric.score(make_video(3), None)


def test_bad_arguments_and_inputs(tiny_clip_dir, metric):
    with pytest.raises(ValueError, match='`num_frames` must be'):
        CLIPSim(model_path=str(tiny_clip_dir), num_frames=0, device='cpu')
    with pytest.raises(ValueError, match='`frame_batch_size` must be'):
        CLIPSim(model_path=str(tiny_clip_dir), frame_batch_size=0, device='cpu')
    with pytest.raises(ValueError, match='uint8'):
        metric.score(torch.rand(3, 3, 8, 8), 'a cat')
    with pytest.raises(ValueError, match=r'\(T, 3, H, W\)'):
        metric.score(torch.zeros(3, 8, 8, 3, dtype=torch.uint8), 'a cat')


def test_ready_model_and_processor_objects(tiny_clip_dir, metric, make_video):
    from transformers import CLIPModel, CLIPProcessor

    model = CLIPModel.from_pretrained(tiny_clip_dir)
    with pytest.raises(ValueError, match='`processor` must be given'):
        CLIPSim(model_name_or_path=model, device='cpu')
    injected = CLIPSim(model_name_or_path=model, processor=CLIPProcessor.from_pretrained(tiny_clip_dir),
                       device='cpu')
    video = make_video(3)
    assert injected.score(video, 'a cat') == pytest.approx(metric.score(video, 'a cat'), abs=1e-7)
    assert not any(p.requires_grad for p in injected.model.parameters()) and not injected.model.training
