"""``aigve cache info|clear``: the feature cache under ``$AIGVE_HOME/features``."""
from __future__ import annotations

import argparse
from typing import Any


def add_cache_parser(subparsers: Any) -> None:
    """Add the ``cache`` command."""
    cache = subparsers.add_parser('cache', help='show or clear the feature cache')
    cache.add_argument('action', choices=['info', 'clear'])


def cache_command(args: argparse.Namespace) -> int:
    """``aigve cache info|clear``: size of the feature cache, or empty it."""
    from aigve.utils.feature_cache import FeatureCache

    cache = FeatureCache()
    if args.action == 'clear':
        cache.clear()
        print(f'cleared {cache.root}')
    else:
        print(f'{cache.root}: {len(cache.files())} files, {cache.size_bytes() / 1024**2:.1f} MiB '
              f'(cap {cache.max_bytes / 1024**3:.1f} GiB, AIGVE_FEATURE_CACHE_MAX_GB)')
    return 0
