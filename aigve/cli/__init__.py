"""The ``aigve`` command: ``run | weights | metrics | serve | cache | datasets | agreement | report | export``.

Each face lives in its own module (:mod:`aigve.cli.run`, :mod:`aigve.cli.weights`, :mod:`aigve.cli.metrics`,
:mod:`aigve.cli.serve`, :mod:`aigve.cli.cache`); this one gathers their parsers. ``python main_aigve.py
CONFIG ...`` is ``aigve run CONFIG ...``, and ``python -m aigve.cli ...`` is ``aigve ...``. Heavy imports
(torch, mmengine's runner, FastAPI) happen inside the command that needs them.
"""
from __future__ import annotations

import argparse
from collections.abc import Sequence

from aigve.cli.agreement import add_agreement_parser, agreement_command
from aigve.cli.cache import add_cache_parser, cache_command
from aigve.cli.datasets import add_datasets_parser, datasets_command
from aigve.cli.export import add_export_parser, export_command
from aigve.cli.metrics import add_metrics_parser, list_metrics
from aigve.cli.report import add_report_parser, report_command
from aigve.cli.run import add_run_parser, run
from aigve.cli.serve import add_serve_parser, run_serve

__all__ = ['build_parser', 'dispatch', 'main']


def build_parser() -> argparse.ArgumentParser:
    """The ``aigve`` argument parser with every subcommand."""
    from aigve.cli.weights import add_weights_parser  # reads the weights manifest

    parser = argparse.ArgumentParser(prog='aigve', description='Evaluate AI-generated videos.')
    sub = parser.add_subparsers(dest='command', required=True)
    add_run_parser(sub)
    add_weights_parser(sub)
    add_metrics_parser(sub)
    add_serve_parser(sub)
    add_cache_parser(sub)
    add_datasets_parser(sub)
    add_agreement_parser(sub)
    add_report_parser(sub)
    add_export_parser(sub)
    return parser


def dispatch(args: argparse.Namespace) -> int:
    """Run the subcommand named in ``args``."""
    if args.command == 'run':
        return run(args)
    if args.command == 'metrics':
        return list_metrics(args)
    if args.command == 'serve':
        return run_serve(args)
    if args.command == 'cache':
        return cache_command(args)
    faces = dict(datasets=datasets_command, agreement=agreement_command, report=report_command,
                 export=export_command)
    if args.command in faces:
        return faces[args.command](args)
    from aigve.cli.weights import run_weights_command
    return run_weights_command(args)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``aigve`` command; user errors print one line and exit with 1."""
    from aigve.utils.errors import report_errors

    args = build_parser().parse_args(argv)
    return report_errors('aigve', lambda: dispatch(args))
