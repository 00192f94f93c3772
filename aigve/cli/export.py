"""``aigve export RESULTS [--format csv|parquet] [--out FILE] [--ann-file ANN]``: the per-video table of a run."""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def add_export_parser(subparsers: Any) -> None:
    """Add the ``export`` command."""
    p = subparsers.add_parser('export', help='write the per-video results of a run as CSV or Parquet')
    p.add_argument('results', help='results.json of a run (or its work dir)')
    p.add_argument('--format', choices=['csv', 'parquet'], default='csv', help='default csv; parquet needs pyarrow')
    p.add_argument('--out', default=None, help='output file (default: beside the results, results.<format>)')
    p.add_argument('--ann-file', default=None, help='annotation JSON whose keys (human ratings...) become columns')


def export_command(args: argparse.Namespace) -> int:
    """``aigve export``: one row per video, one column per score, failures and annotation meta."""
    from aigve.tools.export import export, load, read_results

    doc = read_results(args.results)
    out = args.out or str(Path(doc['_path']).with_suffix('.' + args.format))
    path = export(load(args.results, ann_file=args.ann_file), out, args.format)
    print(f'wrote {path}')
    return 0
