"""FID: parity with pytorch-fid and torchmetrics (same random Inception weights), invariances, stats files."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from dist_helpers import random_videos, torch_fidelity_metrics

from aigve.metrics.distribution import FID

# 2 videos x 3 frames per side: 6 samples of 2048-d features (singular covariances, still a valid FD)
GEN = random_videos(2, frames=3, seed=11)
REF = random_videos(2, frames=3, seed=12, offset=40)


def fid(path: str, **kw) -> FID:
    return FID(model_path=path, check_hash=False, device='cpu', **kw)


def _pytorch_fid_features(fid_ckpt, monkeypatch):
    import pytorch_fid.inception as pfi

    monkeypatch.setattr(pfi, 'load_state_dict_from_url', lambda *a, **k: torch.load(fid_ckpt, weights_only=True))
    net = pfi.InceptionV3([pfi.InceptionV3.BLOCK_INDEX_BY_DIM[2048]], resize_input=True, normalize_input=True,
                          use_fid_inception=True).eval()

    def feats(videos):
        with torch.no_grad():
            return net(torch.cat(videos).float() / 255)[0].flatten(1).double()

    return feats


def test_features_equal_pytorch_fid(fid_ckpt: str, monkeypatch) -> None:
    """Same network, weights, resize and scaling as pytorch-fid: pool features equal to fp32 rounding."""
    theirs = _pytorch_fid_features(fid_ckpt, monkeypatch)(GEN)
    ours, _ = fid(fid_ckpt).extract(GEN, ['a', 'b'])
    assert 0.05 < theirs.std().item() < 100  # STYLE.md section 15: non-degenerate random weights
    torch.testing.assert_close(ours.double(), theirs, rtol=1e-4, atol=1e-4 * theirs.abs().max().item())


@pytest.mark.slow  # scipy.linalg.sqrtm at d=2048 takes 15-40 s on 2 cores
def test_parity_with_pytorch_fid(fid_ckpt: str, monkeypatch) -> None:
    """pytorch-fid 0.3 end to end (its InceptionV3, resize, [-1, 1], numpy cov, scipy sqrtm): rel 1e-4.

    Both run the same fp32 network on the same frames; the tolerance covers fp32 summation order and
    scipy's sqrtm on a rank-deficient product (6 samples, d=2048).
    """
    from pytorch_fid.fid_score import calculate_frechet_distance

    feats = _pytorch_fid_features(fid_ckpt, monkeypatch)
    g, r = feats(GEN).numpy(), feats(REF).numpy()
    assert 0.05 < g.std() < 100  # STYLE.md section 15: non-degenerate random weights
    expected = calculate_frechet_distance(r.mean(0), np.cov(r, rowvar=False), g.mean(0), np.cov(g, rowvar=False))
    value = fid(fid_ckpt).evaluate_videos(GEN, ref_videos=REF)['fid']
    assert value > 1 and value == pytest.approx(expected, rel=1e-4)


class TinyPool(torch.nn.Module):
    """Cheap 32-d 'pool' features, so invariance tests do not pay the d=2048 eigendecompositions."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.proj = torch.nn.Linear(3 * 8 * 8, 32)

    def forward(self, x: torch.Tensor) -> dict:
        return {'pool': self.proj(torch.nn.functional.adaptive_avg_pool2d(x.float() / 255, 8).flatten(1))}


def test_parity_with_torchmetrics() -> None:
    """torchmetrics' streaming FID with the same injected feature module: same stats, N-1 covariance, 1e-6."""
    from torchmetrics.image.fid import FrechetInceptionDistance

    net = TinyPool()

    class Pool(torch.nn.Module):
        num_features = 32

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return net(x)['pool']

    tm = FrechetInceptionDistance(feature=Pool(), reset_real_features=True)
    tm.update(torch.cat(REF), real=True)
    tm.update(torch.cat(GEN), real=False)
    value = FID(model=net, device='cpu').evaluate_videos(GEN, ref_videos=REF)['fid']
    assert value > 0.01 and value == pytest.approx(float(tm.compute()), rel=1e-6)


def test_identical_sets_give_zero() -> None:
    value = FID(model=TinyPool(), device='cpu').evaluate_videos(GEN, ref_videos=GEN)['fid']
    assert value == pytest.approx(0.0, abs=1e-9)


def test_batch_independence_and_frames() -> None:
    net = TinyPool()
    m = FID(model=net, batch_size=4, device='cpu')
    a = m.evaluate_videos(GEN, ref_videos=REF, batch_size=2)['fid']
    b = FID(model=net, batch_size=1, device='cpu').evaluate_videos(GEN, ref_videos=REF, batch_size=1)['fid']
    assert a == pytest.approx(b, rel=1e-5)
    assert m.protocol['n_generated'] == 6 and m.protocol['covariance'] == 'N-1 (ddof=1)'
    sub = FID(model=net, num_frames=2, device='cpu')
    sub.evaluate_videos(GEN, ref_videos=REF)
    assert sub.protocol['n_generated'] == 4


def test_stats_file_and_errors(fid_ckpt: str, tmp_path) -> None:
    net = TinyPool()
    path = str(tmp_path / 'fid_ref.pt')
    first = FID(model=net, save_ref_stats=path, device='cpu').evaluate_videos(GEN, ref_videos=REF)['fid']
    again = FID(model=net, ref_stats_file=path, device='cpu').evaluate_videos(GEN)['fid']
    assert again == pytest.approx(first, rel=1e-12)
    with pytest.raises(ValueError, match='num_frames'):
        FID(model=net, ref_stats_file=path, num_frames=2, device='cpu')
    with pytest.raises(RuntimeError, match='at least 2 generated'):
        FID(model=net, device='cpu').evaluate_videos([GEN[0][:1]], ref_videos=[REF[0]])
    with pytest.raises(Exception, match='sha256'):
        FID(model_path=fid_ckpt, device='cpu')  # a random file does not carry the 6726825d hash


def test_default_spec_unchanged_by_input_protocol(fid_ckpt: str) -> None:
    """FID's default spec is the one before ``input_protocol`` existed, so feature caches and reference
    statistics made before still match; the protocol is recorded in the run's provenance."""
    from aigve.utils.hashing import file_sha256

    metric = fid(fid_ckpt, use_cache=False)
    assert metric.input_protocol == 'pytorch-fid'
    assert metric.spec() == dict(metric='FID', extractor='fid-inception', feature='pool',
                                 weights_sha256=file_sha256(fid_ckpt), num_frames=None,
                                 preprocessing='pytorch-fid: x/255, bilinear 299x299 (align_corners=False), 2x-1')
    assert metric.frame_protocol()['input_protocol'] == 'pytorch-fid'
    other = fid(fid_ckpt, use_cache=False, input_protocol='torch-fidelity').spec()
    assert other['input_protocol'] == 'torch-fidelity' and other['preprocessing'].startswith('torch-fidelity')
    with pytest.raises(ValueError, match='`input_protocol` must be'):
        fid(fid_ckpt, input_protocol='torchmetrics')


# frames of other sizes than 299, so the TF1 resize is covered: up (32x32, 40x64) and down (320x300)
SIZED = random_videos(1, frames=2, size=32, seed=13) + [v[:, :, :40] for v in random_videos(1, frames=2, size=64,
                                                                                        seed=14)]
SIZED_DOWN = [v[:, :, :320, :300] for v in random_videos(1, frames=2, size=320, seed=15)]


def test_torch_fidelity_protocol_features_equal_torch_fidelity(fid_ckpt: str) -> None:
    """``input_protocol='torch-fidelity'``: the 2048-d features equal torch-fidelity's extractor's."""
    from torch_fidelity.feature_extractor_inceptionv3 import FeatureExtractorInceptionV3

    fe = FeatureExtractorInceptionV3('inception-v3-compat', ['2048'], feature_extractor_weights_path=fid_ckpt).eval()
    videos = SIZED + SIZED_DOWN
    with torch.no_grad():
        theirs = torch.cat([fe(frame[None])[0] for video in videos for frame in video]).double()
    ours, _ = fid(fid_ckpt, use_cache=False, input_protocol='torch-fidelity').extract(videos, ['a', 'b', 'c'])
    default, _ = fid(fid_ckpt, use_cache=False).extract(videos, ['a', 'b', 'c'])
    assert 0.05 < theirs.std().item() < 100
    torch.testing.assert_close(ours.double(), theirs, rtol=1e-4, atol=1e-4 * theirs.abs().max().item())
    assert (default.double() - theirs).abs().max().item() > 1e-2 * theirs.abs().max().item()


@pytest.mark.slow  # torch-fidelity's scipy sqrtm at d=2048
def test_torch_fidelity_protocol_parity_end_to_end(fid_ckpt: str) -> None:
    """FID with ``input_protocol='torch-fidelity'`` vs torch-fidelity 0.4's ``calculate_metrics(fid=True)``.

    Measured: rel 1.4e-9 (same features; float64 statistics on both sides, its scipy ``sqrtm`` vs our
    eigendecomposition).
    """
    gen, ref = SIZED + SIZED_DOWN, random_videos(3, frames=2, size=48, seed=16, offset=40)
    expected = torch_fidelity_metrics(fid_ckpt, gen, ref, fid=True)['frechet_inception_distance']
    value = fid(fid_ckpt, use_cache=False, input_protocol='torch-fidelity').evaluate_videos(gen, ref_videos=ref)['fid']
    assert value > 1 and value == pytest.approx(expected, rel=1e-5)
