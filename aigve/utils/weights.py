"""Find a checkpoint and say which one it was: :func:`resolve_weights` -> :class:`ResolvedWeights`.

Every loader in aigve calls :func:`resolve_weights` and returns ``(module, resolved)``; the metric records
``resolved`` with ``BaseVideoMetric.record_weights`` (its sha256 goes into the run's provenance). The same
resolver and record serve both kinds of checkpoint in the manifest (:mod:`aigve.utils.manifest`).

Single-file checkpoints; the first hit wins:

1. ``model_path`` given by the user: a file, or a folder holding the manifest's file name. If it is
   missing, :class:`FileNotFoundError` is raised at once; there is no silent fallback.
2. The cache ``aigve_home()/checkpoints/<metric>/<filename>``.
3. A download from the manifest's pinned URL into the cache (streamed, hashed, written atomically),
   unless ``AIGVE_OFFLINE`` or ``HF_HUB_OFFLINE`` is set.
4. Otherwise :class:`WeightsNotFoundError`, naming every place searched, the expected sha256, the command
   that fetches the file and the environment variables.

Hashes: a file whose manifest entry has a full ``sha256`` (or a ``sha256_prefix``, the torch-hub
convention of the ``-6726825d`` suffix in a file name) must match it. For entries without a full hash the
first download (or first use of a file placed in the cache by hand) records the computed sha256 in a
sidecar ``<file>.sha256``; later runs and ``aigve weights verify`` check the file against it. The sidecar
also remembers the file's size and mtime, so a 4 GB checkpoint is hashed once, not on every run. Hashes of
files outside the cache (``model_path``) are memoised under ``aigve_home()/hashes/``.

Hugging Face models (a manifest entry with ``hf_repo``, a hub id ``owner/name`` or a folder saved with
``save_pretrained``) resolve to a folder: a local folder as given, else a hub snapshot under
``aigve_home()/hf`` (pinned revision; no download while offline). The record's ``sha256`` is that of the
weight file (``model.safetensors``, ``pytorch_model.bin`` or their shard index): the blob name in a hub
snapshot, which the hub names by its sha256, else the file hashed once (memoised). ``revision`` is the
snapshot's commit when known.
"""
from __future__ import annotations

import difflib
import json
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from mmengine.logging import print_log

from aigve.utils.atomic import write_json_atomic
from aigve.utils.download import DownloadError, download_file
from aigve.utils.hashing import file_sha256
from aigve.utils.hf import (
    HUB_ID,
    SnapshotMissing,
    fetch_snapshot,
    hf_is_cached,
    hf_snapshot_commit,
    hub_target,
    looks_like_path,
    snapshot_root,
)
from aigve.utils.manifest import DOWNLOAD_HINT, WEIGHTS, UnknownWeightsError, WeightSpec, get_weight_spec
from aigve.utils.paths import aigve_home, hf_cache_dir, is_offline

__all__ = [
    'ResolvedWeights', 'WeightsNotFoundError', 'WeightsHashError', 'HF_WEIGHT_FILES', 'checkpoint_path',
    'sidecar_path', 'resolve_weights', 'download_weights', 'verify_weights'
]

#: Weight files of a Hugging Face model folder, in the order looked for; the first present is hashed.
HF_WEIGHT_FILES = ('model.safetensors', 'pytorch_model.bin', 'model.safetensors.index.json',
                   'pytorch_model.bin.index.json')
_SHA256 = re.compile(r'^[0-9a-f]{64}$')


class WeightsHashError(ValueError):
    """A checkpoint whose sha256 (or size) does not match the manifest or the recorded hash."""


class WeightsNotFoundError(FileNotFoundError):
    """A checkpoint that is in none of the searched places and could not be downloaded."""


@dataclass(frozen=True)
class ResolvedWeights:
    """Which checkpoint a loader used: what every loader returns next to its module.

    Attributes:
        name: The manifest name; for a Hugging Face model not in the manifest, the hub id or folder as given.
            It is the key of ``weights_used`` in provenance.
        path: The checkpoint file, or the model folder of a Hugging Face model.
        sha256: sha256 of the checkpoint file (of a Hugging Face model: of its weight file).
        source: ``'model_path'`` (given by the user), ``'cache'`` or ``'download'``.
        revision: Hub snapshot commit, when known. Defaults to None.
    """

    name: str
    path: Path
    sha256: str
    source: Literal['model_path', 'cache', 'download']
    revision: str | None = None


# ------------------------------------------------------------------------------------------------ places
def checkpoint_path(name: str | WeightSpec) -> Path:
    """Cache path of a single-file checkpoint: ``aigve_home()/checkpoints/<metric>/<filename>``."""
    spec = get_weight_spec(name)
    if spec.is_hf_model:
        raise ValueError(f'{spec.name!r} is a Hugging Face model ({spec.hf_repo}); it lives in the hub cache '
                         f'under {hf_cache_dir()}, see aigve.utils.weights.resolve_weights')
    return aigve_home() / 'checkpoints' / spec.metric / spec.filename


def sidecar_path(path: str | os.PathLike) -> Path:
    """The ``<file>.sha256`` record next to a cached checkpoint."""
    path = Path(path)
    return path.with_name(path.name + '.sha256')


# ------------------------------------------------------------------------------------------------- hashes
def _stat_key(path: Path) -> dict[str, int]:
    st = path.stat()
    return {'size': st.st_size, 'mtime_ns': st.st_mtime_ns}


def _read_json(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get('sha256'), str):
        return None
    return data


def _write_json_quietly(path: Path, data: dict) -> None:
    try:
        write_json_atomic(path, data)
    except OSError as e:  # read-only cache or home: hashing again next time is the only cost
        print_log(f'could not write {path}: {e}', logger='current', level=logging.DEBUG)


def _hash_problem(spec: WeightSpec, actual: str, recorded: str | None = None) -> str | None:
    """Why ``actual`` is not acceptable for ``spec``, or None when it is."""
    if spec.sha256 and actual != spec.sha256:
        return f'its sha256 is {actual}, but the manifest expects {spec.sha256}'
    if spec.sha256_prefix and not actual.startswith(spec.sha256_prefix):
        return (f'its sha256 is {actual}, but the file name {spec.filename} says it must start with '
                f'{spec.sha256_prefix}')
    if recorded and actual != recorded:
        return f'its sha256 is {actual}, but {recorded} was recorded when it was first downloaded or used'
    return None


def _cached_sha256(spec: WeightSpec, path: Path, *, rehash: bool = False) -> str:
    """Check a cached file against the manifest and its sidecar; record the hash on first use.

    Raises:
        WeightsHashError: On a mismatch.
    """
    side = sidecar_path(path)
    record = _read_json(side)
    key = _stat_key(path)
    unchanged = record is not None and all(record.get(k) == v for k, v in key.items())
    actual = record['sha256'] if (unchanged and not rehash) else file_sha256(path)
    problem = _hash_problem(spec, actual, record['sha256'] if record else None)
    if problem:
        raise WeightsHashError(
            f'{spec.name}: the cached file {path} is refused: {problem}. The file is corrupt, truncated or '
            f'replaced. Fix: delete {path} and {side}, then run `{DOWNLOAD_HINT.format(name=spec.name)}` '
            f'(or `aigve weights download {spec.name} --force`). If you replaced it on purpose with other '
            f'weights, pass model_path=<file> instead.')
    if not unchanged:
        origin = record.get('origin', 'first-use') if record else 'first-use'
        _write_json_quietly(side, {'sha256': actual, 'origin': origin, 'name': spec.name, **key,
                                   **({'url': record['url']} if record and 'url' in record else {})})
    return actual


# ------------------------------------------------------------------------------------------ single files
def _model_path_file(spec: WeightSpec, model_path: str | os.PathLike) -> Path:
    path = Path(model_path).expanduser()
    if path.is_file():
        return path
    if path.is_dir():
        inner = path / spec.filename
        if inner.is_file():
            return inner
        raise FileNotFoundError(
            f'{spec.name}: `model_path` is a folder without the expected file {spec.filename}: looked for '
            f'{inner}. Pass the checkpoint file itself, or put {spec.filename} in that folder.')
    raise FileNotFoundError(
        f'{spec.name}: `model_path` must be an existing file or folder, but got {str(model_path)!r} (not '
        f'found). aigve does not fall back to the cache when model_path is given; fix the path or remove '
        f'model_path to use {checkpoint_path(spec)}.')


def _not_found_message(spec: WeightSpec, cache: Path, download_note: str) -> str:
    url = spec.download_url
    lines = [
        f'Checkpoint {spec.name!r} ({spec.filename}, used by {spec.metric}) was not found.',
        'Searched:',
        '  1. model_path: not given',
        f'  2. cache: {cache} (missing)',
        f'  3. download from {url}: {download_note}',
        f'Expected sha256: {spec.expected_hash_text()}',
        'Fix, on a machine with internet access:',
        f'  {DOWNLOAD_HINT.format(name=spec.name)}',
        f'or download {url} yourself and save it as {cache},',
        f'or pass model_path=<path to {spec.filename}>.',
        f'The cache root is AIGVE_HOME (now {aigve_home()}); downloads are off while AIGVE_OFFLINE=1 or '
        'HF_HUB_OFFLINE=1.',
    ]
    return '\n'.join(lines)


def _download_into_cache(spec: WeightSpec, dest: Path, *, timeout: float, progress: bool) -> str:
    url = spec.download_url
    if url is None:
        raise ValueError(f'{spec.name}: the manifest has no download address')

    def check(sha256: str, size: int) -> None:
        if spec.size is not None and size != spec.size:
            raise WeightsHashError(f'{spec.name}: the download from {url} is refused: {size} bytes, but the '
                                   f'manifest expects {spec.size}. Nothing was written to {dest}.')
        problem = _hash_problem(spec, sha256)
        if problem:
            raise WeightsHashError(f'{spec.name}: the download from {url} is refused: {problem}. Nothing was '
                                   f'written to {dest}. The server may serve another file now; report it.')

    side = sidecar_path(dest)
    if side.exists():
        side.unlink()
    sha256 = download_file(url, dest, check=check, timeout=timeout, progress=progress, desc=spec.name)
    _write_json_quietly(side, {'sha256': sha256, 'origin': 'download', 'name': spec.name, 'url': url,
                               **_stat_key(dest)})
    return sha256


def _log_loaded(name: str, path: Path | str) -> None:
    print_log(f'{name}: loaded weights from {path}', logger='current', level=logging.INFO)


def _resolve_file(spec: WeightSpec, model_path: str | os.PathLike | None, *, check_hash: bool, timeout: float,
                  progress: bool) -> ResolvedWeights:
    if model_path is not None:
        path = _model_path_file(spec, model_path)
        sha256 = file_sha256(path, memo=True)
        problem = _hash_problem(spec, sha256) if check_hash else None
        if problem:
            raise WeightsHashError(
                f'{spec.name}: model_path {path} is refused: {problem}. Fix: point model_path at the original '
                f'{spec.filename} (`{DOWNLOAD_HINT.format(name=spec.name)}` fetches it), or pass '
                'check_hash=False to load different weights on purpose.')
        _log_loaded(spec.name, path)
        return ResolvedWeights(spec.name, path, sha256, 'model_path')

    cache = checkpoint_path(spec)
    if cache.is_file():
        sha256 = _cached_sha256(spec, cache)
        _log_loaded(spec.name, cache)
        return ResolvedWeights(spec.name, cache, sha256, 'cache')

    if spec.download_url is None:
        raise WeightsNotFoundError(_not_found_message(
            spec, cache, f'impossible, there is no public download address ({spec.manual_source})'))
    if is_offline():
        raise WeightsNotFoundError(_not_found_message(
            spec, cache, 'skipped, offline mode is on (AIGVE_OFFLINE or HF_HUB_OFFLINE is set)'))
    try:
        sha256 = _download_into_cache(spec, cache, timeout=timeout, progress=progress)
    except DownloadError as e:
        raise WeightsNotFoundError(_not_found_message(spec, cache, f'failed: {e}')) from e
    _log_loaded(spec.name, cache)
    return ResolvedWeights(spec.name, cache, sha256, 'download')


# ------------------------------------------------------------------------------------ Hugging Face models
def _hf_weights_sha256(folder: Path) -> str:
    """sha256 of a model folder's weight file: the hub blob name when it links to one, else hashed (memo).

    A folder without any of :data:`HF_WEIGHT_FILES` (a processor, or another format) gets the digest of
    its files' names and bytes.
    """
    for fname in HF_WEIGHT_FILES:
        path = folder / fname
        if not path.is_file():
            continue
        blob = Path(os.path.realpath(path)).name
        return blob if _SHA256.match(blob) else file_sha256(path, memo=True)
    return file_sha256(folder)


def _hf_folder(name: str, folder: str | os.PathLike) -> ResolvedWeights:
    text = os.fspath(folder)
    path = Path(text).expanduser()
    if not path.is_dir():
        kind = 'a file, not a folder' if path.is_file() else 'not found'
        raise FileNotFoundError(
            f'`model_path` must be a folder saved with save_pretrained(), a manifest name or a hub id, but got '
            f'{text!r} ({kind})')
    return ResolvedWeights(name, path, _hf_weights_sha256(path), 'model_path', hf_snapshot_commit(path))


def _hf_not_found_message(name: str, repo_id: str, revision: str, reason: str) -> str:
    return '\n'.join([
        f'Hugging Face model {repo_id!r} (revision {revision}) was not found.',
        'Searched:',
        f'  1. a local folder named {name!r}: none',
        f'  2. hub cache: {snapshot_root(repo_id)} (no snapshot for this revision)',
        f'  3. download from the hub: {reason}',
        'Fix, on a machine with internet access:',
        f'  {DOWNLOAD_HINT.format(name=name)}',
        f'or save the model with save_pretrained() and pass its folder instead of {name!r}.',
        f'The cache root is AIGVE_HOME (now {aigve_home()}); downloads are off while AIGVE_OFFLINE=1 or '
        'HF_HUB_OFFLINE=1.',
    ])


def _hf_snapshot(name: str, revision: str | None) -> ResolvedWeights:
    display, repo_id, rev = hub_target(name, revision)
    cached = hf_is_cached(repo_id, rev)
    try:
        folder = fetch_snapshot(repo_id, rev, who=display)
    except SnapshotMissing as e:
        raise WeightsNotFoundError(_hf_not_found_message(display, repo_id, rev, e.reason)) from e
    _log_loaded(display, folder)
    path = Path(folder)
    return ResolvedWeights(name, path, _hf_weights_sha256(path), 'cache' if cached else 'download',
                           hf_snapshot_commit(path))


def _unknown_name(text: str) -> UnknownWeightsError:
    close = difflib.get_close_matches(text, list(WEIGHTS), n=3, cutoff=0.5)
    hint = f' Did you mean: {", ".join(close)}?' if close else ''
    return UnknownWeightsError(
        f'`name` must be a checkpoint in aigve.utils.manifest.WEIGHTS, a Hugging Face hub id (owner/name) or a '
        f'local model folder, but got {text!r}.{hint} Known: {", ".join(sorted(WEIGHTS))} (list them with '
        '`aigve weights list`).')


# ------------------------------------------------------------------------------------------------ resolve
def resolve_weights(name: str | os.PathLike | WeightSpec,
                    model_path: str | os.PathLike | None = None,
                    *,
                    check_hash: bool = True,
                    revision: str | None = None,
                    timeout: float = 60.0,
                    progress: bool = True) -> ResolvedWeights:
    """Find the checkpoint ``name`` and return which file (or model folder) it is.

    Args:
        name: A manifest name (``'fvd-i3d-tats'``, ``'clip-vit-base-patch32'``) or spec; or, for Hugging
            Face models, a hub id (``'openai/clip-vit-base-patch32'``) or a folder saved with
            ``save_pretrained``.
        model_path: Single file: the checkpoint, or a folder holding the manifest's file name. Hugging Face
            model: a local model folder used instead of the hub. Defaults to None (cache, then download).
        check_hash: Refuse a ``model_path`` file whose sha256 differs from the manifest's. Set False to
            load other weights on purpose. Cached and downloaded files are always checked; Hugging Face
            models have no pinned hash (their revision pins them). Defaults to True.
        revision: Hub branch, tag or commit of a Hugging Face model; overrides the manifest's pin.
            Defaults to None (manifest, else ``'main'``).
        timeout: Seconds for the connection and each read of a single-file download. Defaults to 60.
        progress: Show a tqdm bar on stderr while downloading a single file. Defaults to True.

    Returns:
        ResolvedWeights: name, path, sha256, source and (hub snapshots) revision.

    Raises:
        UnknownWeightsError: ``name`` is neither in the manifest nor a hub id nor a path (a KeyError and a
            ValueError; close matches are suggested).
        FileNotFoundError: ``model_path`` (or a folder given as ``name``) is missing.
        WeightsHashError: A file does not match the manifest's or the recorded sha256.
        WeightsNotFoundError: Not cached and not downloadable (offline, network or server error).
        ImportError: A hub snapshot is needed but ``huggingface_hub`` is not installed.
    """
    if isinstance(name, WeightSpec):
        spec, text = name, name.name
    else:
        text = os.fspath(name) if isinstance(name, os.PathLike) else name
        if not isinstance(text, str) or not text:
            raise TypeError(f'`name` must be a non-empty str, but got {name!r}')
        spec = WEIGHTS.get(text)
    if spec is not None and not spec.is_hf_model:
        return _resolve_file(spec, model_path, check_hash=check_hash, timeout=timeout, progress=progress)
    if model_path is not None:
        return _hf_folder(text, model_path)
    if spec is None and (Path(text).expanduser().is_dir() or looks_like_path(text)):
        return _hf_folder(text, text)
    if spec is None and not HUB_ID.match(text):
        raise _unknown_name(text)
    return _hf_snapshot(text, revision)


def download_weights(name: str,
                     *,
                     force: bool = False,
                     timeout: float = 60.0,
                     progress: bool = True) -> ResolvedWeights:
    """Make sure the single-file checkpoint ``name`` is in the cache (what ``aigve weights download`` runs).

    A valid cached file is kept unless ``force``; ``force`` downloads again and replaces it atomically.
    (A Hugging Face model is fetched by :func:`resolve_weights`.)

    Raises:
        WeightsNotFoundError: Offline mode, or the download failed.
        WeightsHashError: The cached file (without ``force``) or the download does not match.
    """
    spec = get_weight_spec(name)
    cache = checkpoint_path(spec)
    if cache.is_file() and not force:
        return ResolvedWeights(spec.name, cache, _cached_sha256(spec, cache), 'cache')
    if is_offline():
        raise WeightsNotFoundError(
            f'{spec.name}: cannot download {spec.download_url} because offline mode is on; unset AIGVE_OFFLINE '
            f'and HF_HUB_OFFLINE, or copy the file to {cache}.')
    try:
        sha256 = _download_into_cache(spec, cache, timeout=timeout, progress=progress)
    except DownloadError as e:
        raise WeightsNotFoundError(_not_found_message(spec, cache, f'failed: {e}')) from e
    return ResolvedWeights(spec.name, cache, sha256, 'download')


def verify_weights(name: str) -> tuple[str, str]:
    """Re-hash the cached file ``name``; return ``(status, detail)``.

    ``status`` is ``'OK'``, ``'MISSING'`` or ``'MISMATCH'``. A file without any expected hash gets its
    hash recorded (detail says so).
    """
    spec = get_weight_spec(name)
    cache = checkpoint_path(spec)
    if not cache.is_file():
        return 'MISSING', str(cache)
    had_record = _read_json(sidecar_path(cache)) is not None
    try:
        sha256 = _cached_sha256(spec, cache, rehash=True)
    except WeightsHashError as e:
        return 'MISMATCH', str(e)
    pinned = bool(spec.sha256 or spec.sha256_prefix or had_record)
    return 'OK', sha256 if pinned else f'{sha256} (no pinned hash; recorded now)'
