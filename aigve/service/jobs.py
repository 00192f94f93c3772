"""Turn a request into a job: check the inputs, write the annotation and the run config into the job folder.

Blocking work (reading annotations, decoding uploads) happens in these plain functions, which the API calls
in a thread pool, never in the event loop.
"""
from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aigve.service.security import RequestRefused, resolve_inside_roots
from aigve.service.settings import ServiceSettings
from aigve.service.store import JobStore, new_job_id
from aigve.service.workers import CONFIG_NAME
from aigve.tools.metric_names import resolve_metric_names
from aigve.tools.pairing import (
    PairingResult,
    build_annotation,
    pair_names,
    parse_suffixes,
    scan_folder,
    select_entries,
    write_annotation,
)
from aigve.tools.run_config import check_literal, metric_entry, write_run_config

MAX_ANNOTATION_BYTES = 64 * 1024 * 1024
ANNOTATION_NAME = 'annotation.json'
INPUTS_DIR = 'inputs'  # the runner dumps its resolved config into the work dir; keep ours apart
UPLOAD_DIR = 'uploads'


@dataclass
class JobOptions:
    """What to compute, shared by every way of submitting a job.

    Attributes:
        metrics: Metric names (registry key, prefix, or an older toolkit name).
        metric_options: Metric name -> constructor options (JSON data).
        config: Name of a config in ``configs/`` instead of ``metrics``.
        max_seconds: Evaluate only the first seconds of each video, at its real fps.
        num_frames: Frames per video for ``frame_strategy`` ``'first'``/``'uniform'``.
        frame_strategy: ``'all'``, ``'first'`` or ``'uniform'``.
        use_cpu: Hide CUDA from the run.
        generated_suffixes: Suffixes marking generated videos (folder and upload inputs).
        pairing: ``'auto'``, ``'pairs'`` or ``'none'`` (see :func:`aigve.tools.pairing.select_entries`).
        prompts: Generated video file name -> text prompt (folder and upload inputs).
        pad: Pad videos shorter than ``num_frames`` (``'repeat_last'``, ``'loop'``); the older ``pad`` field.
    """

    metrics: list[str] = field(default_factory=list)
    metric_options: dict[str, dict] = field(default_factory=dict)
    config: str | None = None
    max_seconds: float | None = None
    num_frames: int | None = None
    frame_strategy: str = 'all'
    use_cpu: bool = False
    generated_suffixes: list[str] | None = None
    pairing: str = 'auto'
    prompts: dict[str, str] = field(default_factory=dict)
    pad: str | None = None
    #: options the server resolved itself (the older API's model fields, checked inside the data roots); the
    #: request-option rule (:func:`check_request_options`) does not apply to them
    server_metric_options: dict[str, dict] = field(default_factory=dict)


#: metric option names a request may not set, at any depth: they choose server-side files, folders, caches,
#: downloads or judge endpoints (a client-chosen ``base_url`` with ``api_key_env`` would send the server's secret
#: to the client's server; a ``*_path`` would read, or a ``save_*`` write, outside the data roots)
SERVER_SIDE_OPTION = re.compile(
    r'(^|_)(paths?|files?|dirs?|roots?|urls?|backends?|cache|home|env)($|_)|^model_name_or_path$|^model$|'
    r'^processor$|^save_|^api_key|^revision$', re.IGNORECASE)


def check_request_options(metric_options: dict[str, Any]) -> None:
    """Refuse (403) a request's metric options that pick server-side files, weights, caches or judge backends.

    Those come from the server's configs (a job may name one with ``config``), never from a request.
    """
    def walk(value: Any, where: str) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if isinstance(key, str) and SERVER_SIDE_OPTION.search(key):
                    raise RequestRefused(403, f'`{where}.{key}` may not be set by a request: files, weights, caches '
                                              'and judge backends are chosen by the server\'s configs (name one of '
                                              'them with `config`)')
                walk(item, f'{where}.{key}')
        elif isinstance(value, list):
            for i, item in enumerate(value):
                walk(item, f'{where}[{i}]')

    for metric, options in (metric_options or {}).items():
        walk(options, f'metric_options.{metric}')


def refuse_unless(cond: bool, status: int, message: str) -> None:
    """Raise :class:`RequestRefused` when ``cond`` is false."""
    if not cond:
        raise RequestRefused(status, message)


def resolve_metrics(opts: JobOptions, cards: Sequence[dict]) -> tuple[list[dict], bool]:
    """``val_evaluator`` entries and whether any chosen metric needs reference videos (422 on a bad name)."""
    if opts.config:
        refuse_unless(not opts.metrics and not opts.metric_options, 422,
                      'give either `config` or `metrics`/`metric_options`, not both')
        return [], True
    refuse_unless(bool(opts.metrics), 422, '`metrics` must name at least one metric (GET /metrics lists them), '
                                           'or give `config`')
    try:
        names = resolve_metric_names(opts.metrics, cards)
        option_names = resolve_metric_names(list(opts.metric_options), cards)
    except KeyError as e:
        raise RequestRefused(422, str(e.args[0])) from e
    check_request_options(opts.metric_options)
    options = dict(zip(option_names, opts.metric_options.values()))
    for metric, extra in opts.server_metric_options.items():
        options[metric] = dict(options.get(metric) or {}, **extra)
    stray = [n for n in options if n not in names]
    refuse_unless(not stray, 422, f'`metric_options` names metrics that are not requested: {stray}')
    try:
        entries = [metric_entry(n, options.get(n)) for n in names]
    except (TypeError, ValueError) as e:
        raise RequestRefused(422, str(e)) from e
    by_name = {c['name']: c for c in cards}
    return entries, any(by_name[n].get('needs_reference') for n in names)


def scan_input_dir(input_dir: str, roots: Any, opts: Any) -> tuple[Any, Any, list[dict]]:
    """Resolve ``input_dir`` inside the data roots, pair its videos; return (folder, pairing, entries).

    Raises:
        RequestRefused: 404 for a missing folder, 422 for an unusable one.
    """
    folder = resolve_inside_roots(input_dir, roots, 'input_dir')
    try:
        result = scan_folder(folder, parse_suffixes(opts.generated_suffixes))
    except (FileNotFoundError, ValueError) as e:
        raise RequestRefused(404 if isinstance(e, FileNotFoundError) else 422, str(e)) from e
    return folder, result, entries_from_pairing(result, opts)


def entries_from_pairing(result: PairingResult, opts: JobOptions) -> list[dict]:
    """Annotation entries of a folder or an upload, with the prompts attached."""
    try:
        entries = select_entries(result, opts.pairing)
    except ValueError as e:
        raise RequestRefused(422, str(e)) from e
    refuse_unless(bool(entries), 422, f'no video to evaluate: {json.dumps(result.summary())}')
    known = {e['video_path_pd'] for e in entries}
    unknown = sorted(set(opts.prompts) - known)
    refuse_unless(not unknown, 422, f'`prompts` names videos that are not evaluated: {unknown}')
    for e in entries:
        if e['video_path_pd'] in opts.prompts:
            e['prompt_gt'] = str(opts.prompts[e['video_path_pd']])
    return entries


def check_annotation_paths(entries: list[dict], data_root: Path, roots: Sequence[Path], where: str) -> None:
    """Every video of ``entries`` must resolve inside the data roots (403 naming the first that does not)."""
    for i, entry in enumerate(entries):
        refuse_unless(isinstance(entry, dict) and bool(entry.get('video_path_pd')), 422,
                      f'{where}: data_list[{i}] must be an object with `video_path_pd`')
        for key in ('video_path_pd', 'video_path_gt'):
            value = entry.get(key)
            if not value:
                continue
            refuse_unless(isinstance(value, str), 422, f'{where}: data_list[{i}].{key} must be a string')
            resolve_inside_roots(os.path.join(data_root, value), roots, f'{where}: data_list[{i}].{key}')


def read_annotation(path: Path, where: str) -> dict:
    """Load and shape-check an annotation file (422 when it is not one)."""
    refuse_unless(path.is_file(), 404, f'`{where}` not found: {path}')
    refuse_unless(path.stat().st_size <= MAX_ANNOTATION_BYTES, 413, f'`{where}` is larger than 64 MB')
    try:
        with open(path, 'rb') as f:
            ann = json.loads(f.read().decode('utf-8'))
    except UnicodeDecodeError as e:
        raise RequestRefused(422, f'`{where}` {path.name!r} is not a JSON annotation: not UTF-8 text (byte '
                                  f'0x{e.object[e.start]:02x} at offset {e.start}): a binary file, or text in '
                                  f'another encoding') from e
    except json.JSONDecodeError as e:
        raise RequestRefused(422, f'`{where}` {path.name!r} is not a JSON annotation: not valid JSON ({e})') from e
    refuse_unless(isinstance(ann, dict) and isinstance(ann.get('data_list'), list) and bool(ann['data_list']), 422,
                  f"`{where}` must be a JSON object with a non-empty 'data_list' list")
    return ann


class JobFactory:
    """Create jobs in the store from checked requests.

    Args:
        settings: Service settings.
        store: The job store.
    """

    def __init__(self, settings: ServiceSettings, store: JobStore) -> None:
        self.settings = settings
        self.store = store
        self.jobs_dir = Path(settings.data_dir) / 'jobs'

    def new_job_dir(self) -> tuple[str, Path]:
        """A fresh job id and its (created) folder."""
        job_id = new_job_id()
        path = self.jobs_dir / job_id
        path.mkdir(parents=True)
        return job_id, path

    def from_paths(self, *, ann_file: str | None, data_root: str | None, input_dir: str | None,
                   opts: JobOptions, cards: Sequence[dict], request: dict) -> dict:
        """A job over server files: an annotation (+ data root) or a folder to pair."""
        refuse_unless((ann_file is None) != (input_dir is None), 422,
                      'give exactly one of `ann_file` (with an optional `data_root`) or `input_dir`')
        roots = self.settings.resolved_roots
        metrics, needs_ref = resolve_metrics(opts, cards)
        if input_dir is not None:
            refuse_unless(data_root is None, 422, '`data_root` goes with `ann_file`, not with `input_dir`')
            folder, result, entries = scan_input_dir(input_dir, roots, opts)
            root, ann = folder, build_annotation(entries, name=folder.name, max_seconds=opts.max_seconds,
                                                 unpaired=dict(no_reference=result.no_reference,
                                                               no_generated=result.no_generated))
        else:
            refuse_unless(not opts.prompts, 422, '`prompts` goes with `input_dir` or uploads; an annotation '
                                                 'file carries its own prompt_gt')
            ann_path = resolve_inside_roots(ann_file, roots, 'ann_file')  # type: ignore[arg-type]
            root = resolve_inside_roots(data_root, roots, 'data_root') if data_root else ann_path.parent
            ann = read_annotation(ann_path, 'ann_file')
            entries = ann['data_list']
        check_annotation_paths(entries, root, roots, 'ann_file' if ann_file else 'input_dir')
        job_id, job_dir = self.new_job_dir()
        try:
            return self._create(job_id, job_dir, 'paths', root, ann, metrics, needs_ref, opts, request)
        except BaseException:
            shutil.rmtree(job_dir, ignore_errors=True)
            raise

    def from_upload(self, job_id: str, job_dir: Path, names: list[str], opts: JobOptions, cards: Sequence[dict],
                    request: dict, metrics: list[dict], needs_ref: bool) -> dict:
        """A job over files already saved (and checked) in ``<job dir>/uploads``."""
        result = pair_names(names, parse_suffixes(opts.generated_suffixes))
        entries = entries_from_pairing(result, opts)
        ann = build_annotation(entries, name='upload', max_seconds=opts.max_seconds,
                               unpaired=dict(no_reference=result.no_reference, no_generated=result.no_generated))
        return self._create(job_id, job_dir, 'upload', job_dir / UPLOAD_DIR, ann, metrics, needs_ref, opts,
                            request)

    def _create(self, job_id: str, job_dir: Path, kind: str, data_root: Path, ann: dict, metrics: list[dict],
                needs_ref: bool, opts: JobOptions, request: dict) -> dict:
        entries = ann['data_list']
        try:  # prompts, file names and every annotation field: JSON data without placeholders (never templated)
            check_literal(ann, 'annotation')
        except (TypeError, ValueError) as e:
            raise RequestRefused(422, str(e)) from e
        ann_path = write_annotation(job_dir / INPUTS_DIR / ANNOTATION_NAME, ann)
        has_ref = any(isinstance(e, dict) and e.get('video_path_gt') for e in entries)
        try:
            config = write_run_config(
                job_dir / INPUTS_DIR / CONFIG_NAME, data_root=str(data_root), ann_file=str(ann_path), metrics=metrics,
                config=opts.config, with_reference=needs_ref and has_ref, max_seconds=opts.max_seconds,
                num_frames=opts.num_frames, strategy=opts.frame_strategy, pad=opts.pad,
                num_workers=self.settings.job_num_workers,
                progress_interval=self.settings.progress_interval, configs_dir=self.settings.configs_dir,
                allowed_roots=[str(job_dir.resolve())] if kind == 'upload' else
                [str(r) for r in self.settings.resolved_roots])
        except FileNotFoundError as e:
            raise RequestRefused(422, str(e)) from e
        except (TypeError, ValueError) as e:
            raise RequestRefused(422, str(e)) from e
        env = {'CUDA_VISIBLE_DEVICES': ''} if opts.use_cpu else {}
        names = [m['type'] for m in metrics] or [f'config:{opts.config}']
        return self.store.create(kind=kind, request=request, metrics=names, work_dir=str(job_dir),
                                 config=str(config), env=env, total=len(entries), job_id=job_id)
