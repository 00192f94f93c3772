"""KID: the class equals the functional on the same features; subset errors; stats files."""
from __future__ import annotations

import pytest
import torch
from dist_helpers import random_videos, torch_fidelity_metrics

from aigve.metrics.distribution import KID
from aigve.metrics.distribution.functional import kid


class TinyFeatures(torch.nn.Module):
    """Cheap deterministic 'pool' features (the Inception path itself is covered by the FID tests)."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.proj = torch.nn.Linear(3 * 8 * 8, 16)

    def forward(self, x: torch.Tensor) -> dict:
        small = torch.nn.functional.adaptive_avg_pool2d(x.float() / 255, 8).flatten(1)
        return {'pool': self.proj(small)}


GEN = random_videos(4, frames=5, seed=31)
REF = random_videos(4, frames=5, seed=32, offset=50)


def test_class_equals_functional_and_is_batch_independent() -> None:
    net = TinyFeatures()
    m = KID(model=net, subsets=20, subset_size=10, device='cpu')
    out = m.evaluate_videos(GEN, ref_videos=REF, batch_size=3)
    with torch.no_grad():
        g, r = net(torch.cat(GEN))['pool'], net(torch.cat(REF))['pool']
    assert g.std() > 0.05
    mean, std = kid(r, g, subsets=20, subset_size=10, seed=2020)
    assert out['kid'] == pytest.approx(mean, rel=1e-6) and out['kid_std'] == pytest.approx(std, rel=1e-6)
    other = KID(model=net, subsets=20, subset_size=10, batch_size=1, device='cpu').evaluate_videos(GEN, ref_videos=REF)
    assert other['kid'] == pytest.approx(out['kid'], rel=1e-5)
    assert m.protocol['n_generated'] == 20 and out['kid'] > 0


def test_subset_too_large_and_stats_file(tmp_path) -> None:
    net = TinyFeatures()
    with pytest.raises(ValueError, match='subset_size'):
        KID(model=net, subset_size=1000, device='cpu').evaluate_videos(GEN, ref_videos=REF)
    path = str(tmp_path / 'kid_ref.pt')
    a = KID(model=net, subsets=5, subset_size=8, save_ref_stats=path, device='cpu').evaluate_videos(GEN, ref_videos=REF)
    b = KID(model=net, subsets=5, subset_size=8, ref_stats_file=path, device='cpu').evaluate_videos(GEN)
    assert a == b


# frames of several sizes on each side, so the resize is covered: up (48x48, 40x64), native 299, down 320x300
SIZED_GEN = (random_videos(1, frames=3, size=48, seed=33) + [v[:, :, :40] for v in random_videos(1, frames=3, size=64,
                                                                                              seed=34)]
             + [v[:, :, :320, :300] for v in random_videos(1, frames=3, size=320, seed=35)])
SIZED_REF = (random_videos(2, frames=3, size=48, seed=36, offset=50)
             + random_videos(1, frames=3, size=299, seed=37, offset=50))


def test_default_protocol_equals_torch_fidelity_end_to_end(fid_ckpt: str) -> None:
    """Our Inception and preprocessing (default ``input_protocol='torch-fidelity'``) vs torch-fidelity 0.4's
    ``calculate_metrics(kid=True)`` with its own extractor on the same random weights, frames of 4 sizes.

    Measured: mean rel 3.3e-6, std rel 1.2e-5. The features are the same (torch-fidelity's own KID code on
    our features reproduces its value exactly); the residual is its float32 kernel arithmetic (its features'
    dtype) against our float64: its KID code in float64 on our features equals ours to 1e-12. Hence std rel
    1e-4. With pytorch-fid's protocol the mean differs by 3.6e-2, so this test fails on the code before
    ``input_protocol``.
    """
    ref = torch_fidelity_metrics(fid_ckpt, SIZED_REF, SIZED_GEN, kid=True, kid_subsets=10, kid_subset_size=6)
    metric = KID(model_path=fid_ckpt, check_hash=False, subsets=10, subset_size=6, use_cache=False, device='cpu')
    ours = metric.evaluate_videos(SIZED_GEN, ref_videos=SIZED_REF)
    assert metric.protocol['input_protocol'] == 'torch-fidelity' and metric.protocol['n_generated'] == 9
    assert ref['kernel_inception_distance_mean'] > 1e-3  # the sets differ
    assert ours['kid'] == pytest.approx(ref['kernel_inception_distance_mean'], rel=1e-5)
    assert ours['kid_std'] == pytest.approx(ref['kernel_inception_distance_std'], rel=1e-4)
    from torch_fidelity.metric_kid import kid_features_to_metric

    gen, _ = metric.extract(SIZED_GEN, ['g0', 'g1', 'g2'])
    real, _ = metric.extract(SIZED_REF, ['r0', 'r1', 'r2'])
    exact = kid_features_to_metric(real.double(), gen.double(), kid_subsets=10, kid_subset_size=6, rng_seed=2020,
                                   verbose=False)
    assert ours['kid'] == pytest.approx(exact['kernel_inception_distance_mean'], rel=1e-12)
    other = KID(model_path=fid_ckpt, check_hash=False, subsets=10, subset_size=6, use_cache=False, device='cpu',
                input_protocol='pytorch-fid').evaluate_videos(SIZED_GEN, ref_videos=SIZED_REF)
    assert abs(other['kid'] / ref['kernel_inception_distance_mean'] - 1) > 1e-3


def test_input_protocol_spec_and_ref_stats(tmp_path) -> None:
    """The protocol is part of the reference-statistics spec: a file made under the other one is refused."""
    net = TinyFeatures()
    assert KID(model=net, device='cpu').spec()['input_protocol'] == 'torch-fidelity'
    path = str(tmp_path / 'kid_ref_pytorch_fid.pt')
    KID(model=net, subsets=5, subset_size=8, save_ref_stats=path, device='cpu',
        input_protocol='pytorch-fid').evaluate_videos(GEN, ref_videos=REF)
    with pytest.raises(ValueError, match='input_protocol'):
        KID(model=net, subsets=5, subset_size=8, ref_stats_file=path, device='cpu')
    KID(model=net, subsets=5, subset_size=8, ref_stats_file=path, device='cpu', input_protocol='pytorch-fid')
