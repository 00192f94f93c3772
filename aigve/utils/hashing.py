"""Content hashes of files, folders and settings (checkpoints, the run journal, the feature cache).

:func:`file_sha256` is the one way aigve hashes a file. With ``memo=True`` the digest of a file is kept
under ``aigve_home()/hashes`` keyed by its path, size and mtime, so a 4 GB checkpoint outside the weight
cache is read once, not on every run. Standard library only.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Any

from aigve.utils.atomic import write_json_atomic
from aigve.utils.paths import aigve_home

__all__ = ['file_sha256', 'settings_hash', 'text_sha256']

CHUNK = 1 << 20
_log = logging.getLogger(__name__)


def _stream_sha256(path: str | os.PathLike) -> str:
    """sha256 of a file's bytes, or of a folder's file names and bytes (frame folders), streamed."""
    digest = hashlib.sha256()
    if os.path.isdir(path):
        for name in sorted(os.listdir(path)):
            child = os.path.join(path, name)
            if os.path.isfile(child):
                digest.update(name.encode())
                digest.update(_stream_sha256(child).encode())
        return digest.hexdigest()
    with open(path, 'rb') as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _memo_file(path: Path) -> Path:
    key = hashlib.sha256(str(path).encode()).hexdigest()[:32]
    return aigve_home() / 'hashes' / f'{key}.json'


def _read_memo(memo_file: Path) -> dict | None:
    try:
        data = json.loads(memo_file.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get('sha256'), str) else None


def file_sha256(path: str | os.PathLike, *, memo: bool = False) -> str:
    """Hex sha256 of a file's bytes (or of a folder: its file names and their hashes, sorted by name).

    Args:
        path: A file, or a folder (a frame folder: only its top-level files count).
        memo: Reuse (and write) a memo under ``aigve_home()/hashes`` keyed by the resolved path, the size
            and the mtime; a changed file is hashed again. Folders are never memoised. A memo that cannot
            be written (read-only home) costs only the hashing next time. Defaults to False.

    Returns:
        64 lowercase hex digits.

    Raises:
        OSError: ``path`` cannot be read.
    """
    if not memo or os.path.isdir(path):
        return _stream_sha256(path)
    path = Path(path).resolve()
    st = path.stat()
    key = {'size': st.st_size, 'mtime_ns': st.st_mtime_ns}
    memo_file = _memo_file(path)
    record = _read_memo(memo_file)
    if record is not None and record.get('path') == str(path) and all(record.get(k) == v for k, v in key.items()):
        return record['sha256']
    sha256 = _stream_sha256(path)
    try:
        write_json_atomic(memo_file, {'path': str(path), 'sha256': sha256, **key})
    except OSError as e:
        _log.debug('could not write %s: %s', memo_file, e)
    return sha256


def text_sha256(text: str) -> str:
    """sha256 (hex) of ``text``'s UTF-8 bytes: how prompts and templates are pinned in tests and provenance.

    Examples:
        >>> text_sha256('')
        'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'
    """
    return hashlib.sha256(text.encode('utf-8')).hexdigest()


def settings_hash(*parts: Any) -> str:
    """Stable sha256 of JSON-able settings (dict order does not matter; unknown objects use ``str``)."""
    text = json.dumps(parts, sort_keys=True, default=str, separators=(',', ':'))
    return hashlib.sha256(text.encode()).hexdigest()
