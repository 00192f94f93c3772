"""Run a config and return its results document: the one library entry behind ``aigve run``.

:func:`load_config` reads a config file and applies the overrides of the command line (``--cfg-options``
with its short keys ``data_root``, ``ann_file`` and ``model_path``, ``--work-dir``, ``--strict``...);
:func:`evaluate_config` builds MMEngine's ``Runner`` from it, runs the validation loop
(:class:`aigve.core.loops.AIGVELoop`) and returns the results document that the loop also writes to
``<work_dir>/results.json``. ``aigve run``, the pairing script (``scripts/prepare_annotations.py --compute``)
and the service's job processes (which run ``aigve run``) all go through it.

A top-level config key that no component reads (a typo such as ``--cfg-options modle_path=...``) is
reported with a :class:`UnreadConfigKeyWarning` naming the key and its close matches.
"""
from __future__ import annotations

import ast
import difflib
import functools
import inspect
import os
import os.path as osp
import re
import textwrap
import warnings
from typing import Any

# RUN_DATA_KEY / RUN_DATA_SUFFIX: a written run config's data file, merged by load_config, never templated
from aigve.core.run_data import RUN_DATA_KEY, RUN_DATA_KEYS, RUN_DATA_SUFFIX

__all__ = ['DATASET_SHORTCUTS', 'METRIC_SHORTCUTS', 'UnreadConfigKeyWarning', 'check_metric_types', 'evaluate_config',
           'init_cpu_distributed', 'known_config_keys', 'leave_process_group', 'load_config',
           'unread_config_keys']

#: short ``--cfg-options`` keys applied to the dataset of ``val_dataloader``
DATASET_SHORTCUTS = ('data_root', 'ann_file')
#: short ``--cfg-options`` keys applied to every ``val_evaluator`` entry whose metric takes that argument
METRIC_SHORTCUTS = ('model_path',)
#: top-level keys that aigve itself reads (besides those of MMEngine's Runner and the shortcuts)
AIGVE_KEYS = frozenset({'custom_imports', 'default_scope', 'launcher', 'work_dir', 'model_wrapper_cfg',
                        RUN_DATA_KEYS})
#: the keys of ``Runner.from_cfg`` in the MMEngine release aigve was written against; the installed
#: release's own keys are read from its source (:func:`runner_config_keys`) and added to these
RUNNER_KEYS = frozenset({
    'model', 'work_dir', 'train_dataloader', 'val_dataloader', 'test_dataloader', 'train_cfg', 'val_cfg',
    'test_cfg', 'auto_scale_lr', 'optim_wrapper', 'param_scheduler', 'val_evaluator', 'test_evaluator',
    'default_hooks', 'custom_hooks', 'data_preprocessor', 'load_from', 'resume', 'launcher', 'env_cfg',
    'log_processor', 'log_level', 'visualizer', 'default_scope', 'randomness', 'experiment_name',
    'model_wrapper_cfg', 'find_unused_parameters', 'sync_bn', 'compile'})


class UnreadConfigKeyWarning(UserWarning):
    """A top-level config key that no component reads (usually a typo)."""


def load_config(config: str | os.PathLike, cfg_options: dict | None = None, work_dir: str | None = None,
                launcher: str = 'none', strict: bool = False, out: str | None = None, resume: bool = True) -> Any:
    """Load ``config`` and apply the command-line overrides.

    Args:
        config: The config file, e.g. ``configs/fvd.py``.
        cfg_options: ``--cfg-options`` overrides (dotted keys). ``data_root`` and ``ann_file`` also set the
            dataset of ``val_dataloader``; ``model_path`` also sets every ``val_evaluator`` entry whose metric
            takes a ``model_path``. Defaults to None.
        work_dir: Folder of logs and ``results.json``. Defaults to the config's ``work_dir``, else
            ``work_dirs/<config name>``.
        launcher: ``'none'``, ``'pytorch'``, ``'slurm'`` or ``'mpi'``. Defaults to ``'none'``.
        strict: Stop at the first video that cannot be read. Defaults to False.
        out: Also write the results document to this file. Defaults to None.
        resume: Reuse per-video results journaled in the work dir by an earlier run. Defaults to True.

    Returns:
        mmengine.config.Config: The config, ready for ``Runner.from_cfg``.

    Raises:
        FileNotFoundError: If ``config`` does not exist.
        KeyError: If ``val_evaluator`` names an unregistered metric (with a did-you-mean hint).
    """
    from mmengine.config import Config

    config = os.fspath(config)
    if not osp.isfile(config):
        raise FileNotFoundError(f'config not found: {config}; configs live in configs/, e.g. configs/fvd.py')
    cfg = Config.fromfile(config)
    _merge_run_data(cfg, config)
    options = dict(cfg_options or {})
    for key in DATASET_SHORTCUTS:
        if key in options:
            options[f'val_dataloader.dataset.{key}'] = options[key]
    if options:
        cfg.merge_from_dict(options)
    for key in ('test_dataloader', 'test_cfg', 'test_evaluator'):  # aigve runs the val loop only
        cfg.pop(key, None)
    cfg.work_dir = work_dir or cfg.get('work_dir') or osp.join('work_dirs', osp.splitext(osp.basename(config))[0])
    cfg.launcher = launcher
    cfg.val_cfg.strict = bool(strict or cfg.val_cfg.get('strict', False))
    if out:
        cfg.val_cfg.out_file = out
    if not resume:
        cfg.val_cfg.resume = False
    check_metric_types(cfg)
    for key in METRIC_SHORTCUTS:
        if key in options:
            _apply_metric_shortcut(cfg, key, options[key])
    for key in unread_config_keys(cfg, config):
        close = difflib.get_close_matches(key, sorted(known_config_keys() | set(cfg.keys())), n=3)
        close = [c for c in close if c != key]
        hint = f'; did you mean {" or ".join(f"`{c}`" for c in close)}?' if close else ''
        where = 'set by --cfg-options' if key in options else f'in {config}'
        warnings.warn(f'config key `{key}` ({where}) is read by no component and has no effect{hint}',
                      UnreadConfigKeyWarning, stacklevel=2)
    return cfg


def _merge_run_data(cfg: Any, config: str) -> None:
    """Merge the JSON data file a written run config names (``aigve_data_file``), as plain data.

    The values of a service job or a pairing run live in that file (see :mod:`aigve.tools.run_config`),
    which MMEngine's loader never reads, so none of its strings is templated (``{{$VAR}}``,
    ``{{ fileDirname }}``...). A string holding ``{{`` or ``}}`` is refused all the same.

    Raises:
        ValueError: If the name is not a plain ``*.data.json`` file name, or the file is not clean JSON data.
    """
    import json

    name = cfg.pop(RUN_DATA_KEY, None)
    if name is None:
        return
    if not isinstance(name, str) or not re.fullmatch(r'[A-Za-z0-9][A-Za-z0-9_.-]*', name) \
            or not name.endswith(RUN_DATA_SUFFIX):
        raise ValueError(f'`{RUN_DATA_KEY}` must be a file name ending in {RUN_DATA_SUFFIX} beside the config, '
                         f'but got {name!r}')
    path = osp.join(osp.dirname(osp.abspath(config)), name)
    try:
        with open(path, encoding='utf-8') as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        raise ValueError(f'the run data {path} of {config} could not be read: {e}') from e
    if not isinstance(data, dict):
        raise ValueError(f'the run data {path} must be a JSON object, but got {type(data).__name__}')

    def check(value: Any, where: str) -> None:
        if isinstance(value, str) and ('{{' in value or '}}' in value):
            raise ValueError(f'`{where}` in {path} must not contain "{{{{" or "}}}}", but got a string with one')
        for k, v in (value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list)
                     else ()):
            check(k, f'{where} key')
            check(v, f'{where}.{k}')

    check(data, 'run data')
    cfg.merge_from_dict(data)
    cfg[RUN_DATA_KEYS] = sorted(data)


def evaluate_config(config: Any, *, cfg_options: dict | None = None, work_dir: str | None = None,
                    launcher: str = 'none', strict: bool = False, out: str | None = None, resume: bool = True,
                    verbose: bool = False) -> dict:
    """Evaluate the metrics of a config and return the results document.

    The results are also written to ``<work_dir>/results.json`` (and ``out``), as ``aigve run`` does; see
    ``docs/results_format.md``. With a launcher, every rank returns the same document, and the process group
    is left (barrier, then destroyed) before returning.

    Args:
        config: A config file, or a ``Config`` returned by :func:`load_config` (then the other arguments
            must keep their defaults: they were applied when it was loaded).
        cfg_options: ``--cfg-options`` overrides, see :func:`load_config`. Defaults to None.
        work_dir: Folder of logs and ``results.json``. Defaults to ``work_dirs/<config name>``.
        launcher: ``'none'``, ``'pytorch'``, ``'slurm'`` or ``'mpi'``. Defaults to ``'none'``.
        strict: Stop at the first video that cannot be read. Defaults to False.
        out: Also write the results document to this file. Defaults to None.
        resume: Reuse per-video results journaled in the work dir by an earlier run. Defaults to True.
        verbose: Show MMEngine's full log on the console (it is always in the work dir's log file).
            Defaults to False.

    Returns:
        dict: The results document (metrics, per_video, num_videos, failures, provenance).

    Raises:
        ValueError: If ``config`` is a loaded ``Config`` and other overrides are given too.
    """
    from mmengine.config import Config

    from aigve.core.console import build_runner

    if isinstance(config, Config):
        given = dict(cfg_options=cfg_options, work_dir=work_dir, launcher=launcher != 'none', strict=strict,
                     out=out, resume=not resume)
        if any(given.values()):
            names = ', '.join(f'`{k}`' for k, v in given.items() if v)
            raise ValueError(f'overrides must be applied by load_config when `config` is a loaded Config, '
                             f'but got {names}')
        cfg = config
    else:
        cfg = load_config(config, cfg_options, work_dir, launcher, strict, out, resume)
    init_cpu_distributed(cfg.get('launcher', 'none'), cfg)
    runner = build_runner(cfg, verbose=verbose)
    runner.val()
    results = runner.val_loop.results
    leave_process_group()
    return results


def check_metric_types(cfg: Any) -> None:
    """Fail early, with a did-you-mean hint, when ``val_evaluator`` names an unregistered metric."""
    from mmengine.registry import init_default_scope

    from aigve.registry import METRICS

    init_default_scope(cfg.get('default_scope', 'aigve'))
    if cfg.get('custom_imports'):
        from mmengine.utils import import_modules_from_strings
        import_modules_from_strings(**cfg.custom_imports)
    METRICS.import_from_location()
    known = sorted(METRICS.module_dict)
    for item in _evaluator_entries(cfg):
        name = item.get('type') if isinstance(item, dict) else None
        if isinstance(name, str) and METRICS.get(name) is None:
            close = difflib.get_close_matches(name, known, n=3)
            hint = f'; did you mean: {", ".join(close)}?' if close else f'; registered: {", ".join(known)}'
            raise KeyError(f'metric {name!r} is not in the aigve metric registry (check `val_evaluator` in your '
                           f'config){hint}')


def known_config_keys() -> frozenset[str]:
    """Top-level keys some component reads: MMEngine's Runner, aigve itself and the short override keys."""
    return RUNNER_KEYS | runner_config_keys() | AIGVE_KEYS | frozenset(DATASET_SHORTCUTS + METRIC_SHORTCUTS)


@functools.lru_cache(maxsize=1)
def runner_config_keys() -> frozenset[str]:
    """The top-level keys the installed MMEngine ``Runner`` reads (``cfg.get('k')``, ``cfg['k']``, ``self.cfg...``).

    Read from the class's source, so that a newer MMEngine's keys are not reported as unread.
    """
    from mmengine.runner import Runner

    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(Runner)))
    except (OSError, TypeError, SyntaxError):
        return frozenset()

    def is_cfg(node: ast.AST) -> bool:
        return (isinstance(node, ast.Name) and node.id == 'cfg') or (
            isinstance(node, ast.Attribute) and node.attr == 'cfg' and isinstance(node.value, ast.Name)
            and node.value.id == 'self')

    keys = set()
    for node in ast.walk(tree):
        key = None
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == 'get'
                and is_cfg(node.func.value) and node.args):
            key = node.args[0]
        elif isinstance(node, ast.Subscript) and is_cfg(node.value):
            key = node.slice
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            keys.add(key.value)
    return frozenset(keys)


def unread_config_keys(cfg: Any, filename: str | None = None) -> list[str]:
    """Top-level keys of ``cfg`` that no component reads.

    A key is read when MMEngine's Runner or aigve reads it (:func:`known_config_keys`), or when it is a
    variable of the config: a name that the config file or one of its ``_base_`` files uses in an
    expression (``pipeline`` in ``dataset=dict(pipeline=pipeline)``, ``_base_.generated_pipeline``). A
    variable that a ``_base_`` file defines for its children is not reported when a child does not use it.

    Args:
        cfg: The loaded config.
        filename: The config file. Defaults to ``cfg.filename``.

    Returns:
        list[str]: The unread keys, sorted.
    """
    filename = filename or cfg.filename
    used, offered = _config_names(filename, top=True) if filename else (set(), set())
    known = known_config_keys() | used | offered
    return sorted(k for k in cfg.keys() if k not in known and not k.startswith('_'))


def _config_names(filename: str, top: bool = False, seen: set[str] | None = None) -> tuple[set[str], set[str]]:
    """Names a config file and its ``_base_`` files use in expressions, and names its ``_base_`` files define.

    Only local ``_base_`` paths are followed (not ``package::path`` ones).
    """
    seen = set() if seen is None else seen
    path = osp.abspath(filename)
    if path in seen or not osp.isfile(path):
        return set(), set()
    seen.add(path)
    try:
        with open(path, encoding='utf-8') as f:
            text = f.read()
        tree = ast.parse(text, filename=path)
    except (OSError, SyntaxError, UnicodeDecodeError):
        return set(), set()
    used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    used |= set(re.findall(r'\b_base_\.(\w+)', text))  # _base_.x and the '{{_base_.x}}' form
    defined = set() if top else {t.id for node in tree.body if isinstance(node, ast.Assign)
                                 for t in node.targets if isinstance(t, ast.Name)}
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == '_base_' for t in node.targets):
            try:
                bases = ast.literal_eval(node.value)
            except ValueError:
                continue
            for base in [bases] if isinstance(bases, str) else bases:
                if isinstance(base, str) and '::' not in base:
                    base_used, base_defined = _config_names(osp.join(osp.dirname(path), base), seen=seen)
                    used |= base_used
                    defined |= base_defined
    return used, defined


def _evaluator_entries(cfg: Any) -> list:
    evaluators = cfg.get('val_evaluator')
    return list(evaluators) if isinstance(evaluators, (list, tuple)) else [evaluators]


def _apply_metric_shortcut(cfg: Any, key: str, value: Any) -> None:
    """Set ``key`` on every ``val_evaluator`` entry whose metric's constructor takes it; warn when none does."""
    from aigve.registry import METRICS

    took, skipped = [], []
    for item in _evaluator_entries(cfg):
        if not isinstance(item, dict):
            continue
        kind = item.get('type')
        cls = kind if inspect.isclass(kind) else METRICS.get(kind) if isinstance(kind, str) else None
        name = getattr(cls, '__name__', str(kind))
        try:
            takes = cls is not None and key in inspect.signature(cls).parameters
        except (TypeError, ValueError):
            takes = False
        if takes:
            item[key] = value
            took.append(name)
        else:
            skipped.append(name)
    if not took:
        warnings.warn(f'config key `{key}` (set by --cfg-options) is read by no metric in `val_evaluator` '
                      f'({", ".join(skipped) or "none"}) and has no effect', UnreadConfigKeyWarning, stacklevel=3)


def init_cpu_distributed(launcher: str, cfg: Any) -> None:
    """Start the process group ourselves on a CPU-only machine (MMEngine's launcher assumes CUDA)."""
    import torch
    import torch.distributed as dist

    if launcher == 'pytorch' and not torch.cuda.is_available() and not dist.is_initialized():
        backend = cfg.get('env_cfg', {}).get('dist_cfg', {}).get('backend', 'gloo')
        dist.init_process_group(backend='gloo' if backend == 'nccl' else backend)


def leave_process_group() -> None:
    """Wait for every rank, then destroy the process group.

    A rank that exits with a live gloo group can abort in the group's destructor ("terminate called without an
    active exception") while the other ranks are still writing results, which fails the whole launch.
    """
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
