"""The job endpoints: ``/healthz``, ``/metrics`` and ``/jobs...`` (the older ``/run`` ones are in ``compat``)."""
from __future__ import annotations

import asyncio
import platform
import sys
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Literal

from fastapi import APIRouter, FastAPI, File, Form, UploadFile
from fastapi.responses import FileResponse, PlainTextResponse
from starlette.concurrency import run_in_threadpool

import aigve
from aigve.service.forms import JobRequest, dict_field, save_uploads, split_list
from aigve.service.jobs import JobOptions, RequestRefused
from aigve.service.security import sanitize_filename
from aigve.service.settings import ServiceSettings
from aigve.service.state import Service
from aigve.service.store import FINISHED, SUCCEEDED
from aigve.service.workers import log_tail, package_parent


def legacy_script_exists() -> bool:
    """The older ``/healthz``'s ``script_exists``: whether ``scripts/prepare_annotations.py`` is installed."""
    return (Path(package_parent()) / 'scripts' / 'prepare_annotations.py').is_file()


def add_job_routes(app: FastAPI, api: APIRouter, svc: Callable[[], Service], settings: ServiceSettings) -> None:
    """Register ``/healthz`` on ``app`` (no token needed) and the metric and job endpoints on ``api``."""

    @app.get('/healthz', summary='liveness, versions, device')
    async def healthz() -> dict:
        service = svc()
        probe = service.probe.result if service.probe.ready.is_set() else None
        versions = dict(aigve=aigve.__version__, python=platform.python_version())
        for dist in ('torch', 'mmengine-lite', 'fastapi', 'uvicorn'):
            try:
                versions[dist] = metadata.version(dist)
            except metadata.PackageNotFoundError:
                versions[dist] = None
        found = probe or {}
        versions['torch_cuda_build'] = found.get('cuda_build')
        torch_errors = [e for e in found.get('errors') or [] if e.startswith('torch:')]
        # the older service's keys: python, cwd (here the service's data folder), script_exists, torch, torch_error
        return dict(status='ok', ready=probe is not None, versions=versions, python=sys.version,
                    cwd=str(Path(settings.data_dir).resolve()), script_exists=legacy_script_exists(),
                    torch=found.get('torch', versions.get('torch')),
                    torch_error=torch_errors[0] if torch_errors else None,
                    device=found.get('device'), cuda_available=found.get('cuda_available'),
                    cuda_version=found.get('cuda_version') if found.get('cuda_available') else None,
                    device_count=found.get('device_count'), probe_errors=found.get('errors'),
                    jobs=service.store.counts(), max_workers=settings.max_workers, auth=bool(settings.token))

    @api.get('/metrics', summary='registered metrics and their cards')
    async def metrics() -> dict:
        result = await svc().probe.get()
        return dict(metrics=result['metrics'], errors=result.get('errors', []))

    @api.post('/jobs', status_code=202, summary='evaluate server files (inside the data roots)')
    async def submit(req: JobRequest) -> dict:
        service = svc()
        cards = await service.probe.cards()
        opts = JobOptions(**req.model_dump(exclude={'ann_file', 'data_root', 'input_dir'}))
        job = await run_in_threadpool(service.factory.from_paths, ann_file=req.ann_file, data_root=req.data_root,
                                      input_dir=req.input_dir, opts=opts, cards=cards,
                                      request=req.model_dump(exclude_defaults=True))
        service.workers.wake()
        return service.view(job)

    @api.post('/jobs/upload', status_code=202, summary='evaluate uploaded videos')
    async def submit_upload(
            videos: list[UploadFile] = File(..., description='video files; generated ones named *_synthetic.mp4 '
                                                             'etc. pair with their references'),
            metrics: str = Form('', description='comma-separated metric names or a JSON list'),
            metric_options: str = Form('', description='JSON object: metric name -> options'),
            config: str = Form(''), max_seconds: float | None = Form(None, gt=0),
            num_frames: int | None = Form(None, gt=0), frame_strategy: Literal['all', 'first', 'uniform'] = Form('all'),
            use_cpu: bool = Form(False), generated_suffixes: str = Form('synthetic,generated'),
            pairing: Literal['auto', 'pairs', 'none'] = Form('auto'),
            prompts: str = Form('', description='JSON object: uploaded file name -> prompt')) -> dict:
        service = svc()
        opts = JobOptions(metrics=split_list(metrics), metric_options=dict_field(metric_options, 'metric_options'),
                          config=config or None, max_seconds=max_seconds, num_frames=num_frames,
                          frame_strategy=frame_strategy, use_cpu=use_cpu,
                          generated_suffixes=split_list(generated_suffixes) or None, pairing=pairing,
                          prompts={sanitize_filename(k): v for k, v in dict_field(prompts, 'prompts').items()})
        request = dict(metrics=opts.metrics, metric_options=opts.metric_options, config=opts.config,
                       max_seconds=max_seconds, pairing=pairing)
        job = await save_uploads(service, videos, opts, request)
        service.workers.wake()
        return service.view(job)

    @api.get('/jobs', summary='list jobs, newest first')
    async def list_jobs(state: str | None = None, limit: int = 100) -> dict:
        service = svc()
        return dict(jobs=[service.view(j) for j in service.store.list(state, min(max(limit, 1), 1000))])

    @api.get('/jobs/{job_id}', summary='state, progress and timing of a job')
    async def get_job(job_id: str) -> dict:
        service = svc()
        return service.view(service.job_or_404(job_id))

    @api.get('/jobs/{job_id}/results', response_model=None,
             summary='the results JSON of a finished job, or (format=html) its self-contained HTML report')
    async def get_results(job_id: str, format: Literal['json', 'html'] = 'json') -> object:
        service = svc()
        job = service.job_or_404(job_id)
        if job['state'] != SUCCEEDED:
            raise RequestRefused(409, f"job {job_id} is {job['state']}; results exist once it has succeeded"
                                      + (f": {job['error']}" if job.get('error') else ''))
        path = Path(job['work_dir']) / 'results.json'
        if not path.is_file():
            raise RequestRefused(410, f'the results of job {job_id} are gone (deleted from {path})')
        if format == 'html':  # aigve.tools.report: matplotlib + the decoders for thumbnails, never torch
            from fastapi.responses import HTMLResponse

            from aigve.tools.report import report_for_results
            work = Path(job['work_dir'])
            page = await run_in_threadpool(report_for_results, path, cards=await service.probe.cards(),
                                           video_roots=[work / 'uploads'], ann_file=work / 'inputs' / 'annotation.json',
                                           title=f'aigve job {job_id}')
            return HTMLResponse(page)
        return FileResponse(path, media_type='application/json', filename=f'{job_id}_results.json')

    @api.get('/jobs/{job_id}/log', response_class=PlainTextResponse, summary='the end of the run log')
    async def get_log(job_id: str, chars: int = 20000) -> str:
        job = svc().job_or_404(job_id)
        return log_tail(job['work_dir'], min(max(chars, 100), 1_000_000))

    @api.delete('/jobs/{job_id}', summary='cancel a queued or running job')
    async def cancel(job_id: str) -> dict:
        service = svc()
        job = service.job_or_404(job_id)
        if job['state'] in FINISHED:
            raise RequestRefused(409, f"job {job_id} already finished ({job['state']})")
        job = await asyncio.to_thread(service.workers.cancel, job_id)
        return service.view(job)  # type: ignore[arg-type]

    @api.post('/jobs/{job_id}/resume', status_code=202, summary='queue an interrupted/failed/cancelled job again')
    async def resume(job_id: str) -> dict:
        service = svc()
        job = service.job_or_404(job_id)
        if not service.workers.resume(job_id):
            raise RequestRefused(409, f"job {job_id} is {job['state']}; only interrupted, failed or cancelled "
                                      'jobs can be resumed')
        return service.view(service.job_or_404(job_id))
