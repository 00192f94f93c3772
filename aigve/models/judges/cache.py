"""On-disk cache of judge answers, so that re-running a VLM-judged metric costs no call.

A reply is stored under ``$AIGVE_HOME/judge_answers/<kk>/<key>.json`` where ``key`` hashes the backend's
:meth:`~aigve.models.judges.protocol.JudgeBackend.describe` (model and every answer-changing setting), the method
(``generate`` or ``yes_no``), the prompt, the sha256 of each image's pixels (:func:`.images.image_digest`), and the
request's ``max_tokens``, ``stop`` and ``attempt``. Only successful replies are stored (a failure is asked again on
the next run); files are written atomically (:mod:`aigve.utils.atomic`), so parallel runs never read half a file.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from aigve.models.judges.images import image_digest
from aigve.models.judges.protocol import JudgeBackend, JudgeOutcome, JudgeReply, JudgeRequest
from aigve.utils.atomic import write_json_atomic
from aigve.utils.hashing import settings_hash
from aigve.utils.paths import aigve_home

__all__ = ['CachedBackend', 'default_answer_cache_root', 'answer_key']

#: bump when the key's recipe changes, so old entries are not misread
CACHE_VERSION = 1


def default_answer_cache_root() -> Path:
    """``$AIGVE_HOME/judge_answers``."""
    return aigve_home() / 'judge_answers'


def answer_key(description: dict[str, Any], method: str, request: JudgeRequest) -> str:
    """The cache key of one request to a backend described by ``description``."""
    return settings_hash(CACHE_VERSION, description, method, request.prompt,
                         [image_digest(img) for img in request.images], request.max_tokens, list(request.stop),
                         request.attempt)


class CachedBackend(JudgeBackend):
    """Wrap a backend with the answer cache; it answers what it has seen and asks the wrapped backend the rest.

    Args:
        backend: The backend that makes the calls.
        root: Cache folder. Defaults to ``$AIGVE_HOME/judge_answers``.
        read: Answer from the cache. Defaults to True.
        write: Store new replies. Defaults to True.

    Attributes:
        inner: The wrapped backend (its ``stats`` count only real calls; this one's count cache hits too).
    """

    def __init__(self, backend: JudgeBackend, root: str | os.PathLike | None = None, read: bool = True,
                 write: bool = True) -> None:
        super().__init__()
        if not isinstance(backend, JudgeBackend):
            raise TypeError(f'`backend` must be a JudgeBackend, but got {type(backend).__name__}')
        self.inner = backend
        self.root = Path(root) if root is not None else default_answer_cache_root()
        self.read = read
        self.write = write
        self.name = backend.name
        self.gives_probabilities = backend.gives_probabilities
        self._description = backend.describe()

    def describe(self) -> dict[str, Any]:
        """The wrapped backend's description (caching does not change an answer)."""
        return self.inner.describe()

    def close(self) -> None:
        self.inner.close()

    def path(self, key: str) -> Path:
        """File of a cache key."""
        return self.root / key[:2] / f'{key}.json'

    def _load(self, key: str) -> JudgeReply | None:
        try:
            with open(self.path(key), encoding='utf-8') as f:
                data = json.load(f)
        except (OSError, ValueError):
            return None
        fields = {k: data[k] for k in ('text', 'yes_prob', 'tokens_in', 'tokens_out', 'extra') if k in data}
        if not isinstance(fields.get('text'), str):
            return None
        return JudgeReply(**fields, cached=True)

    def _store(self, key: str, reply: JudgeReply) -> None:
        data = reply.to_dict()
        for k in ('cached', 'seconds', 'retries'):  # facts of that call, not of the answer
            data.pop(k, None)
        try:
            write_json_atomic(self.path(key), data)
        except OSError:  # a read-only or full disk costs a re-ask next time, never the run
            pass

    def _through(self, method: str, requests: list[JudgeRequest]) -> list[JudgeOutcome]:
        keys = [answer_key(self._description, method, r) for r in requests]
        out: list[JudgeOutcome | None] = [self._load(k) if self.read else None for k in keys]
        missing = [i for i, o in enumerate(out) if o is None]
        if missing:
            call = self.inner.generate if method == 'generate' else self.inner.yes_no
            for i, outcome in zip(missing, call([requests[i] for i in missing])):
                out[i] = outcome
                if self.write and isinstance(outcome, JudgeReply):
                    self._store(keys[i], outcome)
        return [o for o in out if o is not None]

    def _generate(self, requests: list[JudgeRequest]) -> list[JudgeOutcome]:
        return self._through('generate', requests)

    def _yes_no(self, requests: list[JudgeRequest]) -> list[JudgeOutcome]:
        return self._through('yes_no', requests)
