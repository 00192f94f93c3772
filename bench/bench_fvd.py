"""Time FVD end to end, aigve vs cd-fvd, on the same videos and the same (random) i3d_tats checkpoint.

    python bench/bench_fvd.py [--videos 16] [--frames 16] [--size 128] [--repeats 1] [--skip-rss]

Both sides start from the same in-memory uint8 videos and a checkpoint file, and include model loading.
cd-fvd 0.1.1: ``cdfvd(model='i3d', ckpt_path=...)`` + ``add_real_stats`` / ``add_fake_stats`` +
``compute_fvd_from_stats`` (scipy sqrtm). aigve: ``FVD(backbone='i3d_tats', model_path=...)`` +
``evaluate_videos``. The default of 16 videos a side is cd-fvd's own batch (``get_i3d_logits(batchsize=16)``),
so its steady state on sets of any size; with fewer videos cd-fvd runs smaller, cache-friendlier batches and
both sides' fixed costs (model loading, first-call kernel setup) weigh more. Then the peak RSS of aigve for N and
5N videos, each run in a fresh process with the videos made batch by batch, shows that memory does not grow with
the number of videos.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'tests'))


def make_videos(n: int, frames: int, size: int, seed: int) -> list[torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    low = torch.rand(n, frames, 3, 8, 8, generator=g)
    vids = torch.nn.functional.interpolate(low.flatten(0, 1), size=(size, size), mode='bilinear')
    vids = (vids * 255).to(torch.uint8).reshape(n, frames, 3, size, size)
    return list(vids)


def random_checkpoint(path: str) -> None:
    from cdfvd.third_party.i3d.pytorch_i3d import InceptionI3d

    torch.manual_seed(0)
    model = InceptionI3d(400, in_channels=3)
    for m in model.modules():
        if isinstance(m, torch.nn.Conv3d):
            torch.nn.init.kaiming_normal_(m.weight)
    torch.save(model.state_dict(), path)


def run_cdfvd(ckpt: str, gen: list, ref: list) -> float:
    from cdfvd import fvd

    ev = fvd.cdfvd(model='i3d', ckpt_path=ckpt, device='cpu')
    ev.add_real_stats(torch.stack(ref).permute(0, 1, 3, 4, 2).numpy())
    ev.add_fake_stats(torch.stack(gen).permute(0, 1, 3, 4, 2).numpy())
    return float(ev.compute_fvd_from_stats())


def run_aigve(ckpt: str, gen: list, ref: list, frames: int) -> float:
    from aigve.metrics.distribution import FVD

    metric = FVD(backbone='i3d_tats', model_path=ckpt, check_hash=False, num_frames=frames, device='cpu')
    return metric.evaluate_videos(gen, ref_videos=ref)['fvd']


def rss_child(ckpt: str, n: int, frames: int, size: int) -> None:
    """Stream n generated + n reference videos through the metric, 4 at a time; print peak RSS (MiB)."""
    from aigve.metrics.distribution import FVD

    metric = FVD(backbone='i3d_tats', model_path=ckpt, check_hash=False, num_frames=frames, device='cpu')
    for start in range(0, n, 4):
        k = min(4, n - start)
        gen, ref = make_videos(k, frames, size, 100 + start), make_videos(k, frames, size, 10_000 + start)
        samples = [dict(video=f'v{start + i}', ref_video=r) for i, r in enumerate(ref)]
        metric.process(dict(inputs=gen), samples)
    metric.evaluate(n)
    from helpers.memory import peak_rss_mib
    print(peak_rss_mib())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--videos', type=int, default=16)
    parser.add_argument('--frames', type=int, default=16)
    parser.add_argument('--size', type=int, default=128)
    parser.add_argument('--repeats', type=int, default=1)
    parser.add_argument('--skip-rss', action='store_true')
    parser.add_argument('--rss-child', nargs=2, metavar=('CKPT', 'N'), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.rss_child:
        rss_child(args.rss_child[0], int(args.rss_child[1]), args.frames, args.size)
        return
    print(f'torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} cpus')
    with tempfile.TemporaryDirectory() as tmp:
        ckpt = os.path.join(tmp, 'i3d_pretrained_400.pt')
        random_checkpoint(ckpt)
        gen = make_videos(args.videos, args.frames, args.size, 1)
        ref = make_videos(args.videos, args.frames, args.size, 2)
        times: dict[str, list[float]] = {'cd-fvd': [], 'aigve': []}
        values: dict[str, float] = {}
        for _ in range(args.repeats):  # interleaved, so load changes hit both sides alike
            for name, fn in (('cd-fvd', lambda: run_cdfvd(ckpt, gen, ref)),
                             ('aigve', lambda: run_aigve(ckpt, gen, ref, args.frames))):
                t0 = time.perf_counter()
                values[name] = fn()
                times[name].append(time.perf_counter() - t0)
        best = {k: min(v) for k, v in times.items()}
        clips = 2 * args.videos
        print(f'FVD i3d_tats, {args.videos}+{args.videos} videos of {args.frames}x{args.size}x{args.size}:')
        for name in ('cd-fvd', 'aigve'):
            print(f'  {name:7s} {best[name]:7.2f} s ({best[name] / clips:.3f} s/clip)  FVD={values[name]:.6f}')
        print(f'  speed-up aigve vs cd-fvd: {best["cd-fvd"] / best["aigve"]:.2f}x; '
              f'relative difference {abs(values["aigve"] - values["cd-fvd"]) / abs(values["cd-fvd"]):.2e}')
        if not args.skip_rss:
            for n in (args.videos, 5 * args.videos):
                out = subprocess.run([sys.executable, __file__, '--frames', str(args.frames), '--size', str(args.size),
                                      '--rss-child', ckpt, str(n)], capture_output=True, text=True, check=True)
                print(f'  aigve peak RSS with {n}+{n} videos: {float(out.stdout.strip().splitlines()[-1]):.0f} MiB')


if __name__ == '__main__':
    main()
