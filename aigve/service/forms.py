"""Request shapes and form helpers: the JSON body of ``POST /jobs``, multipart fields, stored uploads.

Shared by the job routes (:mod:`aigve.service.routes`) and the older endpoints (:mod:`aigve.service.compat`).
"""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from fastapi import UploadFile
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from aigve.service.jobs import UPLOAD_DIR, JobOptions, RequestRefused, resolve_metrics
from aigve.service.middleware import too_large
from aigve.service.security import check_video_file, check_video_name, sanitize_filename, unique_name
from aigve.service.settings import ServiceSettings

if TYPE_CHECKING:
    from aigve.service.state import Service


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


def split_list(value: str | list[str] | None) -> list[str]:
    """A form field holding a comma-separated list or a JSON list, as a list of stripped names."""
    if value is None:
        return []
    if isinstance(value, list):
        return [v.strip() for v in value if v and v.strip()]
    text = value.strip()
    if text.startswith('['):
        return split_list(json_field(text, 'metrics'))
    return [v.strip() for v in text.split(',') if v.strip()]


def json_field(text: str | None, name: str) -> Any:
    """A form field holding JSON (None when empty); 422 when it is not JSON."""
    if not text:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise RequestRefused(422, f'`{name}` must be JSON, but got {text[:80]!r} ({e})') from e


def dict_field(text: str | None, name: str) -> dict:
    """A form field holding a JSON object ({} when empty); 422 otherwise."""
    value = json_field(text, name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise RequestRefused(422, f'`{name}` must be a JSON object, but got {type(value).__name__}')
    return value


async def save_uploads(service: Service, files: list[UploadFile], opts: JobOptions, request: dict) -> dict:
    """Check and store uploaded videos in a new job folder, then create the job.

    Args:
        service: The service state (settings, probe, job factory).
        files: The uploaded videos.
        opts: What to compute.
        request: The request as recorded with the job.

    Returns:
        dict: The new job.
    """
    s = service.settings
    if not files:
        raise RequestRefused(422, '`videos`: upload at least one video file')
    if len(files) > s.max_files:
        raise RequestRefused(413, f'at most {s.max_files} files per request, but got {len(files)}')
    cards = await service.probe.cards()
    metrics, needs_ref = resolve_metrics(opts, cards)
    job_id, job_dir = service.factory.new_job_dir()
    try:
        names = await run_in_threadpool(store_files, s, files, job_dir / UPLOAD_DIR)
        request = dict(request, files=names)
        return await run_in_threadpool(service.factory.from_upload, job_id, job_dir, names, opts, cards, request,
                                       metrics, needs_ref)
    except BaseException:
        shutil.rmtree(job_dir, ignore_errors=True)
        raise


def store_files(settings: ServiceSettings, files: list[UploadFile], folder: Path) -> list[str]:
    """Write the uploads into ``folder`` under safe unique names, within the size limits; return the names."""
    folder.mkdir(parents=True, exist_ok=True)
    taken: set[str] = set()
    names, total = [], 0
    for i, upload in enumerate(files):
        name = unique_name(sanitize_filename(upload.filename, i), taken)
        check_video_name(name)
        size = upload.size if upload.size is not None else _file_size(upload)
        if size > settings.max_file_bytes:
            raise RequestRefused(413, f'{upload.filename!r} is {size / 2**20:.1f} MB, larger than the '
                                      f'per-file limit of {settings.max_file_mb:g} MB')
        total += size
        if total > settings.max_request_bytes:
            raise RequestRefused(413, too_large(total, settings.max_request_bytes))
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
