"""VBench background consistency: VBench's tensor clip_transform, parity with a transcription of VBench's loop
given the same CLIP, static video, frame weighting, batching, failures; the shared frame-weighting helper."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from helpers import tiny_hf
from helpers.vbench_tiny import smooth_video, vbench_consistency_loop

from aigve.metrics import BackgroundConsistency
from aigve.metrics.text_video.hf_common import feature_tensor
from aigve.metrics.vbench._common import CLIP_MEAN, CLIP_STD, clip_transform, clip_transform_image
from aigve.registry import METRICS


@pytest.fixture(scope='module')
def clip_dir(tmp_path_factory):
    return tiny_hf.build_tiny_clip(tmp_path_factory.mktemp('tiny_clip_bg'))


@pytest.fixture(scope='module')
def metric(clip_dir):
    return BackgroundConsistency(model_path=str(clip_dir), device='cpu')


def vbench_clip_transform(n_px):
    """VBench's ``clip_transform`` as ``vbench/utils.py`` writes it (torchvision Compose)."""
    from torchvision import transforms
    from torchvision.transforms import CenterCrop, Compose, InterpolationMode, Normalize, Resize

    return Compose([Resize(n_px, interpolation=InterpolationMode.BICUBIC, antialias=False), CenterCrop(n_px),
                    transforms.Lambda(lambda x: x.float().div(255.0)), Normalize(CLIP_MEAN, CLIP_STD)])


def vbench_background_consistency(model, videos, size):
    """VBench's ``background_consistency``: ``encode_image(clip_transform(float frames))`` per video, then the
    per-frame loop (``load_video`` gives float32 frames)."""
    feats = [feature_tensor(model.get_image_features(pixel_values=vbench_clip_transform(size)(v.float())))
             for v in videos]
    return vbench_consistency_loop(feats)


# ----------------------------------------------------------------------------------- transforms
@pytest.mark.parametrize('hw', [(30, 50), (64, 40), (32, 32)])
def test_clip_transform_is_vbenchs_tensor_transform(hw):
    video = smooth_video(3, *hw, seed=1)
    ours = clip_transform(video, size=24)
    assert ours.shape == (3, 3, 24, 24) and ours.dtype == torch.float32
    torch.testing.assert_close(ours, vbench_clip_transform(24)(video.float()), atol=0, rtol=0)
    # by hand: bicubic resize without antialias on floats (no rounding), centre crop, /255, CLIP mean/std
    h, w = hw
    size = (24, int(24 * w / h)) if h <= w else (int(24 * h / w), 24)
    resized = video.float() if min(h, w) == 24 else F.interpolate(video.float(), size=size, mode='bicubic',
                                                                   align_corners=False, antialias=False)
    top, left = int(round((size[0] - 24) / 2)), int(round((size[1] - 24) / 2))
    crop = resized[..., top:top + 24, left:left + 24] / 255
    mean, std = torch.tensor(CLIP_MEAN).view(1, 3, 1, 1), torch.tensor(CLIP_STD).view(1, 3, 1, 1)
    torch.testing.assert_close(ours, (crop - mean) / std, atol=1e-5, rtol=0)


def test_clip_transform_does_not_round_or_clamp_like_uint8_resizing():
    """VBench resizes float frames: bicubic overshoot beyond [0, 255] survives (a uint8 resize would clamp)."""
    video = torch.zeros(1, 3, 8, 8, dtype=torch.uint8)
    video[..., ::2, :] = 255
    x = clip_transform(video, size=12) * torch.tensor(CLIP_STD).view(1, 3, 1, 1) + torch.tensor(CLIP_MEAN).view(
        1, 3, 1, 1)
    assert float(x.max()) > 1.0 or float(x.min()) < 0.0


@pytest.mark.filterwarnings('ignore:Anti-alias option')  # VBench passes antialias=False to a PIL resize
def test_clip_transform_image_is_vbenchs_pil_transform():
    from PIL import Image
    from torchvision.transforms import CenterCrop, Compose, InterpolationMode, Normalize, Resize, ToTensor

    video = smooth_video(2, 30, 50, seed=2)
    vbench = Compose([Resize(24, interpolation=InterpolationMode.BICUBIC, antialias=False), CenterCrop(24),
                      ToTensor(), Normalize(CLIP_MEAN, CLIP_STD)])
    expected = torch.stack([vbench(Image.fromarray(f.permute(1, 2, 0).numpy())) for f in video])
    torch.testing.assert_close(clip_transform_image(video, size=24), expected, atol=1e-6, rtol=0)
    assert float((clip_transform_image(video, 24) - clip_transform(video, 24)).abs().max()) > 1e-3  # PIL differs
    with pytest.raises(ValueError, match='uint8'):
        clip_transform_image(video.float())


def test_transforms_check_their_input():
    with pytest.raises(ValueError, match=r'\(T, 3, H, W\)'):
        clip_transform(torch.zeros(3, 8, 8))


# ----------------------------------------------------------------------------------- metric
def test_tiny_clip_is_not_degenerate(metric):
    feats = metric.frame_embeddings([smooth_video(6, 40, 48)])[0]
    assert 0.3 < float(feats.std()) < 5.0
    assert float(F.cosine_similarity(feats[1:], feats[:-1]).max()) < 0.999


def test_parity_with_vbenchs_loop_given_the_same_clip(metric):
    videos = [smooth_video(6, 40, 48, 0), smooth_video(3, 32, 56, 1), smooth_video(8, 48, 40, 2)]
    values = metric.evaluate_videos(videos, batch_size=2)
    expected_all, expected_per_video = vbench_background_consistency(metric.model, videos, metric.image_size)
    assert values['background_consistency'] == pytest.approx(expected_all, abs=1e-6)
    assert values['num_pairs'] == 5 + 2 + 7
    got = [r['background_consistency/background_consistency'] for r in metric.per_video]
    np.testing.assert_allclose(got, expected_per_video, atol=1e-6, rtol=0)
    assert values['background_consistency'] != pytest.approx(float(np.mean(got)), abs=1e-6)  # frame-weighted


def test_static_video_scores_one(metric):
    video = smooth_video(1, 40, 48).repeat(6, 1, 1, 1)
    assert metric.score(video)['background_consistency'] == pytest.approx(1.0, abs=1e-6)


def test_batch_size_and_frame_batch_independence(clip_dir):
    videos = [smooth_video(t, h, w, seed) for seed, (t, h, w) in enumerate([(5, 40, 48), (2, 32, 32), (7, 36, 60)])]
    a = BackgroundConsistency(model_path=str(clip_dir), frame_batch_size=1, device='cpu').evaluate_videos(
        videos, batch_size=1)
    b = BackgroundConsistency(model_path=str(clip_dir), frame_batch_size=64, device='cpu').evaluate_videos(
        videos, batch_size=3)  # frames of three sizes share one pass
    assert a == pytest.approx(b, abs=1e-5)


def test_failures_and_registry(metric, clip_dir):
    metric.evaluate_videos([smooth_video(1), smooth_video(3, seed=1)])
    assert [f['video'] for f in metric.failures] == ['video_0']
    assert 'at least 2 frame' in metric.failures[0]['reason']
    m = METRICS.build(dict(type='BackgroundConsistency', model_path=str(clip_dir), device='cpu'))
    assert m.card()['score_range'] == [0.0, 1.0] and m.default_prefix == 'background_consistency'
    assert len(m.weights_used) == 1  # loaded through the resolver, recorded in provenance
    assert 'clip_transform' in m.protocol['image_processor']


def test_config_runs_end_to_end_on_the_toy_set(clip_dir, tmp_path):
    from aigve.core.evaluate import evaluate_config

    results = evaluate_config('configs/vbench_background_consistency.py', work_dir=str(tmp_path),
                              cfg_options={'model_path': str(clip_dir), 'val_dataloader.num_workers': 0})
    metrics = results['metrics']
    assert 0.0 < metrics['background_consistency/background_consistency'] <= 1.0 + 1e-6
    assert metrics['background_consistency/num_pairs'] > 0 and results['failures'] == []


def test_lazy_video_gives_the_same_numbers(metric, tmp_path):
    from helpers.videos import lazy_copy

    video = smooth_video(7, 32, 48, 4)
    lazy = lazy_copy(video, tmp_path, 'v', chunk_frames=3)  # decoded in chunks of 3 frames
    assert metric.score(video) == pytest.approx(metric.evaluate_videos([lazy]), abs=1e-6)


def test_frame_weighted_metric_keeps_the_base_records_and_weights_the_aggregate():
    from aigve.core.base_metric import BaseVideoMetric, Unscorable
    from aigve.metrics.vbench._common import FrameWeightedMetric

    def score_batch(self, videos, samples):
        return [Unscorable('empty') if v.shape[0] == 0 else dict(x=float(v.float().mean()), num_frames=v.shape[0])
                for v in videos]

    weighted = type('W', (FrameWeightedMetric,), dict(default_prefix='w', score_batch=score_batch))(device='cpu')
    plain = type('P', (BaseVideoMetric,), dict(default_prefix='w', score_batch=score_batch))(device='cpu')
    videos = [torch.full((3, 3, 2, 2), 1, dtype=torch.uint8), torch.zeros(0, 3, 2, 2, dtype=torch.uint8),
              torch.full((1, 3, 2, 2), 5, dtype=torch.uint8)]
    assert weighted.evaluate_videos(videos) == {'x': (3 * 1 + 1 * 5) / 4, 'num_frames': 4.0}
    assert plain.evaluate_videos(videos)['x'] == 3.0  # the video mean it replaces
    assert weighted.per_video == plain.per_video and weighted.failures == plain.failures
    assert [f['video'] for f in weighted.failures] == ['video_1']
