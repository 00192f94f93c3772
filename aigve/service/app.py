"""The aigve evaluation service (FastAPI): jobs over server paths or uploads, run by ``aigve run`` workers.

Start it with ``aigve serve`` or ``uvicorn aigve.service.app:app`` (settings from ``AIGVE_SERVICE_*``
variables, see :class:`aigve.service.settings.ServiceSettings`); the OpenAPI page is ``/docs``.

This module is the app factory; the parts are :mod:`~aigve.service.middleware` (size limit, token),
:mod:`~aigve.service.forms` (request shapes, form fields, uploads), :mod:`~aigve.service.state` (store,
workers, probe), :mod:`~aigve.service.routes` (the job endpoints) and :mod:`~aigve.service.compat` (the
older ``/run`` endpoints).
"""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, Depends, FastAPI

import aigve
from aigve.service.compat import add_compat_routes
from aigve.service.jobs import RequestRefused
from aigve.service.middleware import BodyLimitMiddleware, refused_response, token_check
from aigve.service.routes import add_job_routes
from aigve.service.settings import ServiceSettings
from aigve.service.state import Service

__all__ = ['create_app']


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
    app.add_exception_handler(RequestRefused, refused_response)

    def svc() -> Service:
        return holder['service']

    api = APIRouter(dependencies=[Depends(token_check(settings))])
    add_job_routes(app, api, svc, settings)
    add_compat_routes(api, svc, settings)
    app.include_router(api)
    return app


def __getattr__(name: str) -> Any:
    """``uvicorn aigve.service.app:app`` builds the app from the environment on first access."""
    if name == 'app':
        return create_app()
    raise AttributeError(name)
