"""VBench aesthetic quality: LAION head key table and strict loading, parity with a transcription of VBench's
``laion_aesthetic`` given the same CLIP and head, video-mean aggregate, batching."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from helpers import tiny_hf
from helpers.vbench_tiny import smooth_video

from aigve.metrics import AestheticQuality
from aigve.metrics.text_video.hf_common import feature_tensor
from aigve.metrics.vbench._common import clip_transform
from aigve.metrics.vbench.aesthetic_quality import aesthetic_scores, laion_aesthetic_head, load_laion_head
from aigve.registry import METRICS
from aigve.utils.manifest import WEIGHTS
from aigve.utils.weights import WeightsHashError

DATA = Path(__file__).resolve().parents[2] / 'data' / 'vbench'
PROJ = 16  # the tiny CLIP's embedding size (the released head takes 768)


@pytest.fixture(scope='module')
def clip_dir(tmp_path_factory):
    return tiny_hf.build_tiny_clip(tmp_path_factory.mktemp('tiny_clip_aes'), projection_dim=PROJ)


@pytest.fixture(scope='module')
def head():
    torch.manual_seed(0)
    h = torch.nn.Linear(PROJ, 1)
    with torch.no_grad():  # ratings around 5 with a spread of about 1, like the released head's outputs
        h.weight.normal_(0.0, 1.0)
        h.bias.fill_(5.0)
    return h.eval()


@pytest.fixture(scope='module')
def metric(clip_dir, head):
    return AestheticQuality(model_path=str(clip_dir), head=head, device='cpu')


def vbench_laion_aesthetic(head, model, videos, size, batch_size=32):
    """A transcription of VBench's ``laion_aesthetic``: batches of 32 frames, float32, L2-normalise, head, /10."""
    aesthetic_avg, num, per_video = 0.0, 0, []
    for images in videos:
        images = images.float()
        scores = []
        for i in range(0, len(images), batch_size):
            image_batch = clip_transform(images[i:i + batch_size], size)
            feats = feature_tensor(model.get_image_features(pixel_values=image_batch)).to(torch.float32)
            feats = F.normalize(feats, dim=-1, p=2)
            scores.append(head(feats).squeeze(dim=-1))
        cur_avg = torch.mean(torch.cat(scores) / 10, dim=0, keepdim=True)
        aesthetic_avg += cur_avg.item()
        num += 1
        per_video.append(cur_avg.item())
    return aesthetic_avg / num, per_video


def test_head_matches_the_released_key_table_and_loads_strictly(tmp_path):
    table = json.loads((DATA / 'laion_head_keys.json').read_text())
    assert {k: list(v.shape) for k, v in laion_aesthetic_head().state_dict().items()} == table
    path = tmp_path / 'sa_0_4_vit_l_14_linear.pth'
    torch.save({k: torch.randn(s) for k, s in table.items()}, path)
    with pytest.raises(WeightsHashError):  # the manifest pins the released file's sha256
        load_laion_head(str(path))
    loaded, resolved = load_laion_head(str(path), check_hash=False)
    assert resolved.name == 'laion-aesthetic-vit-l-14' and not loaded.training
    torch.save({'weight': torch.randn(1, 768)}, path)
    with pytest.raises(RuntimeError, match='bias'):
        load_laion_head(str(path), check_hash=False)
    spec = WEIGHTS['laion-aesthetic-vit-l-14']
    assert spec.size == 4071 and len(spec.sha256) == 64 and 'LAION-AI/aesthetic-predictor/6d122ad' in spec.url


def test_the_released_head_loads_with_its_pinned_hash_and_rates_laions_examples_in_order():
    """The real ``sa_0_4_vit_l_14_linear.pth`` (4 KB, MIT, in tests/data/vbench/laion) through the manifest entry
    (sha256 checked, strict load), on LAION's own example embeddings for ratings 0, 5 and 9."""
    head, resolved = load_laion_head(str(DATA / 'laion'))
    assert resolved.sha256 == WEIGHTS['laion-aesthetic-vit-l-14'].sha256
    embeddings = torch.cat([torch.from_numpy(np.load(DATA / 'laion' / f'rating{r}.npy')) for r in (0, 5, 9)])
    with torch.no_grad():
        scores = aesthetic_scores(embeddings, head)
    # golden values of this head on these embeddings (fp32 CPU), and they rise with the rating
    np.testing.assert_allclose(scores.tolist(), [-0.24579, 0.64701, 1.13044], atol=1e-4, rtol=0)


def test_missing_head_offline_names_the_file(clip_dir):
    with pytest.raises(FileNotFoundError, match='sa_0_4_vit_l_14_linear.pth'):
        AestheticQuality(model_path=str(clip_dir), device='cpu')


def test_score_formula():
    h = torch.nn.Linear(2, 1)
    with torch.no_grad():
        h.weight.copy_(torch.tensor([[10.0, 20.0]]))
        h.bias.fill_(1.0)
    # e / |e| = (0.6, 0.8): 10 * 0.6 + 20 * 0.8 + 1 = 23, / 10 = 2.3
    assert aesthetic_scores(torch.tensor([[3.0, 4.0]], dtype=torch.float64), h).tolist() == pytest.approx([2.3])


def test_parity_with_vbenchs_loop_given_the_same_clip_and_head(metric, head):
    videos = [smooth_video(35, 36, 48, 0), smooth_video(3, 32, 56, 1), smooth_video(6, 48, 40, 2)]  # > 32 frames
    values = metric.evaluate_videos(videos, batch_size=2)
    expected_all, expected_per_video = vbench_laion_aesthetic(head, metric.model, videos, metric.image_size)
    got = [r['aesthetic_quality/aesthetic_quality'] for r in metric.per_video]
    assert np.std(got) > 1e-3 and 0.1 < float(np.mean(got)) < 1.0  # not degenerate
    np.testing.assert_allclose(got, expected_per_video, atol=1e-6, rtol=0)
    assert values['aesthetic_quality'] == pytest.approx(expected_all, abs=1e-6)
    assert values['aesthetic_quality'] == pytest.approx(float(np.mean(got)), abs=1e-12)  # video mean
    assert set(values) == {'aesthetic_quality'}


def test_batch_size_and_frame_batch_independence(clip_dir, head):
    videos = [smooth_video(t, 40, 48, seed) for seed, t in enumerate((5, 1, 7))]
    a = AestheticQuality(model_path=str(clip_dir), head=head, frame_batch_size=1, device='cpu').evaluate_videos(
        videos, batch_size=1)
    b = AestheticQuality(model_path=str(clip_dir), head=head, frame_batch_size=64, device='cpu').evaluate_videos(
        videos, batch_size=3)
    assert a == pytest.approx(b, abs=1e-5)


def test_registry_and_argument_checks(clip_dir, head):
    m = METRICS.build(dict(type='AestheticQuality', model_path=str(clip_dir), head=head, device='cpu'))
    assert m.default_prefix == 'aesthetic_quality' and m.higher_is_better
    m.evaluate_videos([torch.zeros(0, 3, 8, 8, dtype=torch.uint8), smooth_video(2)])
    assert len(m.failures) == 1 and 'at least 1 frame' in m.failures[0]['reason']
    with pytest.raises(TypeError, match='head'):
        AestheticQuality(model_path=str(clip_dir), head='head.pth', device='cpu')
