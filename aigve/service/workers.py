"""Run jobs in worker processes, at most ``max_workers`` at once, from a scheduler thread.

Each job is one ``python -m aigve.cli run <job dir>/job_config.py --work-dir <job dir>`` child process
(the same runner and ``results.json`` as ``main_aigve.py``), in its own process group so that a cancel kills
its DataLoader workers too. Its output goes to ``<job dir>/job.log``; progress is the last
``videos N/M`` line the run's ``VideoProgressHook`` logged there. Nothing here runs in the event loop.
"""
from __future__ import annotations

import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mmengine.logging import print_log

from aigve.service.security import RequestRefused, resolve_inside_roots
from aigve.service.settings import ServiceSettings
from aigve.service.store import CANCELLED, FAILED, FINISHED, INTERRUPTED, QUEUED, RUNNING, SUCCEEDED, JobStore

PROGRESS = re.compile(r'videos (\d+)/(\d+)')
LOG_NAME = 'job.log'
CONFIG_NAME = 'job_config.py'
KILL_GRACE_SECONDS = 3.0
CLEANUP_EVERY_SECONDS = 60.0
INTERRUPTED_MESSAGE = 'the service stopped while the job was running; POST /jobs/{id}/resume continues it'


@dataclass
class _Running:
    proc: subprocess.Popen
    log_offset: int = 0
    kill_at: float | None = None


def package_parent() -> str:
    """The folder holding the ``aigve`` package (put on the child's ``PYTHONPATH``)."""
    import aigve
    return str(Path(aigve.__file__).resolve().parents[1])


def run_command(python: str, config: str, work_dir: str) -> list[str]:
    """The command line of a job: ``aigve run`` on its config, no user-supplied arguments."""
    return [python, '-m', 'aigve.cli', 'run', config, '--work-dir', work_dir]


def log_tail(work_dir: str | Path, max_chars: int = 4000) -> str:
    """The end of a job's log."""
    path = Path(work_dir) / LOG_NAME
    if not path.is_file():
        return ''
    with open(path, 'rb') as f:
        f.seek(0, os.SEEK_END)
        f.seek(max(0, f.tell() - max_chars))
        return f.read().decode('utf-8', errors='replace')


def failure_reason(work_dir: str | Path, returncode: int) -> str:
    """One line explaining why a run failed: the ``aigve: error`` line, else the last lines of the log."""
    tail = log_tail(work_dir, 8000)
    for line in reversed(tail.splitlines()):
        if line.startswith('aigve: error:'):
            return line[len('aigve: error:'):].strip()
    lines = [line for line in tail.splitlines() if line.strip()]
    last = ' | '.join(lines[-3:]) if lines else 'no output'
    return f'the run exited with code {returncode}: {last}'[:2000]


class WorkerManager:
    """Start, watch, cancel and clean up jobs.

    Args:
        settings: Service settings (``max_workers``, ``python``, ``retention_hours``...).
        store: The job store.
    """

    def __init__(self, settings: ServiceSettings, store: JobStore) -> None:
        self.settings = settings
        self.store = store
        self._running: dict[str, _Running] = {}
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_cleanup = 0.0

    # ------------------------------------------------------------------ life cycle
    def start(self) -> None:
        """Mark jobs left running by a previous service as interrupted, then start the scheduler thread."""
        self.recover()
        self._thread = threading.Thread(target=self._loop, name='aigve-scheduler', daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the scheduler; kill running jobs and mark them interrupted (they can be resumed)."""
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(timeout=10)
        with self._lock:
            for job_id, run in list(self._running.items()):
                _kill_group(run.proc, signal.SIGKILL)
                run.proc.wait(timeout=10)
                self.store.update(job_id, state=INTERRUPTED, pid=None,
                                  error=INTERRUPTED_MESSAGE.format(id=job_id))
            self._running.clear()

    def wake(self) -> None:
        """Ask the scheduler to look at the queue now."""
        self._wake.set()

    def recover(self) -> None:
        """Jobs marked running belong to a service that is gone: kill any leftover process, mark interrupted."""
        for job in self.store.iter_state(RUNNING):
            if job.get('pid') and _is_job_process(job['pid'], job.get('config') or ''):
                try:
                    os.killpg(job['pid'], signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            if self.settings.auto_resume:
                self.store.update(job['id'], state=QUEUED, pid=None, error=None)
            else:
                self.store.update(job['id'], state=INTERRUPTED, pid=None,
                                  error=INTERRUPTED_MESSAGE.format(id=job['id']))

    # ------------------------------------------------------------------ requests from the API
    def cancel(self, job_id: str) -> dict | None:
        """Cancel a queued or running job; return the job (None if unknown)."""
        if self.store.transition(job_id, (QUEUED, INTERRUPTED), state=CANCELLED, finished=time.time(),
                                 error='cancelled before it ran'):
            return self.store.get(job_id)
        with self._lock:
            run = self._running.get(job_id)
            if run is not None:
                self.store.update(job_id, cancel_requested=1)
                if run.kill_at is None:
                    _kill_group(run.proc, signal.SIGTERM)
                    run.kill_at = time.monotonic() + KILL_GRACE_SECONDS
        self.wake()
        return self.store.get(job_id)

    def resume(self, job_id: str) -> bool:
        """Queue an interrupted, failed or cancelled job again (its journal skips the videos already scored)."""
        ok = self.store.transition(job_id, (INTERRUPTED, FAILED, CANCELLED), state=QUEUED, error=None,
                                   finished=None, cancel_requested=0, pid=None)
        self.wake()
        return ok

    def queue_position(self, job_id: str) -> int | None:
        """1-based place in the queue, or None when the job is not queued."""
        for i, job in enumerate(self.store.iter_state(QUEUED)):
            if job['id'] == job_id:
                return i + 1
        return None

    # ------------------------------------------------------------------ the scheduler
    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception as e:  # the scheduler must survive anything a job does
                print_log(f'aigve service scheduler: {type(e).__name__}: {e}', logger='current',
                          level=logging.ERROR)
            self._wake.wait(self.settings.poll_interval)
            self._wake.clear()

    def tick(self) -> None:
        """One pass: watch running jobs, start queued ones, clean up old ones."""
        with self._lock:
            for job_id, run in list(self._running.items()):
                self._watch(job_id, run)
            for job in self.store.iter_state(QUEUED):
                if len(self._running) >= self.settings.max_workers or self._stop.is_set():
                    break
                self._launch(job)
        if time.monotonic() - self._last_cleanup > CLEANUP_EVERY_SECONDS:
            self._last_cleanup = time.monotonic()
            self.cleanup()

    def _launch(self, job: dict) -> None:
        work_dir = Path(job['work_dir'])
        problem = self.check_paths(job)
        if problem:
            self.store.update(job['id'], state=FAILED, finished=time.time(), pid=None, error=problem)
            return
        stale = work_dir / 'results.json'
        if stale.exists():
            stale.unlink()
        env = dict(os.environ)
        env['PYTHONPATH'] = os.pathsep.join(p for p in (package_parent(), env.get('PYTHONPATH')) if p)
        env['PYTHONUNBUFFERED'] = '1'
        env.update({str(k): str(v) for k, v in (job.get('env') or {}).items()})
        cmd = run_command(self.settings.python or sys.executable, job['config'], str(work_dir))
        with open(work_dir / LOG_NAME, 'ab') as log:
            log.write(f'\n$ {" ".join(cmd)}\n'.encode())
            log.flush()
            offset = log.tell()
            proc = subprocess.Popen(cmd, cwd=work_dir, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                    stderr=subprocess.STDOUT, start_new_session=True)
        self._running[job['id']] = _Running(proc, offset)
        self.store.update(job['id'], state=RUNNING, pid=proc.pid, started=time.time(), finished=None, done=0,
                          runs=job['runs'] + 1, error=None)

    def check_paths(self, job: dict) -> str | None:
        """Check again, right before the run opens them, that the job's files resolve inside its roots.

        The request was checked when it came in; a symlink swapped in since then must not let the run read a
        file outside the data roots (path jobs) or the job's upload folder (upload jobs).

        Returns:
            str | None: Why the job may not run, or None when every file is inside.
        """
        import json

        from aigve.core.evaluate import RUN_DATA_KEY

        work_dir = Path(job['work_dir']).resolve()
        # uploads live in the job folder (``uploads/``); path jobs read the data roots
        roots = (work_dir,) if job.get('kind') == 'upload' else self.settings.resolved_roots
        config = Path(job.get('config') or '')
        try:
            text = config.read_text(encoding='utf-8')
            name = re.search(rf"^{RUN_DATA_KEY} = '([^']+)'$", text, re.M)
            if name is None:
                raise ValueError(f'{config} names no run data')
            data = json.loads((config.parent / name.group(1)).read_text(encoding='utf-8'))
            ann_file = resolve_inside_roots(data['ann_file'], (work_dir,), 'ann_file')
            data_root = str(resolve_inside_roots(data['data_root'], roots, 'data_root'))
            ann = json.loads(ann_file.read_text(encoding='utf-8'))
            for i, entry in enumerate(ann.get('data_list') or []):
                for key in ('video_path_pd', 'video_path_gt'):
                    if isinstance(entry, dict) and isinstance(entry.get(key), str) and entry[key]:
                        resolve_inside_roots(os.path.join(data_root, entry[key]), roots,
                                             f'data_list[{i}].{key}')
        except RequestRefused as e:
            return f'refused before the run: {e.message}'
        except (OSError, ValueError, KeyError, TypeError) as e:
            return f'refused before the run: the job inputs could not be read ({type(e).__name__}: {e})'
        return None

    def _watch(self, job_id: str, run: _Running) -> None:
        self._read_progress(job_id, run)
        rc = run.proc.poll()
        if rc is None:
            if run.kill_at is not None and time.monotonic() > run.kill_at:
                _kill_group(run.proc, signal.SIGKILL)
            return
        del self._running[job_id]
        job = self.store.get(job_id)
        if job is None:  # deleted meanwhile
            return
        now = time.time()
        results = Path(job['work_dir']) / 'results.json'
        if job['cancel_requested']:
            self.store.update(job_id, state=CANCELLED, finished=now, pid=None, error='cancelled while running')
        elif rc == 0 and results.is_file():
            summary = _summary(results)
            n = summary.get('num_videos', {})
            self.store.update(job_id, state=SUCCEEDED, finished=now, pid=None,
                              done=int(n.get('scored', 0)) + int(n.get('failed', 0)), summary=summary)
        else:
            self.store.update(job_id, state=FAILED, finished=now, pid=None,
                              error=failure_reason(job['work_dir'], rc))

    def _read_progress(self, job_id: str, run: _Running) -> None:
        path = Path(self.store.get(job_id)['work_dir']) / LOG_NAME  # type: ignore[index]
        try:
            with open(path, 'rb') as f:
                f.seek(run.log_offset)
                chunk = f.read()
        except OSError:
            return
        cut = chunk.rfind(b'\n') + 1  # only whole lines
        matches = PROGRESS.findall(chunk[:cut].decode('utf-8', errors='replace'))
        run.log_offset += cut
        if matches:
            self.store.update(job_id, done=int(matches[-1][0]))

    def cleanup(self) -> int:
        """Delete jobs (rows, folders and uploads) finished more than ``retention_hours`` ago; return how many."""
        hours = self.settings.retention_hours
        if not hours or hours <= 0:
            return 0
        limit = time.time() - hours * 3600
        jobs_root = (Path(self.settings.data_dir) / 'jobs').resolve()
        removed = 0
        for job in self.store.iter_state(*FINISHED, INTERRUPTED):
            ended = job.get('finished') or job['created']
            if ended >= limit:
                continue
            work_dir = Path(job['work_dir']).resolve()
            if jobs_root in work_dir.parents:
                shutil.rmtree(work_dir, ignore_errors=True)
            self.store.delete(job['id'])
            removed += 1
        return removed


def _summary(results_path: Path) -> dict[str, Any]:
    import json

    try:
        with open(results_path, encoding='utf-8') as f:
            results = json.load(f)
        return dict(metrics=results.get('metrics', {}), num_videos=results.get('num_videos', {}))
    except (OSError, ValueError):
        return {}


def _kill_group(proc: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _is_job_process(pid: int, config: str) -> bool:
    """Whether ``pid`` is still an ``aigve run`` of this job (so a recycled pid is never killed)."""
    try:
        with open(f'/proc/{pid}/cmdline', 'rb') as f:
            cmdline = f.read().decode(errors='replace')
    except OSError:
        return False
    return bool(config) and config in cmdline and 'aigve.cli' in cmdline
