"""Command-line error reporting: a user error is one line on stderr and exit code 1, never a traceback."""
from __future__ import annotations

import os
import sys
from collections.abc import Callable

#: what a user can cause (bad path, config, argument, missing extra); anything else is a bug and keeps its trace
USER_ERRORS: tuple[type[BaseException], ...] = (FileNotFoundError, FileExistsError, KeyError, ValueError,
                                                ImportError, RuntimeError, TypeError)


def report_errors(prog: str, fn: Callable[[], int]) -> int:
    """Run ``fn``; print a user error as ``<prog>: error: <message>`` and return 1 (``AIGVE_DEBUG=1`` re-raises)."""
    try:
        return fn()
    except USER_ERRORS as e:
        if os.environ.get('AIGVE_DEBUG'):
            raise
        message = str(e.args[0]) if isinstance(e, KeyError) and e.args else str(e)
        print(f'{prog}: error: {message} (set AIGVE_DEBUG=1 for a traceback)', file=sys.stderr)
        return 1
