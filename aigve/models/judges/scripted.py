"""A judge backend whose replies come from a function or a table: for tests and dry runs (no model, no network)."""
from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from aigve.models.judges.protocol import JudgeBackend, JudgeFailure, JudgeOutcome, JudgeReply, JudgeRequest

__all__ = ['ScriptedBackend']

Script = Callable[[JudgeRequest], Any]


class ScriptedBackend(JudgeBackend):
    """Replies scripted per request.

    Each script (``generate_fn`` / ``yes_no_fn``) takes a :class:`JudgeRequest` and returns a ``str`` (the reply
    text), a ``float`` (for ``yes_no``: P(yes); the text is ``'yes'`` when it is at least 0.5, else ``'no'``), a
    :class:`JudgeReply` or a :class:`JudgeFailure`; an exception it raises becomes a :class:`JudgeFailure`.
    Without a function, ``replies`` maps a marker to a reply: the first marker found in the prompt wins, else
    ``default`` (config-friendly).

    Args:
        generate_fn: Script for :meth:`generate`. Defaults to None (use ``replies``).
        yes_no_fn: Script for :meth:`yes_no`. Defaults to None (use ``replies``).
        replies: Marker -> reply text (or P(yes) for yes/no). Defaults to none.
        default: Reply when no marker matches; ``None`` makes it a failure. Defaults to None.
        model: Name reported by :meth:`describe`. Defaults to ``'scripted'``.

    Attributes:
        requests: Every request received, in order (``(method, request)`` pairs).
    """

    name = 'scripted'

    def __init__(self, generate_fn: Script | None = None, yes_no_fn: Script | None = None,
                 replies: dict[str, Any] | None = None, default: Any = None, model: str = 'scripted') -> None:
        super().__init__()
        self.generate_fn = generate_fn
        self.yes_no_fn = yes_no_fn
        self.replies = dict(replies or {})
        self.default = default
        self.model = model
        self.requests: list[tuple[str, JudgeRequest]] = []
        self._lock = threading.Lock()

    def describe(self) -> dict[str, Any]:
        """Name and the reply table (functions are named by their qualified name)."""
        fns = {k: getattr(f, '__qualname__', repr(f)) for k, f in
               (('generate_fn', self.generate_fn), ('yes_no_fn', self.yes_no_fn)) if f is not None}
        return dict(backend=self.name, model=self.model, replies=self.replies, default=self.default, **fns)

    def _lookup(self, request: JudgeRequest) -> Any:
        for marker, reply in self.replies.items():
            if marker in request.prompt:
                return reply
        if self.default is None:
            return JudgeFailure('no scripted reply for this prompt')
        return self.default

    def _run(self, method: str, fn: Script | None, requests: list[JudgeRequest]) -> list[JudgeOutcome]:
        out: list[JudgeOutcome] = []
        for r in requests:
            with self._lock:
                self.requests.append((method, r))
            try:
                value = fn(r) if fn is not None else self._lookup(r)
            except Exception as e:  # a script error is one failed call, as a model error would be
                out.append(JudgeFailure(f'{type(e).__name__}: {e}'))
                continue
            out.append(self._to_outcome(value, method))
        return out

    @staticmethod
    def _to_outcome(value: Any, method: str) -> JudgeOutcome:
        if isinstance(value, (JudgeReply, JudgeFailure)):
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool) and method == 'yes_no':
            p = float(value)
            return JudgeReply(text='yes' if p >= 0.5 else 'no', yes_prob=p)
        return JudgeReply(text=str(value))

    def _generate(self, requests: list[JudgeRequest]) -> list[JudgeOutcome]:
        return self._run('generate', self.generate_fn, requests)

    def _yes_no(self, requests: list[JudgeRequest]) -> list[JudgeOutcome]:
        return self._run('yes_no', self.yes_no_fn, requests)
