"""State shared by the endpoints: settings, job store, workers, and the probe of the metric registry."""
from __future__ import annotations

import asyncio
import datetime
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from aigve.service.jobs import JobFactory, RequestRefused
from aigve.service.probe import parse_probe_output
from aigve.service.settings import ServiceSettings
from aigve.service.store import QUEUED, JobStore
from aigve.service.workers import WorkerManager, package_parent

PROBE_TIMEOUT_SECONDS = 900.0


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


def _iso(ts: float | None) -> str | None:
    return datetime.datetime.fromtimestamp(ts).isoformat(timespec='seconds') if ts else None
