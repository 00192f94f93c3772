"""``aigve weights list | download NAME... | download --all | verify [NAME...]``.

``aigve/cli/__init__.py`` wires this in with :func:`add_weights_parser` and :func:`run_weights_command`;
``scripts/download_weights.py`` calls :func:`download_main`. Output goes to stdout, problems to stderr.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Sequence
from typing import TextIO

from aigve.utils import hf
from aigve.utils.manifest import WEIGHTS, WeightSpec, get_weight_spec
from aigve.utils.paths import aigve_home, is_offline
from aigve.utils.weights import (
    WeightsHashError,
    WeightsNotFoundError,
    checkpoint_path,
    download_weights,
    resolve_weights,
    verify_weights,
)

__all__ = ['add_weights_parser', 'run_weights_command', 'download_main', 'build_download_parser']


def _add_download_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument('names', nargs='*', metavar='NAME', help='checkpoint names (see `aigve weights list`)')
    parser.add_argument('--all', action='store_true', help='download every checkpoint in the manifest')
    parser.add_argument('--force', action='store_true', help='download again even if a valid copy is cached')
    parser.add_argument('--timeout', type=float, default=60.0, help='seconds per connection/read (default 60)')


def add_weights_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``weights`` command (with ``list``, ``download``, ``verify``) to ``subparsers``."""
    parser = subparsers.add_parser('weights', help='list, download and verify model checkpoints',
                                   description=f'Checkpoints are cached under AIGVE_HOME (now {aigve_home()}).')
    sub = parser.add_subparsers(dest='weights_command', metavar='{list,download,verify}')
    sub.required = True
    listing = sub.add_parser('list', help='table of every checkpoint and whether it is cached')
    listing.add_argument('--json', action='store_true',
                         help='print the manifest entries (and whether each is cached) as JSON instead')
    _add_download_args(sub.add_parser('download', help='fetch checkpoints into the cache'))
    verify = sub.add_parser('verify', help='re-hash cached checkpoints (exit 1 on a mismatch)')
    verify.add_argument('names', nargs='*', metavar='NAME', help='checkpoints to check (default: all)')
    return parser


def _human_size(num: int | None) -> str:
    if num is None:
        return '?'
    size = float(num)
    for unit in ('B', 'KB', 'MB', 'GB'):
        if size < 1024 or unit == 'GB':
            return f'{size:.0f} {unit}' if unit == 'B' else f'{size:.1f} {unit}'
        size /= 1024
    return f'{size:.1f} GB'


def _row(spec: WeightSpec) -> list[str]:
    if spec.is_hf_model:
        return [spec.name, spec.metric, f'hf:{spec.hf_repo}@{spec.revision[:12]}', _human_size(spec.size),
                spec.license, 'yes' if hf.hf_is_cached(spec.name) else 'no']
    path = checkpoint_path(spec)
    cached = path.is_file()
    size = spec.size if spec.size is not None else (path.stat().st_size if cached else None)
    return [spec.name, spec.metric, spec.filename, _human_size(size), spec.license, 'yes' if cached else 'no']


def _print_table(rows: list[list[str]], out: TextIO) -> None:
    """Write ``rows`` (the first one holds the headers) as a table."""
    from aigve.core.console import format_table

    out.write(format_table(rows[1:], rows[0]) + '\n')


def _entry(spec: WeightSpec) -> dict:
    """One manifest entry for ``aigve weights list --json``: the spec's fields, whether and where it is cached."""
    if spec.is_hf_model:
        return dict(dataclasses.asdict(spec), cached=hf.hf_is_cached(spec.name), path=None)
    path = checkpoint_path(spec)
    return dict(dataclasses.asdict(spec), cached=path.is_file(), path=str(path))


def _cmd_list(out: TextIO, as_json: bool = False) -> int:
    if as_json:
        out.write(json.dumps([_entry(spec) for spec in WEIGHTS.values()], indent=2) + '\n')
        return 0
    rows = [['NAME', 'METRIC', 'FILE', 'SIZE', 'LICENSE', 'CACHED']]
    rows += [_row(spec) for spec in WEIGHTS.values()]
    _print_table(rows, out)
    out.write(f'cache: {aigve_home()}  (set AIGVE_HOME to move it)\n')
    return 0


def _names(args: argparse.Namespace, err: TextIO) -> list[str] | None:
    names = list(WEIGHTS) if getattr(args, 'all', False) else list(args.names)
    try:
        for name in names:
            get_weight_spec(name)
    except KeyError as e:
        err.write(f'error: {e}\n')
        return None
    return names


def _cmd_download(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if not args.names and not args.all:
        err.write('error: give checkpoint names or --all (see `aigve weights list`)\n')
        return 2
    names = _names(args, err)
    if names is None:
        return 2
    failed = 0
    for name in names:
        spec = WEIGHTS[name]
        try:
            if spec.is_hf_model:
                if is_offline():
                    raise WeightsNotFoundError(f'{name}: cannot download {spec.hf_repo} because offline mode is '
                                               'on; unset AIGVE_OFFLINE and HF_HUB_OFFLINE')
                out.write(f'{name}: {resolve_weights(name).path}\n')
                continue
            res = download_weights(name, force=args.force, timeout=args.timeout)
            note = 'already cached' if res.source == 'cache' else 'downloaded'
            out.write(f'{name}: {note} {res.path} sha256={res.sha256}\n')
        except (WeightsNotFoundError, WeightsHashError, OSError, ImportError) as e:
            failed += 1
            err.write(f'{name}: FAILED\n{e}\n')
    return 1 if failed else 0


def _cmd_verify(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    names = _names(args, err)
    if names is None:
        return 2
    explicit = bool(names)
    names = names or list(WEIGHTS)
    bad = 0
    rows = [['NAME', 'STATUS', 'DETAIL']]
    for name in names:
        spec = WEIGHTS[name]
        if spec.is_hf_model:
            cached = hf.hf_is_cached(name)
            status, detail = ('OK' if cached else 'MISSING'), f'hf:{spec.hf_repo}@{spec.revision[:12]}'
        else:
            status, detail = verify_weights(name)
        if status == 'MISMATCH' or (status == 'MISSING' and explicit):
            bad += 1
        rows.append([name, status, detail.splitlines()[0] if status != 'MISMATCH' else 'see below'])
        if status == 'MISMATCH':
            err.write(detail + '\n')
    _print_table(rows, out)
    return 1 if bad else 0


def run_weights_command(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run the parsed ``weights`` command and return the exit code.

    Exit codes: 0 success; 1 a download failed, a hash mismatched, or a named checkpoint is missing on
    ``verify``; 2 a usage error (unknown name, nothing to download).
    """
    out = out or sys.stdout
    err = err or sys.stderr
    command = getattr(args, 'weights_command', None)
    if command == 'list':
        return _cmd_list(out, as_json=getattr(args, 'json', False))
    if command == 'download':
        return _cmd_download(args, out, err)
    if command == 'verify':
        return _cmd_verify(args, out, err)
    err.write('error: choose one of: aigve weights list | download NAME... | verify [NAME...]\n')
    return 2


def build_download_parser(prog: str = 'download_weights.py') -> argparse.ArgumentParser:
    """Parser of ``scripts/download_weights.py``: the same arguments as ``aigve weights download``."""
    parser = argparse.ArgumentParser(
        prog=prog, description=f'Download aigve checkpoints into AIGVE_HOME (now {aigve_home()}). '
        'Names: ' + ', '.join(WEIGHTS))
    _add_download_args(parser)
    parser.add_argument('--list', action='store_true', help='print the checkpoint table and exit')
    return parser


def download_main(argv: Sequence[str] | None = None) -> int:
    """Entry of ``scripts/download_weights.py``."""
    args = build_download_parser().parse_args(argv)
    args.weights_command = 'list' if args.list else 'download'
    return run_weights_command(args)
