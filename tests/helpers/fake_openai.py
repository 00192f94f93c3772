"""A fake OpenAI-compatible chat-completions server on 127.0.0.1 (standard library only), for offline tests.

It records every request (path, lower-cased headers, JSON body) and answers from a script::

    with FakeOpenAI() as server:                       # default replies: VIEScore SC/PQ JSON, else a yes/no
        server.queue(FakeReply(status=429, headers={'Retry-After': '0'}), FakeReply(content='{"score": [7]}'))
        backend = OpenAICompatBackend(model='m', base_url=server.base_url, api_key_env=None)
        ...
        server.requests[0]['body']['temperature']

Replies come from :meth:`FakeOpenAI.queue` first (first in, first out), then from ``responder(body) -> FakeReply``
(by default :func:`default_responder`). ``latency`` delays every reply; :attr:`FakeOpenAI.max_in_flight` is the
largest number of requests that were being answered at the same time.
"""
from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ['FakeOpenAI', 'FakeReply', 'default_responder', 'user_text', 'image_urls', 'yes_no_reply',
           'SC_REPLY', 'PQ_REPLY']

SC_REPLY = '{\n"score" : [8],\n"reasoning" : "The frames follow the prompt."\n}'
PQ_REPLY = '{\n"score" : [7, 9],\n"reasoning" : "Natural, few artifacts."\n}'


@dataclass
class FakeReply:
    """One scripted reply.

    ``status`` 200 sends a chat completion whose message content is ``content`` (``None`` sends ``null``) with
    ``logprobs`` (a list of ``(token, logprob)`` alternatives for the first token) when given; any other status
    sends ``{"error": {"message": error}}``. ``raw`` replaces the whole body. ``delay`` adds seconds before answering.
    """

    content: str | None = 'ok'
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    logprobs: list[tuple[str, float]] | None = None
    error: str = 'scripted error'
    raw: bytes | None = None
    delay: float = 0.0
    usage: dict[str, int] = field(default_factory=lambda: dict(prompt_tokens=11, completion_tokens=5,
                                                               total_tokens=16))


def user_text(body: dict[str, Any]) -> str:
    """The text parts of the request's messages, joined."""
    parts = []
    for message in body.get('messages', []):
        content = message.get('content')
        if isinstance(content, str):
            parts.append(content)
        else:
            parts.extend(p.get('text', '') for p in content or [] if p.get('type') == 'text')
    return '\n'.join(parts)


def image_urls(body: dict[str, Any]) -> list[str]:
    """The ``image_url.url`` of every image part of the request, in order."""
    return [p['image_url']['url'] for m in body.get('messages', []) if isinstance(m.get('content'), list)
            for p in m['content'] if p.get('type') == 'image_url']


def yes_no_reply(p_yes: float) -> FakeReply:
    """A one-token yes/no reply whose first token lists ``Yes`` with P = p_yes and ``No`` with 1 - p_yes."""
    import math

    p_yes = min(max(p_yes, 1e-6), 1 - 1e-6)
    return FakeReply(content='Yes' if p_yes >= 0.5 else 'No',
                     logprobs=[('Yes', math.log(p_yes)), ('No', math.log(1 - p_yes))],
                     usage=dict(prompt_tokens=20, completion_tokens=1, total_tokens=21))


def default_responder(body: dict[str, Any]) -> FakeReply:
    """VIEScore PQ JSON for a prompt about naturalness, SC JSON for one with ``Text Prompt:``, else a yes/no."""
    text = user_text(body)
    if 'naturalness' in text:
        return FakeReply(content=PQ_REPLY)
    if 'Text Prompt:' in text:
        return FakeReply(content=SC_REPLY)
    return yes_no_reply(0.8)


class FakeOpenAI:
    """The server; a context manager. ``base_url`` ends with ``/v1``."""

    def __init__(self, responder: Callable[[dict[str, Any]], FakeReply] | None = None, latency: float = 0.0) -> None:
        self.responder = responder or default_responder
        self.latency = latency
        self.requests: list[dict[str, Any]] = []
        self.max_in_flight = 0
        self._in_flight = 0
        self._queue: deque[FakeReply] = deque()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------------------------- control
    def queue(self, *replies: FakeReply) -> None:
        """Answer the next requests with these replies, in order, before falling back to the responder."""
        with self._lock:
            self._queue.extend(replies)

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError('the fake server is not started')
        return f'http://127.0.0.1:{self._server.server_address[1]}/v1'

    def start(self) -> FakeOpenAI:
        server = ThreadingHTTPServer(('127.0.0.1', 0), self._handler_class())
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs=dict(poll_interval=0.02),
                                        name='fake-openai', daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def reset(self) -> None:
        """Forget the recorded requests, the queue and the concurrency peak."""
        with self._lock:
            self.requests.clear()
            self._queue.clear()
            self.max_in_flight = 0

    # ------------------------------------------------------------------------------------ answering
    def _next_reply(self, body: dict[str, Any]) -> FakeReply:
        with self._lock:
            if self._queue:
                return self._queue.popleft()
        return self.responder(body)

    def _completion(self, body: dict[str, Any], reply: FakeReply) -> bytes:
        choice: dict[str, Any] = dict(index=0, message=dict(role='assistant', content=reply.content),
                                      finish_reason='stop')
        if reply.logprobs is not None and body.get('logprobs'):
            top = [dict(token=t, logprob=lp, bytes=None) for t, lp in reply.logprobs]
            choice['logprobs'] = dict(content=[dict(token=top[0]['token'], logprob=top[0]['logprob'], bytes=None,
                                                    top_logprobs=top[:int(body.get('top_logprobs') or 0) or None])])
        return json.dumps(dict(id='chatcmpl-fake', object='chat.completion', created=int(time.time()),
                               model=body.get('model'), system_fingerprint='fp_fake', choices=[choice],
                               usage=reply.usage)).encode()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get('content-length') or 0)
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw or b'{}')
                except ValueError:
                    body = {'_unparsable': raw.decode('utf-8', 'replace')}
                with fake._lock:
                    fake.requests.append(dict(path=self.path, headers={k.lower(): v for k, v in self.headers.items()},
                                              body=body, time=time.monotonic()))
                    fake._in_flight += 1
                    fake.max_in_flight = max(fake.max_in_flight, fake._in_flight)
                try:
                    reply = fake._next_reply(body)
                    if fake.latency or reply.delay:
                        time.sleep(fake.latency + reply.delay)
                    if reply.raw is not None:
                        payload = reply.raw
                    elif reply.status == 200:
                        payload = fake._completion(body, reply)
                    else:
                        payload = json.dumps(dict(error=dict(message=reply.error, type='fake', code=None))).encode()
                    self.send_response(reply.status)
                    self.send_header('Content-Type', 'application/json')
                    self.send_header('Content-Length', str(len(payload)))
                    for k, v in reply.headers.items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(payload)
                finally:
                    with fake._lock:
                        fake._in_flight -= 1

        return Handler
