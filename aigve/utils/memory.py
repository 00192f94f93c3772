"""Give freed heap memory back to the operating system (glibc), so streaming keeps peak RSS flat.

glibc keeps freed frame buffers in its heap while small results stay alive between them; ``malloc_trim(0)``
once per chunk returns those pages. Why, and what it was measured to save and cost: ``docs/scale.md`` (Memory).
"""
from __future__ import annotations

import ctypes
import ctypes.util
import functools
import sys

__all__ = ['release_free_memory']


@functools.lru_cache(maxsize=1)
def _malloc_trim():
    if not sys.platform.startswith('linux'):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library('c') or 'libc.so.6')
        return libc.malloc_trim
    except (OSError, AttributeError):  # not glibc (e.g. musl): nothing to do
        return None


def release_free_memory() -> None:
    """Return free heap pages to the OS (glibc ``malloc_trim(0)``); a no-op where that does not exist."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
