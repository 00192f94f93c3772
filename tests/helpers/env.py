"""Set environment variables for a block (e.g. around starting a server subprocess that copies them)."""
from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator


@contextlib.contextmanager
def environ(**values: str) -> Iterator[None]:
    """Set ``values`` in ``os.environ`` for the block, then restore what was there (or remove them)."""
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
