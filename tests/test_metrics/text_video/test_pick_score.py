"""PickScore: the model's formula against a direct computation (a tiny random CLIP stands in for PickScore_v1)."""
from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from aigve.metrics.text_video import PickScore
from aigve.metrics.text_video.hf_common import feature_tensor
from aigve.metrics.text_video.pick_score.functional import pick_score_from_embeddings
from aigve.registry import METRICS


@pytest.fixture
def metric(tiny_clip_dir):
    return METRICS.build(dict(type='PickScore', model_path=str(tiny_clip_dir), processor=str(tiny_clip_dir),
                              device='cpu'))


def test_card_and_default_processor():
    assert PickScore.default_model == 'yuvalkirstain/PickScore_v1'
    assert PickScore.default_processor == 'laion/CLIP-ViT-H-14-laion2B-s32B-b79K'
    assert PickScore.card()['score_range'] == [-100.0, 100.0] and PickScore.needs_prompt


def test_matches_the_official_inference_recipe(metric, tiny_clip_dir, make_video):
    """PickScore's reference code: normalised embeddings, ``logit_scale.exp() * text @ image.T``; we average the
    per-frame values. Same weights and processor; rel 1e-5 (float32 there, float64 normalisation here)."""
    from transformers import AutoProcessor, CLIPModel

    model, processor = CLIPModel.from_pretrained(tiny_clip_dir).eval(), AutoProcessor.from_pretrained(tiny_clip_dir)
    video, prompt = make_video(5, seed=4), 'a red ball'  # within the tiny model's 16 tokens
    with torch.no_grad():
        image_inputs = processor(images=list(video), return_tensors='pt')
        image_embs = F.normalize(feature_tensor(model.get_image_features(**image_inputs)), dim=-1)
        text_inputs = processor(text=prompt, padding=True, truncation=True, max_length=77,
                                return_tensors='pt')  # the official call
        text_embs = F.normalize(feature_tensor(model.get_text_features(**text_inputs)), dim=-1)
        per_frame = model.logit_scale.exp() * (text_embs @ image_embs.T)[0]
    expected = float(per_frame.mean())
    assert abs(expected) > 0.1  # not a trivial 0 == 0
    assert metric.score(video, prompt)['pick_score'] == pytest.approx(expected, rel=1e-5)


def test_identical_embeddings_give_the_logit_scale(metric, make_video, monkeypatch):
    e = torch.linspace(-1, 1, metric.model.config.projection_dim) + 0.3
    monkeypatch.setattr(metric.model, 'get_image_features', lambda pixel_values: e.expand(len(pixel_values), -1))
    monkeypatch.setattr(metric.model, 'get_text_features', lambda **tokens: 2 * e[None])
    s = metric.score(make_video(3), 'anything')['pick_score']
    assert s == pytest.approx(math.exp(metric.logit_scale), rel=1e-6)


def test_range_and_functional(metric, make_video):
    bound = math.exp(metric.logit_scale)
    for seed in range(3):
        assert abs(metric.score(make_video(4, seed=seed), 'a cat')['pick_score']) <= bound
    assert pick_score_from_embeddings(torch.eye(2), torch.tensor([1.0, 0.0]), math.log(100)) == pytest.approx(50.0)
