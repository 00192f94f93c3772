"""Hugging Face models: a local folder, a manifest name or a hub id -> a local folder for ``from_pretrained``.

``huggingface_hub`` is imported only when a hub snapshot is needed, so ``import aigve`` works without it.
Snapshots go to ``aigve_home()/hf`` (the hub's own cache layout), never to the user's global hub cache.
"""
from __future__ import annotations

import logging
import os
import re
from pathlib import Path

from mmengine.logging import print_log

from aigve.utils.weights import (DOWNLOAD_HINT, WEIGHTS, WeightsNotFoundError, aigve_home, is_offline)

__all__ = ['hf_cache_dir', 'resolve_hf_model', 'hf_is_cached', 'hf_snapshot_commit']

_COMMIT = re.compile(r'^[0-9a-f]{40}$')


def hf_cache_dir() -> Path:
    """Hub cache of aigve: ``aigve_home()/hf``."""
    return aigve_home() / 'hf'


def _looks_like_path(text: str) -> bool:
    """True for strings that can only be file-system paths (hub ids are ``name`` or ``owner/name``)."""
    return (text.startswith(('/', '.', '~', '\\')) or text.count('/') > 1 or '\\' in text
            or bool(re.match(r'^[A-Za-z]:', text)) or os.path.exists(text))


def _repo_and_revision(name_or_path: str, revision: str | None) -> tuple[str, str, str]:
    """(display name, repo id, revision) of a manifest name or hub id."""
    spec = WEIGHTS.get(name_or_path) or next(
        (w for w in WEIGHTS.values() if w.is_hf_model and w.hf_repo == name_or_path), None)
    if spec is not None:
        if spec.hf_repo is None:
            raise ValueError(f'{name_or_path!r} is a single-file checkpoint, not a Hugging Face model; use '
                             'aigve.utils.weights.resolve_weights')
        return spec.name, spec.hf_repo, revision or spec.revision
    return name_or_path, name_or_path, revision or 'main'


def _snapshot_root(repo_id: str) -> Path:
    return hf_cache_dir() / ('models--' + repo_id.replace('/', '--'))


def hf_is_cached(name_or_repo: str, revision: str | None = None) -> bool:
    """True if a snapshot of the model at ``revision`` is in :func:`hf_cache_dir` (no network)."""
    _, repo_id, rev = _repo_and_revision(name_or_repo, revision)
    root = _snapshot_root(repo_id)
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


def _offline_message(name: str, repo_id: str, revision: str, reason: str) -> str:
    hint = DOWNLOAD_HINT.format(name=name)
    return '\n'.join([
        f'Hugging Face model {repo_id!r} (revision {revision}) was not found.',
        'Searched:',
        f'  1. a local folder named {name!r}: none',
        f'  2. hub cache: {_snapshot_root(repo_id)} (no snapshot for this revision)',
        f'  3. download from the hub: {reason}',
        'Fix, on a machine with internet access:',
        f'  {hint}',
        f'or save the model with save_pretrained() and pass its folder instead of {name!r}.',
        f'The cache root is AIGVE_HOME (now {aigve_home()}); downloads are off while AIGVE_OFFLINE=1 or '
        'HF_HUB_OFFLINE=1.',
    ])


def resolve_hf_model(name_or_path: str | os.PathLike, revision: str | None = None) -> str:
    """Return a local folder holding the model ``name_or_path``.

    Args:
        name_or_path: A local folder (returned as is), a manifest name such as ``'clip-vit-base-patch32'``
            (its pinned repo and revision), or a hub id such as ``'openai/clip-vit-base-patch32'``.
        revision: Branch, tag or commit; overrides the manifest's. Defaults to None (manifest, else 'main').

    Returns:
        The folder to pass to ``from_pretrained``.

    Raises:
        FileNotFoundError: ``name_or_path`` looks like a path but is not an existing folder.
        WeightsNotFoundError: Offline (or unreachable hub) and no cached snapshot.
        ImportError: ``huggingface_hub`` is needed for a hub snapshot but is not installed.
    """
    text = os.fspath(name_or_path)
    if os.path.isdir(text):
        return text
    if _looks_like_path(text):
        kind = 'a file, not a folder' if os.path.isfile(text) else 'not found'
        raise FileNotFoundError(
            f'`model_path` must be a folder saved with save_pretrained(), a manifest name or a hub id, but got '
            f'{text!r} ({kind})')
    name, repo_id, rev = _repo_and_revision(text, revision)
    try:
        from huggingface_hub import snapshot_download
        from huggingface_hub.errors import LocalEntryNotFoundError
    except ImportError as e:
        raise ImportError(f'{name} needs `huggingface_hub` to fetch {repo_id}; install it with: '
                          'pip install huggingface_hub (or pass a local folder)') from e
    offline = is_offline()
    try:
        path = snapshot_download(repo_id, revision=rev, cache_dir=str(hf_cache_dir()), local_files_only=offline)
    except LocalEntryNotFoundError as e:
        reason = ('skipped, offline mode is on (AIGVE_OFFLINE or HF_HUB_OFFLINE is set)'
                  if offline else f'failed: {e}')
        raise WeightsNotFoundError(_offline_message(name, repo_id, rev, reason)) from e
    print_log(f'{name}: loaded weights from {path}', logger='current', level=logging.INFO)
    return str(path)
