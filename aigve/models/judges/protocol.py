"""The judge-backend protocol: what a VLM/LLM-judged metric (VIEScore, TIFA, DSG) asks a model, and what it gets.

A metric builds requests, hands a list of them to a backend and gets one outcome per request, in order::

    from aigve.models.judges import JudgeRequest, build_backend

    backend = build_backend(dict(type='openai', base_url='http://127.0.0.1:8000/v1', model='qwen2-vl',
                                 api_key_env='VLLM_API_KEY', max_in_flight=8))
    replies = backend.generate([JudgeRequest('Describe the frames.', images=frames, max_tokens=300)])
    probs = backend.yes_no([JudgeRequest('Is there a dog?', images=[frame])])
    for r in probs:
        if isinstance(r, JudgeFailure):      # bounded retries are spent: count it, never score it
            ...
        else:
            r.yes_prob                        # P(yes) in [0, 1], or None when the backend gives no probabilities

The rules every backend keeps:

* ``generate`` and ``yes_no`` never raise for one bad call (HTTP error, timeout, empty reply, a model error on one
  input): that request's slot holds a :class:`JudgeFailure` with a one-line reason and the retries spent.
  They raise only for a problem that would fail every call (bad configuration, missing weights, missing API key),
  and they raise it when the backend is built, where possible.
* Decoding is greedy/deterministic: temperature 0 and a fixed seed over HTTP, ``do_sample=False`` locally.
* ``yes_no`` asks for the answer's first token: ``yes_prob`` = P(yes), from the ``logprobs`` of an HTTP reply
  (``exp(lp_yes)``, else ``1 - exp(lp_no)``) or from the next-token logits of a local model
  (``softmax([logit_yes, logit_no])[0]``). ``text`` holds the decoded answer either way, so a metric can fall back
  to reading the text when ``yes_prob`` is ``None`` (an endpoint that offers no logprobs).
* Every outcome carries its usage (tokens in/out, retries); :attr:`JudgeBackend.stats` counts calls, tokens,
  retries, failures and cache hits over the backend's life (thread-safe), for the results' provenance.
* :meth:`JudgeBackend.describe` returns a JSON-able dict naming the model and every setting that can change an
  answer (never a secret: an API key is named by its environment variable only). It is the backend's part of a
  cache key and of the run's provenance.

Images: each entry of :attr:`JudgeRequest.images` is a PIL image, a uint8 ``(C, H, W)`` or ``(H, W, C)`` tensor or
numpy array (RGB), as a metric gets frames from the dataset (``video[t]`` of a ``(T, C, H, W)`` video). Backends
convert with :func:`aigve.models.judges.images.to_pil` and resize with their own cap on the longest side.

Backends: ``'openai'`` (any OpenAI-compatible chat endpoint, :mod:`.openai_compat`), ``'hf'`` (a local
transformers VLM, :mod:`.local_hf`) and ``'scripted'`` (replies from a function, for tests and dry runs,
:mod:`.scripted`); :func:`build_backend` makes one from a config dict, ``cache=True`` wraps it in the answer cache
(:mod:`.cache`).
"""
from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = [
    'JudgeRequest', 'JudgeReply', 'JudgeFailure', 'JudgeOutcome', 'JudgeStats', 'JudgeBackend', 'build_backend',
    'BACKEND_TYPES'
]


@dataclass(frozen=True)
class JudgeRequest:
    """One question to a judge model.

    Args:
        prompt: The full text of the user message.
        images: Images shown with the prompt, in order (PIL images or uint8 RGB ``(C, H, W)`` / ``(H, W, C)``
            tensors or arrays). Defaults to no image (a text-only LLM call, e.g. question generation).
        max_tokens: Upper bound on generated tokens; ``None`` uses the backend's ``max_tokens``. ``yes_no`` ignores
            it (it asks for one token). Defaults to None.
        attempt: 0 for a first ask; a caller re-asking after an unparsable reply passes 1, 2, ... The attempt is part
            of the cache key, and a backend may vary its seed by it (``seed + attempt``), so a re-ask is a new
            sample rather than the cached reply again. Defaults to 0.
        stop: Stop strings for generation, where the backend supports them. Defaults to none.
        tag: Free text echoed nowhere, for the caller's own bookkeeping (e.g. ``'sc'``, ``'pq'``, a question id).
            Not part of the cache key. Defaults to ''.
    """

    prompt: str
    images: Sequence[Any] = ()
    max_tokens: int | None = None
    attempt: int = 0
    stop: tuple[str, ...] = ()
    tag: str = ''


@dataclass
class JudgeReply:
    """A successful call.

    Attributes:
        text: The generated text (for ``yes_no``: the first generated token or short answer, stripped).
        yes_prob: P(yes) in [0, 1] for ``yes_no`` requests when the backend can give it, else ``None``.
        tokens_in: Prompt tokens as the backend counted them (0 when unknown).
        tokens_out: Generated tokens (0 when unknown).
        retries: Transport-level retries spent on this call (429/5xx/timeouts), 0 when the first try worked.
        cached: True when the reply came from the answer cache (no model call was made).
        seconds: Wall time of the call, retries and waits included.
        extra: Backend-specific facts worth keeping (e.g. OpenAI's ``system_fingerprint``, ``finish_reason``).
    """

    text: str
    yes_prob: float | None = None
    tokens_in: int = 0
    tokens_out: int = 0
    retries: int = 0
    cached: bool = False
    seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    ok = True

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able copy (what the answer cache stores)."""
        return asdict(self)


@dataclass
class JudgeFailure:
    """A call that failed after the backend's bounded retries; it must be counted, never turned into a score.

    Attributes:
        reason: One line saying what went wrong (``'HTTP 500 after 3 retries: ...'``), free of secrets.
        retries: Retries spent before giving up.
        tokens_in: Tokens billed anyway, when known.
        tokens_out: Tokens billed anyway, when known.
        seconds: Wall time spent.
    """

    reason: str
    retries: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    seconds: float = 0.0

    ok = False


JudgeOutcome = JudgeReply | JudgeFailure


class JudgeStats:
    """Counters over a backend's life (thread-safe): calls, tokens, retries, failures, cache hits, seconds."""

    FIELDS = ('calls', 'cache_hits', 'failures', 'retries', 'tokens_in', 'tokens_out', 'seconds')

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, float] = {k: 0 for k in self.FIELDS}

    def add(self, outcome: JudgeOutcome) -> None:
        """Count one outcome (a reply from the cache counts as a cache hit, not a call)."""
        with self._lock:
            c = self._counts
            if isinstance(outcome, JudgeReply) and outcome.cached:
                c['cache_hits'] += 1
                return
            c['calls'] += 1
            c['failures'] += int(isinstance(outcome, JudgeFailure))
            c['retries'] += outcome.retries
            c['tokens_in'] += outcome.tokens_in
            c['tokens_out'] += outcome.tokens_out
            c['seconds'] += outcome.seconds

    def snapshot(self) -> dict[str, float]:
        """A copy of the counters (ints, ``seconds`` rounded to ms)."""
        with self._lock:
            out = {k: int(v) for k, v in self._counts.items() if k != 'seconds'}
            out['seconds'] = round(float(self._counts['seconds']), 3)
            return out

    def reset(self) -> None:
        """Zero every counter."""
        with self._lock:
            self._counts = {k: 0 for k in self.FIELDS}


class JudgeBackend:
    """Base class of the judge backends. Subclasses implement :meth:`_generate` / :meth:`_yes_no` (lists in, lists
    out, same order, one outcome per request) and :meth:`describe`; the public methods count every outcome.
    """

    #: registry name used in configs (``type=``)
    name: str = 'judge'
    #: True when ``yes_no`` gives real probabilities (logprobs/logits); False when only text comes back
    gives_probabilities: bool = True

    def __init__(self) -> None:
        self.stats = JudgeStats()

    # ----------------------------------------------------------------------------------- public API
    def generate(self, requests: Sequence[JudgeRequest]) -> list[JudgeOutcome]:
        """Generate a reply for each request (greedy); one :class:`JudgeReply` or :class:`JudgeFailure` each."""
        return self._counted(self._generate(list(requests)), len(requests))

    def yes_no(self, requests: Sequence[JudgeRequest]) -> list[JudgeOutcome]:
        """Answer each request's yes/no question; ``yes_prob`` = P(yes) where the backend can give it."""
        return self._counted(self._yes_no(list(requests)), len(requests))

    def describe(self) -> dict[str, Any]:
        """JSON-able identity of the model and every answer-changing setting (no secrets)."""
        raise NotImplementedError

    def close(self) -> None:
        """Release connections or memory; the backend may not be used afterwards."""

    def __enter__(self) -> JudgeBackend:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # ------------------------------------------------------------------------------ for subclasses
    def _generate(self, requests: list[JudgeRequest]) -> list[JudgeOutcome]:
        raise NotImplementedError

    def _yes_no(self, requests: list[JudgeRequest]) -> list[JudgeOutcome]:
        raise NotImplementedError

    def _counted(self, outcomes: list[JudgeOutcome], n: int) -> list[JudgeOutcome]:
        if len(outcomes) != n:
            raise RuntimeError(f'{type(self).__name__} returned {len(outcomes)} outcomes for {n} requests')
        for o in outcomes:
            self.stats.add(o)
        return outcomes


#: config ``type`` -> ``module:class`` (imported on first use, so nothing heavy loads at import time)
BACKEND_TYPES: dict[str, str] = {
    'openai': 'aigve.models.judges.openai_compat:OpenAICompatBackend',
    'hf': 'aigve.models.judges.local_hf:HFVLMBackend',
    'scripted': 'aigve.models.judges.scripted:ScriptedBackend',
}
#: the answer cache that ``cache=True`` wraps a backend in (it subclasses JudgeBackend, so it is named, not imported)
CACHE_WRAPPER = 'aigve.models.judges.cache:CachedBackend'
_ALIASES = {'openai_compat': 'openai', 'openai-compatible': 'openai', 'vllm': 'openai', 'ollama': 'openai',
            'local_hf': 'hf', 'transformers': 'hf', 'local': 'hf'}


def build_backend(cfg: dict[str, Any] | JudgeBackend) -> JudgeBackend:
    """Build a backend from a config dict (``type`` plus the backend's arguments), or pass a built one through.

    ``cache=True`` (or a dict of :class:`~aigve.models.judges.cache.CachedBackend` arguments, e.g.
    ``dict(root='/path')``) wraps the backend in the on-disk answer cache under ``AIGVE_HOME``.

    Raises:
        TypeError: If ``cfg`` is neither a dict nor a :class:`JudgeBackend`.
        ValueError: If ``type`` is missing or unknown.
    """
    if isinstance(cfg, JudgeBackend):
        return cfg
    if not isinstance(cfg, dict):
        raise TypeError(f'`backend` must be a dict with a `type` or a JudgeBackend, but got {type(cfg).__name__}')
    cfg = dict(cfg)
    kind = cfg.pop('type', None)
    cache = cfg.pop('cache', False)
    kind = _ALIASES.get(str(kind).lower(), str(kind).lower()) if kind is not None else None
    if kind not in BACKEND_TYPES:
        import difflib

        close = difflib.get_close_matches(str(kind), list(BACKEND_TYPES) + list(_ALIASES), n=1)
        hint = f' Did you mean {close[0]!r}?' if close else ''
        raise ValueError(f'`backend.type` must be one of {sorted(BACKEND_TYPES)}, but got {kind!r}.{hint} '
                         'Check `backend` in `val_evaluator` in your config.')
    backend = _resolve(BACKEND_TYPES[kind])(**cfg)
    if cache:
        backend = _resolve(CACHE_WRAPPER)(backend, **(cache if isinstance(cache, dict) else {}))
    return backend


def _resolve(target: str) -> Any:
    """The class named ``'module:Class'``, imported on first use (like the registry's ``locations``)."""
    import importlib

    module, cls_name = target.split(':')
    return getattr(importlib.import_module(module), cls_name)
