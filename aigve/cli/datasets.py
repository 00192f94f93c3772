"""``aigve datasets list | download NAME [--include PATTERN...] [--force]``: datasets aigve knows by name."""
from __future__ import annotations

import argparse
from typing import Any


def add_datasets_parser(subparsers: Any) -> None:
    """Add the ``datasets`` command (with ``list`` and ``download``)."""
    parser = subparsers.add_parser('datasets', help='list datasets aigve knows and download them into the cache')
    sub = parser.add_subparsers(dest='datasets_command', metavar='{list,download}')
    sub.required = True
    sub.add_parser('list', help='table of the known datasets and where each is on this machine')
    download = sub.add_parser('download', help='fetch a dataset into the cache (AIGVE_HOME/hf)')
    download.add_argument('name', help='dataset name (see `aigve datasets list`), e.g. aigve-bench')
    download.add_argument('--include', nargs='+', metavar='PATTERN', default=None,
                          help="only files matching these globs, e.g. 'annotations/*'")
    download.add_argument('--force', action='store_true', help='download again even if a copy is cached')


def datasets_command(args: argparse.Namespace) -> int:
    """``aigve datasets list|download``."""
    from aigve.core.console import format_table
    from aigve.tools.datasets import DATASET_SPECS, dataset_location, download_dataset

    if args.datasets_command == 'list':
        rows = []
        for spec in DATASET_SPECS.values():
            where = dataset_location(spec)
            source = f'hf:{spec.hf_repo}@{spec.revision}' if spec.hf_repo else 'inside the package'
            rows.append([spec.name, source, where or f'not downloaded (aigve datasets download {spec.name})',
                         spec.summary])
        print(format_table(rows, ['name', 'source', 'here', 'what']))
        return 0
    path = download_dataset(args.name, force=args.force, include=args.include)
    print(f'{args.name}: {path}')
    print(f'configs read it with data_root=None, or pass --cfg-options data_root={path}')
    return 0
