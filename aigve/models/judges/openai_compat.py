"""A judge backend for any OpenAI-compatible chat-completions endpoint (OpenAI, vLLM, Ollama, ...), over httpx.

Wire format: ``POST {base_url}/chat/completions`` with ``Authorization: Bearer <key>`` and one user message whose
content is the prompt text and one ``image_url`` part per image (``data:image/jpeg;base64,...``, resized first;
text before the images, as VIEScore and DSG send it, unless ``image_position='before'``). The reply text is
``choices[0].message.content``; ``usage`` gives the token counts.

The API key is read from the environment variable *named* by ``api_key_env`` when the backend is built; the key
itself never appears in a config, a log line, an error message, :meth:`describe` or the results (any echo of it
in a server's error message is masked).

Calls are deterministic where the server allows: ``temperature`` 0 and ``seed`` (OpenAI treats the seed as best
effort; the reply's ``system_fingerprint`` is kept in :attr:`JudgeReply.extra`). Errors: connection errors,
timeouts, HTTP 408/409/429 and 5xx are retried up to ``max_retries`` times with exponential backoff
(``backoff * 2**k`` seconds, at most ``max_backoff``), honouring ``Retry-After`` (seconds or an HTTP date) and
``x-should-retry: false``; other 4xx fail at once. A call that still fails is a :class:`JudgeFailure`.
Requests of one ``generate``/``yes_no`` call run concurrently on a thread pool, at most ``max_in_flight`` at a time.
"""
from __future__ import annotations

import email.utils
import json
import math
import os
import re
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from aigve.models.judges.images import data_url, encode_image, fit_longest_side, to_pil
from aigve.models.judges.protocol import JudgeBackend, JudgeFailure, JudgeOutcome, JudgeReply, JudgeRequest

__all__ = ['OpenAICompatBackend', 'RETRY_STATUS', 'yes_prob_from_logprobs']

#: HTTP statuses retried (as the openai SDK does): request timeout, conflict, rate limit, server errors
RETRY_STATUS = frozenset({408, 409, 429})
_ENV_NAME = re.compile(r'^[A-Za-z_][A-Za-z0-9_]{0,127}$')
_KEY_LIKE = re.compile(r'\b(sk|key|token)-[A-Za-z0-9_\-]{6,}')
_YES, _NO = 'yes', 'no'


def yes_prob_from_logprobs(content: Any, normalize: bool = False) -> float | None:
    """P(yes) from the ``logprobs.content`` list of a chat-completions reply: the first generated token's alternatives.

    Tokens are compared stripped and lowercased (``'Yes'``, ``' yes'`` and ``'YES'`` count as yes); the
    probabilities of all yes-variants are summed, as are the no-variants. Without ``normalize``: P(yes) if a yes
    token is listed, else 1 - P(no) if a no token is, else ``None`` (the t2v_metrics VQAScore recipe). With
    ``normalize``: P(yes) / (P(yes) + P(no)) over the listed variants.
    """
    if not content or not isinstance(content, list) or not isinstance(content[0], dict):
        return None
    first = content[0]
    alternatives = list(first.get('top_logprobs') or [])
    if not alternatives and 'token' in first:
        alternatives = [first]
    seen: set[str] = set()
    p = {_YES: 0.0, _NO: 0.0}
    found = {_YES: False, _NO: False}
    for alt in alternatives:
        token, lp = alt.get('token'), alt.get('logprob')
        if not isinstance(token, str) or not isinstance(lp, (int, float)) or token in seen:
            continue
        seen.add(token)
        word = token.strip().lower()
        if word in p:
            p[word] += math.exp(float(lp))
            found[word] = True
    if normalize:
        total = p[_YES] + p[_NO]
        return p[_YES] / total if total > 0 else None
    if found[_YES]:
        return min(1.0, p[_YES])
    if found[_NO]:
        return max(0.0, 1.0 - min(1.0, p[_NO]))
    return None


def _retry_after(headers: Any) -> float | None:
    """Seconds asked for by ``Retry-After`` (or ``retry-after-ms``), or None."""
    ms = headers.get('retry-after-ms')
    if ms:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    value = headers.get('retry-after')
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max(0.0, when.timestamp() - time.time())


class OpenAICompatBackend(JudgeBackend):
    """Judge backend for an OpenAI-compatible ``/chat/completions`` endpoint.

    Args:
        model: Model name as the server knows it (``'gpt-4o-2024-08-06'``, a vLLM ``--served-model-name``,
            ``'qwen2.5vl:7b'`` on Ollama).
        base_url: API root, up to ``/v1``. Defaults to ``'https://api.openai.com/v1'``.
        api_key_env: Name of the environment variable holding the API key; ``None`` sends no
            ``Authorization`` header (a local server without keys). Defaults to ``'OPENAI_API_KEY'``.
        temperature: Sampling temperature; ``None`` leaves it out (reasoning models accept only their default).
            Defaults to 0.
        seed: Seed sent with each request (``seed + attempt`` on a re-ask); ``None`` leaves it out. Defaults to 0.
        max_tokens: Default generation budget of a request. Defaults to 512.
        max_tokens_key: ``'max_tokens'`` or ``'max_completion_tokens'`` (OpenAI's o-series and gpt-5).
            Defaults to ``'max_tokens'``.
        max_side: Longest image side in pixels after resizing (never upscaled); ``None`` sends frames as they
            are. Defaults to 512.
        image_format: ``'jpeg'`` or ``'png'``. Defaults to ``'jpeg'``.
        jpeg_quality: JPEG quality. Defaults to 75 (PIL's default, what VIEScore sent).
        detail: OpenAI's ``image_url.detail`` (``'low'``, ``'high'``, ``'auto'``); ``None`` leaves it out (vLLM
            ignores it). Defaults to None.
        image_position: ``'after'`` the text (VIEScore, DSG) or ``'before'`` it. Defaults to ``'after'``.
        logprobs: Ask for ``logprobs`` on ``yes_no`` requests (P(yes) from the first token); False when a server
            rejects the field, then ``yes_prob`` is None and the text is returned. Defaults to True.
        top_logprobs: Alternatives per token on ``yes_no`` requests. Defaults to 10.
        normalize_yes_no: P(yes) / (P(yes) + P(no)) instead of P(yes). Defaults to False.
        yes_no_max_tokens: Generation budget of a ``yes_no`` request. Defaults to 1.
        timeout: Seconds for connecting and for each read. Defaults to 120.
        max_retries: Retries after the first try (429, 5xx, timeouts, connection errors). Defaults to 3.
        backoff: First backoff in seconds, doubled on each retry. Defaults to 1.
        max_backoff: Cap on one wait (also on ``Retry-After``). Defaults to 60.
        max_in_flight: Requests sent concurrently. Defaults to 4.
        extra_body: Further JSON fields for every request (e.g. ``{'response_format': {'type': 'json_object'}}``).
            Defaults to None.

    Raises:
        ValueError: A bad argument, or ``api_key_env`` names a variable that is not set.
        ImportError: httpx is not installed.
    """

    name = 'openai'

    def __init__(self, model: str, base_url: str = 'https://api.openai.com/v1',
                 api_key_env: str | None = 'OPENAI_API_KEY', temperature: float | None = 0.0, seed: int | None = 0,
                 max_tokens: int = 512, max_tokens_key: str = 'max_tokens', max_side: int | None = 512,
                 image_format: str = 'jpeg', jpeg_quality: int = 75, detail: str | None = None,
                 image_position: str = 'after', logprobs: bool = True, top_logprobs: int = 10,
                 normalize_yes_no: bool = False, yes_no_max_tokens: int = 1, timeout: float = 120.0,
                 max_retries: int = 3, backoff: float = 1.0, max_backoff: float = 60.0, max_in_flight: int = 4,
                 extra_body: dict[str, Any] | None = None) -> None:
        super().__init__()
        try:
            import httpx
        except ImportError as e:  # pragma: no cover - httpx ships with the service extra
            raise ImportError('OpenAICompatBackend requires httpx: pip install "httpx>=0.27"') from e
        if not isinstance(model, str) or not model:
            raise ValueError(f'`model` must be a non-empty str, but got {model!r}')
        if max_tokens_key not in ('max_tokens', 'max_completion_tokens'):
            raise ValueError(f'`max_tokens_key` must be "max_tokens" or "max_completion_tokens", but got '
                             f'{max_tokens_key!r}')
        if image_position not in ('after', 'before'):
            raise ValueError(f'`image_position` must be "after" or "before", but got {image_position!r}')
        if image_format.lower() not in ('jpeg', 'jpg', 'png'):
            raise ValueError(f'`image_format` must be "jpeg" or "png", but got {image_format!r}')
        for arg, value, low in (('max_in_flight', max_in_flight, 1), ('max_retries', max_retries, 0),
                                ('max_tokens', max_tokens, 1), ('yes_no_max_tokens', yes_no_max_tokens, 1)):
            if not isinstance(value, int) or value < low:
                raise ValueError(f'`{arg}` must be an int >= {low}, but got {value!r}')
        if timeout <= 0 or backoff < 0 or max_backoff < 0:
            raise ValueError(f'`timeout` must be > 0 and `backoff`, `max_backoff` >= 0, but got {timeout}, '
                             f'{backoff}, {max_backoff}')
        if api_key_env is not None and (not isinstance(api_key_env, str) or not _ENV_NAME.match(api_key_env)):
            # never echo the value: it may be the key itself, pasted where its variable's name belongs
            raise ValueError('`api_key_env` must be the NAME of an environment variable (e.g. "OPENAI_API_KEY"), '
                             'but got something else (a key itself?). Put the key in the environment and name the '
                             'variable in the config.')
        self.api_key_env = api_key_env
        self._key: str | None = None
        if api_key_env is not None:
            key = os.environ.get(api_key_env, '')
            if not key:
                raise ValueError(
                    f'the API key variable `{api_key_env}` (named by `api_key_env`) is not set in the environment: '
                    f'export {api_key_env}=... before the run, or set `api_key_env=None` for a server that needs '
                    'no key. Never put the key itself in a config.')
            self._key = key
        self.model = model
        self.base_url = base_url.rstrip('/')
        self.temperature = temperature
        self.seed = seed
        self.max_tokens = max_tokens
        self.max_tokens_key = max_tokens_key
        self.max_side = max_side
        self.image_format = 'jpeg' if image_format.lower() == 'jpg' else image_format.lower()
        self.jpeg_quality = jpeg_quality
        self.detail = detail
        self.image_position = image_position
        self.logprobs = logprobs
        self.top_logprobs = top_logprobs
        self.normalize_yes_no = normalize_yes_no
        self.yes_no_max_tokens = yes_no_max_tokens
        self.timeout = float(timeout)
        self.max_retries = max_retries
        self.backoff = float(backoff)
        self.max_backoff = float(max_backoff)
        self.max_in_flight = max_in_flight
        self.extra_body = dict(extra_body or {})
        headers = {'Content-Type': 'application/json'}
        if self._key:
            headers['Authorization'] = f'Bearer {self._key}'
        self._client = httpx.Client(
            headers=headers, timeout=httpx.Timeout(self.timeout),
            limits=httpx.Limits(max_connections=max_in_flight, max_keepalive_connections=max_in_flight))
        self._pool = ThreadPoolExecutor(max_workers=max_in_flight, thread_name_prefix='aigve-judge')
        self._sleep = time.sleep  # tests may replace it
        self._closed = False
        self._lock = threading.Lock()

    def __repr__(self) -> str:  # never shows the key
        return (f'OpenAICompatBackend(model={self.model!r}, base_url={self.base_url!r}, '
                f'api_key_env={self.api_key_env!r})')

    def describe(self) -> dict[str, Any]:
        """Endpoint, model and every setting that can change an answer (the key is not among them)."""
        return dict(backend=self.name, base_url=self.base_url, model=self.model, temperature=self.temperature,
                    seed=self.seed, max_tokens=self.max_tokens, max_tokens_key=self.max_tokens_key,
                    max_side=self.max_side, image_format=self.image_format, jpeg_quality=self.jpeg_quality,
                    detail=self.detail, image_position=self.image_position, logprobs=self.logprobs,
                    top_logprobs=self.top_logprobs, normalize_yes_no=self.normalize_yes_no,
                    yes_no_max_tokens=self.yes_no_max_tokens, extra_body=self.extra_body)

    def close(self) -> None:
        """Close the connection pool and the worker threads."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._pool.shutdown(wait=True)
        self._client.close()

    # ----------------------------------------------------------------------------------- requests
    def _image_parts(self, images: Sequence[Any]) -> list[dict[str, Any]]:
        parts = []
        for img in images:
            pil = fit_longest_side(to_pil(img), self.max_side)
            url: dict[str, Any] = {'url': data_url(encode_image(pil, self.image_format, self.jpeg_quality),
                                                   self.image_format)}
            if self.detail is not None:
                url['detail'] = self.detail
            parts.append({'type': 'image_url', 'image_url': url})
        return parts

    def body(self, request: JudgeRequest, yes_no: bool = False) -> dict[str, Any]:
        """The JSON body sent for ``request`` (public so that tests and dry runs can inspect it)."""
        text = [{'type': 'text', 'text': request.prompt}]
        images = self._image_parts(request.images)
        content = text + images if self.image_position == 'after' else images + text
        body: dict[str, Any] = {'model': self.model, 'messages': [{'role': 'user', 'content': content}]}
        if self.temperature is not None:
            body['temperature'] = self.temperature
        if self.seed is not None:
            body['seed'] = self.seed + request.attempt
        if yes_no:
            body[self.max_tokens_key] = self.yes_no_max_tokens
            if self.logprobs:
                body['logprobs'] = True
                body['top_logprobs'] = self.top_logprobs
        else:
            body[self.max_tokens_key] = request.max_tokens or self.max_tokens
        if request.stop:
            body['stop'] = list(request.stop)
        body.update(self.extra_body)
        return body

    def _mask(self, text: str) -> str:
        """Remove the key (and anything shaped like one) from text headed for an error message."""
        if self._key:
            text = text.replace(self._key, '***')
        return _KEY_LIKE.sub(lambda m: f'{m.group(1)}-***', text)

    def _error_text(self, response: Any) -> str:
        try:
            err = response.json().get('error')
            msg = err.get('message') if isinstance(err, dict) else err
        except (ValueError, AttributeError):
            msg = response.text
        msg = ' '.join(str(msg or '').split())[:200]
        return self._mask(msg)

    def _post(self, body: dict[str, Any]) -> tuple[dict[str, Any] | None, str | None, int, float]:
        """POST with bounded retries; returns (reply json or None, failure reason or None, retries, seconds)."""
        import httpx

        start = time.perf_counter()
        url = f'{self.base_url}/chat/completions'
        retries = 0
        while True:
            wait = None
            try:
                response = self._client.post(url, content=json.dumps(body))
            except httpx.TimeoutException as e:
                reason = f'timeout after {self.timeout:g} s ({type(e).__name__})'
            except httpx.TransportError as e:
                reason = self._mask(f'connection error ({type(e).__name__}: {e})')
            else:
                status = response.status_code
                if status == 200:
                    try:
                        return response.json(), None, retries, time.perf_counter() - start
                    except ValueError:
                        reason = 'HTTP 200 with a body that is not JSON'
                else:
                    reason = f'HTTP {status}: {self._error_text(response)}'
                    retryable = status in RETRY_STATUS or status >= 500
                    if response.headers.get('x-should-retry', '').lower() == 'false':
                        retryable = False
                    elif response.headers.get('x-should-retry', '').lower() == 'true':
                        retryable = True
                    if not retryable:
                        return None, reason, retries, time.perf_counter() - start
                    wait = _retry_after(response.headers)
            if retries >= self.max_retries:
                suffix = f' (after {retries} retries)' if retries else ''
                return None, reason + suffix, retries, time.perf_counter() - start
            if wait is None:
                wait = self.backoff * (2 ** retries)
            self._sleep(min(wait, self.max_backoff))
            retries += 1

    def _call(self, request: JudgeRequest, yes_no: bool) -> JudgeOutcome:
        try:
            return self._call_once(request, yes_no)
        except Exception as e:  # one malformed reply (or image) is one failed call, never a crash of the run
            return JudgeFailure(self._mask(f'{type(e).__name__}: {e}'))

    def _call_once(self, request: JudgeRequest, yes_no: bool) -> JudgeOutcome:
        try:
            body = self.body(request, yes_no=yes_no)
        except (TypeError, ValueError) as e:
            return JudgeFailure(f'bad request: {e}')
        data, reason, retries, seconds = self._post(body)
        if data is None:
            return JudgeFailure(reason or 'unknown error', retries=retries, seconds=seconds)
        usage = data.get('usage') or {}
        tokens_in = int(usage.get('prompt_tokens') or 0)
        tokens_out = int(usage.get('completion_tokens') or 0)
        choices = data.get('choices') or []
        if not choices or not isinstance(choices[0], dict):
            return JudgeFailure('reply without choices', retries, tokens_in, tokens_out, seconds)
        choice = choices[0]
        message = choice.get('message') or {}
        text = message.get('content')
        if isinstance(text, list):  # some servers return content parts
            text = ''.join(p.get('text', '') for p in text if isinstance(p, dict))
        text = text if isinstance(text, str) else ''
        extra = {k: v for k, v in (('finish_reason', choice.get('finish_reason')),
                                   ('system_fingerprint', data.get('system_fingerprint'))) if v is not None}
        yes_prob = None
        if yes_no:
            lp = choice.get('logprobs')
            yes_prob = yes_prob_from_logprobs(lp.get('content') if isinstance(lp, dict) else None,
                                              self.normalize_yes_no)
        if not text.strip() and yes_prob is None:
            return JudgeFailure('empty reply' + (f" (finish_reason {extra['finish_reason']})"
                                                 if 'finish_reason' in extra else ''),
                                retries, tokens_in, tokens_out, seconds)
        return JudgeReply(text=text.strip() if yes_no else text, yes_prob=yes_prob, tokens_in=tokens_in,
                          tokens_out=tokens_out, retries=retries, seconds=seconds, extra=extra)

    def _run(self, requests: list[JudgeRequest], yes_no: bool) -> list[JudgeOutcome]:
        if self._closed:
            raise RuntimeError('this OpenAICompatBackend is closed')
        if len(requests) == 1:
            return [self._call(requests[0], yes_no)]
        return list(self._pool.map(lambda r: self._call(r, yes_no), requests))

    def _generate(self, requests: list[JudgeRequest]) -> list[JudgeOutcome]:
        return self._run(requests, yes_no=False)

    def _yes_no(self, requests: list[JudgeRequest]) -> list[JudgeOutcome]:
        return self._run(requests, yes_no=True)
