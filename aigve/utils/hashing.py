"""Content hashes of files, folders and settings (keys of the run journal and the feature cache)."""
from __future__ import annotations

import hashlib
import json
import os
from typing import Any

CHUNK = 1 << 20


def file_sha256(path: str | os.PathLike) -> str:
    """sha256 of a file's bytes, or of a folder's file names and bytes (frame folders), streamed."""
    digest = hashlib.sha256()
    if os.path.isdir(path):
        for name in sorted(os.listdir(path)):
            child = os.path.join(path, name)
            if os.path.isfile(child):
                digest.update(name.encode())
                digest.update(file_sha256(child).encode())
        return digest.hexdigest()
    with open(path, 'rb') as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def settings_hash(*parts: Any) -> str:
    """Stable sha256 of JSON-able settings (dict order does not matter; unknown objects use ``str``)."""
    text = json.dumps(parts, sort_keys=True, default=str, separators=(',', ':'))
    return hashlib.sha256(text.encode()).hexdigest()
