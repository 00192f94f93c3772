"""Hugging Face hub snapshots, the mechanics under :func:`aigve.utils.weights.resolve_weights`.

Snapshots go to :func:`aigve.utils.paths.hf_cache_dir` (the hub's own cache layout), never to the user's
global hub cache. ``huggingface_hub`` is imported only when a snapshot is fetched, so ``import aigve`` and
``aigve weights list`` work without it. Users call ``resolve_weights``; this module only knows where a
snapshot lives, whether it is there, and how to fetch it.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

from aigve.utils.manifest import WEIGHTS
from aigve.utils.paths import hf_cache_dir, is_offline

__all__ = ['HUB_ID', 'SnapshotMissing', 'fetch_snapshot', 'hf_is_cached', 'hf_snapshot_commit', 'hub_target',
           'looks_like_path', 'snapshot_root']

_COMMIT = re.compile(r'^[0-9a-f]{40}$')
#: A hub repo id: ``owner/name``.
HUB_ID = re.compile(r'^[\w.-]+/[\w.-]+$')


class SnapshotMissing(LookupError):
    """No snapshot in the cache and none could be fetched; ``reason`` says why (offline, network error)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def looks_like_path(text: str) -> bool:
    """True for strings that can only be file-system paths (hub ids are ``owner/name``)."""
    return (text.startswith(('/', '.', '~', '\\')) or text.count('/') > 1 or '\\' in text
            or bool(re.match(r'^[A-Za-z]:', text)) or os.path.exists(text))


def hub_target(name_or_repo: str, revision: str | None = None) -> tuple[str, str, str]:
    """``(display name, repo id, revision)`` of a manifest name or a hub id.

    A hub id that a manifest entry names gets that entry's display name and pinned revision.

    Raises:
        ValueError: ``name_or_repo`` is a single-file manifest entry, not a Hugging Face model.
    """
    spec = WEIGHTS.get(name_or_repo) or next(
        (w for w in WEIGHTS.values() if w.is_hf_model and w.hf_repo == name_or_repo), None)
    if spec is not None:
        if spec.hf_repo is None or not spec.is_hf_model:
            raise ValueError(f'{name_or_repo!r} is a single-file checkpoint, not a Hugging Face model; it has '
                             'no hub snapshot (resolve_weights finds its file)')
        return spec.name, spec.hf_repo, revision or spec.revision
    return name_or_repo, name_or_repo, revision or 'main'


def snapshot_root(repo_id: str) -> Path:
    """The hub cache folder of ``repo_id``: ``hf_cache_dir()/models--<owner>--<name>``."""
    return hf_cache_dir() / ('models--' + repo_id.replace('/', '--'))


def hf_is_cached(name_or_repo: str, revision: str | None = None) -> bool:
    """True if a snapshot of the model at ``revision`` is in :func:`~aigve.utils.paths.hf_cache_dir` (no network)."""
    _, repo_id, rev = hub_target(name_or_repo, revision)
    root = snapshot_root(repo_id)
    if not _COMMIT.match(rev):
        ref = root / 'refs' / rev
        if not ref.is_file():
            return False
        rev = ref.read_text().strip()
    snap = root / 'snapshots' / rev
    return snap.is_dir() and any(snap.iterdir())


def hf_snapshot_commit(path: str | os.PathLike) -> str | None:
    """Commit hash of a hub snapshot folder (its name), for provenance; None for other folders."""
    name = Path(path).name
    return name if _COMMIT.match(name) and Path(path).parent.name == 'snapshots' else None


def fetch_snapshot(repo_id: str, revision: str, *, who: str | None = None) -> str:
    """Local folder of ``repo_id`` at ``revision``: the cached snapshot, else a download (unless offline).

    Args:
        repo_id: Hub id ``owner/name``.
        revision: Branch, tag or commit.
        who: Name used in the ImportError. Defaults to ``repo_id``.

    Raises:
        SnapshotMissing: Offline (or an unreachable hub) and no cached snapshot.
        ImportError: ``huggingface_hub`` is not installed.
    """
    try:
        from huggingface_hub import snapshot_download
        from huggingface_hub.errors import LocalEntryNotFoundError
    except ImportError as e:
        raise ImportError(f'{who or repo_id} needs `huggingface_hub` to fetch {repo_id}; install it with: '
                          'pip install huggingface_hub (or pass a local folder)') from e
    offline = is_offline()
    try:
        return str(snapshot_download(repo_id, revision=revision, cache_dir=str(hf_cache_dir()),
                                     local_files_only=offline))
    except LocalEntryNotFoundError as e:
        reason = ('skipped, offline mode is on (AIGVE_OFFLINE or HF_HUB_OFFLINE is set)'
                  if offline else f'failed: {e}')
        raise SnapshotMissing(reason) from e
