"""Content-addressed cache of features under ``$AIGVE_HOME/features`` (atomic writes, size cap).

A key hashes everything a feature depends on: the video's content hash, the frames chosen, the extractor,
its weights' sha256 and the preprocessing. A second run over the same videos then skips the model.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import torch

from aigve.utils.atomic import atomic_open
from aigve.utils.hashing import settings_hash

DEFAULT_MAX_BYTES = 20 * 1024**3


def default_cache_root() -> Path:
    """``$AIGVE_HOME/features`` (``AIGVE_HOME`` chain as for weights)."""
    from aigve.utils.paths import aigve_home
    return aigve_home() / 'features'


class FeatureCache:
    """Tensors stored one file per key, least recently used files evicted past ``max_bytes``.

    Args:
        root: Folder of the cache. Defaults to ``$AIGVE_HOME/features``.
        max_bytes: Size cap; ``AIGVE_FEATURE_CACHE_MAX_GB`` overrides the default of 20 GiB.
        enabled: False turns every call into a miss and writes nothing. Defaults to True.
    """

    def __init__(self, root: str | os.PathLike | None = None, max_bytes: int | None = None,
                 enabled: bool = True) -> None:
        self.root = Path(root) if root is not None else default_cache_root()
        env_cap = os.environ.get('AIGVE_FEATURE_CACHE_MAX_GB')
        self.max_bytes = max_bytes if max_bytes is not None else (
            int(float(env_cap) * 1024**3) if env_cap else DEFAULT_MAX_BYTES)
        self.enabled = enabled
        self.hits = self.misses = 0
        self._known_bytes: int | None = None  # cache size as this object last saw it (one scan per process)

    @staticmethod
    def key(*parts: Any) -> str:
        """Key of a feature: a hash of everything it depends on."""
        return settings_hash(*parts)

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f'{key}.pt'

    def load(self, key: str) -> Any | None:
        """The cached value for ``key``, or None (a damaged file counts as a miss and is removed)."""
        if not self.enabled:
            return None
        path = self._path(key)
        try:
            value = torch.load(path, map_location='cpu', weights_only=True)
        except FileNotFoundError:
            self.misses += 1
            return None
        except Exception:  # truncated or foreign file: drop it, recompute
            path.unlink(missing_ok=True)
            self.misses += 1
            return None
        os.utime(path)  # recently used
        self.hits += 1
        return value

    def save(self, key: str, value: Any) -> None:
        """Store ``value`` (tensors / dicts of tensors) atomically, then keep the cache under its cap."""
        if not self.enabled:
            return
        path = self._path(key)
        with atomic_open(path, 'wb') as f:
            torch.save(value, f)
        # keep a running total instead of listing the cache on every save (a large cache holds many files);
        # other processes writing to the same folder are counted at the next full scan, before any eviction
        if self._known_bytes is None:
            self._known_bytes = self.size_bytes()
        else:
            self._known_bytes += path.stat().st_size
        if self._known_bytes > self.max_bytes:
            self.evict()

    def files(self) -> list[Path]:
        """Every cached file."""
        return list(self.root.glob('*/*.pt')) if self.root.exists() else []

    def size_bytes(self) -> int:
        """Total size of the cached files."""
        return sum(p.stat().st_size for p in self.files())

    def evict(self) -> int:
        """Remove least recently used files until the cache fits ``max_bytes``; return how many."""
        files = sorted(self.files(), key=lambda p: p.stat().st_mtime)
        total = sum(p.stat().st_size for p in files)
        removed = 0
        while files and total > self.max_bytes:
            oldest = files.pop(0)
            total -= oldest.stat().st_size
            oldest.unlink(missing_ok=True)
            removed += 1
        self._known_bytes = total
        return removed

    def clear(self) -> None:
        """Remove the whole cache folder."""
        shutil.rmtree(self.root, ignore_errors=True)
