"""Service settings, read from ``AIGVE_SERVICE_*`` environment variables (or given to ``create_app``)."""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from aigve.utils.paths import service_data_dir

ENV_PREFIX = 'AIGVE_SERVICE_'
MB = 1024 * 1024


def _default_data_dir() -> str:
    return str(service_data_dir())


@dataclass(frozen=True)
class ServiceSettings:
    """What the service may read, how much it accepts and how many jobs it runs.

    Every field can be set with ``AIGVE_SERVICE_<FIELD>`` (upper case); lists use ``os.pathsep`` (``:``).

    Attributes:
        data_dir: Job store (``jobs.sqlite``), job folders and uploads. Defaults to ``$AIGVE_HOME/service``.
        data_roots: Server folders that ``POST /jobs`` may read (symlinks resolved). Empty: path jobs are
            refused, uploads still work. Defaults to none.
        max_workers: Jobs running at once; more are queued. Defaults to 1.
        token: Bearer token required on every endpoint but ``/healthz``, ``/docs`` and ``/openapi.json``.
            Defaults to None (no auth).
        max_file_mb: Largest uploaded file. Defaults to 512.
        max_request_mb: Largest upload request (all files). Defaults to 2048.
        max_files: Most files in one upload. Defaults to 64.
        retention_hours: Finished jobs (their folders, uploads and rows) are deleted this long after they end;
            0 keeps them forever. Defaults to 168 (a week).
        configs_dir: The repository's ``configs`` folder. Defaults to the one next to the ``aigve`` package.
        python: Interpreter that runs ``aigve run`` for a job. Defaults to the service's own.
        job_num_workers: DataLoader workers per job. Defaults to 2.
        progress_interval: Seconds between a job's progress log lines. Defaults to 1.
        poll_interval: Seconds between two passes of the scheduler. Defaults to 0.2.
        auto_resume: Requeue jobs interrupted by a restart, instead of waiting for ``POST /jobs/{id}/resume``.
            Defaults to False.
        compat_wait_seconds: How long ``POST /run`` waits for its jobs before answering ``returncode`` 124
            with the job ids and URLs in ``stderr``; under the older client's 3600 s request timeout so that it
            gets an answer. Defaults to 3540.
        compat_upload_wait_seconds: The same for ``POST /run_upload`` (the older client waits 7200 s).
            Defaults to 7080.
        output_roots: Server folders that the older ``/run`` fields ``out_json`` and ``stage_dataset`` may
            write into (symlinks resolved; 403 outside). Empty: those fields are refused. Defaults to none.
    """

    data_dir: str = field(default_factory=_default_data_dir)
    data_roots: tuple[str, ...] = ()
    max_workers: int = 1
    token: str | None = None
    max_file_mb: float = 512
    max_request_mb: float = 2048
    max_files: int = 64
    retention_hours: float = 168
    configs_dir: str | None = None
    python: str | None = None
    job_num_workers: int = 2
    progress_interval: float = 1.0
    poll_interval: float = 0.2
    auto_resume: bool = False
    compat_wait_seconds: float = 3540
    compat_upload_wait_seconds: float = 7080
    output_roots: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.max_workers < 1:
            raise ValueError(f'`max_workers` must be at least 1, but got {self.max_workers}')
        for name in ('max_file_mb', 'max_request_mb'):
            if getattr(self, name) <= 0:
                raise ValueError(f'`{name}` must be positive, but got {getattr(self, name)}')

    @property
    def max_file_bytes(self) -> int:
        """``max_file_mb`` in bytes."""
        return int(self.max_file_mb * MB)

    @property
    def max_request_bytes(self) -> int:
        """``max_request_mb`` in bytes."""
        return int(self.max_request_mb * MB)

    @property
    def resolved_roots(self) -> tuple[Path, ...]:
        """The data roots with symlinks resolved."""
        return tuple(Path(r).expanduser().resolve() for r in self.data_roots if r)

    @property
    def resolved_output_roots(self) -> tuple[Path, ...]:
        """The output roots with symlinks resolved."""
        return tuple(Path(r).expanduser().resolve() for r in self.output_roots if r)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> ServiceSettings:
        """Settings from ``AIGVE_SERVICE_*`` variables, then ``overrides`` (None values ignored)."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get(ENV_PREFIX + f.name.upper())
            if raw is None or raw == '':
                continue
            values[f.name] = _parse(f.name, raw, cls.__dataclass_fields__[f.name].type)
        values.update({k: v for k, v in overrides.items() if v is not None})
        for key in ('data_roots', 'output_roots'):
            if isinstance(values.get(key), (list, str)):
                roots = values[key]
                values[key] = tuple(roots.split(os.pathsep) if isinstance(roots, str) else roots)
        return replace(cls(), **values)


def _parse(name: str, raw: str, annotation: Any) -> Any:
    text = str(annotation)
    try:
        if text.startswith('tuple'):
            return tuple(p for p in raw.split(os.pathsep) if p)
        if text == 'bool':
            return raw.strip().lower() in ('1', 'true', 'yes', 'on')
        if text == 'int':
            return int(raw)
        if text == 'float':
            return float(raw)
    except ValueError as e:
        raise ValueError(f'`{ENV_PREFIX}{name.upper()}` must be a {text}, but got {raw!r}') from e
    return raw
