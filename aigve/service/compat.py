"""The older service's endpoints (``GET /help``, ``POST /run``, ``POST /run_upload``) on top of jobs.

They accept the older request fields that still make sense and answer in the older shape: ``cmd`` (the
``aigve run`` command the job ran), ``returncode``, ``stdout`` (the run log's end), ``stderr`` (the error),
``artifacts`` (``[{name, path, content, source}]`` with ``results.json`` and the annotation), plus
``job_id``/``job`` and ``notes`` listing the older fields that were ignored and why.
"""
from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import APIRouter, File, Form, UploadFile
from pydantic import BaseModel, ConfigDict, Field

from aigve.service.forms import dict_field, save_uploads
from aigve.service.jobs import ANNOTATION_NAME, INPUTS_DIR, UPLOAD_DIR, JobOptions, RequestRefused
from aigve.service.settings import ServiceSettings
from aigve.service.store import FAILED, FINISHED, INTERRUPTED, SUCCEEDED
from aigve.service.workers import log_tail, run_command
from aigve.tools.metric_names import expand_metric_request
from aigve.tools.pairing import parse_suffixes

IGNORED_FIELDS = {
    'out_json': 'the annotation is kept in the job folder and returned as an artifact',
    'stage_dataset': 'the service does not write into server folders; stage with scripts/prepare_annotations.py',
    'link': 'see stage_dataset',
    'fps': 'max_seconds uses each file\'s real frame rate',
    'pad': 'short videos are not padded; use a config with SampleFrames(pad=...)',
    'fvd_model': 'weights come from the aigve cache (aigve weights ...)',
    'gstvqa_model': 'weights come from the aigve cache (aigve weights ...)',
    'simplevqa_model': 'weights come from the aigve cache (aigve weights ...)',
    'lightvqa_plus_model': 'weights come from the aigve cache (aigve weights ...)',
    'lightvqa_plus_swin': 'weights come from the aigve cache (aigve weights ...)',
    'use_cdfvd': 'cd-fvd is not a separate step; request a registered FVD metric instead',
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
    """``POST /run``: the older service's fields (those that still make sense are used, see docs/service.md)."""

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
    max_len: int | None = None
    max_seconds: float | None = Field(None, gt=0)
    fps: float | None = None
    pad: bool = False
    use_cpu: bool = False
    fvd_model: str | None = None
    gstvqa_model: str | None = None
    simplevqa_model: str | None = None
    lightvqa_plus_model: str | None = None
    lightvqa_plus_swin: str | None = None
    extra_args: list[str] = Field(default_factory=list)
    use_cdfvd: bool = False
    metric_options: dict[str, dict[str, Any]] = Field(default_factory=dict)
    wait: bool = True


def legacy_notes(fields: dict[str, Any]) -> list[str]:
    """Notes for the older fields that were set but are not used."""
    defaults = dict(link=False, pad=False, use_cdfvd=False, fps=None)
    notes = []
    for name, why in IGNORED_FIELDS.items():
        value = fields.get(name)
        if value not in (None, '', defaults.get(name, None)) and not (name == 'fps' and value == 25):
            notes.append(f'ignored `{name}`: {why}')
    return notes


def legacy_options(fields: dict[str, Any], cards: list[dict], notes: list[str]) -> JobOptions:
    """Map the older request fields to job options (422 for an unknown metric or a command-line passthrough)."""
    if fields.get('extra_args'):
        raise RequestRefused(422, '`extra_args` is not accepted: the service passes no command-line arguments; '
                                  'use the documented fields')
    try:
        names = expand_metric_request(fields.get('metrics'), fields.get('categories'), cards)
    except (KeyError, ValueError) as e:
        raise RequestRefused(422, str(e.args[0]) if e.args else str(e)) from e
    max_seconds, max_len = fields.get('max_seconds'), fields.get('max_len')
    opts = JobOptions(metrics=names, metric_options=fields.get('metric_options') or {},
                      use_cpu=bool(fields.get('use_cpu')), generated_suffixes=fields.get('generated_suffixes'),
                      max_seconds=max_seconds)
    if max_seconds is None and max_len:
        opts.num_frames, opts.frame_strategy = int(max_len), 'first'
        notes.append(f'max_len={max_len}: the first {max_len} frames of each video are evaluated')
    return opts


def artifacts(job: dict) -> list[dict]:
    """``results.json`` and the annotation of a job, in the older ``{name, path, content, source}`` shape."""
    out = []
    for name, path in (('results.json', Path(job['work_dir']) / 'results.json'),
                       (ANNOTATION_NAME, Path(job['work_dir']) / INPUTS_DIR / ANNOTATION_NAME)):
        if path.is_file():
            with open(path, encoding='utf-8') as f:
                out.append(dict(name=name, path=str(path), content=json.load(f), source='aigve'))
    return out


def legacy_response(job: dict, view: dict, notes: list[str], started: float) -> dict:
    """The older response shape for a job (finished or not)."""
    finished = job['state'] in FINISHED or job['state'] == INTERRUPTED
    returncode = (0 if job['state'] == SUCCEEDED else 1) if finished else None
    return dict(cmd=' '.join(run_command('python', job['config'], job['work_dir'])), returncode=returncode,
                stdout=log_tail(job['work_dir'], 8000), stderr=job.get('error') or '', artifacts=artifacts(job),
                job_id=job['id'], job=view, notes=notes, duration_ms=int((time.monotonic() - started) * 1000),
                state=job['state'])


async def wait_for(svc: Any, job_id: str, seconds: float) -> dict:
    """Poll the store (without blocking the event loop) until the job ends or ``seconds`` pass."""
    deadline = time.monotonic() + seconds
    while True:
        job = svc.job_or_404(job_id)
        if job['state'] in FINISHED or job['state'] in (FAILED, INTERRUPTED) or time.monotonic() > deadline:
            return job
        await asyncio.sleep(0.5)


def add_compat_routes(api: APIRouter, svc: Callable[[], Any], settings: ServiceSettings) -> None:
    """Register ``/help``, ``/run`` and ``/run_upload`` on ``api``."""

    @api.get('/help', summary='older service: usage of the pairing script and of this service')
    async def help_() -> dict:
        from aigve.tools.prepare_annotations import build_parser

        t0 = time.monotonic()
        return dict(cmd='prepare_annotations.py --help', returncode=0, stdout=build_parser().format_help()
                    + HELP_EPILOG, stderr='', duration_ms=int((time.monotonic() - t0) * 1000), artifacts=[])

    @api.post('/run', summary='older service: pair a server folder and evaluate it (waits for the job)')
    async def run(req: LegacyRunRequest) -> dict:
        t0 = time.monotonic()
        service = svc()
        cards = await service.probe.cards()
        if req.list_metrics:
            return dict(cmd='prepare_annotations.py --list-metrics', returncode=0, stdout=json.dumps(cards, indent=2),
                        stderr='', artifacts=[], duration_ms=int((time.monotonic() - t0) * 1000))
        if not req.input_dir:
            raise RequestRefused(422, '`input_dir` is required')
        fields = req.model_dump()
        fields['generated_suffixes'] = parse_suffixes(req.generated_suffixes)
        notes = legacy_notes(fields)
        if not req.compute:
            return await _pair_only(service, req.input_dir, JobOptions(generated_suffixes=fields['generated_suffixes']),
                                    notes, t0)
        opts = legacy_options(fields, cards, notes)
        job = await asyncio.to_thread(service.factory.from_paths, ann_file=None, data_root=None,
                                      input_dir=req.input_dir, opts=opts, cards=cards,
                                      request=dict(legacy='run', **req.model_dump(exclude_defaults=True)))
        service.workers.wake()
        if req.wait:
            job = await wait_for(service, job['id'], settings.compat_wait_seconds)
        return legacy_response(job, service.view(job), notes, t0)

    @api.post('/run_upload', summary='older service: upload videos and evaluate them (waits for the job)')
    async def run_upload(videos: list[UploadFile] = File(...), generated_suffixes: str = Form('synthetic,generated'),
                         stage_dataset: str = Form(''), link: bool = Form(False), compute: bool = Form(True),
                         metrics: str = Form(''), categories: str = Form('distribution_based'),
                         max_len: int | None = Form(None), max_seconds: float | None = Form(None, gt=0),
                         fps: float | None = Form(None), pad: bool = Form(False), use_cpu: bool = Form(False),
                         use_cdfvd: bool = Form(False), metric_options: str = Form(''),
                         extra_args: list[str] | None = Form(None), wait: bool = Form(True)) -> dict:
        t0 = time.monotonic()
        service = svc()
        cards = await service.probe.cards()
        fields = dict(generated_suffixes=generated_suffixes.split(','), stage_dataset=stage_dataset or None, link=link,
                      metrics=metrics or None, categories=categories if not metrics else None, max_len=max_len,
                      max_seconds=max_seconds, fps=fps, pad=pad, use_cpu=use_cpu, use_cdfvd=use_cdfvd,
                      metric_options=dict_field(metric_options, 'metric_options'),
                      extra_args=['<given>'] if extra_args is not None else [])  # refused, whatever its value
        notes = legacy_notes(fields)
        if not compute:
            notes.append('compute=false: the videos are still evaluated, as the job is what stores them')
        opts = legacy_options(fields, cards, notes)
        job = await save_uploads(service, videos, opts, dict(legacy='run_upload', metrics=opts.metrics))
        service.workers.wake()
        if wait:
            job = await wait_for(service, job['id'], settings.compat_wait_seconds)
        out = legacy_response(job, service.view(job), notes, t0)
        request = job.get('request') or {}
        files = request.get('files', [])
        out['session'] = dict(id=job['id'], upload_dir=str(Path(job['work_dir']) / UPLOAD_DIR),
                              stage_dir=job['work_dir'], files=files)
        summary = job.get('summary') or {}
        n = summary.get('num_videos', {})
        out['processing_summary'] = dict(total_duration_ms=out['duration_ms'], script_success=job['state'] == SUCCEEDED,
                                         legacy_metrics_attempted=job['metrics'], cdfvd_models_successful=0,
                                         cdfvd_models_total=0, videos_processed=n.get('scored', 0))
        return out


async def _pair_only(service: Any, input_dir: str, opts: JobOptions, notes: list[str], t0: float) -> dict:
    """``compute=false``: pair the folder and return the annotation, without a job."""
    from aigve.service.jobs import check_annotation_paths, scan_input_dir
    from aigve.tools.pairing import build_annotation

    def work() -> dict:
        roots = service.settings.resolved_roots
        folder, result, entries = scan_input_dir(input_dir, roots, opts)
        check_annotation_paths(entries, folder, roots, 'input_dir')
        return dict(annotation=build_annotation(entries, name=folder.name), summary=result.summary())

    out = await asyncio.to_thread(work)
    return dict(cmd='prepare_annotations.py --input-dir ' + input_dir, returncode=0,
                stdout=json.dumps(out['summary'], indent=2), stderr='', notes=notes,
                artifacts=[dict(name='annotations.json', path=None, content=out['annotation'], source='aigve')],
                duration_ms=int((time.monotonic() - t0) * 1000))
