"""IS: parity with torch-fidelity (same extractor, same frames, same seed), analytic cases."""
from __future__ import annotations

import pytest
import torch
from dist_helpers import random_videos

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
    ref = torch_fidelity.calculate_metrics(input1=Frames(), isc=True, isc_splits=3, feature_extractor_weights_path=fid_ckpt,
                                           cuda=False, batch_size=6, verbose=False, cache=False)
    ours = IS(model=Logits(), splits=3, device='cpu').evaluate_videos(VIDEOS)
    assert ours['is'] == pytest.approx(ref['inception_score_mean'], rel=1e-5)
    assert ours['is_std'] == pytest.approx(ref['inception_score_std'], rel=1e-4, abs=1e-6)


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
