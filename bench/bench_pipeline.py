"""Pipeline efficiency, throughput, second-run speed-up and memory, through the real runner.

    python bench/bench_pipeline.py --metric clip_sim|fvd [--videos 24] [--frames 16] [--size 256] [--workers 2]
        [--skip-rss]

``clip_sim``: CLIPSim with a ViT-B/32-sized CLIP (random weights built here: no download), a per-video metric
with a model. ``fvd``: FVD with cd-fvd's I3D (random non-degenerate checkpoint), generated vs reference
videos. Synthetic H.264 videos. It prints:

* efficiency = time inside the model's forward passes / wall time of the evaluation loop (decoding in
  DataLoader workers should overlap the model; 1.0 is the ceiling);
* videos per second;
* the speed-up of a second run of the same config (CLIPSim: journal hits in the same work dir; FVD: the
  feature cache under AIGVE_HOME), with no model work;
* peak RSS of a run over N and over 5N videos (streaming: it should not grow with N).
Figures depend on the machine's load; run it on a quiet machine.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / 'tests')]


def make_videos(root: Path, n: int, frames: int, size: int) -> Path:
    from helpers.videos import synthetic_frames, write_video
    (root / 'v').mkdir(parents=True, exist_ok=True)
    entries = []
    for i in range(n):
        for kind, seed in (('gen', i), ('ref', 10_000 + i)):
            path = root / f'v/{kind}{i:04d}.mp4'
            if not path.exists():
                write_video(path, synthetic_frames(frames, size, size, seed=seed, noise=8))
        entries.append(dict(video_path_pd=f'v/gen{i:04d}.mp4', video_path_gt=f'v/ref{i:04d}.mp4',
                            prompt_gt=f'a moving square number {i}'))
    ann = root / f'ann_{n}.json'
    ann.write_text(json.dumps(dict(data_list=entries)))
    return ann


RUNNER = textwrap.dedent('''
    import json, sys, time
    from helpers.memory import peak_rss_mib
    from aigve.core.evaluate import load_config, init_cpu_distributed
    from aigve.core.loops import AIGVELoop
    from mmengine.runner import Runner

    config, work_dir, out = sys.argv[1:4]
    model_time = [0.0]
    def timed(module):
        start = {}
        module.register_forward_pre_hook(lambda m, a: start.__setitem__('t', time.perf_counter()))
        def add(m, a, o):
            model_time[0] += time.perf_counter() - start['t']
        module.register_forward_hook(add)
    loop_time = [0.0]
    run = AIGVELoop.run
    def timed_run(self):
        for metric in self.evaluator.metrics:
            if hasattr(metric, 'backbone'):
                timed(metric.backbone.model)
            else:
                timed(metric.model.vision_model)
                timed(metric.model.text_model)
        t0 = time.perf_counter()
        out = run(self)
        loop_time[0] = time.perf_counter() - t0
        return out
    AIGVELoop.run = timed_run
    cfg = load_config(config, work_dir=work_dir)
    runner = Runner.from_cfg(cfg)
    runner.val()
    n = runner.val_loop.results['num_videos']['scored']
    hits = sum(getattr(getattr(m, 'feature_cache', None), 'hits', 0) for m in runner.val_loop.evaluator.metrics)
    json.dump(dict(loop_seconds=loop_time[0], model_seconds=model_time[0], videos=n,
                   reused=runner.val_loop.journal.reused + hits,
                   peak_rss_mib=peak_rss_mib()), open(out, 'w'))
''')


def run_once(config: Path, work_dir: Path, tmp: Path, home: Path) -> dict:
    out = tmp / 'stats.json'
    script = tmp / 'run_bench.py'
    script.write_text(RUNNER)
    env = {**os.environ, 'PYTHONPATH': os.pathsep.join([str(REPO), str(REPO / 'tests')]), 'AIGVE_OFFLINE': '1',
           'HF_HUB_OFFLINE': '1', 'AIGVE_HOME': str(home)}
    proc = subprocess.run([sys.executable, str(script), str(config), str(work_dir), str(out)], env=env,
                          capture_output=True, text=True)
    if proc.returncode:
        raise SystemExit(proc.stderr[-3000:])
    return json.loads(out.read_text())


EVALUATORS = {
    'clip_sim': ('clip_sim.py',
                 "dict(type='CLIPSim', model_name_or_path='{model}', device='auto', frame_batch_size=64)"),
    'fvd': ('fvd_i3d-tats.py', "dict(type='FVD', backbone='i3d_tats', model_path='{model}', check_hash=False, "
                               "num_frames=16, resolution=None, device='auto')"),
}


def write_config(tmp: Path, data: Path, ann: Path, model: Path, metric: str, workers: int, batch: int) -> Path:
    base, evaluator = EVALUATORS[metric]
    config = tmp / f'cfg_{ann.stem}.py'
    config.write_text(textwrap.dedent(f'''
        _base_ = ['{REPO}/configs/{base}']
        val_dataloader = dict(batch_size={batch}, num_workers={workers}, persistent_workers=False,
                              dataset=dict(data_root='{data}', ann_file='{ann.name}'))
        val_evaluator = {evaluator.format(model=model)}
    '''))
    return config


def build_model(metric: str, tmp: Path) -> Path:
    """A random model of realistic size: ViT-B/32 CLIP, or cd-fvd's I3D with non-degenerate weights."""
    if metric == 'clip_sim':
        from helpers.tiny_hf import build_tiny_clip
        return build_tiny_clip(tmp / 'clip_b32', image_size=224, projection_dim=512, vision_overrides=dict(
            hidden_size=768, intermediate_size=3072, num_hidden_layers=12, num_attention_heads=12, patch_size=32))
    import torch
    from cdfvd.third_party.i3d.pytorch_i3d import InceptionI3d
    from helpers.init import nondegenerate_
    torch.manual_seed(0)
    path = tmp / 'i3d_pretrained_400.pt'
    torch.save(nondegenerate_(InceptionI3d(400, in_channels=3)).state_dict(), path)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--metric', choices=sorted(EVALUATORS), default='clip_sim')
    parser.add_argument('--videos', type=int, default=24)
    parser.add_argument('--frames', type=int, default=16)
    parser.add_argument('--size', type=int, default=256)
    parser.add_argument('--workers', type=int, default=2)
    parser.add_argument('--batch', type=int, default=4)
    parser.add_argument('--skip-rss', action='store_true', help='skip the N vs 5N memory runs')
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp_str:
        tmp = Path(tmp_str)
        model = build_model(args.metric, tmp)
        data = tmp / 'data'
        ann = make_videos(data, args.videos, args.frames, args.size)
        config = write_config(tmp, data, ann, model, args.metric, args.workers, args.batch)
        first = run_once(config, tmp / 'wd', tmp, tmp / 'home')
        second = run_once(config, tmp / 'wd', tmp, tmp / 'home')
        if not args.skip_rss:
            ann5 = make_videos(data, 5 * args.videos, args.frames, args.size)
            big_config = write_config(tmp, data, ann5, model, args.metric, args.workers, args.batch)
            big = run_once(big_config, tmp / 'wd5', tmp, tmp / 'home5')
            small = run_once(config, tmp / 'wd_fresh', tmp, tmp / 'home_fresh')
    eff = first['model_seconds'] / first['loop_seconds']
    print(f"{args.metric}, {args.videos} videos x {args.frames} frames at {args.size}px, "
          f"{args.workers} workers, batch {args.batch}")
    print(f"  efficiency (model forward / loop wall): {eff:.2f}")
    print(f"  throughput: {first['videos'] / first['loop_seconds']:.2f} videos/s "
          f"(loop {first['loop_seconds']:.1f} s, model {first['model_seconds']:.1f} s)")
    print(f"  second run, same work dir: {second['loop_seconds']:.2f} s, {second['reused']} records reused, "
          f"speed-up x{first['loop_seconds'] / max(second['loop_seconds'], 1e-9):.1f}")
    if args.skip_rss:
        return
    print(f"  peak RSS, main process: N={args.videos}: {small['peak_rss_mib']:.0f} MiB; "
          f"5N={5 * args.videos}: {big['peak_rss_mib']:.0f} MiB "
          f"(ratio {big['peak_rss_mib'] / small['peak_rss_mib']:.2f})")


if __name__ == '__main__':
    main()
