"""VBench suite throughput: configs/vbench.py through our loop vs VBench's way of working, same models, one run.

    python bench/bench_vbench.py [--videos 2] [--frames 8] [--size 128] [--repeats 3] [--batch 4] [--workers 2]
        [--device cpu] [--unbatched] [--dims SubjectConsistency,DynamicDegree,...]

Every dimension of ``configs/vbench.py`` (and its ``VBenchScores``) runs on synthetic H.264 videos (8 fps, so
dynamic degree keeps every frame), with backbones at the real architecture sizes and **random weights**
built here (the released checkpoints cannot be downloaded in this environment; the work per frame depends on
the architecture and the frame size, not on the weight values): DINO ViT-B/16, CLIP ViT-B/32 and ViT-L/14
(vision towers at full size; the text towers, which these dimensions never run, are tiny), the LAION head,
torchvision RAFT-large, AMT-S, MUSIQ and ViCLIP-L/14. Both sides call the very same metric objects, so the
weights and every per-frame computation are identical; they differ only in how the work is organised:

* ``aigve``: our evaluation loop (``AIGVELoop`` under MMEngine's Runner, the config's DataLoader with
  ``--workers`` decoding processes and ``--batch`` videos per batch). Each video is decoded once and handed
  to every dimension; frames of the batch's videos share backbone passes (the metrics' own batch sizes).
* ``vbench``: VBench's ``VBench.evaluate`` order: for each dimension, for each video, decode the file again
  (our decoder) and score that one video alone with VBench's own batching, read from its code
  (github.com/Vchitect/VBench): one frame per forward for subject consistency and imaging quality, one frame
  pair per forward for dynamic degree and motion smoothness, the whole video in one pass for background
  consistency, 32 frames per pass for aesthetic quality, one clip per pass for ViCLIP. ``--unbatched`` makes
  every dimension one frame (pair, clip) per forward.

Repeats are interleaved (the side that goes first alternates) so changes of machine load hit both alike;
medians are reported with the 1-minute load average (``os.getloadavg``) measured around each timing. It also
reports the pipeline efficiency of our run (time inside the backbones' forward passes / wall time of the
loop; 1.0 is the ceiling), where the model time goes per dimension on both sides, and the largest difference
between the two sides' per-video scores (they must agree: batching does not change a number).
Not a test, not run in CI; figures depend on the machine and its load (see docs/bench_vbench.md).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / 'tests')]

import torch  # noqa: E402
from torch import nn  # noqa: E402

#: VBench's frames per forward pass, per dimension (attribute of our metric, value); None = the whole video.
VBENCH_BATCHING = {
    'SubjectConsistency': ('frame_batch_size', 1),      # subject_consistency.py: images[i].unsqueeze(0)
    'BackgroundConsistency': ('frame_batch_size', None),  # encode_image(images): the whole video
    'AestheticQuality': ('frame_batch_size', 32),       # aesthetic_quality.py: batch_size = 32
    'ImagingQuality': ('batch_size', 1),                # imaging_quality.py: images[i].unsqueeze(0)
    'MotionSmoothness': ('pair_batch_size', 1),         # motion_smoothness.py: one (in_0, in_1) per call
    'DynamicDegree': ('batch_size', 1),                 # dynamic_degree.py: one (image1, image2) per call
    'OverallConsistency': ('video_batch_size', 1),      # one clip per encode_vision
    'TemporalStyle': ('video_batch_size', 1),
}
WHOLE_VIDEO = 1 << 30


# ------------------------------------------------------------------------------------------------ models
def _init_(module: nn.Module, seed: int) -> nn.Module:
    """Random weights of order 1 (no NaN, no denormals): Kaiming convolutions, N(0, 0.02) linears, unit norms."""
    from helpers.init import nondegenerate_

    nondegenerate_(module, seed=seed)
    g = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for m in module.modules():
            if isinstance(m, nn.Linear):
                m.weight.copy_(torch.randn(m.weight.shape, generator=g) * 0.02)
                if m.bias is not None:
                    m.bias.zero_()
    return module.eval().requires_grad_(False)


def _clip_model(tokenizer_dir: Path, vision: dict, projection_dim: int, seed: int) -> nn.Module:
    """A transformers ``CLIPModel`` with a full-size vision tower and a tiny text tower (never run here)."""
    from transformers import CLIPConfig, CLIPModel, CLIPTokenizer

    tok = CLIPTokenizer.from_pretrained(tokenizer_dir)
    text = dict(vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                num_attention_heads=4, max_position_embeddings=77, bos_token_id=tok.bos_token_id,
                eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id)
    config = CLIPConfig(text_config=text, vision_config=dict(image_size=224, **vision), projection_dim=projection_dim)
    torch.manual_seed(seed)
    return _init_(CLIPModel(config), seed)


def build_models(tmp: Path) -> tuple[dict[str, dict[str, Any]], dict[str, int]]:
    """Per metric type, the constructor arguments that inject its random full-size backbone; parameter counts."""
    from helpers.tiny_hf import build_tiny_clip
    from transformers import CLIPTokenizer

    from aigve.models.amt import AMTS
    from aigve.models.dino_vit import dino_vitb16
    from aigve.models.musiq import MUSIQ
    from aigve.models.raft import build_raft_large
    from aigve.models.viclip import ViCLIP, ViCLIPTokenizer

    processor = build_tiny_clip(tmp / 'processor', max_text_len=77, image_size=224)  # tokenizer + processor only
    b32 = _clip_model(processor, dict(hidden_size=768, intermediate_size=3072, num_hidden_layers=12,
                                      num_attention_heads=12, patch_size=32), 512, seed=1)
    l14 = _clip_model(processor, dict(hidden_size=1024, intermediate_size=4096, num_hidden_layers=24,
                                      num_attention_heads=16, patch_size=14), 768, seed=2)
    torch.manual_seed(3)
    viclip = _init_(ViCLIP(), 3)  # ViCLIP-L/14 as released (vision 24 x 1024, text 12 x 768)
    tokenizer = ViCLIPTokenizer(CLIPTokenizer.from_pretrained(processor), viclip.context_length)
    torch.manual_seed(4)
    nets = dict(dino=_init_(dino_vitb16(), 4), raft=_init_(build_raft_large(), 5), amt=_init_(AMTS(), 6),
                musiq=_init_(MUSIQ(), 7), head=_init_(nn.Linear(768, 1), 8))
    inject = {
        'SubjectConsistency': dict(net=nets['dino']),
        'BackgroundConsistency': dict(model_name_or_path=b32, processor=str(processor)),
        'AestheticQuality': dict(model_name_or_path=l14, processor=str(processor), head=nets['head']),
        'DynamicDegree': dict(net=nets['raft']),
        'MotionSmoothness': dict(net=nets['amt']),
        'ImagingQuality': dict(net=nets['musiq']),
        'OverallConsistency': dict(model=viclip, tokenizer=tokenizer),
        'TemporalStyle': dict(model=viclip, tokenizer=tokenizer),
    }
    params = {name: sum(p.numel() for p in m.parameters()) for name, m in
              [('DINO ViT-B/16', nets['dino']), ('CLIP ViT-B/32 vision', b32.vision_model),
               ('CLIP ViT-L/14 vision', l14.vision_model), ('RAFT-large', nets['raft']), ('AMT-S', nets['amt']),
               ('MUSIQ', nets['musiq']), ('ViCLIP-L/14', viclip)]}
    return inject, params


# ------------------------------------------------------------------------------------------------ clock
class ModelClock:
    """Wall time spent inside the backbones' forward passes, per metric and per side of the bench."""

    def __init__(self, sync: bool) -> None:
        self.sync = sync
        self.side = 'idle'
        self.seconds: dict[tuple[str, str], float] = defaultdict(float)
        self._start: dict[int, float] = {}

    def _now(self) -> float:
        if self.sync:
            torch.cuda.synchronize()
        return time.perf_counter()

    def watch(self, name: str, module: nn.Module) -> None:
        module.register_forward_pre_hook(lambda m, a: self._start.__setitem__(id(m), self._now()))

        def stop(m: nn.Module, a: Any, o: Any) -> None:
            self.seconds[(self.side, name)] += self._now() - self._start.pop(id(m))

        module.register_forward_hook(stop)

    def total(self, side: str) -> float:
        return sum(v for (s, _), v in self.seconds.items() if s == side)

    def reset(self) -> None:
        self.seconds.clear()


def watch_metrics(clock: ModelClock, metrics: list) -> None:
    """Hook the top-level networks of every metric (nested modules are not hooked twice)."""
    seen: set[int] = set()
    for metric in metrics:
        name = type(metric).__name__
        model = getattr(metric, 'model', None)
        modules = [getattr(metric, 'net', None), getattr(metric, 'head', None)]
        if model is not None:
            modules += [getattr(model, a, None) for a in ('vision_model', 'text_model', 'vision_encoder',
                                                          'text_encoder')]
        for module in modules:
            if isinstance(module, nn.Module) and id(module) not in seen:
                seen.add(id(module))
                clock.watch(name, module)
    # OverallConsistency and TemporalStyle share one ViCLIP object: its time is booked under the first name,
    # so the per-dimension split merges them (the totals are right)


# ------------------------------------------------------------------------------------------------ data
def make_videos(root: Path, n: int, frames: int, size: int) -> tuple[Path, list[Path], list[str]]:
    from helpers.videos import synthetic_frames, write_video

    (root / 'v').mkdir(parents=True, exist_ok=True)
    paths, prompts = [], []
    for i in range(n):
        path = root / f'v/gen{i:04d}.mp4'
        write_video(path, synthetic_frames(frames, size, size, seed=i, noise=8), fps=8)
        paths.append(path)
        prompts.append(f'a square moves {i}, zoom in')  # short: the tiny tokenizer is per character
    ann = root / 'ann.json'
    ann.write_text(json.dumps(dict(data_list=[dict(video_path_pd=f'v/{p.name}', prompt_gt=q)
                                              for p, q in zip(paths, prompts)])))
    return ann, paths, prompts


# ------------------------------------------------------------------------------------------------ sides
def clear_shared_caches() -> None:
    """Forget the ViCLIP clip embeddings that OverallConsistency and TemporalStyle share within a run.

    The cache is module-level, so without this a repeat (or the other side) would reuse the embeddings of an
    earlier run; each timed run starts empty, as a fresh process does.
    """
    from aigve.metrics.vbench.overall_consistency import base

    getattr(base, '_SHARED_EMBEDDINGS', {}).clear()


def run_aigve(cfg: Any, metrics: list, work_dir: Path, name: str) -> dict[str, Any]:
    """configs/vbench.py's loop over the videos, with the prebuilt metrics; wall times and per-video scores."""
    from aigve.core.console import QuietConsoleRunner
    from aigve.core.loops import AIGVELoop

    loop_seconds = [0.0]
    run = AIGVELoop.run

    def timed_run(self: Any) -> dict:
        t0 = time.perf_counter()
        try:
            return run(self)
        finally:
            loop_seconds[0] = time.perf_counter() - t0

    clear_shared_caches()
    t0 = time.perf_counter()
    AIGVELoop.run = timed_run
    try:
        runner = QuietConsoleRunner(
            model=cfg.model, work_dir=str(work_dir), val_dataloader=cfg.val_dataloader, val_cfg=cfg.val_cfg,
            val_evaluator=metrics, default_hooks=cfg.default_hooks, custom_hooks=cfg.custom_hooks,
            env_cfg=cfg.env_cfg, log_level='WARNING', randomness=cfg.randomness, default_scope=cfg.default_scope,
            experiment_name=name, cfg=cfg)
        runner.val()
    finally:
        AIGVELoop.run = run
    wall = time.perf_counter() - t0
    results = runner.val_loop.results
    scores = {Path(r['video']).name: {k: v for k, v in r.items() if k != 'video'} for r in results['per_video']}
    return dict(wall=wall, loop=loop_seconds[0], scores=scores, metrics=results['metrics'],
                scored=results['num_videos']['scored'], failures=results['failures'])


@contextmanager
def vbench_batching(metric: Any, unbatched: bool):
    """Give ``metric`` VBench's frames-per-forward for its dimension while the block runs."""
    attr, value = VBENCH_BATCHING.get(type(metric).__name__, (None, None))
    if attr is None:
        yield
        return
    old = getattr(metric, attr)
    setattr(metric, attr, 1 if unbatched else (WHOLE_VIDEO if value is None else value))
    try:
        yield
    finally:
        setattr(metric, attr, old)


def run_vbench(metrics: list, paths: list[Path], prompts: list[str], unbatched: bool) -> dict[str, Any]:
    """VBench's order: per dimension, per video: decode the file, score that video alone."""
    from aigve.core.base_metric import SummaryMetric, Unscorable
    from aigve.utils.video_io import read_video

    scores: dict[str, dict[str, float]] = defaultdict(dict)
    t0 = time.perf_counter()
    for metric in metrics:
        if isinstance(metric, SummaryMetric):
            continue
        getattr(metric, '_prompt_cache', {}).clear()  # VBench keeps a text-feature cache within a dimension
        clear_shared_caches()  # VBench encodes the clips again for each ViCLIP dimension
        with vbench_batching(metric, unbatched), torch.no_grad():
            for i, (path, prompt) in enumerate(zip(paths, prompts)):
                frames, fps = read_video(path)
                video = torch.from_numpy(frames).permute(0, 3, 1, 2).contiguous()
                sample = dict(video=str(path), video_id=i, prompt=prompt, fps=fps, ref_video=None,
                              ref_video_path=None, meta={})
                out = metric.score_batch([video], [sample])[0]
                if not isinstance(out, Unscorable):
                    scores[path.name].update({f'{metric.prefix}/{k}': float(v) for k, v in out.items()})
    return dict(wall=time.perf_counter() - t0, scores=dict(scores))


def max_score_difference(a: dict, b: dict) -> tuple[float, int]:
    """Largest |a - b| over the per-video scores both sides hold, and how many values were compared."""
    diffs = [abs(float(a[v][k]) - float(b[v][k])) for v in a if v in b for k in a[v]
             if k in b[v] and isinstance(a[v][k], (int, float))]
    return (max(diffs) if diffs else float('nan')), len(diffs)


# ------------------------------------------------------------------------------------------------ main
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--videos', type=int, default=2)
    parser.add_argument('--frames', type=int, default=8)
    parser.add_argument('--size', type=int, default=128, help='frame side (RAFT needs >= 128)')
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--batch', type=int, default=4, help='videos per batch of our loop')
    parser.add_argument('--workers', type=int, default=2, help='decoding processes of our loop')
    parser.add_argument('--device', default='cpu', help="'cpu', 'cuda' or 'auto'")
    parser.add_argument('--unbatched', action='store_true', help='VBench side: one frame (pair, clip) per forward')
    parser.add_argument('--dims', default=None, help='comma-separated metric types of configs/vbench.py to keep')
    args = parser.parse_args()

    from aigve.core.evaluate import load_config
    from aigve.registry import METRICS
    from aigve.utils.device import resolve_device

    device = str(resolve_device(args.device))
    clock = ModelClock(sync=device.startswith('cuda'))
    with tempfile.TemporaryDirectory() as tmp_str:
        tmp = Path(tmp_str)
        ann, paths, prompts = make_videos(tmp / 'data', args.videos, args.frames, args.size)
        cfg = load_config(REPO / 'configs/vbench.py', cfg_options={
            'data_root': str(tmp / 'data'), 'ann_file': ann.name, 'val_dataloader.batch_size': args.batch,
            'val_dataloader.num_workers': args.workers}, work_dir=str(tmp / 'wd'), resume=False)
        entries = [dict(e) for e in cfg.val_evaluator]
        if args.dims:
            keep = set(args.dims.split(','))
            entries = [e for e in entries if e['type'] in keep or e['type'] == 'VBenchScores']
            cfg.val_evaluator = entries
        t0 = time.perf_counter()
        inject, params = build_models(tmp)
        metrics = []
        for entry in entries:
            extra = inject.get(entry['type'], {})
            if 'device' in entry:
                extra = dict(extra, device=device)
            metrics.append(METRICS.build({**entry, **extra}))
        build_seconds = time.perf_counter() - t0
        watch_metrics(clock, metrics)

        loads: list[float] = []
        runs: dict[str, list[dict]] = {'aigve': [], 'vbench': []}
        model_seconds: dict[str, list[float]] = {'aigve': [], 'vbench': []}
        per_dim: dict[str, list[dict[str, float]]] = {'aigve': [], 'vbench': []}
        for rep in range(args.repeats):
            order = ('aigve', 'vbench') if rep % 2 == 0 else ('vbench', 'aigve')
            for side in order:
                clock.reset()
                clock.side = side
                before = os.getloadavg()[0]
                if side == 'aigve':
                    out = run_aigve(cfg, metrics, tmp / f'wd{rep}', f'bench_vbench_{rep}')
                else:
                    out = run_vbench(metrics, paths, prompts, args.unbatched)
                loads += [before, os.getloadavg()[0]]
                clock.side = 'idle'
                runs[side].append(out)
                model_seconds[side].append(clock.total(side))
                per_dim[side].append({n: v for (s, n), v in clock.seconds.items() if s == side})

    med = {s: statistics.median(r['wall'] for r in runs[s]) for s in runs}
    ratios = [v['wall'] / a['wall'] for a, v in zip(runs['aigve'], runs['vbench'])]
    effs = [m / r['loop'] for m, r in zip(model_seconds['aigve'], runs['aigve'])]
    diff, compared = max_score_difference(runs['aigve'][-1]['scores'], runs['vbench'][-1]['scores'])
    n = args.videos
    print(f'torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} cpus, device {device}')
    print(f'VBench suite ({", ".join(e["type"] for e in entries)}), {n} videos x {args.frames} frames at '
          f'{args.size}x{args.size}, {args.repeats} interleaved repeats; aigve batch {args.batch}, '
          f'{args.workers} workers; vbench {"unbatched" if args.unbatched else "with VBench batching"}')
    print('  random weights, real sizes: ' + ', '.join(f'{k} {v / 1e6:.0f}M' for k, v in params.items())
          + f' (built in {build_seconds:.0f} s, untimed)')
    print(f'  load average (1 min) around the timings: median {statistics.median(loads):.1f}, '
          f'min {min(loads):.1f}, max {max(loads):.1f}')
    for side in ('aigve', 'vbench'):
        walls = ', '.join(f'{r["wall"]:.1f}' for r in runs[side])
        print(f'  {side:6s} median {med[side]:7.1f} s = {n / med[side]:.3f} videos/s  (runs: {walls} s; model '
              f'{statistics.median(model_seconds[side]):.1f} s)')
    print(f'  speed-up aigve vs vbench: {med["vbench"] / med["aigve"]:.2f}x (ratio of medians); per repeat '
          f'{", ".join(f"{r:.2f}" for r in ratios)}, median {statistics.median(ratios):.2f}x')
    loop = statistics.median(r['loop'] for r in runs['aigve'])
    print(f'  aigve pipeline efficiency (model forward / loop wall): median {statistics.median(effs):.3f} '
          f'(runs: {", ".join(f"{e:.3f}" for e in effs)}); loop {loop:.1f} s of {med["aigve"]:.1f} s with the runner')
    print('  model time per dimension, median s (aigve / vbench):')
    names = dict.fromkeys(k for d in per_dim['aigve'] + per_dim['vbench'] for k in d)
    dim_med = {side: {name: statistics.median(d.get(name, 0.0) for d in per_dim[side]) for name in names}
               for side in ('aigve', 'vbench')}
    for name in names:
        a, v = dim_med['aigve'][name], dim_med['vbench'][name]
        label = name + (' (+ TemporalStyle: one ViCLIP)' if name == 'OverallConsistency' else '')
        print(f'    {label:45s} {a:7.1f} / {v:7.1f}  ({v / a if a else float("nan"):.2f}x)')
    if names:
        costliest = max(names, key=dim_med['aigve'].get)
        print(f'  ceiling of the speed-up while every forward pass stays: vbench median / aigve {costliest} model time '
              f'= {med["vbench"] / dim_med["aigve"][costliest]:.2f}x (if all else cost nothing)')
    last = runs['aigve'][-1]
    print(f'  aigve scored {last["scored"]} videos, {len(last["failures"])} failures; per-video scores, both sides: '
          f'max |difference| {diff:.2e} over {compared} values')
    for key in sorted(k for k in last['metrics'] if k.startswith('vbench')):
        print(f'    {key} = {last["metrics"][key]}')


if __name__ == '__main__':
    main()
