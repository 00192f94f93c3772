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
import pytest
from helpers.videos import synthetic_frames, write_video

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


@pytest.fixture(scope='session')
def video_set(tmp_path_factory) -> dict:
    """Data root with generated/reference pairs, an annotation file, and paths outside the root."""
    base = tmp_path_factory.mktemp('service-data')
    root = base / 'root'
    clips = root / 'clips'
    clips.mkdir(parents=True)
    for i, (name, ref) in enumerate([('a_synthetic.mp4', 'a.mp4'), ('b-generated.mov', 'b.mov'),
                                     ('c_synthetic.mp4', 'c.mp4')]):
        frames = synthetic_frames(8, 32, 32, seed=i, noise=10 * i)
        write_video(clips / name, frames, fps=8)
        write_video(clips / ref, synthetic_frames(8, 32, 32, seed=i + 10), fps=8)
    ann = dict(metainfo=dict(name='svc'), data_list=[
        dict(video_path_pd='clips/a_synthetic.mp4', video_path_gt='clips/a.mp4'),
        dict(video_path_pd='clips/b-generated.mov', video_path_gt='clips/b.mov'),
        dict(video_path_pd='clips/c_synthetic.mp4', video_path_gt='clips/c.mp4')])
    (root / 'ann.json').write_text(json.dumps(ann))
    outside = base / 'outside'
    outside.mkdir()
    write_video(outside / 'x_synthetic.mp4', synthetic_frames(8, 32, 32), fps=8)
    (outside / 'ann.json').write_text(json.dumps(dict(data_list=[dict(video_path_pd='x_synthetic.mp4')])))
    (root / 'escape').symlink_to(outside, target_is_directory=True)
    (root / 'escape_ann.json').symlink_to(outside / 'ann.json')
    # an annotation inside the root whose video escapes through '..'
    (root / 'sneaky.json').write_text(json.dumps(dict(data_list=[dict(video_path_pd='../outside/x_synthetic.mp4')])))
    return dict(base=base, root=root, clips=clips, outside=outside)


@pytest.fixture(scope='session')
def cli_reference(video_set) -> subprocess.Popen:
    """The CLI run (``aigve run configs/temporal_flickering.py``) on the annotation, started in the background."""
    work = video_set['base'] / 'cli_run'
    cmd = [sys.executable, '-m', 'aigve.cli', 'run', str(REPO / 'configs' / 'temporal_flickering.py'),
           '--work-dir', str(work), '--cfg-options', f"data_root={video_set['root']}", 'ann_file=ann.json']
    proc = subprocess.Popen(cmd, cwd=REPO, env=dict(os.environ, PYTHONPATH=str(REPO)), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    proc.results_path = work / 'results.json'  # type: ignore[attr-defined]
    return proc


def cli_results(proc: subprocess.Popen) -> dict:
    assert proc.wait(timeout=240) == 0
    return json.loads(proc.results_path.read_text())  # type: ignore[attr-defined]
