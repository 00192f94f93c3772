"""Write the config of one evaluation run, for ``aigve run`` (used by the service and the pairing script).

The written config is two files. ``<name>.py`` holds fixed text only: its ``_base_`` (the repository's
``configs/_base_/default_runtime.py`` and ``configs/_base_/datasets/toy.py``, or a named metric config
``configs/<name>.py``) and ``aigve_data_file = '<name>.data.json'``. Every value that came from a caller
(data paths, the frame pipeline, ``val_evaluator = [dict(type=<metric>, **options)]``, loader settings) is
in ``<name>.data.json``, which :func:`aigve.core.evaluate.load_config` reads with :mod:`json` and merges
into the config. MMEngine substitutes ``{{$VAR:default}}``, ``{{ fileDirname }}`` and ``{{_base_.x}}`` in
the *text* of config files; the data file is never read by MMEngine's loader, so no value can pull the
server's environment or file names into a run. Strings that look like placeholders are refused as well
(:func:`check_no_placeholders`), and values must be JSON-typed data (str, int, float, bool, None, lists and
dicts of those). Running it with ``aigve run`` is the same code path as ``main_aigve.py``.
"""
from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aigve.core.evaluate import RUN_DATA_KEY as DATA_FILE_KEY
from aigve.core.evaluate import RUN_DATA_SUFFIX as DATA_SUFFIX

RUNTIME_BASE = '_base_/default_runtime.py'
DATASET_BASE = '_base_/datasets/toy.py'
CONFIG_NAME = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.-]*$')
OPTION_KEY = re.compile(r'^[A-Za-z][A-Za-z0-9_]*$')  # no leading underscore (no dunders)
#: metric options a request may not set: the registry key and MMEngine plumbing
RESERVED_OPTIONS = frozenset({'type', '_scope_', '_delete_'})
STRATEGIES = ('all', 'first', 'uniform')
#: MMEngine's config placeholders (``{{$VAR}}``, ``{{ fileDirname }}``, ``{{_base_.x}}``) and anything like them
PLACEHOLDER = re.compile(r'\{\{.*?\}\}', re.S)
#: control characters (a value must not forge log lines or terminal output)
CONTROL = re.compile(r'[\x00-\x08\x0b-\x1f\x7f]')


def default_configs_dir() -> Path:
    """``$AIGVE_CONFIGS_DIR``, else the ``configs`` folder next to the ``aigve`` package."""
    import aigve

    env = os.environ.get('AIGVE_CONFIGS_DIR')
    return Path(env) if env else Path(aigve.__file__).resolve().parents[1] / 'configs'


def check_no_placeholders(value: Any, where: str) -> None:
    """Raise ``ValueError`` if a string in ``value`` (nested lists/dicts and keys included) holds ``{{...}}``.

    The message names where the string is, never the string itself (it came from a caller).
    """
    if isinstance(value, str):
        if PLACEHOLDER.search(value):
            raise ValueError(f'`{where}` must not contain template placeholders ("{{{{ ... }}}}"), but got a '
                             f'string with one')
        if '{{' in value or '}}' in value:
            raise ValueError(f'`{where}` must not contain "{{{{" or "}}}}", but got a string with one')
        return
    if isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            check_no_placeholders(v, f'{where}[{i}]')
    elif isinstance(value, dict):
        for k, v in value.items():
            check_no_placeholders(k, f'{where} key')
            check_no_placeholders(v, f'{where}.{k}' if isinstance(k, str) and not PLACEHOLDER.search(k)
                                  else f'{where}.<key>')


def check_literal(value: Any, where: str) -> None:
    """Raise unless ``value`` is JSON-typed data without placeholders or control characters.

    Raises:
        TypeError: For a value that is not JSON data.
        ValueError: For a non-finite number, a ``{{...}}`` placeholder or a control character in a string.
    """
    if value is None or isinstance(value, (bool, int)):
        return
    if isinstance(value, str):
        check_no_placeholders(value, where)
        if CONTROL.search(value):
            raise ValueError(f'`{where}` must not contain control characters, but got a string with one')
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f'`{where}` must be a finite number, but got {value!r}')
        return
    if isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            check_literal(v, f'{where}[{i}]')
        return
    if isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, str):
                raise TypeError(f'`{where}` keys must be strings, but got {type(k).__name__}')
            check_literal(k, f'{where} key')
            check_literal(v, f'{where}.{k}')
        return
    raise TypeError(f'`{where}` must be JSON data (str, number, bool, null, list, object), '
                    f'but got {type(value).__name__}')


def metric_entry(name: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """``dict(type=name, **options)`` after checking the option names and values."""
    options = dict(options or {})
    for key in options:
        if not isinstance(key, str) or not OPTION_KEY.match(key) or key in RESERVED_OPTIONS:
            raise ValueError(f'metric option names must be identifiers without a leading underscore, other than '
                             f'{sorted(RESERVED_OPTIONS)}, but got {key!r} for {name}')
    check_literal(options, f'metric_options.{name}')
    return dict(type=name, **options)


def resolve_metric_config(name: str, configs_dir: str | os.PathLike | None = None) -> Path:
    """The file ``configs/<name>.py`` (``name`` with or without ``.py``); no path separators allowed.

    Raises:
        ValueError: If ``name`` is not a plain config name.
        FileNotFoundError: If the config does not exist (the message lists the available ones).
    """
    stem = name[:-3] if name.endswith('.py') else name
    if not CONFIG_NAME.match(stem) or '..' in stem:
        raise ValueError(f'`config` must be the name of a file in configs/ (e.g. temporal_flickering), '
                         f'but got {name!r}')
    folder = Path(configs_dir) if configs_dir else default_configs_dir()
    path = folder / f'{stem}.py'
    if not path.is_file():
        available = sorted(p.stem for p in folder.glob('*.py'))
        raise FileNotFoundError(f'config {stem!r} not found in {folder}; available: {", ".join(available)}')
    return path


def pipeline(with_reference: bool, max_seconds: float | None = None, num_frames: int | None = None,
             strategy: str = 'all', allowed_roots: Sequence[str] | None = None, pad: str | None = None) -> list[dict]:
    """The frame pipeline: open (only inside ``allowed_roots`` when given), sample (``max_seconds`` at each
    file's real fps), decode, pack."""
    if strategy not in STRATEGIES:
        raise ValueError(f'`frame_strategy` must be one of {STRATEGIES}, but got {strategy!r}')
    if max_seconds is not None and not max_seconds > 0:
        raise ValueError(f'`max_seconds` must be positive, but got {max_seconds}')
    if strategy != 'all' and not (num_frames and num_frames > 0):
        raise ValueError(f'`num_frames` must be a positive int with frame_strategy {strategy!r}, but got {num_frames}')
    sample: dict[str, Any] = dict(type='SampleFrames', strategy=strategy)
    if num_frames and strategy != 'all':
        sample['num_frames'] = int(num_frames)
    if max_seconds is not None:
        sample['max_seconds'] = float(max_seconds)
    if pad is not None:
        sample['pad'] = str(pad)
    open_video: dict[str, Any] = dict(type='OpenVideo', with_reference=bool(with_reference))
    if allowed_roots is not None:
        open_video['allowed_roots'] = [str(r) for r in allowed_roots]
    return [open_video, sample, dict(type='DecodeFrames'), dict(type='PackVideoInputs')]


def write_run_config(path: str | os.PathLike, *, data_root: str, ann_file: str,
                     metrics: Sequence[dict] | None = None, config: str | None = None,
                     with_reference: bool = True, max_seconds: float | None = None, num_frames: int | None = None,
                     strategy: str = 'all', num_workers: int | None = None, batch_size: int | None = None,
                     progress_interval: float | None = None,
                     configs_dir: str | os.PathLike | None = None,
                     allowed_roots: Sequence[str | os.PathLike] | None = None, pad: str | None = None) -> Path:
    """Write a run config to ``path`` (fixed text) and its values to ``<stem>.data.json`` beside it.

    Args:
        path: The config file to write (``.py``).
        data_root: Folder the annotation's video paths are relative to.
        ann_file: The annotation JSON (absolute, or relative to ``data_root``).
        metrics: ``val_evaluator`` entries from :func:`metric_entry`; used when ``config`` is None.
            Defaults to None.
        config: Name of a metric config in ``configs/`` to start from instead (its own pipeline and
            metrics are kept; only the data paths change). Defaults to None.
        with_reference: Also decode reference videos. Defaults to True.
        max_seconds: Keep only the first seconds of each video, at its real fps. Defaults to None.
        num_frames: Frames per video for ``strategy`` ``'first'``/``'uniform'``. Defaults to None.
        strategy: ``SampleFrames`` strategy. Defaults to ``'all'``.
        num_workers: DataLoader workers. Defaults to None (the base config's).
        batch_size: Videos per batch. Defaults to None (the base config's).
        progress_interval: Seconds between progress log lines. Defaults to None (the base config's).
        configs_dir: The repository's ``configs`` folder. Defaults to :func:`default_configs_dir`.
        allowed_roots: Folders ``OpenVideo`` requires every video inside when it opens it (the service's data
            roots, or the job folder for uploads); only for the pipeline written here, not with ``config``.
            Defaults to None (no check).
        pad: ``SampleFrames`` padding of short videos to ``num_frames`` (``'repeat_last'``, ``'loop'``).
            Defaults to None.

    Returns:
        Path: ``path``.

    Raises:
        ValueError: For a bad setting, a config name that is not one, or a placeholder in any value.
        TypeError: For a value that is not JSON data.
    """
    folder = Path(configs_dir) if configs_dir else default_configs_dir()
    path = Path(path)
    data_name = path.stem + DATA_SUFFIX
    if not CONFIG_NAME.match(data_name):
        raise ValueError(f'`path` must be a plain file name such as job_config.py, but got {path.name!r}')
    check_literal(str(data_root), 'data_root')
    check_literal(str(ann_file), 'ann_file')
    lines = ['# Written by aigve.tools.run_config; run with: aigve run <this file> --work-dir <dir>',
             f'# Every value is in {data_name} beside this file (read as JSON data, never templated).']
    loader: dict[str, Any] = dict(dataset=dict(data_root=str(data_root), ann_file=str(ann_file)))
    if config:
        if max_seconds is not None or num_frames is not None or strategy != 'all' or pad is not None:
            raise ValueError('`max_seconds`/`num_frames`/`frame_strategy` cannot be combined with `config`: '
                             'the named config sets its own frame pipeline')
        bases = [str(resolve_metric_config(config, folder).resolve())]
    else:
        if not metrics:
            raise ValueError('`metrics` must name at least one metric when no `config` is given, but got none')
        for i, m in enumerate(metrics):
            check_literal(m, f'metrics[{i}]')
        bases = [str((folder / RUNTIME_BASE).resolve()), str((folder / DATASET_BASE).resolve())]
        loader['dataset']['pipeline'] = pipeline(with_reference, max_seconds, num_frames, strategy,
                                                 [os.fspath(r) for r in allowed_roots] if allowed_roots is not None
                                                 else None, pad=pad)
    if num_workers is not None:
        loader['num_workers'] = int(num_workers)
        loader['persistent_workers'] = False
    if batch_size is not None:
        loader['batch_size'] = int(batch_size)
    for base in bases:  # server paths, but they go into config text: refuse anything MMEngine would template
        check_literal(base, 'configs_dir')
    data: dict[str, Any] = dict(data_root=str(data_root), ann_file=str(ann_file), val_dataloader=loader)
    if not config:
        data['val_evaluator'] = list(metrics or [])
    if progress_interval is not None:
        data['custom_hooks'] = [dict(type='VideoProgressHook', interval=float(progress_interval))]
    check_literal(data, 'run config')
    lines.append(f'_base_ = {bases!r}')
    lines.append(f'{DATA_FILE_KEY} = {data_name!r}')
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(data_name), 'w', encoding='utf-8') as f:
        json.dump(data, f, indent=2, allow_nan=False)
        f.write('\n')
    path.write_text('\n'.join(lines) + '\n', encoding='utf-8')
    return path

