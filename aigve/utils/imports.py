"""Whether an optional dependency is installed, checked without importing it."""
from __future__ import annotations

import importlib.util

__all__ = ['is_available']


def is_available(module: str) -> bool:
    """Return True if ``module`` can be imported (checked without importing it)."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False
