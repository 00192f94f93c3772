"""Atomic file writes: write to a temporary file in the same folder, fsync, then rename."""
from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


@contextmanager
def atomic_open(path: str | os.PathLike, mode: str = 'w') -> Iterator[Any]:
    """Open a temporary sibling of ``path`` for writing; on success rename it onto ``path``.

    A crash or an exception leaves any earlier ``path`` untouched and removes the temporary file. The file
    gets the mode of any file the process creates (``0o666`` less the umask), not the temporary file's ``0o600``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f'.{path.name}.', suffix='.tmp', dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~current_umask())
        with os.fdopen(fd, mode) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_json_atomic(path: str | os.PathLike, data: Any) -> None:
    """Write ``data`` as indented JSON to ``path`` atomically."""
    with atomic_open(path, 'w') as f:
        json.dump(data, f, indent=2, allow_nan=True)
        f.write('\n')


def current_umask() -> int:
    """The process's umask, read without changing it where the system allows (Linux ``/proc``)."""
    try:
        with open('/proc/self/status', encoding='ascii') as f:
            for line in f:
                if line.startswith('Umask:'):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)  # elsewhere: read it by setting it, and put it back at once
    os.umask(mask)
    return mask
