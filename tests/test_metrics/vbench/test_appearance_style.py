"""VBench appearance style: the style text from auxiliary_info, parity with a transcription of VBench's
``appearance_style`` (PIL transform, ``logits_per_text / 100``) given the same CLIP, frame weighting, failures."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from helpers import tiny_hf
from helpers.vbench_tiny import smooth_video

from aigve.metrics import AppearanceStyle
from aigve.metrics.vbench.appearance_style import style_scores
from aigve.registry import METRICS


@pytest.fixture(scope='module')
def clip_dir(tmp_path_factory):
    """A tiny CLIP with OpenAI's logit scale (100), so scores are cosines as with the released weights."""
    from transformers import CLIPModel

    path = tiny_hf.build_tiny_clip(tmp_path_factory.mktemp('tiny_clip_style'), seed=1, max_text_len=48)
    model = CLIPModel.from_pretrained(path)
    with torch.no_grad():
        model.logit_scale.fill_(float(np.log(100.0)))
    model.save_pretrained(path)
    return path


@pytest.fixture(scope='module')
def metric(clip_dir):
    return AppearanceStyle(model_path=str(clip_dir), device='cpu')


def sample(i, style):
    aux = {} if style is None else {'appearance_style': {'appearance_style': style}}
    return dict(video=f'v{i}', video_id=i, prompt=None, meta=dict(auxiliary_info=aux))


def run(metric, videos, styles, batch_size=8):
    """Feed samples with meta (as the dataset makes them) batch by batch; return the aggregate."""
    metric.results.clear()
    samples = [sample(i, s) for i, s in enumerate(styles)]
    for start in range(0, len(videos), batch_size):
        metric.process(dict(inputs=videos[start:start + batch_size]), samples[start:start + batch_size])
    values = metric.compute_metrics(metric.results)
    metric.results.clear()
    return values


def vbench_appearance_style(model, tokenizer, videos, styles, size):
    """A transcription of VBench's ``appearance_style``: frames as PIL images, ``clip_transform_Image``, the
    full CLIP forward, ``logits_per_text[0][0] / 100`` per frame; aggregate = all frame scores / all frames."""
    from PIL import Image
    from torchvision.transforms import CenterCrop, Compose, InterpolationMode, Normalize, Resize, ToTensor

    image_transform = Compose([Resize(size, interpolation=InterpolationMode.BICUBIC), CenterCrop(size), ToTensor(),
                               Normalize((0.48145466, 0.4578275, 0.40821073), (0.26862954, 0.26130258, 0.27577711))])
    sim, cnt, per_video = 0.0, 0, []
    for video, query in zip(videos, styles):
        text = tokenizer([query], return_tensors='pt')
        cur_video = []
        for frame in video:
            image = image_transform(Image.fromarray(frame.permute(1, 2, 0).numpy()))
            out = model(pixel_values=image.unsqueeze(0), input_ids=text['input_ids'],
                        attention_mask=text['attention_mask'])
            cur_sim = float(out.logits_per_text[0][0]) / 100
            cur_video.append(cur_sim)
            sim += cur_sim
            cnt += 1
        per_video.append(float(np.mean(cur_video)))
    return sim / cnt, per_video


def test_style_score_formula():
    s = style_scores(torch.tensor([[3.0, 4.0], [0.0, -1.0]]), torch.tensor([[1.0, 0.0]]), 100.0)
    assert s.tolist() == pytest.approx([0.6, 0.0])
    assert style_scores(torch.tensor([[1.0, 0.0]]), torch.tensor([1.0, 0.0]), 50.0).tolist() == [0.5]


def test_parity_with_vbenchs_loop_given_the_same_clip(metric):
    videos = [smooth_video(6, 40, 48, 0), smooth_video(2, 32, 56, 1), smooth_video(9, 48, 40, 2)]
    styles = ['Van Gogh style', 'oil painting', 'by Hokusai, in the style of Ukiyo']
    values = run(metric, videos, styles, batch_size=2)
    expected_all, expected_per_video = vbench_appearance_style(metric.model, metric.tokenizer, videos, styles,
                                                               metric.image_size)
    got = [r['appearance_style/appearance_style'] for r in metric.per_video]
    assert np.std(got) > 1e-2  # not degenerate (VBench does not clamp this score)
    np.testing.assert_allclose(got, expected_per_video, atol=1e-6, rtol=0)
    assert values['appearance_style'] == pytest.approx(expected_all, abs=1e-6)
    assert values['num_frames'] == 17
    assert values['appearance_style'] != pytest.approx(float(np.mean(got)), abs=1e-4)  # frame-weighted


def test_identical_directions_give_the_logit_scale_over_100(metric, monkeypatch):
    e = torch.linspace(-1, 2, metric.model.config.projection_dim)
    monkeypatch.setattr(metric, 'frame_embeddings', lambda frames: [e.expand(len(f), -1) * 3.0 for f in frames])
    monkeypatch.setattr(metric, 'text_embedding', lambda text: e * 0.5)
    values = run(metric, [smooth_video(4)], ['oil painting'])
    assert values['appearance_style'] == pytest.approx(1.0, abs=1e-5)  # logit scale 100: the cosine


def test_videos_without_a_style_are_counted_failures(metric):
    values = run(metric, [smooth_video(3, seed=s) for s in range(4)], ['oil painting', None, '  ', 'sketch'])
    assert values['num_frames'] == 6
    reasons = {f['video']: f['reason'] for f in metric.failures}
    assert set(reasons) == {'v1', 'v2'}
    assert 'auxiliary_info.appearance_style.appearance_style' in reasons['v1']
    assert 'non-empty string' in reasons['v2']
    with pytest.raises(RuntimeError, match='no video was scored'):
        metric.evaluate_videos([smooth_video(3)])  # evaluate_videos passes no meta: nothing to score


def test_batch_size_and_frame_batch_independence(clip_dir):
    videos = [smooth_video(t, 40, 48, seed) for seed, t in enumerate((5, 2, 7))]
    styles = ['oil painting', 'sketch', 'oil painting']
    a = run(AppearanceStyle(model_path=str(clip_dir), frame_batch_size=1, device='cpu'), videos, styles, 1)
    b = run(AppearanceStyle(model_path=str(clip_dir), frame_batch_size=64, device='cpu'), videos, styles, 3)
    assert a == pytest.approx(b, abs=1e-6)


def test_registry_card(clip_dir):
    m = METRICS.build(dict(type='AppearanceStyle', model_path=str(clip_dir), device='cpu'))
    assert m.default_prefix == 'appearance_style' and m.card()['score_range'] == [-1.0, 1.0]
    assert 'clip_transform_Image' in m.protocol['image_processor']
