"""Pipeline efficiency, throughput, resume speed-up and memory of a per-video metric with a model.

    python bench/bench_pipeline.py [--videos 24] [--frames 16] [--size 256] [--workers 2]

Runs CLIPSim with a ViT-B/32-sized CLIP (random weights, built here: no download) through the real runner
on synthetic H.264 videos and prints:

* efficiency = time inside the model's forward passes / wall time of the evaluation loop (decoding in
  DataLoader workers should overlap the model; 1.0 is the ceiling);
* videos per second;
* the speed-up of a second run of the same config in the same work dir (journal hits, no model work);
* peak RSS of a run over N and over 5N videos (streaming: it should not grow with N).
Figures depend on the machine's load; run it on a quiet machine.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / 'tests')]


def make_videos(root: Path, n: int, frames: int, size: int) -> Path:
    from helpers.videos import synthetic_frames, write_video
    (root / 'v').mkdir(parents=True, exist_ok=True)
    entries = []
    for i in range(n):
        path = root / f'v/{i:04d}.mp4'
        if not path.exists():
            write_video(path, synthetic_frames(frames, size, size, seed=i, noise=8))
        entries.append(dict(video_path_pd=f'v/{i:04d}.mp4', prompt_gt=f'a moving square number {i}'))
    ann = root / f'ann_{n}.json'
    ann.write_text(json.dumps(dict(data_list=entries)))
    return ann


RUNNER = textwrap.dedent('''
    import json, resource, sys, time
    from aigve.cli import load_config, init_cpu_distributed
    from aigve.core.loops import AIGVELoop
    from mmengine.runner import Runner

    config, work_dir, out = sys.argv[1:4]
    model_time = [0.0]
    def timed(module):
        start = {}
        module.register_forward_pre_hook(lambda m, a: start.__setitem__('t', time.perf_counter()))
        module.register_forward_hook(lambda m, a, o: model_time.__setitem__(0, model_time[0] + time.perf_counter() - start['t']))
    loop_time = [0.0]
    run = AIGVELoop.run
    def timed_run(self):
        for metric in self.evaluator.metrics:
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
    json.dump(dict(loop_seconds=loop_time[0], model_seconds=model_time[0], videos=n,
                   reused=runner.val_loop.journal.reused,
                   peak_rss_mib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024), open(out, 'w'))
''')


def run_once(config: Path, work_dir: Path, tmp: Path) -> dict:
    out = tmp / 'stats.json'
    script = tmp / 'run_bench.py'
    script.write_text(RUNNER)
    env = {**os.environ, 'PYTHONPATH': str(REPO), 'AIGVE_OFFLINE': '1', 'HF_HUB_OFFLINE': '1'}
    proc = subprocess.run([sys.executable, str(script), str(config), str(work_dir), str(out)], env=env,
                          capture_output=True, text=True)
    if proc.returncode:
        raise SystemExit(proc.stderr[-3000:])
    stats = json.loads(out.read_text())
    stats['children_peak_rss_mib'] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return stats


def write_config(tmp: Path, data: Path, ann: Path, model: Path, workers: int, batch: int) -> Path:
    config = tmp / f'cfg_{ann.stem}.py'
    config.write_text(textwrap.dedent(f'''
        _base_ = ['{REPO}/configs/clip_sim.py']
        val_dataloader = dict(batch_size={batch}, num_workers={workers}, persistent_workers=False,
                              dataset=dict(data_root='{data}', ann_file='{ann.name}'))
        val_evaluator = dict(type='CLIPSim', model_name_or_path='{model}', device='auto', frame_batch_size=64)
    '''))
    return config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--videos', type=int, default=24)
    parser.add_argument('--frames', type=int, default=16)
    parser.add_argument('--size', type=int, default=256)
    parser.add_argument('--workers', type=int, default=2)
    parser.add_argument('--batch', type=int, default=4)
    args = parser.parse_args()
    from helpers.tiny_hf import build_tiny_clip

    with tempfile.TemporaryDirectory() as tmp_str:
        tmp = Path(tmp_str)
        model = build_tiny_clip(tmp / 'clip_b32', image_size=224, projection_dim=512, vision_overrides=dict(
            hidden_size=768, intermediate_size=3072, num_hidden_layers=12, num_attention_heads=12, patch_size=32))
        data = tmp / 'data'
        ann = make_videos(data, args.videos, args.frames, args.size)
        config = write_config(tmp, data, ann, model, args.workers, args.batch)
        first = run_once(config, tmp / 'wd', tmp)
        second = run_once(config, tmp / 'wd', tmp)
        ann5 = make_videos(data, 5 * args.videos, args.frames, args.size)
        big = run_once(write_config(tmp, data, ann5, model, args.workers, args.batch), tmp / 'wd5', tmp)
        small = run_once(config, tmp / 'wd_fresh', tmp)
    eff = first['model_seconds'] / first['loop_seconds']
    print(f"CLIPSim (ViT-B/32 size), {args.videos} videos x {args.frames} frames at {args.size}px, "
          f"{args.workers} workers, batch {args.batch}")
    print(f"  efficiency (model forward / loop wall): {eff:.2f}")
    print(f"  throughput: {first['videos'] / first['loop_seconds']:.2f} videos/s "
          f"(loop {first['loop_seconds']:.1f} s, model {first['model_seconds']:.1f} s)")
    print(f"  second run, same work dir: {second['loop_seconds']:.2f} s, {second['reused']} records reused, "
          f"speed-up x{first['loop_seconds'] / max(second['loop_seconds'], 1e-9):.1f}")
    print(f"  peak RSS, main process: N={args.videos}: {small['peak_rss_mib']:.0f} MiB; "
          f"5N={5 * args.videos}: {big['peak_rss_mib']:.0f} MiB "
          f"(ratio {big['peak_rss_mib'] / small['peak_rss_mib']:.2f})")


if __name__ == '__main__':
    main()
