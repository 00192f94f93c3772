"""Where aigve keeps its files, and whether it may use the network (standard library only).

Everything aigve writes lives under one root, :func:`aigve_home`: checkpoints, Hugging Face snapshots
(:func:`hf_cache_dir`), hash memos, the feature cache and the service's job store (:func:`service_data_dir`).
This module imports nothing but the standard library, so the service process (which never imports torch or
mmengine) and the command line can ask for these places cheaply.
"""
from __future__ import annotations

import os
from pathlib import Path

__all__ = ['aigve_home', 'is_offline', 'hf_cache_dir', 'service_data_dir', 'OFFLINE_VARS']

#: Environment variables that switch downloads off (any of them set to 1/true/yes/on).
OFFLINE_VARS = ('AIGVE_OFFLINE', 'HF_HUB_OFFLINE')
_TRUE = {'1', 'true', 'yes', 'on'}


def aigve_home() -> Path:
    """Root of aigve's caches: ``$AIGVE_HOME``, else ``$XDG_CACHE_HOME/aigve``, else ``~/.cache/aigve``.

    An empty variable counts as unset.
    """
    home = os.environ.get('AIGVE_HOME')
    if home:
        return Path(home).expanduser()
    xdg = os.environ.get('XDG_CACHE_HOME')
    if xdg:
        return Path(xdg).expanduser() / 'aigve'
    return Path('~/.cache/aigve').expanduser()


def is_offline() -> bool:
    """True when ``AIGVE_OFFLINE`` or ``HF_HUB_OFFLINE`` is 1/true/yes/on (any case)."""
    return any(os.environ.get(v, '').strip().lower() in _TRUE for v in OFFLINE_VARS)


def hf_cache_dir() -> Path:
    """Hugging Face hub cache of aigve (the hub's own layout): ``aigve_home()/hf``."""
    return aigve_home() / 'hf'


def service_data_dir() -> Path:
    """Default job store of ``aigve serve``: ``aigve_home()/service``."""
    return aigve_home() / 'service'
