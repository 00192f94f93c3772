"""``aigve run CONFIG ...`` (also ``python main_aigve.py CONFIG ...``): evaluate a config, print a summary.

The evaluation itself is :func:`aigve.core.evaluate.evaluate_config`; this module parses the command line
and prints the end-of-run summary (:func:`print_run_summary`).
"""
from __future__ import annotations

import argparse
import os
import os.path as osp
import sys
from typing import Any


def add_run_parser(subparsers: Any) -> None:
    """Add the arguments of ``aigve run`` (also those of ``main_aigve.py``)."""
    from mmengine.config import DictAction

    p = subparsers.add_parser('run', help='evaluate the metrics of a config', description=__doc__)
    p.add_argument('config', help='config file, e.g. configs/fvd.py')
    p.add_argument('--work-dir', help='folder for logs and results.json (default: work_dirs/<config name>)')
    p.add_argument('--out', help='also write the results JSON to this file')
    p.add_argument('--cfg-options', nargs='+', action=DictAction, default={},
                   help='override config keys, e.g. data_root=/data/set model_path=/ckpt.pth '
                        'val_evaluator.device=cpu')
    p.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'], default='none')
    p.add_argument('--strict', action='store_true',
                   help='stop with a non-zero exit at the first video that is not scored, for any reason (unreadable, '
                        'too short or otherwise unscorable for a metric, or a set-level metric failing on it), '
                        'naming it and the reason')
    resume = p.add_mutually_exclusive_group()
    resume.add_argument('--resume', dest='resume', action='store_true', default=True,
                        help='reuse per-video results journaled in the work dir by an earlier run (default)')
    resume.add_argument('--fresh', dest='resume', action='store_false',
                        help='ignore the journal of earlier runs and score every video again')
    p.add_argument('--verbose', action='store_true',
                   help="show MMEngine's full log on the console (it is always in <work_dir>/<timestamp>/)")
    p.add_argument('--local_rank', '--local-rank', type=int, default=0, help=argparse.SUPPRESS)


def run(args: argparse.Namespace) -> int:
    """``aigve run``: evaluate, write ``<work_dir>/results.json``, print the summary on rank 0."""
    from aigve.core.evaluate import evaluate_config, load_config

    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    if not osp.isfile(args.config):
        raise FileNotFoundError(missing_config_message(args.config))
    cfg = load_config(args.config, args.cfg_options, args.work_dir, args.launcher, args.strict, args.out,
                      args.resume)
    results = evaluate_config(cfg, verbose=getattr(args, 'verbose', False))
    # the process group is gone by now; every launcher (torchrun, slurm, mpi) has set RANK before the run
    if int(os.environ.get('RANK', '0')) == 0:
        print_run_summary(results, osp.join(cfg.work_dir, 'results.json'))
    return 0


def missing_config_message(config: str) -> str:
    """``config not found`` with the closest config names (from the path's folder, else ``configs/``).

    Examples:
        >>> 'clip_sim.py' in missing_config_message('configs/clipsimm.py')
        True
    """
    import difflib
    from pathlib import Path

    from aigve.tools.run_config import default_configs_dir

    path = Path(config)
    folder = path.parent if path.parent.is_dir() and any(path.parent.glob('*.py')) else default_configs_dir()
    names = sorted(p.name for p in folder.glob('*.py'))
    close = difflib.get_close_matches(path.name if path.suffix else path.name + '.py', names, n=3, cutoff=0.5)
    shown = str(folder) if folder.is_absolute() and folder != path.parent else osp.relpath(folder)
    hint = (f"; did you mean: {', '.join(osp.join(shown, c) for c in close)}?" if close
            else f'; configs live in {shown}/, e.g. {osp.join(shown, "fvd.py")}')
    return f'config not found: {config}{hint}'


def print_run_summary(results: dict, results_path: str) -> None:
    """Print the end of a run: each metric's value, the scored/failed counts, the first failures with reasons.

    Args:
        results: The results document returned by :func:`aigve.core.evaluate.evaluate_config`.
        results_path: Where the results were written.
    """
    from aigve.core.console import format_run_summary

    print(format_run_summary(results, results_path), file=sys.stdout, flush=True)
