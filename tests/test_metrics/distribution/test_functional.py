"""Tests of ``aigve.metrics.distribution.functional``: closed forms, invariances, streaming, references.

Tolerances: analytic cases are computed from exact means/covariances in float64, so 1e-9 relative leaves
room only for rounding. Against ``scipy.linalg.sqrtm`` the eigenvalue form agrees to ~1e-14 on
well-conditioned inputs (1e-8 asked); for singular covariances sqrtm itself is inaccurate (complex output,
~1e-8 relative here), hence 1e-6. IS/KID use the same float64 arithmetic and RNG calls as torch-fidelity
(agreement ~1e-15), checked at 1e-6 relative.
"""
from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg
import torch

from aigve.metrics.distribution import functional as fn
from aigve.metrics.distribution.functional import (
    GaussianStats,
    expected_fd_bias,
    frechet_distance,
    frechet_distance_from_stats,
    inception_score,
    kid,
    warn_if_few_samples,
)


def _sqrtm_reference(mu1, s1, mu2, s2) -> float:
    """FD with scipy's sqrtm of the product (the classic formula), real part taken."""
    covmean = scipy.linalg.sqrtm(s1 @ s2)
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean).real)


def _random_spd(rng: np.random.Generator, d: int) -> np.ndarray:
    a = rng.standard_normal((d, d))
    return a @ a.T / d + 0.1 * np.eye(d)


def _moments(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return x.mean(axis=0), np.cov(x, rowvar=False)


# ---------------------------------------------------------------------------------- closed forms
def test_fd_1d_closed_form():
    # N(0,1) vs N(3,4): (0-3)^2 + 1 + 4 - 2*sqrt(1*4) = 10
    value = frechet_distance(np.zeros(1), np.ones((1, 1)), np.full(1, 3.0), np.full((1, 1), 4.0))
    assert value == pytest.approx(10.0, rel=1e-9)


def test_fd_16d_closed_form():
    # N(0,I) vs N(1,4I): 16*1 + 16*(1-2)^2 = 32
    d = 16
    value = frechet_distance(torch.zeros(d), torch.eye(d), torch.ones(d), 4 * torch.eye(d))
    assert value == pytest.approx(32.0, rel=1e-9)


def test_fd_commuting_closed_form():
    # diagonal covariances: sum (mu1-mu2)^2 + sum (sqrt v1 - sqrt v2)^2
    rng = np.random.default_rng(1)
    mu1, mu2 = rng.standard_normal(8), rng.standard_normal(8)
    v1, v2 = rng.uniform(0.1, 3, 8), rng.uniform(0.1, 3, 8)
    expected = np.sum((mu1 - mu2)**2) + np.sum((np.sqrt(v1) - np.sqrt(v2))**2)
    assert frechet_distance(mu1, np.diag(v1), mu2, np.diag(v2)) == pytest.approx(expected, rel=1e-9)


# ----------------------------------------------------------------------------------- properties
@pytest.mark.parametrize('n', [300, 20])  # full rank and singular (n < d)
def test_fd_same_set_is_zero(n):
    x = np.random.default_rng(0).standard_normal((n, 32))
    mu, sigma = _moments(x)
    assert frechet_distance(mu, sigma, mu, sigma) == pytest.approx(0.0, abs=1e-6)


def test_fd_symmetric_shift_and_scale():
    rng = np.random.default_rng(2)
    x, y = rng.standard_normal((200, 12)), 1.5 * rng.standard_normal((200, 12)) + 0.4
    base = frechet_distance(*_moments(x), *_moments(y))
    assert base > 1.0
    assert frechet_distance(*_moments(y), *_moments(x)) == pytest.approx(base, rel=1e-10)
    shift = rng.standard_normal(12) * 5
    assert frechet_distance(*_moments(x + shift), *_moments(y + shift)) == pytest.approx(base, rel=1e-9)
    assert frechet_distance(*_moments(3 * x), *_moments(3 * y)) == pytest.approx(9 * base, rel=1e-9)


def test_fd_nonnegative_clamped():
    # rounding can make the same-set value slightly negative; it must be reported as exactly >= 0
    x = np.random.default_rng(3).standard_normal((50, 40)) * 1e3
    mu, sigma = _moments(x)
    assert frechet_distance(mu, sigma, mu, sigma) >= 0.0


# ------------------------------------------------------------------------------------ reference
@pytest.mark.filterwarnings('ignore::scipy.linalg.LinAlgWarning')  # sqrtm of a singular product
@pytest.mark.parametrize('method', ['auto', 'eigh'])
def test_fd_singular_matches_sqrtm(method):
    rng = np.random.default_rng(4)
    x, y = rng.standard_normal((30, 64)), 1.3 * rng.standard_normal((30, 64)) + 0.2
    m1, s1 = _moments(x)
    m2, s2 = _moments(y)
    ours = frechet_distance(m1, s1, m2, s2, method=method)
    assert np.isfinite(ours)
    assert ours == pytest.approx(_sqrtm_reference(m1, s1, m2, s2), rel=1e-6)
    with pytest.raises(ValueError, match='positive definite'):
        frechet_distance(m1, s1, m2, s2, method='cholesky')


def test_cholesky_and_eigh_factors_agree():
    # positive definite: both routes (the default takes Cholesky) agree to rounding
    rng = np.random.default_rng(6)
    for d in (3, 50):
        m1, m2 = rng.standard_normal(d), rng.standard_normal(d)
        s1, s2 = _random_spd(rng, d), _random_spd(rng, d)
        chol = frechet_distance(m1, s1, m2, s2, method='cholesky')
        assert chol == pytest.approx(frechet_distance(m1, s1, m2, s2, method='eigh'), rel=1e-12)
        assert chol == frechet_distance(m1, s1, m2, s2)
    with pytest.raises(ValueError, match='`method`'):
        frechet_distance(m1, s1, m2, s2, method='svd')


@pytest.mark.parametrize('d', [2, 16, 100])
@pytest.mark.parametrize('seed', [0, 1, 2])
def test_fd_random_spd_matches_sqrtm(d, seed):
    rng = np.random.default_rng(seed)
    m1, m2 = rng.standard_normal(d), rng.standard_normal(d)
    s1, s2 = _random_spd(rng, d), _random_spd(rng, d)
    assert frechet_distance(m1, s1, m2, s2) == pytest.approx(_sqrtm_reference(m1, s1, m2, s2), rel=1e-8)


@pytest.mark.filterwarnings('ignore::DeprecationWarning')  # pytorch-fid passes sqrtm(disp=False)
@pytest.mark.parametrize('seed', [0, 1])
def test_fd_parity_pytorch_fid(seed):
    from pytorch_fid.fid_score import calculate_frechet_distance

    rng = np.random.default_rng(seed)
    d = 64
    m1, m2 = rng.standard_normal(d), rng.standard_normal(d) * 0.5
    s1, s2 = _random_spd(rng, d), _random_spd(rng, d)
    ref = calculate_frechet_distance(m1, s1, m2, s2)
    assert frechet_distance(m1, s1, m2, s2) == pytest.approx(ref, rel=1e-6)
    # sample statistics as pytorch-fid computes them (np.mean, np.cov)
    x, y = rng.standard_normal((500, d)), rng.standard_normal((400, d)) * 2 + 1
    ref = calculate_frechet_distance(*_moments(x), *_moments(y))
    ours = frechet_distance_from_stats(GaussianStats.from_features(x), GaussianStats.from_features(y))
    assert ours == pytest.approx(ref, rel=1e-6)


def test_fd_torch_inputs_and_float32():
    rng = np.random.default_rng(5)
    m1, m2 = rng.standard_normal(8), rng.standard_normal(8)
    s1, s2 = _random_spd(rng, 8), _random_spd(rng, 8)
    ref = frechet_distance(m1, s1, m2, s2)
    got = frechet_distance(torch.tensor(m1), torch.tensor(s1), torch.tensor(m2, dtype=torch.float32),
                           torch.tensor(s2, dtype=torch.float32))
    assert got == pytest.approx(ref, rel=1e-6)  # float32 inputs carry ~1e-7 rounding


def test_fd_finite_sample_bias_matches_anchor():
    # research/anchors.md c.3: two N(0, I_64) samples of 1000 give ~2.18 (simulation 2.23-2.28, ~5 % off)
    rng = np.random.default_rng(0)
    a = GaussianStats.from_features(rng.standard_normal((1000, 64)))
    b = GaussianStats.from_features(rng.standard_normal((1000, 64)))
    assert frechet_distance_from_stats(a, b) == pytest.approx(expected_fd_bias(1000, 64), rel=0.10)
    assert expected_fd_bias(1000, 64) == pytest.approx(64**2 / 2000 + 128 / 1000)


# ----------------------------------------------------------------------------------- errors
def test_fd_errors():
    with pytest.raises(ValueError, match='shapes'):
        frechet_distance(np.zeros(3), np.eye(3), np.zeros(4), np.eye(4))
    with pytest.raises(ValueError, match='dimension'):
        frechet_distance(np.zeros((3, 1)), np.eye(3), np.zeros(3), np.eye(3))
    with pytest.raises(ValueError, match='symmetric'):
        frechet_distance(np.zeros(2), np.array([[1.0, 0.5], [0.0, 1.0]]), np.zeros(2), np.eye(2))
    with pytest.raises(TypeError, match='torch.Tensor or numpy.ndarray'):
        frechet_distance([0.0], np.eye(1), np.zeros(1), np.eye(1))


def test_fd_from_stats_errors():
    rng = np.random.default_rng(0)
    a, b = GaussianStats.from_features(rng.standard_normal((5, 3))), GaussianStats.from_features(
        rng.standard_normal((5, 4)))
    with pytest.raises(ValueError, match='same feature dimension, but got 3 and 4'):
        frechet_distance_from_stats(a, b)
    one = GaussianStats.from_features(rng.standard_normal((1, 3)))
    with pytest.raises(ValueError, match='at least 2 samples.*got 1'):
        frechet_distance_from_stats(a, one)
    with pytest.raises(ValueError, match='at least 2 samples.*got 0'):
        frechet_distance_from_stats(GaussianStats(3), a)


def test_warn_if_few_samples(monkeypatch):
    calls = []
    monkeypatch.setattr(fn, 'print_log', lambda msg, logger=None, level=None: calls.append((msg, level)))
    assert warn_if_few_samples(4096, 2048) is False
    assert calls == []
    assert warn_if_few_samples(100, 2048) is True
    msg, level = calls[0]
    assert level == 30  # logging.WARNING
    assert '100 samples' in msg and f'{2048**2 / 200 + 4096 / 100:.4g}' in msg
    # frechet_distance_from_stats warns through it when a side is small
    rng = np.random.default_rng(0)
    frechet_distance_from_stats(GaussianStats.from_features(rng.standard_normal((10, 16))),
                                GaussianStats.from_features(rng.standard_normal((50, 16))))
    assert len(calls) == 2 and '10 samples for 16-dim' in calls[1][0]


# ------------------------------------------------------------------------------------ streaming
def _random_chunks(x: np.ndarray, rng: np.random.Generator) -> list[np.ndarray]:
    cuts = np.sort(rng.choice(np.arange(1, len(x)), size=rng.integers(1, 8), replace=False))
    return np.split(x, cuts)


@pytest.mark.parametrize('seed', [0, 1, 2])
def test_stats_streaming_matches_numpy(seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(loc=2.0, scale=3.0, size=(257, 24)) @ rng.standard_normal((24, 24))
    mean, cov, cov0 = x.mean(0), np.cov(x, rowvar=False), np.cov(x, rowvar=False, bias=True)
    atol = 1e-10 * np.abs(cov).max()

    streamed = GaussianStats()
    for i, chunk in enumerate(_random_chunks(x, rng)):
        streamed.update(chunk if i % 2 else torch.from_numpy(chunk))  # arrays and float64 tensors
    # per-rank stats merged in a random order
    parts = [GaussianStats.from_features(c) for c in _random_chunks(x, rng)]
    merged = GaussianStats()
    for i in rng.permutation(len(parts)):
        merged.merge(parts[i])

    for stats in (streamed, merged):
        assert stats.count == 257 and stats.dim == 24
        np.testing.assert_allclose(stats.mean().numpy(), mean, rtol=1e-10, atol=atol)
        np.testing.assert_allclose(stats.cov().numpy(), cov, rtol=1e-10, atol=atol)
        np.testing.assert_allclose(stats.cov(ddof=0).numpy(), cov0, rtol=1e-10, atol=atol)
        assert torch.equal(stats.cov(), stats.cov().T)


def test_stats_roundtrip_and_inputs():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((40, 5))
    stats = GaussianStats.from_features(torch.from_numpy(x).float())  # float32 tensors are accepted
    assert stats.sum.dtype == torch.float64 and stats.sum_outer.shape == (5, 5)
    state = stats.to_dict()
    assert set(state) == {'count', 'sum', 'sum_outer'} and isinstance(state['count'], int)
    again = GaussianStats.from_dict(state)
    assert again.count == 40 and torch.equal(again.cov(), stats.cov())
    again.update(np.zeros((0, 5)))  # empty batch is a no-op
    assert again.count == 40
    assert GaussianStats.from_dict(GaussianStats().to_dict()).dim is None
    # merging with an empty object is neutral in both directions
    assert GaussianStats().merge(stats).count == 40 and stats.merge(GaussianStats()).count == 40


def test_stats_memory_independent_of_n():
    stats = GaussianStats()
    sizes = []
    for _ in range(5):
        stats.update(np.random.default_rng(0).standard_normal((100, 8)))
        sizes.append(sum(v.numel() for v in (stats.sum, stats.sum_outer)))
    assert stats.count == 500 and len(set(sizes)) == 1 and sizes[0] == 8 + 64


def test_stats_errors():
    stats = GaussianStats.from_features(np.zeros((3, 4)))
    with pytest.raises(ValueError, match='must have 4 columns'):
        stats.update(np.zeros((2, 5)))
    with pytest.raises(ValueError, match='2 dimension'):
        stats.update(np.zeros(4))
    with pytest.raises(ValueError, match='finite'):
        stats.update(np.full((1, 4), np.nan))
    with pytest.raises(ValueError, match='dimension 4, but got 2'):
        stats.merge(GaussianStats.from_features(np.zeros((2, 2))))
    with pytest.raises(ValueError, match='more than 3 samples'):
        GaussianStats.from_features(np.zeros((3, 2))).cov(ddof=3)
    with pytest.raises(ValueError, match='at least 1 sample'):
        GaussianStats(2).mean()
    with pytest.raises(ValueError, match='positive int'):
        GaussianStats(0)


# ------------------------------------------------------------------------------ Inception Score
def test_is_uniform_is_one():
    probs = torch.full((40, 10), 0.1, dtype=torch.float64)
    assert inception_score(probs, splits=4, from_logits=False) == pytest.approx((1.0, 0.0), abs=1e-12)
    assert inception_score(torch.zeros(40, 10), splits=4) == pytest.approx((1.0, 0.0), abs=1e-12)


@pytest.mark.parametrize('k', [2, 7, 10])
def test_is_balanced_one_hot_is_k(k):
    splits, reps = 5, 3
    onehot = torch.eye(k).repeat(splits * reps, 1)  # every contiguous chunk of k*reps rows is balanced
    mean, std = inception_score(onehot, splits=splits, from_logits=False, shuffle=False)
    assert mean == pytest.approx(k, rel=1e-12) and std == pytest.approx(0.0, abs=1e-9)
    # the same through (very peaked) logits
    mean, std = inception_score(60 * onehot, splits=splits, from_logits=True, shuffle=False)
    assert mean == pytest.approx(k, rel=1e-9)
    # all samples the same class -> 1
    assert inception_score(torch.eye(k)[[0] * 20], splits=2, from_logits=False)[0] == pytest.approx(1.0)


@pytest.mark.parametrize('splits,seed,n', [(10, 2020, 500), (3, 0, 301), (1, 7, 50)])
def test_is_parity_torch_fidelity(splits, seed, n):
    from torch_fidelity.metric_isc import isc_features_to_metric

    logits = torch.randn(n, 1008, generator=torch.Generator().manual_seed(seed)) * 4
    ref = isc_features_to_metric(logits, splits=splits, shuffle=True, rng_seed=seed)
    mean, std = inception_score(logits, splits=splits, seed=seed)
    assert mean == pytest.approx(ref['inception_score_mean'], rel=1e-6)
    assert std == pytest.approx(ref['inception_score_std'], rel=1e-6, abs=1e-12)
    assert inception_score(logits.numpy(), splits=splits, seed=seed) == (mean, std)  # arrays too
    # probabilities give the same number as their logits
    probs = logits.double().softmax(dim=1)
    assert inception_score(probs, splits=splits, seed=seed, from_logits=False)[0] == pytest.approx(mean, rel=1e-9)


def test_is_errors():
    with pytest.raises(ValueError, match=r'`splits` must be an int in \[1, number of samples = 5\]'):
        inception_score(torch.zeros(5, 3), splits=6)
    with pytest.raises(ValueError, match='probabilities'):
        inception_score(torch.ones(5, 3), splits=1, from_logits=False)


# -------------------------------------------------------------------------------------------- KID
def test_kid_independent_draws_near_zero_and_shift_large():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((500, 64)), rng.standard_normal((500, 64))
    same, _ = kid(a, b, subsets=50, subset_size=250)
    small, _ = kid(a, b + 0.25, subsets=50, subset_size=250)
    large, _ = kid(a, b + 1.0, subsets=50, subset_size=250)
    assert abs(same) < 0.02  # measured 0.003; research/anchors.md c.1.6 reports +0.0015 for 500x64
    assert small > 0.1 and large > 5.0  # measured 0.21 and 7.19 (anchors: ~7.2 for a shift of 1)
    assert same < small < large


def test_kid_subset_too_large_raises():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match='subset_size=1000 with 500 real and 400 fake samples'):
        kid(rng.standard_normal((500, 8)), rng.standard_normal((400, 8)))
    with pytest.raises(ValueError, match='subset_size=450 with 500 real and 400 fake'):
        kid(rng.standard_normal((500, 8)), rng.standard_normal((400, 8)), subset_size=450)
    with pytest.raises(ValueError, match='same feature dimension'):
        kid(rng.standard_normal((10, 8)), rng.standard_normal((10, 4)), subset_size=5)
    with pytest.raises(ValueError, match='subsets'):
        kid(rng.standard_normal((10, 8)), rng.standard_normal((10, 8)), subsets=0, subset_size=5)


@pytest.mark.parametrize('dtype', [torch.float64, torch.float32])
@pytest.mark.parametrize('shift', [0.0, 0.5])
def test_kid_parity_torch_fidelity(dtype, shift):
    from torch_fidelity.metric_kid import kid_features_to_metric

    g = torch.Generator().manual_seed(1)
    real = torch.randn(300, 32, generator=g, dtype=torch.float64).to(dtype)
    fake = (torch.randn(250, 32, generator=g, dtype=torch.float64) + shift).to(dtype)
    ref = kid_features_to_metric(real, fake, kid_subsets=20, kid_subset_size=100, rng_seed=2020, verbose=False)
    mean, std = kid(real, fake, subsets=20, subset_size=100, seed=2020)
    if dtype == torch.float64:  # identical arithmetic
        rel = 1e-6
    else:  # torch-fidelity computes the kernels in float32, we in float64; KID ~0 amplifies its rounding
        rel = 1e-6 if shift else 1e-4
    assert mean == pytest.approx(ref['kernel_inception_distance_mean'], rel=rel)
    assert std == pytest.approx(ref['kernel_inception_distance_std'], rel=rel)


def test_kid_kernel_options_parity_torch_fidelity():
    from torch_fidelity.metric_kid import kid_features_to_metric

    g = torch.Generator().manual_seed(2)
    real, fake = torch.randn(120, 16, generator=g, dtype=torch.float64), torch.randn(
        120, 16, generator=g, dtype=torch.float64) * 1.2
    ref = kid_features_to_metric(real, fake, kid_subsets=5, kid_subset_size=60, rng_seed=0, verbose=False,
                                 kid_kernel_poly_degree=2, kid_kernel_poly_gamma=0.3, kid_kernel_poly_coef0=0.5)
    mean, std = kid(real, fake, subsets=5, subset_size=60, degree=2, gamma=0.3, coef0=0.5, seed=0)
    assert mean == pytest.approx(ref['kernel_inception_distance_mean'], rel=1e-6)
    assert std == pytest.approx(ref['kernel_inception_distance_std'], rel=1e-6)
