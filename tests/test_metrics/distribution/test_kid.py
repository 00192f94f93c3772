"""KID: the class equals the functional on the same features; subset errors; stats files."""
from __future__ import annotations

import pytest
import torch
from dist_helpers import random_videos

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
