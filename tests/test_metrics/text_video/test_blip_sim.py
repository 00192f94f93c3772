"""BLIPSim: parity with transformers' BlipForImageTextRetrieval forward, crafted known answers, batching."""
from __future__ import annotations

import pytest
import torch

from aigve.metrics.text_video import BLIPSim
from aigve.metrics.text_video.blip_sim.functional import itm_match_probability
from aigve.registry import METRICS


@pytest.fixture
def metric(tiny_blip_dir):
    return METRICS.build(dict(type='BLIPSim', model_path=str(tiny_blip_dir), device='cpu'))


def test_card(metric):
    assert isinstance(metric, BLIPSim) and metric.needs_prompt and metric.default_prefix == 'blip_sim'


def test_random_weights_give_non_degenerate_features(metric, make_video):
    pixels = metric.pixel_values(list(make_video(6)))
    cls = metric.model.vision_model(pixel_values=pixels).last_hidden_state[:, 0]
    assert 0.3 < float(cls.std()) < 5.0 and float(cls.std(0).mean()) > 1e-2


def test_matches_transformers_forward(metric, tiny_blip_dir, make_video):
    """Reference: the model's own forward with ``use_itm_head`` False (ITC cosine) and True (ITM logits), per
    frame, on the same processor output. abs 1e-5: same float32 ops, our mean in float64."""
    from transformers import BlipForImageTextRetrieval, BlipProcessor

    model = BlipForImageTextRetrieval.from_pretrained(tiny_blip_dir).eval()
    processor = BlipProcessor.from_pretrained(tiny_blip_dir)
    video, prompt = make_video(4, seed=2), 'a dog'
    inputs = processor(images=list(video), text=[prompt] * 4, return_tensors='pt')
    with torch.no_grad():
        itc = model(input_ids=inputs['input_ids'], attention_mask=inputs['attention_mask'],
                    pixel_values=inputs['pixel_values'], use_itm_head=False).itm_score.diagonal()
        itm = model(input_ids=inputs['input_ids'], attention_mask=inputs['attention_mask'],
                    pixel_values=inputs['pixel_values'], use_itm_head=True).itm_score.softmax(-1)[:, 1]
    ours = metric.score(video, prompt)
    assert float(itc.std()) > 1e-4  # frames differ, so the per-frame mean is a real test
    assert ours['blip_itc'] == pytest.approx(float(itc.mean()), abs=1e-5)
    assert ours['blip_itm'] == pytest.approx(float(itm.mean()), abs=1e-5)


def test_crafted_identical_embeddings_and_certain_match(tiny_blip_dir, make_video):
    """Projections that ignore their input and output the same vector give ITC cosine 1; an ITM head that
    always says "match" with logit margin 50 gives probability 1."""
    metric = BLIPSim(model_path=str(tiny_blip_dir), device='cpu')
    b = torch.linspace(-1, 1, metric.model.vision_proj.out_features) + 0.2
    with torch.no_grad():
        for proj in (metric.model.vision_proj, metric.model.text_proj):
            proj.weight.zero_()
            proj.bias.copy_(b)
        metric.model.itm_head.weight.zero_()
        metric.model.itm_head.bias.copy_(torch.tensor([0.0, 50.0]))
    s = metric.score(make_video(3), 'a cat')
    assert s['blip_itc'] == pytest.approx(1.0, abs=1e-6)
    assert s['blip_itm'] == pytest.approx(1.0, abs=1e-12)


def test_ranges_and_batch_size_independence(tiny_blip_dir, make_video):
    videos = [make_video(4, seed=1), make_video(3, 48, 32, seed=2), make_video(5, seed=3)]
    samples = [dict(video=str(i), prompt=p) for i, p in enumerate(['a cat', 'a dog', 'a cat'])]
    a = BLIPSim(model_path=str(tiny_blip_dir), frame_batch_size=1, device='cpu').score_batch(videos, samples)
    b = BLIPSim(model_path=str(tiny_blip_dir), frame_batch_size=64, device='cpu').score_batch(videos, samples)
    for x, y in zip(a, b):
        assert -1.0 <= x['blip_itc'] <= 1.0 and 0.0 <= x['blip_itm'] <= 1.0
        for k in x:
            assert x[k] == pytest.approx(y[k], abs=1e-5)


def test_itm_probability_checks_shape():
    assert itm_match_probability(torch.tensor([[0.0, 0.0]])).tolist() == [0.5]
    with pytest.raises(ValueError, match=r'\(N, 2\)'):
        itm_match_probability(torch.zeros(3))
