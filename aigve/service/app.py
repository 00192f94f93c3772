"""The aigve evaluation service (FastAPI): jobs over server paths or uploads, run by ``aigve run`` workers.

Start it with ``aigve serve`` or ``uvicorn aigve.service.app:app`` (settings from ``AIGVE_SERVICE_*``
variables, see :class:`aigve.service.settings.ServiceSettings`); the OpenAPI page is ``/docs``.
"""
from __future__ import annotations

import asyncio
import datetime
import json
import os
import platform
import shutil
import subprocess
import sys
import threading
import time
from contextlib import asynccontextmanager
from importlib import metadata
from pathlib import Path
from typing import Any, AsyncIterator, Literal

from fastapi import APIRouter, Depends, FastAPI, File, Form, Request, UploadFile
from fastapi.responses import FileResponse, JSONResponse, PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

import aigve
from aigve.service.jobs import UPLOAD_DIR, JobFactory, JobOptions, RequestRefused, resolve_metrics
from aigve.service.probe import parse_probe_output
from aigve.service.security import check_video_file, check_video_name, sanitize_filename, token_matches, unique_name
from aigve.service.settings import ServiceSettings
from aigve.service.store import FINISHED, QUEUED, SUCCEEDED, JobStore
from aigve.service.workers import WorkerManager, log_tail, package_parent

UPLOAD_PATHS = ('/jobs/upload', '/run_upload')
PROBE_TIMEOUT_SECONDS = 900.0


# ---------------------------------------------------------------------------------------------- requests
class JobRequest(BaseModel):
    """``POST /jobs``: server paths (inside the data roots) and what to compute. No other field is accepted."""

    model_config = ConfigDict(extra='forbid')

    ann_file: str | None = Field(None, description='annotation JSON on the server (aigve format)')
    data_root: str | None = Field(None, description="folder the annotation's paths are relative to "
                                                    '(default: the annotation\'s folder)')
    input_dir: str | None = Field(None, description='a folder of videos to pair by name instead of an annotation')
    metrics: list[str] = Field(default_factory=list, description='registered metric names, e.g. TemporalFlickering')
    metric_options: dict[str, dict[str, Any]] = Field(default_factory=dict,
                                                      description='metric name -> constructor options')
    config: str | None = Field(None, description='name of a config in configs/ instead of metrics')
    max_seconds: float | None = Field(None, gt=0, description='first seconds of each video, at its real fps')
    num_frames: int | None = Field(None, gt=0)
    frame_strategy: Literal['all', 'first', 'uniform'] = 'all'
    use_cpu: bool = False
    generated_suffixes: list[str] | None = None
    pairing: Literal['auto', 'pairs', 'none'] = 'auto'
    prompts: dict[str, str] = Field(default_factory=dict, description='generated file name -> prompt')


# ---------------------------------------------------------------------------------------------- helpers
class Probe:
    """Metric cards and torch facts, asked once from a child process (the server never imports torch)."""

    def __init__(self, settings: ServiceSettings) -> None:
        self.settings = settings
        self.result: dict[str, Any] | None = None
        self.ready = threading.Event()

    def start(self) -> None:
        """Run the probe in a background thread."""
        threading.Thread(target=self._run, name='aigve-probe', daemon=True).start()

    def _run(self) -> None:
        env = dict(os.environ)
        env['PYTHONPATH'] = os.pathsep.join(p for p in (package_parent(), env.get('PYTHONPATH')) if p)
        try:
            out = subprocess.run([self.settings.python or sys.executable, '-m', 'aigve.service.probe'],
                                 capture_output=True, text=True, env=env, timeout=PROBE_TIMEOUT_SECONDS)
            self.result = parse_probe_output(out.stdout)
        except (OSError, ValueError, subprocess.SubprocessError) as e:
            self.result = dict(metrics=[], errors=[f'probe: {type(e).__name__}: {e}'])
        self.ready.set()

    async def get(self) -> dict[str, Any]:
        """The probe result, waiting (off the event loop) until it is ready."""
        if not self.ready.is_set():
            await asyncio.to_thread(self.ready.wait, PROBE_TIMEOUT_SECONDS)
        if self.result is None:
            raise RequestRefused(503, 'the service is still starting (metric registry not loaded yet)')
        return self.result

    async def cards(self) -> list[dict]:
        """Registered metric cards."""
        return (await self.get())['metrics']


class BodyLimitMiddleware:
    """Refuse upload requests larger than ``limit`` bytes (413), by header and by counting the body."""

    def __init__(self, app: Any, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope['type'] != 'http' or scope.get('path') not in UPLOAD_PATHS:
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get('headers') or [])
        length = headers.get(b'content-length')
        if length is not None and length.isdigit() and int(length) > self.limit:
            await _send_json(send, 413, dict(detail=_too_large(int(length), self.limit)))
            return
        seen = 0

        async def counted() -> dict:
            nonlocal seen
            message = await receive()
            seen += len(message.get('body', b''))
            if seen > self.limit:
                raise RequestRefused(413, _too_large(seen, self.limit))
            return message

        await self.app(scope, counted, send)


def _too_large(size: int, limit: int) -> str:
    return f'the request is larger than the limit of {limit / 2**20:g} MB (got at least {size / 2**20:.1f} MB)'


async def _send_json(send: Any, status: int, body: dict) -> None:
    data = json.dumps(body).encode()
    await send(dict(type='http.response.start', status=status,
                    headers=[(b'content-type', b'application/json'), (b'content-length', str(len(data)).encode())]))
    await send(dict(type='http.response.body', body=data))


def _iso(ts: float | None) -> str | None:
    return datetime.datetime.fromtimestamp(ts).isoformat(timespec='seconds') if ts else None


def _split(value: str | list[str] | None) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [v.strip() for v in value if v and v.strip()]
    text = value.strip()
    if text.startswith('['):
        return _split(_json_field(text, 'metrics'))
    return [v.strip() for v in text.split(',') if v.strip()]


def _json_field(text: str | None, name: str) -> Any:
    if not text:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise RequestRefused(422, f'`{name}` must be JSON, but got {text[:80]!r} ({e})') from e


def dict_field(text: str | None, name: str) -> dict:
    value = _json_field(text, name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise RequestRefused(422, f'`{name}` must be a JSON object, but got {type(value).__name__}')
    return value


# ---------------------------------------------------------------------------------------------- the app
class Service:
    """State shared by the endpoints: settings, store, workers, probe."""

    def __init__(self, settings: ServiceSettings) -> None:
        self.settings = settings
        self.store = JobStore(Path(settings.data_dir) / 'jobs.sqlite')
        self.workers = WorkerManager(settings, self.store)
        self.factory = JobFactory(settings, self.store)
        self.probe = Probe(settings)

    def view(self, job: dict) -> dict:
        """The public view of a job."""
        total, done = job['total'], min(job['done'], job['total'])
        now = time.time()
        started, finished = job.get('started'), job.get('finished')
        return dict(
            id=job['id'], state=job['state'], kind=job['kind'], metrics=job['metrics'],
            progress=dict(done=done, total=total, fraction=round(done / total, 4) if total else 0.0),
            queue_position=self.workers.queue_position(job['id']) if job['state'] == QUEUED else None,
            timing=dict(created=_iso(job['created']), started=_iso(started), finished=_iso(finished),
                        run_seconds=round((finished or now) - started, 3) if started else None),
            error=job.get('error'), summary=job.get('summary'), runs=job['runs'],
            links=dict(self=f"/jobs/{job['id']}", results=f"/jobs/{job['id']}/results",
                       log=f"/jobs/{job['id']}/log", cancel=f"/jobs/{job['id']}"))

    def job_or_404(self, job_id: str) -> dict:
        """The job, or a 404 refusal."""
        job = self.store.get(job_id)
        if job is None:
            raise RequestRefused(404, f'no job {job_id!r} (unknown, or deleted by the retention setting)')
        return job

    async def save_uploads(self, files: list[UploadFile], opts: JobOptions, request: dict) -> dict:
        """Check and store uploaded videos in a new job folder, then create the job."""
        s = self.settings
        if not files:
            raise RequestRefused(422, '`videos`: upload at least one video file')
        if len(files) > s.max_files:
            raise RequestRefused(413, f'at most {s.max_files} files per request, but got {len(files)}')
        cards = await self.probe.cards()
        metrics, needs_ref = resolve_metrics(opts, cards)
        job_id, job_dir = self.factory.new_job_dir()
        try:
            names = await run_in_threadpool(self._store_files, files, job_dir / UPLOAD_DIR)
            request = dict(request, files=names)
            return await run_in_threadpool(self.factory.from_upload, job_id, job_dir, names, opts, cards, request,
                                           metrics, needs_ref)
        except BaseException:
            shutil.rmtree(job_dir, ignore_errors=True)
            raise

    def _store_files(self, files: list[UploadFile], folder: Path) -> list[str]:
        s = self.settings
        folder.mkdir(parents=True, exist_ok=True)
        taken: set[str] = set()
        names, total = [], 0
        for i, upload in enumerate(files):
            name = unique_name(sanitize_filename(upload.filename, i), taken)
            check_video_name(name)
            size = upload.size if upload.size is not None else _file_size(upload)
            if size > s.max_file_bytes:
                raise RequestRefused(413, f'{upload.filename!r} is {size / 2**20:.1f} MB, larger than the '
                                          f'per-file limit of {s.max_file_mb:g} MB')
            total += size
            if total > s.max_request_bytes:
                raise RequestRefused(413, _too_large(total, s.max_request_bytes))
            upload.file.seek(0)
            with open(folder / name, 'wb') as out:
                shutil.copyfileobj(upload.file, out, 1024 * 1024)
            check_video_file(folder / name, upload.filename or name)
            names.append(name)
        return names


def _file_size(upload: UploadFile) -> int:
    upload.file.seek(0, os.SEEK_END)
    size = upload.file.tell()
    upload.file.seek(0)
    return size


def create_app(settings: ServiceSettings | None = None) -> FastAPI:
    """Build the FastAPI application.

    Args:
        settings: Service settings. Defaults to ``ServiceSettings.from_env()``.

    Returns:
        FastAPI: The app; jobs start when it starts (lifespan) and are interrupted when it stops.
    """
    settings = settings or ServiceSettings.from_env()
    holder: dict[str, Service] = {}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        service = Service(settings)
        holder['service'] = service
        app.state.service = service
        service.probe.start()
        service.workers.start()
        try:
            yield
        finally:
            await asyncio.to_thread(service.workers.stop)
            service.store.close()

    app = FastAPI(title='aigve evaluation service', version=aigve.__version__, lifespan=lifespan,
                  description='Score AI-generated videos with the metrics registered in aigve. Jobs run '
                              '`aigve run` in worker processes; results follow docs/results_format.md.')
    app.add_middleware(BodyLimitMiddleware, limit=settings.max_request_bytes)

    @app.exception_handler(RequestRefused)
    async def refused(request: Request, exc: RequestRefused) -> JSONResponse:
        headers = {'WWW-Authenticate': 'Bearer'} if exc.status == 401 else None
        return JSONResponse(status_code=exc.status, content=dict(detail=exc.message), headers=headers)

    def svc() -> Service:
        return holder['service']

    async def require_token(request: Request) -> None:
        if settings.token and not token_matches(request.headers.get('authorization'), settings.token):
            raise RequestRefused(401, 'missing or wrong bearer token: send `Authorization: Bearer <token>`')

    api = APIRouter(dependencies=[Depends(require_token)])

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
        return dict(status='ok', ready=probe is not None, versions=versions,
                    device=(probe or {}).get('device'), cuda_available=(probe or {}).get('cuda_available'),
                    cuda_version=(probe or {}).get('cuda_version'), device_count=(probe or {}).get('device_count'),
                    probe_errors=(probe or {}).get('errors'), jobs=service.store.counts(),
                    max_workers=settings.max_workers, auth=bool(settings.token))

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
        opts = JobOptions(metrics=_split(metrics), metric_options=dict_field(metric_options, 'metric_options'),
                          config=config or None, max_seconds=max_seconds, num_frames=num_frames,
                          frame_strategy=frame_strategy, use_cpu=use_cpu,
                          generated_suffixes=_split(generated_suffixes) or None, pairing=pairing,
                          prompts={sanitize_filename(k): v for k, v in dict_field(prompts, 'prompts').items()})
        request = dict(metrics=opts.metrics, metric_options=opts.metric_options, config=opts.config,
                       max_seconds=max_seconds, pairing=pairing)
        job = await service.save_uploads(videos, opts, request)
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

    @api.get('/jobs/{job_id}/results', summary='the results JSON of a finished job')
    async def get_results(job_id: str) -> FileResponse:
        service = svc()
        job = service.job_or_404(job_id)
        if job['state'] != SUCCEEDED:
            raise RequestRefused(409, f"job {job_id} is {job['state']}; results exist once it has succeeded"
                                      + (f": {job['error']}" if job.get('error') else ''))
        path = Path(job['work_dir']) / 'results.json'
        if not path.is_file():
            raise RequestRefused(410, f'the results of job {job_id} are gone (deleted from {path})')
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

    from aigve.service.compat import add_compat_routes
    add_compat_routes(api, svc, settings)
    app.include_router(api)
    return app


def __getattr__(name: str) -> Any:
    """``uvicorn aigve.service.app:app`` builds the app from the environment on first access."""
    if name == 'app':
        return create_app()
    raise AttributeError(name)


__all__ = ['create_app', 'JobRequest']
