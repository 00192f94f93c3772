"""Datasets aigve knows by name: where each lives, whether it is here, and fetching it into the cache.

Downloads follow the weights resolver's rules (:mod:`aigve.utils.weights`): a Hugging Face dataset goes into
aigve's hub cache (``aigve_home()/hf``, the hub's own layout), a cached copy is used as it is, and offline
(``AIGVE_OFFLINE=1`` or ``HF_HUB_OFFLINE=1``) with no copy is an error naming what to fetch and how.
``huggingface_hub`` is imported only to download.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from aigve.utils.aigve_bench import HF_REPO, HF_REVISION, dataset_cache_root, downloaded_root
from aigve.utils.paths import OFFLINE_VARS, hf_cache_dir, is_offline

__all__ = ['DatasetSpec', 'DATASET_SPECS', 'DatasetNotFoundError', 'get_dataset_spec', 'dataset_location',
           'download_dataset']


class DatasetNotFoundError(FileNotFoundError):
    """A dataset that is not in the cache and could not be downloaded."""


@dataclass(frozen=True)
class DatasetSpec:
    """A dataset aigve knows: its name, source, licence, configs that read it and what it holds."""

    name: str
    summary: str
    hf_repo: str | None = None
    revision: str = 'main'
    package_root: str | None = None
    license: str = 'see the source'
    configs: tuple[str, ...] = ()


DATASET_SPECS: dict[str, DatasetSpec] = {
    'toy': DatasetSpec(
        name='toy', summary='a few tiny synthetic videos with prompts and references, inside the package',
        package_root='pkg://aigve/data/toy', license='MIT (aigve)', configs=('configs/*.py',)),
    'aigve-bench': DatasetSpec(
        name='aigve-bench',
        summary='AIGVE-Bench: generated videos of 5 generators, nine 0-5 human ratings per video',
        hf_repo=HF_REPO, revision=HF_REVISION, license='see the dataset card on Hugging Face',
        configs=('configs/aigve_bench_temporal_flickering.py', 'configs/aigve_bench_clip_sim.py')),
}


def get_dataset_spec(name: str) -> DatasetSpec:
    """The spec of ``name`` (case-insensitive; ``_`` and ``-`` alike).

    Raises:
        KeyError: An unknown name, with the known ones.
    """
    key = name.strip().lower().replace('_', '-')
    if key not in DATASET_SPECS:
        import difflib

        close = difflib.get_close_matches(key, list(DATASET_SPECS), n=2)
        hint = f'did you mean: {", ".join(close)}?' if close else f'known: {", ".join(DATASET_SPECS)}'
        raise KeyError(f'dataset {name!r} is not known to aigve ({hint})')
    return DATASET_SPECS[key]


def dataset_location(spec: DatasetSpec) -> str | None:
    """Where the dataset is on this machine (a folder or ``pkg://`` root), or None when it is not here."""
    if spec.package_root:
        return spec.package_root
    found = downloaded_root(spec.hf_repo, spec.revision) if spec.hf_repo else None
    return str(found) if found else None


def _fetch_hint(spec: DatasetSpec) -> str:
    return (f'`aigve datasets download {spec.name}` with the network on, or fetch the Hugging Face dataset '
            f'{spec.hf_repo} yourself (`huggingface-cli download --repo-type dataset {spec.hf_repo} --local-dir DIR`)'
            f' and pass --cfg-options data_root=DIR')


def download_dataset(name: str, *, force: bool = False, include: Sequence[str] | None = None) -> Path:
    """Fetch a dataset into aigve's hub cache (or find it there); return its folder.

    Args:
        name: A name of :data:`DATASET_SPECS` (``aigve-bench``).
        force: Download again even if a copy is cached. Defaults to False.
        include: Only files matching these glob patterns (``annotations/*``). Defaults to None (everything).

    Raises:
        KeyError: Unknown name.
        ValueError: The dataset ships inside the package (nothing to download).
        DatasetNotFoundError: Offline (or the hub failed) and no cached copy; the message names the fix.
        ImportError: ``huggingface_hub`` is not installed.
    """
    spec = get_dataset_spec(name)
    if spec.hf_repo is None:
        raise ValueError(f'{spec.name} ships inside the package ({spec.package_root}); there is nothing to download')
    cached = downloaded_root(spec.hf_repo, spec.revision)
    if cached is not None and not force and not include:
        return cached
    searched = dataset_cache_root(spec.hf_repo)
    if is_offline():
        raise DatasetNotFoundError(
            f'{spec.name} ({spec.hf_repo}) is not in the cache ({searched}) and offline mode is on '
            f'({" or ".join(OFFLINE_VARS)} is set); unset it and run {_fetch_hint(spec)}')
    try:
        from huggingface_hub import snapshot_download
    except ImportError as e:
        raise ImportError(f'downloading {spec.name} needs `huggingface_hub`; install it with: '
                          f'pip install huggingface_hub') from e
    try:
        path = snapshot_download(spec.hf_repo, repo_type='dataset', revision=spec.revision,
                                 cache_dir=str(hf_cache_dir()), allow_patterns=list(include) if include else None,
                                 force_download=force)
    except Exception as e:  # network, auth, a missing revision: one message with the way out
        raise DatasetNotFoundError(
            f'{spec.name} ({spec.hf_repo}@{spec.revision}) could not be downloaded into {hf_cache_dir()}: '
            f'{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ""}; try {_fetch_hint(spec)}') from e
    return Path(path)
