"""A real aigve service (``aigve serve``) in a subprocess on 127.0.0.1, and a small video set."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


class Server:
    """``python -m aigve.cli serve`` with the given options; ``url``, ``client`` and ``stop()``."""

    def __init__(self, data_dir: Path, roots: list[Path], *extra: str, token: str | None = None) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f'http://127.0.0.1:{self.port}'
        env = dict(os.environ, PYTHONPATH=str(REPO), AIGVE_SERVICE_RETENTION_HOURS='0')
        if token:
            env['AIGVE_SERVICE_TOKEN'] = token
        cmd = [sys.executable, '-m', 'aigve.cli', 'serve', '--port', str(self.port), '--data-dir', str(data_dir),
               '--log-level', 'warning', *extra]
        for root in roots:
            cmd += ['--data-root', str(root)]
        self.log = open(data_dir.parent / f'server-{self.port}.log', 'wb')
        self.proc = subprocess.Popen(cmd, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        headers = {'Authorization': f'Bearer {token}'} if token else {}
        self.client = httpx.Client(base_url=self.url, timeout=30, headers=headers)

    def wait_ready(self, timeout: float = 180) -> None:
        """Until /healthz says the metric registry is loaded."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f'server exited: {Path(self.log.name).read_text()[-3000:]}')
            try:
                if self.client.get('/healthz').json()['ready']:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise TimeoutError('server not ready')

    def wait_job(self, job_id: str, timeout: float = 240, states=('succeeded', 'failed', 'cancelled')) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            job = self.client.get(f'/jobs/{job_id}').json()
            if job['state'] in states:
                return job
            time.sleep(0.3)
        raise TimeoutError(f'job {job_id} still {job["state"]}')

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.client.close()
        self.log.close()


def cli_results(proc: subprocess.Popen) -> dict:
    assert proc.wait(timeout=240) == 0
    return json.loads(proc.results_path.read_text())  # type: ignore[attr-defined]
