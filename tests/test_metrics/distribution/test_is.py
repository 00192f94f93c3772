"""IS: parity with torch-fidelity (same extractor, same frames, same seed), analytic cases."""
from __future__ import annotations

import pytest
import torch
from dist_helpers import random_videos, torch_fidelity_metrics

from aigve.metrics.distribution import IS

VIDEOS = random_videos(4, frames=3, seed=21) + random_videos(2, frames=3, seed=22, offset=60)


def test_parity_with_torch_fidelity(fid_ckpt: str) -> None:
    """torch-fidelity 0.4 ``calculate_metrics(isc=True)`` with its own Inception on our random weights.

    Our IS class runs the same torch-fidelity extractor (injected) so both see identical logits; the
    difference is only float64 vs float32 softmax/KL arithmetic: rel 1e-5.
    """
    import torch_fidelity
    from torch_fidelity.feature_extractor_inceptionv3 import FeatureExtractorInceptionV3

    fe = FeatureExtractorInceptionV3('inception-v3-compat', ['logits_unbiased'],
                                     feature_extractor_weights_path=fid_ckpt).eval()

    class Logits(torch.nn.Module):
        def forward(self, x: torch.Tensor) -> dict:
            return {'logits_unbiased': fe(x)[0]}

    frames = torch.cat(VIDEOS)

    class Frames(torch.utils.data.Dataset):
        def __len__(self) -> int:
            return frames.shape[0]

        def __getitem__(self, i: int) -> torch.Tensor:
            return frames[i]

    logits = Logits()(frames[:4])['logits_unbiased']
    assert 0.05 < logits.std().item() < 1e3  # non-degenerate
    ref = torch_fidelity.calculate_metrics(input1=Frames(), isc=True, isc_splits=3,
                                           feature_extractor_weights_path=fid_ckpt, cuda=False, batch_size=6,
                                           verbose=False, cache=False)
    ours = IS(model=Logits(), splits=3, device='cpu').evaluate_videos(VIDEOS)
    assert ours['is'] == pytest.approx(ref['inception_score_mean'], rel=1e-5)
    assert ours['is_std'] == pytest.approx(ref['inception_score_std'], rel=1e-4, abs=1e-6)


# frames that exercise the resize: upsampled (32x32, non-square 40x56), native 299x299, downsampled 320x300
SIZED = (random_videos(2, frames=2, size=32, seed=23) + [v[:, :, :40, :56] for v in random_videos(1, frames=2, size=56,
                                                                                              seed=24)]
         + random_videos(1, frames=2, size=299, seed=25, offset=40)
         + [v[:, :, :320, :300] for v in random_videos(1, frames=2, size=320, seed=26, offset=20)])


@pytest.fixture(scope='module')
def sharp_ckpt(fid_ckpt: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """``fid_ckpt`` with a 30x larger classifier: peakier softmax, IS ~1.06 instead of ~1.0006."""
    state = torch.load(fid_ckpt, weights_only=True)
    state['fc.weight'] = state['fc.weight'] * 30
    path = tmp_path_factory.mktemp('is-weights') / 'pt_inception-sharp.pth'
    torch.save(state, path)
    return str(path)


def test_default_protocol_equals_torch_fidelity_end_to_end(sharp_ckpt: str) -> None:
    """Our Inception and preprocessing (default ``input_protocol='torch-fidelity'``) vs torch-fidelity 0.4's
    ``calculate_metrics(isc=True)`` with its own extractor on the same random weights and frames of 4 sizes.

    Measured: mean rel 2e-8, std rel 2e-6 (the logits agree to fp32 rounding; IS in float64 on both
    sides). With pytorch-fid's protocol the mean differs by 5.7e-5 and the std by 3e-2 (the issue saw
    3.7e-4 at 299x299 on other weights), so this test fails on the code before ``input_protocol``.
    """
    ref = torch_fidelity_metrics(sharp_ckpt, SIZED, isc=True, isc_splits=3)
    metric = IS(model_path=sharp_ckpt, check_hash=False, splits=3, use_cache=False, device='cpu')
    ours = metric.evaluate_videos(SIZED)
    assert metric.input_protocol == 'torch-fidelity' and metric.protocol['input_protocol'] == 'torch-fidelity'
    assert metric.protocol['n_generated'] == 10 and 'TF1 bilinear' in metric.protocol['preprocessing']
    assert ref['inception_score_mean'] > 1.01 and ref['inception_score_std'] > 1e-3  # non-degenerate
    assert ours['is'] == pytest.approx(ref['inception_score_mean'], rel=1e-5)
    assert ours['is_std'] == pytest.approx(ref['inception_score_std'], rel=1e-4, abs=1e-6)
    other = IS(model_path=sharp_ckpt, check_hash=False, splits=3, use_cache=False, device='cpu',
               input_protocol='pytorch-fid').evaluate_videos(SIZED)
    assert abs(other['is'] / ref['inception_score_mean'] - 1) > 1e-5  # the protocols really differ


def test_input_protocol_in_spec_and_errors() -> None:
    class Logits(torch.nn.Module):
        def forward(self, x: torch.Tensor) -> dict:
            return {'logits_unbiased': torch.zeros(x.shape[0], 10)}

    spec = IS(model=Logits(), device='cpu').spec()
    assert spec['input_protocol'] == 'torch-fidelity' and spec['preprocessing'].startswith('torch-fidelity')
    legacy = IS(model=Logits(), device='cpu', input_protocol='pytorch-fid').spec()
    assert 'input_protocol' not in legacy  # the spec of IS before the option: old feature caches still hit
    assert legacy['preprocessing'] == 'pytorch-fid: x/255, bilinear 299x299 (align_corners=False), 2x-1'
    with pytest.raises(ValueError, match='`input_protocol` must be'):
        IS(model=Logits(), device='cpu', input_protocol='tf1')


def test_own_inception_and_analytic(fid_ckpt: str) -> None:
    m = IS(model_path=fid_ckpt, check_hash=False, splits=2, device='cpu')
    out = m.evaluate_videos(VIDEOS[:2])
    assert 1.0 <= out['is'] <= 1008 and m.protocol['n_generated'] == 6

    class Constant(torch.nn.Module):
        def forward(self, x: torch.Tensor) -> dict:
            return {'logits_unbiased': torch.zeros(x.shape[0], 10)}

    assert IS(model=Constant(), splits=2, device='cpu').evaluate_videos(VIDEOS)['is'] == pytest.approx(1.0)

    class OneHot(torch.nn.Module):  # balanced one-hot over K=3 classes in every split -> IS = K
        def forward(self, x: torch.Tensor) -> dict:
            cls = x.float().mean(dim=(1, 2, 3)).argsort().argsort() % 3
            return {'logits_unbiased': torch.nn.functional.one_hot(cls, 3).float() * 1e4}

    val = IS(model=OneHot(), splits=1, device='cpu', batch_size=18).evaluate_videos(VIDEOS, batch_size=6)['is']
    assert val == pytest.approx(3.0, rel=1e-6)


def test_errors() -> None:
    class Constant(torch.nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.zeros(x.shape[0], 10)

    with pytest.raises(RuntimeError, match='at least 10 generated'):
        IS(model=Constant(), device='cpu').evaluate_videos(VIDEOS[:1])
    with pytest.raises(ValueError, match='`splits`'):
        IS(model=Constant(), splits=0, device='cpu')
    with pytest.raises(TypeError):
        IS(model=Constant(), ref_stats_file='ref.pt', device='cpu')  # IS has no reference side
