"""What stands in front of the routes: the upload size limit (ASGI middleware) and the bearer-token check."""
from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from aigve.service.jobs import RequestRefused
from aigve.service.security import token_matches
from aigve.service.settings import ServiceSettings

#: the endpoints that take uploads (the only ones whose body can be large)
UPLOAD_PATHS = ('/jobs/upload', '/run_upload')


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
            await _send_json(send, 413, dict(detail=too_large(int(length), self.limit)))
            return
        state = dict(seen=0, over=False, started=False)

        async def counted() -> dict:
            message = await receive()
            if message.get('type') == 'http.request':
                state['seen'] += len(message.get('body', b''))
                if state['seen'] > self.limit:
                    state['over'] = True
                    raise RequestRefused(413, too_large(state['seen'], self.limit))
            return message

        async def guarded_send(message: dict) -> None:
            # a body cut off while the form is parsed surfaces as a 400 parse error; answer 413 instead
            if state['over']:
                if message.get('type') == 'http.response.start' and not state['started']:
                    state['started'] = True
                    await _send_json(send, 413, dict(detail=too_large(state['seen'], self.limit)))
                return
            if message.get('type') == 'http.response.start':
                state['started'] = True
            await send(message)

        try:
            await self.app(scope, counted, guarded_send)
        except Exception:
            if not state['over'] or state['started']:
                raise
            state['started'] = True
            await _send_json(send, 413, dict(detail=too_large(state['seen'], self.limit)))


def too_large(size: int, limit: int) -> str:
    """The message of a 413 refusal."""
    return f'the request is larger than the limit of {limit / 2**20:g} MB (got at least {size / 2**20:.1f} MB)'


async def _send_json(send: Any, status: int, body: dict) -> None:
    data = json.dumps(body).encode()
    await send(dict(type='http.response.start', status=status,
                    headers=[(b'content-type', b'application/json'), (b'content-length', str(len(data)).encode())]))
    await send(dict(type='http.response.body', body=data))


def token_check(settings: ServiceSettings) -> Callable[[Request], Awaitable[None]]:
    """A route dependency that refuses (401) a request without the bearer token, when one is set."""

    async def require_token(request: Request) -> None:
        if settings.token and not token_matches(request.headers.get('authorization'), settings.token):
            raise RequestRefused(401, 'missing or wrong bearer token: send `Authorization: Bearer <token>`')

    return require_token


async def refused_response(request: Request, exc: RequestRefused) -> JSONResponse:
    """Exception handler: a :class:`RequestRefused` becomes ``{"detail": message}`` with its status."""
    headers = {'WWW-Authenticate': 'Bearer'} if exc.status == 401 else None
    return JSONResponse(status_code=exc.status, content=dict(detail=exc.message), headers=headers)
