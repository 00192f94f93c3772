"""Benchmark: Fréchet distance at FID size (d=2048, N=5000), ours vs the ``scipy.linalg.sqrtm`` formula.

Also checks that :class:`GaussianStats` memory does not grow with the number of streamed samples.

Run: ``python bench/bench_frechet.py [--dim 2048] [--num 5000] [--repeats 3]``. Prints plain text.
"""
from __future__ import annotations

import argparse
import os
import time
import warnings

import numpy as np
import scipy
import scipy.linalg
import torch

from aigve.metrics.distribution.functional import GaussianStats, frechet_distance, frechet_distance_from_stats


def features(rng: np.random.Generator, num: int, dim: int, scale: float, shift: float) -> np.ndarray:
    """Correlated, non-isotropic Gaussian features (a rank-64 common factor plus noise)."""
    factors = rng.standard_normal((num, 64)) @ rng.standard_normal((64, dim)) / 8
    return scale * (rng.standard_normal((num, dim)) + factors) + shift


def scipy_frechet(mu1: np.ndarray, s1: np.ndarray, mu2: np.ndarray, s2: np.ndarray) -> float:
    """The classic formula (pytorch-fid, cd-fvd): ``sqrtm`` of the product, real part kept."""
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        covmean = scipy.linalg.sqrtm(s1 @ s2)
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean).real)


def read_status_kib(field: str) -> int | None:
    try:
        with open('/proc/self/status') as f:
            for line in f:
                if line.startswith(field + ':'):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def reset_peak_rss() -> bool:
    """Reset VmHWM (Linux: write 5 to /proc/self/clear_refs)."""
    try:
        with open('/proc/self/clear_refs', 'w') as f:
            f.write('5')
        return True
    except OSError:
        return False


def bench_time(dim: int, num: int, repeats: int) -> None:
    rng = np.random.default_rng(0)
    real, fake = features(rng, num, dim, 1.0, 0.0), features(rng, num, dim, 1.2, 0.05)
    a, b = GaussianStats.from_features(real), GaussianStats.from_features(fake)
    mu1, s1, mu2, s2 = a.mean(), a.cov(), b.mean(), b.cov()

    results = {}
    for method in ('auto', 'eigh'):  # 'auto' = Cholesky here (positive definite), 'eigh' = singular-safe route
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            value = frechet_distance(mu1, s1, mu2, s2, method=method)
            times.append(time.perf_counter() - start)
        results[method] = (value, times)
    start = time.perf_counter()
    ref = scipy_frechet(mu1.numpy(), s1.numpy(), mu2.numpy(), s2.numpy())
    t_scipy = time.perf_counter() - start
    print(f'Frechet distance, d={dim}, N={num} per set (float64, {torch.get_num_threads()} torch threads, '
          f'load average {os.getloadavg()[0]:.2f}; torch {torch.__version__}, scipy {scipy.__version__})')
    print(f'  scipy sqrtm(S1 S2)        : {t_scipy:8.3f} s  (1 run)         value {ref:.10f}')
    for method, (value, times) in results.items():
        label = 'ours auto (Cholesky)' if method == 'auto' else 'ours eigh (singular-safe)'
        print(f'  {label:26s}: {min(times):8.3f} s  (best of {repeats}: {", ".join(f"{t:.2f}" for t in times)})  '
              f'value {value:.10f}  speed-up {t_scipy / min(times):.1f}x  rel. diff {abs(value - ref) / abs(ref):.2e}')


def bench_memory(dim: int, sizes: tuple[int, ...], batch: int) -> None:
    print(f'GaussianStats memory, d={dim}, batches of {batch} (peak RSS growth over the state, from VmHWM)')
    rng = np.random.default_rng(1)
    chunk = rng.standard_normal((batch, dim))
    for n in sizes:
        stats = GaussianStats(dim)
        baseline = read_status_kib('VmRSS')
        can_reset = reset_peak_rss()
        start = time.perf_counter()
        for _ in range(n // batch):
            stats.update(chunk)
        elapsed = time.perf_counter() - start
        peak = read_status_kib('VmHWM')
        state_mib = (stats.sum.nbytes + stats.sum_outer.nbytes) / 2**20
        growth = f'{(peak - baseline) / 1024:7.1f} MiB' if can_reset and peak and baseline else 'n/a'
        print(f'  N={stats.count:>7}: state {state_mib:.1f} MiB, peak RSS growth during updates {growth}, '
              f'{elapsed:.1f} s ({stats.count / elapsed:.0f} samples/s)')
        del stats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--dim', type=int, default=2048)
    parser.add_argument('--num', type=int, default=5000)
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--memory-sizes', type=int, nargs='+', default=[1000, 5000, 20000])
    parser.add_argument('--batch', type=int, default=500)
    args = parser.parse_args()
    bench_time(args.dim, args.num, args.repeats)
    bench_memory(args.dim, tuple(args.memory_sizes), args.batch)
    # the end-to-end path the metric uses, for completeness
    rng = np.random.default_rng(2)
    a = GaussianStats.from_features(rng.standard_normal((300, 64)))
    b = GaussianStats.from_features(rng.standard_normal((300, 64)) + 0.1)
    print(f'sanity: FD of two 300x64 Gaussian sets 0.1 apart = {frechet_distance_from_stats(a, b):.4f}')


if __name__ == '__main__':
    main()
