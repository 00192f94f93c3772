"""Python client of the aigve evaluation service (httpx).

Examples:
    >>> from aigve.client import AIGVEClient
    >>> with AIGVEClient('http://127.0.0.1:2200', token=None) as client:  # doctest: +SKIP
    ...     job = client.submit_upload(['clips/4056.mp4', 'clips/4056_synthetic.mp4'],
    ...                                metrics=['TemporalFlickering'])
    ...     job = client.wait(job['id'])
    ...     results = client.results(job['id'])
"""
from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import httpx

FINISHED = ('succeeded', 'failed', 'cancelled', 'interrupted')


class ServiceError(RuntimeError):
    """The service refused a request or a job did not succeed; ``status`` is the HTTP status (or None)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def video_files(paths: Iterable[str | os.PathLike]) -> list[Path]:
    """Video files among ``paths``; a folder contributes the videos directly inside it."""
    from aigve.tools.pairing import is_video_name

    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            files += sorted(f for f in p.iterdir() if f.is_file() and is_video_name(f.name))
        elif p.is_file():
            files.append(p)
        else:
            raise FileNotFoundError(f'no such file or folder: {p}')
    if not files:
        raise FileNotFoundError(f'no video files in {[str(p) for p in paths]}')
    return files


class AIGVEClient:
    """Talk to an aigve service.

    Args:
        base_url: e.g. ``http://127.0.0.1:2200``.
        token: Bearer token, when the service requires one. Defaults to ``$AIGVE_API_TOKEN``.
        timeout: Seconds per HTTP request (uploads get ten times more). Defaults to 60.
        transport: An httpx transport (tests). Defaults to None.
    """

    def __init__(self, base_url: str, token: str | None = None, timeout: float = 60.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        token = token if token is not None else os.environ.get('AIGVE_API_TOKEN')
        headers = {'Authorization': f'Bearer {token}'} if token else {}
        self.timeout = timeout
        self._http = httpx.Client(base_url=base_url.rstrip('/'), headers=headers, timeout=timeout,
                                  transport=transport)

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self) -> AIGVEClient:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _call(self, method: str, url: str, **kwargs: Any) -> Any:
        response = self._http.request(method, url, **kwargs)
        if response.status_code >= 400:
            try:
                detail = response.json().get('detail', response.text)
            except ValueError:
                detail = response.text
            raise ServiceError(f'{method} {url} -> {response.status_code}: {detail}', response.status_code)
        return response.json()

    # ---------------------------------------------------------------- read
    def healthz(self) -> dict:
        """``GET /healthz``."""
        return self._call('GET', '/healthz')

    def metrics(self) -> list[dict]:
        """Registered metric cards (``GET /metrics``)."""
        return self._call('GET', '/metrics')['metrics']

    def job(self, job_id: str) -> dict:
        """State, progress and timing of a job."""
        return self._call('GET', f'/jobs/{job_id}')

    def jobs(self, state: str | None = None) -> list[dict]:
        """Jobs, newest first."""
        return self._call('GET', '/jobs', params={'state': state} if state else None)['jobs']

    def results(self, job_id: str) -> dict:
        """The results JSON of a succeeded job."""
        return self._call('GET', f'/jobs/{job_id}/results')

    def log(self, job_id: str) -> str:
        """The end of a job's run log."""
        response = self._http.get(f'/jobs/{job_id}/log')
        response.raise_for_status()
        return response.text

    # ---------------------------------------------------------------- write
    def submit(self, *, ann_file: str | None = None, data_root: str | None = None, input_dir: str | None = None,
               metrics: Sequence[str] = (), **options: Any) -> dict:
        """Evaluate files on the server (``POST /jobs``); ``options`` are the other request fields."""
        body = dict(ann_file=ann_file, data_root=data_root, input_dir=input_dir, metrics=list(metrics), **options)
        return self._call('POST', '/jobs', json={k: v for k, v in body.items() if v is not None})

    def submit_upload(self, paths: Iterable[str | os.PathLike], metrics: Sequence[str] = (),
                      metric_options: dict | None = None, prompts: dict | None = None, **fields: Any) -> dict:
        """Upload videos (files or folders) and evaluate them (``POST /jobs/upload``)."""
        data = {k: (str(v).lower() if isinstance(v, bool) else str(v)) for k, v in fields.items() if v is not None}
        data['metrics'] = ','.join(metrics)
        if metric_options:
            data['metric_options'] = json.dumps(metric_options)
        if prompts:
            data['prompts'] = json.dumps(prompts)
        return self._upload('/jobs/upload', video_files(paths), data)

    def _upload(self, url: str, files: list[Path], data: dict) -> dict:
        with contextlib.ExitStack() as stack:
            parts = [('videos', (f.name, stack.enter_context(open(f, 'rb')), 'application/octet-stream'))
                     for f in files]
            return self._call('POST', url, data=data, files=parts, timeout=self.timeout * 10)

    # ---------------------------------------------------------------- the older service's endpoints
    def legacy_help(self) -> dict:
        """``GET /help`` (the older service's usage text)."""
        return self._call('GET', '/help')

    def legacy_run(self, body: dict, timeout: float = 3600.0) -> dict:
        """``POST /run`` with the older JSON body; waits up to ``timeout`` seconds for the answer."""
        return self._call('POST', '/run', json=body, timeout=timeout)

    def legacy_run_upload(self, paths: Iterable[str | os.PathLike], fields: dict, timeout: float = 7200.0) -> dict:
        """``POST /run_upload`` (multipart ``videos`` + the older form fields)."""
        data = {k: (str(v).lower() if isinstance(v, bool) else str(v)) for k, v in fields.items() if v is not None}
        with contextlib.ExitStack() as stack:
            parts = [('videos', (f.name, stack.enter_context(open(f, 'rb')), 'application/octet-stream'))
                     for f in video_files(paths)]
            return self._call('POST', '/run_upload', data=data, files=parts, timeout=timeout)

    def cancel(self, job_id: str) -> dict:
        """Cancel a queued or running job."""
        return self._call('DELETE', f'/jobs/{job_id}')

    def resume(self, job_id: str) -> dict:
        """Queue an interrupted, failed or cancelled job again."""
        return self._call('POST', f'/jobs/{job_id}/resume')

    def wait(self, job_id: str, poll: float = 1.0, timeout: float | None = None,
             on_progress: Callable[[dict], None] | None = None) -> dict:
        """Poll until the job ends; call ``on_progress(job)`` after each poll; return the final job.

        Raises:
            TimeoutError: If ``timeout`` seconds pass first.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            job = self.job(job_id)
            if on_progress:
                on_progress(job)
            if job['state'] in FINISHED:
                return job
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f'job {job_id} is still {job["state"]} after {timeout} s')
            time.sleep(poll)

    def run(self, *, upload: Iterable[str | os.PathLike] | None = None, poll: float = 1.0,
            on_progress: Callable[[dict], None] | None = None, **request: Any) -> dict:
        """Submit (upload when ``upload`` is given), wait, and return the results.

        Raises:
            ServiceError: If the job does not succeed (the message carries its error).
        """
        job = self.submit_upload(upload, **request) if upload is not None else self.submit(**request)
        job = self.wait(job['id'], poll=poll, on_progress=on_progress)
        if job['state'] != 'succeeded':
            raise ServiceError(f"job {job['id']} {job['state']}: {job.get('error')}")
        return self.results(job['id'])


def save_artifacts(result: dict, save_dir: str | os.PathLike) -> list[Path]:
    """Save the ``artifacts`` of an older-style answer as the older client did: ``json`` (indented),
    else ``text``, else a string ``content``; others are skipped. Returns the files written."""
    saved: list[Path] = []
    folder = Path(save_dir)
    for art in result.get('artifacts') or []:
        if isinstance(art.get('json'), (dict, list)):
            text = json.dumps(art['json'], indent=2)
        elif isinstance(art.get('text'), str):
            text = art['text']
        elif isinstance(art.get('content'), str):
            text = art['content']
        else:
            continue
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / os.path.basename(art.get('name') or 'artifact.json')
        target.write_text(text, encoding='utf-8')
        saved.append(target)
    return saved
