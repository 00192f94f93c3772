"""The ``aigve`` console command: ``aigve run CONFIG ...``, ``aigve weights ...``, ``aigve metrics``.

``python main_aigve.py CONFIG ...`` is ``aigve run CONFIG ...``.
"""
from __future__ import annotations

import argparse
import difflib
import os
import os.path as osp
import sys
from typing import Any, Sequence

#: short ``--cfg-options`` keys that are applied to the dataset of ``val_dataloader``
DATASET_SHORTCUTS = ('data_root', 'ann_file')


def add_run_parser(subparsers: Any) -> None:
    """Add the arguments of ``aigve run`` (also those of ``main_aigve.py``)."""
    from mmengine.config import DictAction

    p = subparsers.add_parser('run', help='evaluate the metrics of a config', description=__doc__)
    p.add_argument('config', help='config file, e.g. configs/fvd.py')
    p.add_argument('--work-dir', help='folder for logs and results.json (default: work_dirs/<config name>)')
    p.add_argument('--out', help='also write the results JSON to this file')
    p.add_argument('--cfg-options', nargs='+', action=DictAction, default={},
                   help='override config keys, e.g. data_root=/data/set val_evaluator.device=cpu')
    p.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'], default='none')
    p.add_argument('--strict', action='store_true', help='stop at the first video that cannot be read')
    resume = p.add_mutually_exclusive_group()
    resume.add_argument('--resume', dest='resume', action='store_true', default=True,
                        help='reuse per-video results journaled in the work dir by an earlier run (default)')
    resume.add_argument('--fresh', dest='resume', action='store_false',
                        help='ignore the journal of earlier runs and score every video again')
    p.add_argument('--local_rank', '--local-rank', type=int, default=0, help=argparse.SUPPRESS)


def load_config(config: str, cfg_options: dict | None = None, work_dir: str | None = None,
                launcher: str = 'none', strict: bool = False, out: str | None = None,
                resume: bool = True) -> Any:
    """Load ``config`` and apply the command-line overrides; return an mmengine ``Config``."""
    from mmengine.config import Config

    if not osp.isfile(config):
        raise FileNotFoundError(f'config not found: {config}; configs live in configs/, e.g. configs/fvd.py')
    cfg = Config.fromfile(config)
    options = dict(cfg_options or {})
    for key in DATASET_SHORTCUTS:
        if key in options:
            options[f'val_dataloader.dataset.{key}'] = options[key]
    if options:
        cfg.merge_from_dict(options)
    for key in ('test_dataloader', 'test_cfg', 'test_evaluator'):  # aigve runs the val loop only
        cfg.pop(key, None)
    cfg.work_dir = work_dir or cfg.get('work_dir') or osp.join('work_dirs', osp.splitext(osp.basename(config))[0])
    cfg.launcher = launcher
    cfg.val_cfg.strict = bool(strict or cfg.val_cfg.get('strict', False))
    if out:
        cfg.val_cfg.out_file = out
    if not resume:
        cfg.val_cfg.resume = False
    check_metric_types(cfg)
    return cfg


def check_metric_types(cfg: Any) -> None:
    """Fail early, with a did-you-mean hint, when ``val_evaluator`` names an unregistered metric."""
    from mmengine.registry import init_default_scope

    from aigve.registry import METRICS

    init_default_scope(cfg.get('default_scope', 'aigve'))
    if cfg.get('custom_imports'):
        from mmengine.utils import import_modules_from_strings
        import_modules_from_strings(**cfg.custom_imports)
    METRICS.import_from_location()
    evaluators = cfg.get('val_evaluator')
    items = evaluators if isinstance(evaluators, (list, tuple)) else [evaluators]
    known = sorted(METRICS.module_dict)
    for item in items:
        name = item.get('type') if isinstance(item, dict) else None
        if isinstance(name, str) and METRICS.get(name) is None:
            close = difflib.get_close_matches(name, known, n=3)
            hint = f'; did you mean: {", ".join(close)}?' if close else f'; registered: {", ".join(known)}'
            raise KeyError(f'metric {name!r} is not in the aigve metric registry (check `val_evaluator` in your '
                           f'config){hint}')


def init_cpu_distributed(launcher: str, cfg: Any) -> None:
    """Start the process group ourselves on a CPU-only machine (MMEngine's launcher assumes CUDA)."""
    import torch
    import torch.distributed as dist

    if launcher == 'pytorch' and not torch.cuda.is_available() and not dist.is_initialized():
        backend = cfg.get('env_cfg', {}).get('dist_cfg', {}).get('backend', 'gloo')
        dist.init_process_group(backend='gloo' if backend == 'nccl' else backend)


def leave_process_group() -> None:
    """Wait for every rank, then destroy the process group.

    A rank that exits with a live gloo group can abort in the group's destructor ("terminate called without an
    active exception") while the other ranks are still writing results, which fails the whole launch.
    """
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


def run(args: argparse.Namespace) -> int:
    """``aigve run``: evaluate and write ``<work_dir>/results.json``."""
    from mmengine.runner import Runner

    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    cfg = load_config(args.config, args.cfg_options, args.work_dir, args.launcher, args.strict, args.out,
                      args.resume)
    init_cpu_distributed(args.launcher, cfg)
    runner = Runner.from_cfg(cfg)
    runner.val()
    results = runner.val_loop.results
    leave_process_group()
    if runner.rank == 0:
        n = results['num_videos']
        lines = [f'{k}: {v:.6g}' for k, v in results['metrics'].items()]
        print('\n'.join(lines), file=sys.stdout)
        print(f"scored {n['scored']} videos, {n['failed']} failed -> {osp.join(cfg.work_dir, 'results.json')}")
        for f in results['failures']:
            print(f"  failed: {f['video']}: {f['reason']}")
    return 0


def list_metrics(args: argparse.Namespace) -> int:
    """``aigve metrics``: print the registered metrics and their cards."""
    import json

    from aigve.registry import METRICS
    METRICS.import_from_location()
    cards = [cls.card() for _, cls in sorted(METRICS.module_dict.items()) if hasattr(cls, 'card')]
    print(json.dumps(cards, indent=2))
    return 0


def cache_command(args: argparse.Namespace) -> int:
    """``aigve cache info|clear``: size of the feature cache under ``$AIGVE_HOME/features``, or empty it."""
    from aigve.utils.feature_cache import FeatureCache

    cache = FeatureCache()
    if args.action == 'clear':
        cache.clear()
        print(f'cleared {cache.root}')
    else:
        print(f'{cache.root}: {len(cache.files())} files, {cache.size_bytes() / 1024**2:.1f} MiB '
              f'(cap {cache.max_bytes / 1024**3:.1f} GiB, AIGVE_FEATURE_CACHE_MAX_GB)')
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The ``aigve`` argument parser with every subcommand."""
    parser = argparse.ArgumentParser(prog='aigve', description='Evaluate AI-generated videos.')
    sub = parser.add_subparsers(dest='command', required=True)
    add_run_parser(sub)
    from aigve.cli_weights import add_weights_parser
    add_weights_parser(sub)
    sub.add_parser('metrics', help='list the registered metrics and their cards')
    from aigve.service.cli import add_serve_parser
    add_serve_parser(sub)
    cache = sub.add_parser('cache', help='show or clear the feature cache')
    cache.add_argument('action', choices=['info', 'clear'])
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``aigve`` command; user errors print one line and exit with 1."""
    from aigve.utils.errors import report_errors

    args = build_parser().parse_args(argv)
    return report_errors('aigve', lambda: dispatch(args))


def dispatch(args: argparse.Namespace) -> int:
    """Run the subcommand named in ``args``."""
    if args.command == 'run':
        return run(args)
    if args.command == 'metrics':
        return list_metrics(args)
    if args.command == 'serve':
        from aigve.service.cli import run_serve
        return run_serve(args)
    if args.command == 'cache':
        return cache_command(args)
    from aigve.cli_weights import run_weights_command
    return run_weights_command(args)

if __name__ == '__main__':
    sys.exit(main())
