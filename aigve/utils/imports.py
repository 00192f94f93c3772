"""Availability flags for optional dependencies and a ``require`` helper with an install hint."""
from __future__ import annotations

import functools
import importlib.util
from typing import Any, Callable


def is_available(module: str) -> bool:
    """Return True if ``module`` can be imported (checked without importing it)."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


_DECORD_AVAILABLE = is_available('decord')
_PYAV_AVAILABLE = is_available('av')
_TRANSFORMERS_AVAILABLE = is_available('transformers')
_CDFVD_AVAILABLE = is_available('cdfvd')


def require(module: str, install: str) -> Callable:
    """Decorate a callable so that it raises ``ImportError`` with ``install`` when ``module`` is missing."""

    def wrap(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def inner(*args: Any, **kwargs: Any) -> Any:
            if not is_available(module):
                name = getattr(fn, '__qualname__', fn.__name__).split('.')[0]
                raise ImportError(f'{name} requires `{module}`; install it with: {install}')
            return fn(*args, **kwargs)

        return inner

    return wrap
