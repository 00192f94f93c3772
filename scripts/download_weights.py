#!/usr/bin/env python
"""Fill the aigve weight cache: ``python scripts/download_weights.py NAME... | --all | --list``.

The same as ``aigve weights download``; names and URLs come from ``aigve/utils/manifest.py``.
"""
from __future__ import annotations

import sys
from pathlib import Path

try:
    from aigve.cli.weights import download_main
except ImportError:  # run from a source checkout without `pip install -e .`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from aigve.cli.weights import download_main

if __name__ == '__main__':
    sys.exit(download_main())
