"""The older service's endpoints (``GET /help``, ``POST /run``, ``POST /run_upload``) on top of jobs.

They accept the older request fields and answer in the older shape, so that the older client
(``scripts/call_aigve_api.py`` of the AIGVE fork) works unchanged:

* ``cmd`` (the ``aigve run`` command of the job), ``returncode`` (always an int: 0 succeeded, 1 failed or
  cancelled, :data:`TIMEOUT_RETURNCODE` when the wait ended first; then ``stderr`` names the job ids and their
  URLs), ``stdout`` (the run log's end), ``stderr`` (the error);
* ``artifacts``: ``{name, path, json}`` for JSON documents and ``{name, path, text}`` for text (the fields the
  older client saves), with ``content`` (the same document) and ``source``. They are ``results.json``, the
  annotation, one file per metric under the older name (``fid_results.json`` ... or
  ``<prefix>_results.json``), ``cdfvd_results.json`` and, when written, ``annotations.json`` (``out_json``),
  ``evaluate.json`` and ``stage_info.txt`` (``stage_dataset``);
* ``cdfvd_results`` (``{"videomae": {...}, "i3d": {...}}``): CD-FVD as our :class:`~aigve.metrics.FVD` with
  ``backbone='videomae'`` / ``'i3d_tats'``, one job per model (a model that fails is ``{"error": ...}``);
* ``job_id``/``job``, ``jobs`` (every job of the request) and ``notes`` (older fields not used, and why).
"""
from __future__ import annotations

import asyncio
import json
import os
import shutil
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from pydantic import BaseModel, ConfigDict, Field

from aigve.service.forms import dict_field, save_uploads
from aigve.service.jobs import (
    ANNOTATION_NAME,
    INPUTS_DIR,
    UPLOAD_DIR,
    JobOptions,
    RequestRefused,
    resolve_metrics,
    scan_input_dir,
)
from aigve.service.security import resolve_inside_roots
from aigve.service.settings import ServiceSettings
from aigve.service.store import FINISHED, INTERRUPTED, SUCCEEDED
from aigve.service.workers import CONFIG_NAME, log_tail, run_command
from aigve.tools.metric_names import expand_metric_request, legacy_metrics_text, resolve_metric_names
from aigve.tools.pairing import parse_suffixes

#: ``returncode`` when the wait ends before the job (the exit status of coreutils ``timeout``)
TIMEOUT_RETURNCODE = 124
#: registry key -> (the older result file, the label of its ``<label>_Score`` / ``<label>_Mean_Score`` keys)
LEGACY_RESULT_FILES: dict[str, tuple[str, str]] = {
    'FID': ('fid_results.json', 'FID'),
    'IS': ('is_results.json', 'IS'),
    'FVD': ('fvd_results.json', 'FVD'),
    'GSTVQA': ('gstvqa_results.json', 'GSTVQA'),
    'SimpleVQA': ('simplevqa_results.json', 'SimpleVQA'),
    'LightVQAPlus': ('lightvqaplus_results.json', 'LightVQAPlus'),
}
#: the older ``cdfvd_model`` names -> our FVD backbones
CDFVD_BACKBONES = {'videomae': 'videomae', 'i3d': 'i3d_tats'}
CDFVD_FIELDS = ('use_cdfvd', 'cdfvd_model', 'cdfvd_resolution', 'cdfvd_sequence_length', 'cdfvd_all_flavors')
#: the older model-path fields -> the metric whose ``model_path`` they set
MODEL_FIELDS = {'fvd_model': 'FVD', 'gstvqa_model': 'GSTVQA', 'simplevqa_model': 'SimpleVQA',
                'lightvqa_plus_model': 'LightVQAPlus'}
LEGACY_DIR = 'legacy'
IGNORED_FIELDS = {
    'fps': "max_seconds counts each file's real frame rate (the older service assumed `fps` for every file)",
    'lightvqa_plus_swin': 'our LightVQAPlus has no separate Swin checkpoint (its weights come with model_path)',
}
HELP_EPILOG = """
Service endpoints (this server):
  GET  /healthz                 status, versions, device
  GET  /metrics                 registered metrics and their cards
  POST /jobs                    JSON {ann_file [, data_root] | input_dir, metrics, metric_options, ...}
  POST /jobs/upload             multipart videos + the same options
  GET  /jobs/{id}               state, progress (videos done / total), timing
  GET  /jobs/{id}/results       the results JSON
  DELETE /jobs/{id}             cancel;  POST /jobs/{id}/resume  resume an interrupted job
  POST /run, POST /run_upload   the older service's requests, answered in the older shape
"""


class LegacyRunRequest(BaseModel):
    """``POST /run``: the older service's fields (what each does here: docs/service.md)."""

    model_config = ConfigDict(extra='ignore')

    input_dir: str | None = None
    out_json: str | None = None
    generated_suffixes: str | list[str] | None = 'synthetic,generated'
    stage_dataset: str | None = None
    link: bool = False
    compute: bool = False
    metrics: str | list[str] | None = 'all'
    categories: str | list[str] | None = None
    list_metrics: bool = False
    max_len: int | None = Field(None, gt=0)
    max_seconds: float | None = Field(None, gt=0)
    fps: float | None = None
    pad: bool = False
    use_cpu: bool = False
    fvd_model: str | None = None
    gstvqa_model: str | None = None
    simplevqa_model: str | None = None
    lightvqa_plus_model: str | None = None
    lightvqa_plus_swin: str | None = None
    extra_args: list[str] | None = None
    use_cdfvd: bool = False
    cdfvd_model: str = 'videomae'
    cdfvd_resolution: int = Field(128, gt=0)
    cdfvd_sequence_length: int = Field(16, gt=0)
    cdfvd_all_flavors: bool = True
    metric_options: dict[str, dict[str, Any]] = Field(default_factory=dict)
    wait: bool = True


@dataclass
class LegacyRun:
    """The jobs of one older request and what to do with them."""

    main: dict
    cdfvd: dict[str, dict] = field(default_factory=dict)  # model -> job, or {'error': ...}
    cdfvd_settings: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    stage_dir: Path | None = None
    out_json: Path | None = None
    link: bool = False


# ------------------------------------------------------------------------------------------ request fields
def legacy_notes(fields: dict[str, Any]) -> list[str]:
    """Notes for the older fields that were set but are not used."""
    notes = []
    for name, why in IGNORED_FIELDS.items():
        value = fields.get(name)
        if value in (None, '', False) or (name == 'fps' and value == 25):
            continue
        notes.append(f'ignored `{name}`: {why}')
    return notes


def output_path(value: str, settings: ServiceSettings, what: str) -> Path:
    """``value`` resolved (symlinks followed) inside an output root; 403 outside or when none is configured."""
    roots = settings.resolved_output_roots
    if not roots:
        raise RequestRefused(403, f'`{what}`: this service writes no server paths (no output roots configured; '
                                  'set AIGVE_SERVICE_OUTPUT_ROOTS); the results come back as artifacts')
    try:
        return resolve_inside_roots(value, roots, what)
    except RequestRefused as e:
        raise RequestRefused(e.status, e.message.replace('data roots', 'output roots')) from e


def check_outputs(fields: dict[str, Any], settings: ServiceSettings) -> tuple[Path | None, Path | None]:
    """The checked ``stage_dataset`` and ``out_json`` targets (403 outside the output roots, 409 over a file)."""
    stage = output_path(fields['stage_dataset'], settings, 'stage_dataset') if fields.get('stage_dataset') else None
    out = None
    if fields.get('out_json') and stage is None:  # the older script ignored out_json when staging
        out = output_path(fields['out_json'], settings, 'out_json')
        if out.exists() or out.is_symlink():
            raise RequestRefused(409, f'`out_json` {fields["out_json"]!r} exists; the service never overwrites a '
                                      'file outside a job\'s own staging folder: remove it or name a new file')
    return stage, out


def model_options(fields: dict[str, Any], names: Sequence[str], settings: ServiceSettings,
                  notes: list[str]) -> dict[str, dict]:
    """``fvd_model`` & co. as the ``model_path`` of their metric (server files inside the data roots)."""
    options: dict[str, dict] = {}
    for key, metric in MODEL_FIELDS.items():
        value = fields.get(key)
        if not value:
            continue
        if metric not in names:
            notes.append(f'ignored `{key}`: {metric} is not requested')
            continue
        path = resolve_inside_roots(value, settings.resolved_roots, key)
        options[metric] = dict(model_path=str(path))
    return options


def legacy_options(fields: dict[str, Any], cards: list[dict], notes: list[str],
                   settings: ServiceSettings | None = None) -> JobOptions:
    """Map the older request fields to job options (422 for an unknown metric or a command-line passthrough)."""
    if fields.get('extra_args'):
        raise RequestRefused(422, '`extra_args` is not accepted: the service passes no command-line arguments; '
                                  'use the documented fields')
    try:
        names = expand_metric_request(fields.get('metrics'), fields.get('categories'), cards)
        given = dict(zip(resolve_metric_names(list(fields.get('metric_options') or {}), cards),
                         (fields.get('metric_options') or {}).values()))
    except (KeyError, ValueError) as e:
        raise RequestRefused(422, str(e.args[0]) if e.args else str(e)) from e
    max_seconds, max_len = fields.get('max_seconds'), fields.get('max_len')
    opts = JobOptions(metrics=names, metric_options=given, use_cpu=bool(fields.get('use_cpu')),
                      generated_suffixes=fields.get('generated_suffixes'), max_seconds=max_seconds,
                      server_metric_options=model_options(fields, names, settings, notes) if settings else {})
    if max_seconds is None and max_len:
        opts.num_frames, opts.frame_strategy = int(max_len), 'first'
        notes.append(f'max_len={max_len}: the first {max_len} frames of each video are evaluated')
        if fields.get('pad'):
            opts.pad = 'repeat_last'
            notes.append(f'pad=true: shorter videos are padded to {max_len} frames by repeating the last frame '
                         '(the older toolkit added black frames)')
    elif fields.get('pad'):
        notes.append('ignored `pad`: it pads to `max_len`, which applies only without `max_seconds`')
    return opts


def cdfvd_request(fields: dict[str, Any], sent: set[str], endpoint: str, notes: list[str]) -> dict | None:
    """What CD-FVD to compute for an older request, or None.

    ``/run`` computes it as the older service did on every ``/run``, unless ``use_cdfvd=false`` is sent;
    ``/run_upload`` only with ``use_cdfvd=true``, as the older service. ``cdfvd_all_flavors`` (default true)
    gives both models, otherwise ``cdfvd_model`` alone.
    """
    if endpoint == 'run':
        wanted = bool(fields.get('use_cdfvd')) or 'use_cdfvd' not in sent
    else:
        wanted = bool(fields.get('use_cdfvd'))
    if not wanted:
        extra = sorted(sent & set(CDFVD_FIELDS) - {'use_cdfvd'})
        if extra:
            notes.append(f'ignored {", ".join(f"`{f}`" for f in extra)}: ' + (
                'use_cdfvd=false' if endpoint == 'run' else
                'CD-FVD runs on /run_upload only with `use_cdfvd=true` (as the older service)'))
        return None
    model = str(fields.get('cdfvd_model') or 'videomae').lower()
    if model not in CDFVD_BACKBONES:
        raise RequestRefused(422, f"`cdfvd_model` must be one of {sorted(CDFVD_BACKBONES)}, but got {model!r}")
    all_flavors = fields.get('cdfvd_all_flavors', True) is not False
    models = ['videomae', 'i3d'] if all_flavors else [model]
    if all_flavors:
        notes.append('cdfvd_all_flavors=true: both cd-fvd models (videomae, i3d) at cdfvd_resolution and '
                     'cdfvd_sequence_length; the older service\'s grid of other resolutions/lengths is not computed '
                     '(send one request per setting)')
    notes.append('CD-FVD is our FVD with backbone videomae / i3d_tats: the first clip of each video (cd-fvd took '
                 'one random clip), at least 2 generated and 2 reference clips')
    return dict(models=models, resolution=int(fields.get('cdfvd_resolution') or 128),
                sequence_length=int(fields.get('cdfvd_sequence_length') or 16), all_flavors=all_flavors,
                max_seconds=fields.get('max_seconds'), fps=fields.get('fps'))


def cdfvd_options(base: JobOptions, model: str, plan: dict) -> JobOptions:
    """Job options of the CD-FVD job of one model."""
    opts = dict(backbone=CDFVD_BACKBONES[model], resolution=plan['resolution'], num_frames=plan['sequence_length'])
    return JobOptions(metrics=['FVD'], metric_options={'FVD': opts}, use_cpu=base.use_cpu,
                      generated_suffixes=base.generated_suffixes, max_seconds=base.max_seconds)


# ------------------------------------------------------------------------------------------ outputs
def artifact(name: str, path: str | Path | None, document: Any) -> dict:
    """An artifact in the older shape: ``json`` for a JSON document, ``text`` for a string (+ ``content``)."""
    key = 'text' if isinstance(document, str) else 'json'
    return {'name': name, 'path': None if path is None else str(path), key: document, 'content': document,
            'source': 'aigve'}


def _read_json(path: Path) -> Any:
    with open(path, encoding='utf-8') as f:
        return json.load(f)


def _write_json(path: Path, document: Any) -> Path:
    from aigve.utils.atomic import write_json_atomic

    path.parent.mkdir(parents=True, exist_ok=True)
    write_json_atomic(str(path), document)
    return path


def job_evaluators(job: dict) -> list[dict]:
    """The ``val_evaluator`` entries of a job (from its data file), ``[]`` when unreadable."""
    data = Path(job['work_dir']) / INPUTS_DIR / CONFIG_NAME.replace('.py', '.data.json')
    try:
        entries = _read_json(data).get('val_evaluator') or []
    except (OSError, ValueError):
        return []
    return [e for e in (entries if isinstance(entries, list) else [entries]) if isinstance(e, dict)]


def legacy_result_documents(results: dict, evaluators: Sequence[dict], cards: Sequence[dict],
                            annotation: dict | None) -> list[tuple[str, dict]]:
    """One document per metric under the older file name, in the older shape plus ours.

    Older keys: ``video_results`` (``Generated video_name``, ``Real video_name`` when paired,
    ``<label>_Score``) and ``<label>_Mean_Score``. Ours: ``metric``, ``metrics`` (every key of that metric),
    ``per_video``, ``num_videos``, ``failures`` and ``provenance`` (of the run, with this metric's protocol).
    A set-level metric (FID, FVD...) has no per-video values: ``video_results`` is empty.
    """
    by_name = {c['name']: c for c in cards}
    refs = {e.get('video_path_pd'): e.get('video_path_gt') for e in (annotation or {}).get('data_list') or []
            if isinstance(e, dict)}
    docs = []
    metrics = results.get('metrics') or {}
    for entry in evaluators:
        name = str(entry.get('type'))
        prefix = str(entry.get('prefix') or by_name.get(name, {}).get('prefix') or name.lower())
        file_name, label = LEGACY_RESULT_FILES.get(name, (f'{prefix}_results.json', prefix))
        keys = [k for k in metrics if k.split('/', 1)[0] == prefix]
        main = f'{prefix}/{prefix}' if f'{prefix}/{prefix}' in keys else (keys[0] if keys else None)
        video_results, per_video = [], []
        for rec in results.get('per_video') or []:
            if main is None or main not in rec:
                continue
            row = {'Generated video_name': rec['video']}
            if refs.get(rec['video']):
                row['Real video_name'] = refs[rec['video']]
            row[f'{label}_Score'] = rec[main]
            video_results.append(row)
            per_video.append({'video': rec['video'], **{k: rec[k] for k in keys if k in rec}})
        provenance = dict(results.get('provenance') or {})
        provenance['protocol'] = {prefix: (provenance.get('protocol') or {}).get(prefix)}
        docs.append((file_name, {'video_results': video_results, f'{label}_Mean_Score': metrics.get(main),
                                 'metric': name, 'metrics': {k: metrics[k] for k in keys}, 'per_video': per_video,
                                 'set_level': bool(by_name.get(name, {}).get('set_level')),
                                 'num_videos': results.get('num_videos'), 'failures': results.get('failures'),
                                 'provenance': provenance}))
    return docs


def job_artifacts(job: dict, cards: Sequence[dict], legacy: bool = True) -> list[dict]:
    """``results.json``, the annotation and (``legacy``) the per-metric files of a succeeded job."""
    work = Path(job['work_dir'])
    out = []
    results_path, ann_path = work / 'results.json', work / INPUTS_DIR / ANNOTATION_NAME
    annotation = _read_json(ann_path) if ann_path.is_file() else None
    if job['state'] == SUCCEEDED and results_path.is_file():
        results = _read_json(results_path)
        out.append(artifact('results.json', results_path, results))
        if legacy:
            for name, doc in legacy_result_documents(results, job_evaluators(job), cards, annotation):
                out.append(artifact(name, _write_json(work / LEGACY_DIR / name, doc), doc))
    if annotation is not None:
        out.append(artifact(ANNOTATION_NAME, ann_path, annotation))
    return out


def cdfvd_entry(model: str, job: dict, plan: dict) -> dict:
    """One model of ``cdfvd_results``, in the older keys (``fvd_score``, counts, settings) plus ours."""
    if 'error' in job and 'id' not in job:
        return dict(job, model=model)
    base = dict(model=model, backbone=CDFVD_BACKBONES[model], resolution=plan['resolution'],
                sequence_length=plan['sequence_length'], max_seconds=plan['max_seconds'], fps=plan['fps'],
                compute_all_flavors=plan['all_flavors'], job_id=job['id'], state=job['state'])
    results_path = Path(job['work_dir']) / 'results.json'
    if job['state'] != SUCCEEDED or not results_path.is_file():
        still = job['state'] not in FINISHED
        return dict(base, error=f"job {job['id']} is still {job['state']}" if still else job.get('error')
                    or f"job {job['id']} {job['state']}")
    results = _read_json(results_path)
    protocol = ((results.get('provenance') or {}).get('protocol') or {}).get('fvd') or {}
    return dict(base, fvd_score=results['metrics'].get('fvd/fvd'), num_real_videos=protocol.get('n_reference'),
                num_fake_videos=protocol.get('n_generated'), failures=results.get('failures'), protocol=protocol,
                total_computation_time=(results.get('provenance') or {}).get('seconds'))


def stage_target(stage: Path, job_id: str) -> Path:
    """Where to stage: ``stage`` itself when new or empty, else a new ``<stage>/<job id>`` (never overwrite)."""
    if stage.exists() and (not stage.is_dir() or any(stage.iterdir())):
        target = stage / job_id
        if target.exists():
            raise RequestRefused(409, f'`stage_dataset`: {target} already exists')
        return target
    return stage


def write_outputs(run: LegacyRun, source_dir: Path, annotation: dict) -> list[dict]:
    """Honour ``out_json`` and ``stage_dataset`` (checked inside the output roots); their artifacts."""
    from aigve.tools.pairing import stage_dataset, write_annotation

    out: list[dict] = []
    entries = [e for e in annotation.get('data_list') or [] if isinstance(e, dict)]
    if run.out_json is not None:
        if run.out_json.exists() or run.out_json.is_symlink():  # appeared since the request was checked
            raise RequestRefused(409, f'`out_json` {run.out_json} exists; nothing was overwritten')
        path = write_annotation(run.out_json, annotation)
        out.append(artifact('annotations.json', path, annotation))
    if run.stage_dir is not None:
        keep = ('video_path_pd', 'video_path_gt')
        ann_path = stage_dataset(source_dir, [{k: e[k] for k in keep if e.get(k)} for e in entries],
                                 run.stage_dir, link=run.link, source='aigve service')
        out.append(artifact('evaluate.json', ann_path, _read_json(ann_path)))
        out.append(artifact('stage_info.txt', None, f'staged_dataset: {run.stage_dir}'))
    return out


# ------------------------------------------------------------------------------------------ answers
def returncode_of(jobs: Sequence[dict], main: dict) -> int:
    """0 when the main job succeeded, 1 when it failed (or was cancelled), 124 when a job is still running."""
    if any(j['state'] not in FINISHED and j['state'] != INTERRUPTED for j in jobs):
        return TIMEOUT_RETURNCODE
    return 0 if main['state'] == SUCCEEDED else 1


def waiting_message(jobs: Sequence[dict], waited: float, base_url: str) -> str:
    """``stderr`` when the wait ended first: the unfinished jobs, their URLs, and that they continue."""
    lines = [f'aigve service: stopped waiting after {waited:g} s (returncode {TIMEOUT_RETURNCODE}); the jobs continue:']
    for j in jobs:
        if j['state'] not in FINISHED and j['state'] != INTERRUPTED:
            url = f"{base_url.rstrip('/')}/jobs/{j['id']}"
            lines.append(f"  job {j['id']} ({j['state']}): {url} (results: {url}/results)")
    return '\n'.join(lines)


def legacy_response(service: Any, run: LegacyRun, cards: Sequence[dict], started: float, waited: float,
                    base_url: str) -> dict:
    """The older response shape for the jobs of a request (finished or not)."""
    job = run.main
    jobs = [job] + [j for j in run.cdfvd.values() if 'id' in j]
    rc = returncode_of(jobs, job)
    stderr = job.get('error') or '' if job['state'] in FINISHED else ''
    if rc == TIMEOUT_RETURNCODE:
        stderr = waiting_message(jobs, waited, base_url) + ('\n' + stderr if stderr else '')
    arts = job_artifacts(job, cards)
    out = dict(cmd=' '.join(run_command('python', job['config'], job['work_dir'])), returncode=rc,
               stdout=log_tail(job['work_dir'], 8000), stderr=stderr, artifacts=arts, job_id=job['id'],
               job=service.view(job), jobs=[service.view(j) for j in jobs], notes=run.notes, state=job['state'])
    if run.cdfvd:
        cdfvd = {m: cdfvd_entry(m, j, run.cdfvd_settings) for m, j in run.cdfvd.items()}
        out['cdfvd_results'] = cdfvd
        arts.append(artifact('cdfvd_results.json', _write_json(Path(job['work_dir']) / LEGACY_DIR /
                                                               'cdfvd_results.json', cdfvd), cdfvd))
    out['duration_ms'] = int((time.monotonic() - started) * 1000)
    return out


async def wait_for(svc: Any, job_id: str, seconds: float) -> dict:
    """Poll the store (without blocking the event loop) until the job ends or ``seconds`` pass."""
    return (await wait_all(svc, [job_id], seconds))[0]


async def wait_all(svc: Any, job_ids: Sequence[str], seconds: float) -> list[dict]:
    """Poll until every job ends or ``seconds`` pass; the jobs as they are then."""
    deadline = time.monotonic() + seconds
    while True:
        jobs = [svc.job_or_404(i) for i in job_ids]
        if all(j['state'] in FINISHED or j['state'] == INTERRUPTED for j in jobs) or time.monotonic() > deadline:
            return jobs
        await asyncio.sleep(0.5)


async def finish(service: Any, run: LegacyRun, wait: bool, seconds: float) -> float:
    """Wait for the jobs of ``run`` (when asked) and refresh them; the seconds waited."""
    t0 = time.monotonic()
    ids = [run.main['id']] + [j['id'] for j in run.cdfvd.values() if 'id' in j]
    jobs = await wait_all(service, ids, seconds if wait else 0)
    run.main = jobs[0]
    for model, job in run.cdfvd.items():
        if 'id' in job:
            run.cdfvd[model] = next(j for j in jobs if j['id'] == job['id'])
    return time.monotonic() - t0


def _clone_upload(service: Any, main: dict, opts: JobOptions, cards: Sequence[dict], request: dict) -> dict:
    """A second job over the files of an upload job (hard links in its own folder, copies if links fail)."""
    metrics, needs_ref = resolve_metrics(opts, cards)
    job_id, job_dir = service.factory.new_job_dir()
    try:
        names = list((main.get('request') or {}).get('files') or [])
        src, dst = Path(main['work_dir']) / UPLOAD_DIR, job_dir / UPLOAD_DIR
        dst.mkdir(parents=True)
        for name in names:
            try:
                os.link(src / name, dst / name)
            except OSError:
                shutil.copy2(src / name, dst / name)
        return service.factory.from_upload(job_id, job_dir, names, opts, cards, dict(request, files=names),
                                           metrics, needs_ref)
    except BaseException:
        shutil.rmtree(job_dir, ignore_errors=True)
        raise


def add_cdfvd_jobs(service: Any, run: LegacyRun, plan: dict | None, opts: JobOptions, cards: Sequence[dict],
                   input_dir: str | None) -> None:
    """Create one FVD job per cd-fvd model; a model whose job cannot be created gets ``{"error": ...}``."""
    if not plan:
        return
    run.cdfvd_settings = plan
    for model in plan['models']:
        job_opts = cdfvd_options(opts, model, plan)
        request = dict(legacy='cdfvd', model=model, parent=run.main['id'])
        try:
            if input_dir is None:
                run.cdfvd[model] = _clone_upload(service, run.main, job_opts, cards, request)
            else:
                run.cdfvd[model] = service.factory.from_paths(ann_file=None, data_root=None, input_dir=input_dir,
                                                              opts=job_opts, cards=cards, request=request)
        except RequestRefused as e:
            run.cdfvd[model] = dict(error=e.message)


def add_compat_routes(api: APIRouter, svc: Callable[[], Any], settings: ServiceSettings) -> None:
    """Register ``/help``, ``/run`` and ``/run_upload`` on ``api``."""

    @api.get('/help', summary='older service: usage of the pairing script and of this service')
    async def help_() -> dict:
        from aigve.tools.prepare_annotations import build_parser

        t0 = time.monotonic()
        return dict(cmd='prepare_annotations.py --help', returncode=0, stdout=build_parser().format_help()
                    + HELP_EPILOG, stderr='', duration_ms=int((time.monotonic() - t0) * 1000), artifacts=[])

    @api.post('/run', summary='older service: pair a server folder and evaluate it (waits for the job)')
    async def run(req: LegacyRunRequest, request: Request) -> dict:
        t0 = time.monotonic()
        service = svc()
        cards = await service.probe.cards()
        if req.list_metrics:
            return dict(cmd='prepare_annotations.py --list-metrics', returncode=0, stdout=legacy_metrics_text(),
                        stderr='', cards=cards, artifacts=[], duration_ms=int((time.monotonic() - t0) * 1000))
        if not req.input_dir:
            raise RequestRefused(422, '`input_dir` is required unless `list_metrics` is true')
        fields = req.model_dump()
        fields['generated_suffixes'] = parse_suffixes(req.generated_suffixes)
        notes = legacy_notes(fields)
        stage, out_json = check_outputs(fields, settings)
        if not req.compute:
            cdfvd_sent = sorted(set(req.model_fields_set) & set(CDFVD_FIELDS))
            if cdfvd_sent:
                notes.append(f'ignored {", ".join(f"`{f}`" for f in cdfvd_sent)}: compute=false pairs only')
            return await _pair_only(service, req.input_dir, fields, stage, out_json, notes, t0)
        opts = legacy_options(fields, cards, notes, settings)
        plan = cdfvd_request(fields, set(req.model_fields_set), 'run', notes)

        def create() -> LegacyRun:
            job = service.factory.from_paths(ann_file=None, data_root=None, input_dir=req.input_dir, opts=opts,
                                             cards=cards, request=dict(legacy='run', **req.model_dump(
                                                 exclude_defaults=True, exclude={'extra_args'})))
            legacy = LegacyRun(job, notes=notes, out_json=out_json, link=req.link,
                               stage_dir=stage_target(stage, job['id']) if stage else None)
            add_cdfvd_jobs(service, legacy, plan, opts, cards, req.input_dir)
            return legacy

        legacy = await asyncio.to_thread(create)
        service.workers.wake()
        extra = await _outputs(legacy, Path(legacy.main['work_dir']), Path(req.input_dir))
        waited = await finish(service, legacy, req.wait, settings.compat_wait_seconds)
        out = legacy_response(service, legacy, cards, t0, waited, str(request.base_url))
        out['artifacts'] += extra
        return out

    @api.post('/run_upload', summary='older service: upload videos and evaluate them (waits for the job)')
    async def run_upload(request: Request, videos: list[UploadFile] = File(...),
                         generated_suffixes: str = Form('synthetic,generated'), stage_dataset: str = Form(''),
                         link: bool = Form(False), compute: bool = Form(True), metrics: str = Form(''),
                         categories: str = Form('distribution_based'), max_len: int | None = Form(None, gt=0),
                         max_seconds: float | None = Form(None, gt=0), fps: float | None = Form(None),
                         pad: bool = Form(False), use_cpu: bool = Form(False), use_cdfvd: bool = Form(False),
                         cdfvd_model: str = Form('videomae'), cdfvd_resolution: int = Form(128, gt=0),
                         cdfvd_sequence_length: int = Form(16, gt=0), cdfvd_all_flavors: bool = Form(True),
                         metric_options: str = Form(''), extra_args: list[str] | None = Form(None),
                         wait: bool = Form(True)) -> dict:
        t0 = time.monotonic()
        service = svc()
        cards = await service.probe.cards()
        form = await request.form()
        sent = {k for k in form.keys() if k != 'videos'}
        fields = dict(generated_suffixes=generated_suffixes.split(','), stage_dataset=stage_dataset or None, link=link,
                      metrics=metrics or None, categories=categories if not metrics else None, max_len=max_len,
                      max_seconds=max_seconds, fps=fps, pad=pad, use_cpu=use_cpu, use_cdfvd=use_cdfvd,
                      cdfvd_model=cdfvd_model, cdfvd_resolution=cdfvd_resolution,
                      cdfvd_sequence_length=cdfvd_sequence_length, cdfvd_all_flavors=cdfvd_all_flavors,
                      metric_options=dict_field(metric_options, 'metric_options'),
                      extra_args=['<given>'] if extra_args is not None else [])  # refused, whatever its value
        notes = legacy_notes(fields)
        if not compute:
            notes.append('compute=false: the videos are still evaluated, as the job is what stores them')
        stage, _ = check_outputs(fields, settings)
        if stage is not None and link:
            notes.append('link=true: uploads are staged as copies (a link would point into the job folder, '
                         'which retention deletes)')
        opts = legacy_options(fields, cards, notes)
        plan = cdfvd_request(fields, sent, 'run_upload', notes)
        job = await save_uploads(service, videos, opts, dict(legacy='run_upload', metrics=opts.metrics))
        legacy = LegacyRun(job, notes=notes, stage_dir=stage_target(stage, job['id']) if stage else None)
        await asyncio.to_thread(add_cdfvd_jobs, service, legacy, plan, opts, cards, None)
        service.workers.wake()
        extra = await _outputs(legacy, Path(job['work_dir']), Path(job['work_dir']) / UPLOAD_DIR)
        waited = await finish(service, legacy, wait, settings.compat_upload_wait_seconds)
        out = legacy_response(service, legacy, cards, t0, waited, str(request.base_url))
        out['artifacts'] += extra
        job = legacy.main
        files = (job.get('request') or {}).get('files', [])
        out['session'] = dict(id=job['id'], upload_dir=str(Path(job['work_dir']) / UPLOAD_DIR),
                              stage_dir=str(legacy.stage_dir or job['work_dir']), files=files)
        n = (job.get('summary') or {}).get('num_videos', {})
        cdfvd = out.get('cdfvd_results') or {}
        out['processing_summary'] = dict(
            total_duration_ms=out['duration_ms'], script_success=job['state'] == SUCCEEDED,
            legacy_metrics_attempted=job['metrics'], videos_processed=n.get('scored', 0),
            cdfvd_models_successful=sum(1 for r in cdfvd.values() if 'error' not in r),
            cdfvd_models_total=len(cdfvd))
        return out


async def _outputs(run: LegacyRun, job_dir: Path, source_dir: Path) -> list[dict]:
    """Write ``out_json`` / ``stage_dataset`` from the job's annotation; a failure becomes a note."""
    if run.out_json is None and run.stage_dir is None:
        return []
    try:
        annotation = _read_json(job_dir / INPUTS_DIR / ANNOTATION_NAME)
        return await asyncio.to_thread(write_outputs, run, source_dir, annotation)
    except (OSError, ValueError, RequestRefused) as e:
        run.notes.append(f'out_json/stage_dataset not written: {getattr(e, "message", None) or e}')
        return []


async def _pair_only(service: Any, input_dir: str, fields: dict, stage: Path | None, out_json: Path | None,
                     notes: list[str], t0: float) -> dict:
    """``compute=false``: pair the folder and return the annotation (and write ``out_json``/stage), no job."""
    from aigve.tools.pairing import build_annotation

    opts = JobOptions(generated_suffixes=fields['generated_suffixes'])

    def work() -> dict:
        from aigve.service.jobs import check_annotation_paths

        roots = service.settings.resolved_roots
        folder, result, entries = scan_input_dir(input_dir, roots, opts)
        check_annotation_paths(entries, folder, roots, 'input_dir')
        annotation = build_annotation(entries, name=folder.name)
        run = LegacyRun(dict(id='-'), out_json=out_json, link=bool(fields.get('link')),
                        stage_dir=stage_target(stage, uuid.uuid4().hex) if stage else None)
        written = write_outputs(run, folder, annotation)
        return dict(annotation=annotation, summary=result.summary(), written=written)

    out = await asyncio.to_thread(work)
    arts = [artifact('annotations.json', None, out['annotation'])] if out_json is None else []
    return dict(cmd='prepare_annotations.py --input-dir ' + input_dir, returncode=0,
                stdout=json.dumps(out['summary'], indent=2), stderr='', notes=notes, artifacts=arts + out['written'],
                duration_ms=int((time.monotonic() - t0) * 1000))
