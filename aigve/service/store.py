"""The job store: one SQLite file under the service's data dir, so jobs and results survive a restart.

States: ``queued -> running -> succeeded | failed | cancelled``; a job running when the service stopped is
``interrupted`` and goes back to ``queued`` on ``POST /jobs/{id}/resume`` (its journal skips the videos it
already scored). The results themselves stay in ``<job dir>/results.json``, written by the run.
"""
from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED, INTERRUPTED = (
    'queued', 'running', 'succeeded', 'failed', 'cancelled', 'interrupted')
FINISHED = (SUCCEEDED, FAILED, CANCELLED)
STATES = (QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED, INTERRUPTED)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    kind TEXT NOT NULL,
    request TEXT NOT NULL,
    metrics TEXT NOT NULL,
    work_dir TEXT NOT NULL,
    config TEXT,
    env TEXT,
    total INTEGER NOT NULL DEFAULT 0,
    done INTEGER NOT NULL DEFAULT 0,
    created REAL NOT NULL,
    started REAL,
    finished REAL,
    error TEXT,
    pid INTEGER,
    runs INTEGER NOT NULL DEFAULT 0,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    summary TEXT
);
CREATE INDEX IF NOT EXISTS jobs_state ON jobs(state, created);
"""
_JSON_COLUMNS = ('request', 'metrics', 'env', 'summary')


class JobStore:
    """Thread-safe access to the jobs table.

    Args:
        path: The SQLite file (created with its folder).
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None, timeout=30)
        self._db.row_factory = sqlite3.Row
        self._db.execute('PRAGMA journal_mode=WAL')
        self._db.execute('PRAGMA synchronous=NORMAL')
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()

    @staticmethod
    def _decode(row: sqlite3.Row | None) -> dict[str, Any] | None:
        if row is None:
            return None
        job = dict(row)
        for key in _JSON_COLUMNS:
            job[key] = json.loads(job[key]) if job.get(key) else None
        job['cancel_requested'] = bool(job['cancel_requested'])
        return job

    def create(self, *, kind: str, request: dict, metrics: list, work_dir: str, total: int,
               config: str | None = None, env: dict | None = None, job_id: str | None = None) -> dict:
        """Insert a queued job and return it."""
        job_id = job_id or new_job_id()
        with self._lock:
            self._db.execute(
                'INSERT INTO jobs (id, state, kind, request, metrics, work_dir, config, env, total, created) '
                'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
                (job_id, QUEUED, kind, json.dumps(request), json.dumps(metrics), work_dir, config,
                 json.dumps(env or {}), int(total), time.time()))
        return self.get(job_id)  # type: ignore[return-value]

    def get(self, job_id: str) -> dict | None:
        """The job, or None."""
        with self._lock:
            return self._decode(self._db.execute('SELECT * FROM jobs WHERE id = ?', (job_id, )).fetchone())

    def list(self, state: str | None = None, limit: int = 100) -> list[dict]:
        """Jobs, newest first."""
        sql, args = 'SELECT * FROM jobs', ()
        if state:
            sql, args = sql + ' WHERE state = ?', (state, )
        with self._lock:
            rows = self._db.execute(sql + ' ORDER BY created DESC LIMIT ?', (*args, int(limit))).fetchall()
        return [self._decode(r) for r in rows]  # type: ignore[misc]

    def iter_state(self, *states: str) -> Iterator[dict]:
        """Jobs in any of ``states``, oldest first."""
        marks = ','.join('?' * len(states))
        with self._lock:
            rows = self._db.execute(f'SELECT * FROM jobs WHERE state IN ({marks}) ORDER BY created', states).fetchall()
        for row in rows:
            yield self._decode(row)  # type: ignore[misc]

    def update(self, job_id: str, **values: Any) -> None:
        """Set columns of one job."""
        if not values:
            return
        for key in _JSON_COLUMNS:
            if key in values and values[key] is not None:
                values[key] = json.dumps(values[key])
        cols = ', '.join(f'{k} = ?' for k in values)
        with self._lock:
            self._db.execute(f'UPDATE jobs SET {cols} WHERE id = ?', (*values.values(), job_id))

    def transition(self, job_id: str, from_states: tuple[str, ...], **values: Any) -> bool:
        """Update a job only if it is in one of ``from_states``; return whether it was."""
        with self._lock:
            job = self.get(job_id)
            if job is None or job['state'] not in from_states:
                return False
            self.update(job_id, **values)
            return True

    def delete(self, job_id: str) -> None:
        """Remove a job row."""
        with self._lock:
            self._db.execute('DELETE FROM jobs WHERE id = ?', (job_id, ))

    def counts(self) -> dict[str, int]:
        """Number of jobs per state."""
        with self._lock:
            rows = self._db.execute('SELECT state, COUNT(*) FROM jobs GROUP BY state').fetchall()
        return {s: 0 for s in STATES} | {r[0]: r[1] for r in rows}


def new_job_id() -> str:
    """A new random job id (32 hex characters)."""
    return uuid.uuid4().hex
