"""What the VLM/LLM-judged metrics (VIEScore, TIFA, DSG) share: a backend from the config, asking with bounded
re-asks, per-video call counting and per-video failures.

* :func:`build_judge` makes the backend from the config's ``backend`` dict (or passes a built one through); a
  local backend (``type='hf'``) gets the metric's ``device`` unless the dict sets one.
* :func:`ask_all` sends a list of :class:`Ask` (a request, how to read its reply, which video it serves) to the
  backend in one ``generate`` and one ``yes_no`` call (so an HTTP backend runs them concurrently up to its
  ``max_in_flight``), re-asks an unparsable reply up to ``parse_retries`` times (``attempt`` 1, 2, ...), and
  returns one :class:`Answer` each. A transport failure is not re-asked here (the backend has spent its own bounded
  retries); an answer that is still missing carries the reason, never a guessed value.
* :class:`JudgeMetric` is the base class: subclasses implement :meth:`JudgeMetric.judge_batch`, returning per video
  a score dict or an ``Unscorable`` *and* its :class:`JudgeUsage`; the base keeps the usage in each video's record
  and, in ``compute_metrics``, writes the run's totals (calls, cache hits, failed calls, unparsable replies,
  retries, tokens, calls and tokens per video) and the backend's description into ``self.protocol`` (the results'
  provenance).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from aigve.core.base_metric import BaseVideoMetric, Unscorable
from aigve.models.judges.protocol import JudgeBackend, JudgeFailure, JudgeReply, JudgeRequest, build_backend

__all__ = ['Ask', 'Answer', 'JudgeUsage', 'ask_all', 'build_judge', 'JudgeMetric', 'USAGE_FIELDS']

USAGE_FIELDS = ('calls', 'cache_hits', 'failed_calls', 'unparsable', 'retries', 'tokens_in', 'tokens_out')


class JudgeUsage:
    """Counters of the calls made for one video (or summed over a run)."""

    def __init__(self, **counts: int) -> None:
        self.counts = {k: int(counts.get(k, 0)) for k in USAGE_FIELDS}

    def add(self, outcome: JudgeReply | JudgeFailure, unparsable: bool = False) -> None:
        """Count one outcome (``unparsable``: a reply that came back but could not be read)."""
        c = self.counts
        if isinstance(outcome, JudgeReply) and outcome.cached:
            c['cache_hits'] += 1
        else:
            c['calls'] += 1
            c['retries'] += outcome.retries
            c['tokens_in'] += outcome.tokens_in
            c['tokens_out'] += outcome.tokens_out
        c['failed_calls'] += int(isinstance(outcome, JudgeFailure))
        c['unparsable'] += int(unparsable)

    def merge(self, other: JudgeUsage | dict[str, int]) -> None:
        """Add another usage's counts."""
        counts = other.counts if isinstance(other, JudgeUsage) else other
        for k in USAGE_FIELDS:
            self.counts[k] += int(counts.get(k, 0))

    def to_dict(self) -> dict[str, int]:
        return dict(self.counts)


def _default_parse(method: str) -> Callable[[JudgeReply], Any]:
    if method == 'generate':
        return lambda reply: reply.text

    def yes_prob(reply: JudgeReply) -> float:
        if reply.yes_prob is None:
            raise ValueError(f'the backend gave no yes/no probability (reply {reply.text[:40]!r})')
        return reply.yes_prob

    return yes_prob


@dataclass
class Ask:
    """One request to put to the judge.

    Args:
        request: What to send.
        owner: Index of the video it serves (its usage is counted there). Defaults to 0.
        method: ``'generate'`` or ``'yes_no'``. Defaults to ``'generate'``.
        parse: Reads a :class:`JudgeReply` into a value; raising ``ValueError`` marks the reply unparsable (it is
            re-asked). Defaults to the reply's text (``generate``) or its ``yes_prob`` (``yes_no``, unparsable when
            None).
    """

    request: JudgeRequest
    owner: int = 0
    method: str = 'generate'
    parse: Callable[[JudgeReply], Any] | None = None


@dataclass
class Answer:
    """What came of one :class:`Ask`: ``value`` when ``ok``, else ``failure`` (a one-line reason)."""

    value: Any = None
    failure: str | None = None
    reply: JudgeReply | None = None
    attempts: int = 0
    replies: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.failure is None


def ask_all(backend: JudgeBackend, asks: Sequence[Ask], usage: Sequence[JudgeUsage] | None = None,
            parse_retries: int = 2) -> list[Answer]:
    """Put every ask to ``backend`` (one batched call per method and round) and read the replies.

    Args:
        backend: The judge.
        asks: The requests, with their owners and parsers.
        usage: One :class:`JudgeUsage` per owner, updated in place. Defaults to None (not counted).
        parse_retries: Re-asks of an unparsable reply (with ``attempt`` + 1). Defaults to 2.

    Returns:
        One :class:`Answer` per ask, in order.
    """
    for a in asks:
        if a.method not in ('generate', 'yes_no'):
            raise ValueError(f"`Ask.method` must be 'generate' or 'yes_no', but got {a.method!r}")
    answers = [Answer() for _ in asks]
    pending = list(range(len(asks)))
    requests = {i: asks[i].request for i in pending}
    for round_ in range(parse_retries + 1):
        if not pending:
            break
        still: list[int] = []
        for method in ('generate', 'yes_no'):
            idx = [i for i in pending if asks[i].method == method]
            if not idx:
                continue
            call = backend.generate if method == 'generate' else backend.yes_no
            for i, outcome in zip(idx, call([requests[i] for i in idx])):
                a, ans = asks[i], answers[i]
                ans.attempts += 1
                if isinstance(outcome, JudgeFailure):
                    if usage is not None:
                        usage[a.owner].add(outcome)
                    ans.failure = outcome.reason
                    continue
                ans.reply = outcome
                ans.replies.append(outcome.text)
                try:
                    ans.value = (a.parse or _default_parse(method))(outcome)
                except (ValueError, TypeError, KeyError) as e:
                    if usage is not None:
                        usage[a.owner].add(outcome, unparsable=True)
                    ans.failure = f'unparsable reply after {ans.attempts} attempt(s): {e}'
                    if round_ < parse_retries:
                        r = requests[i]
                        requests[i] = JudgeRequest(r.prompt, r.images, r.max_tokens, r.attempt + 1, r.stop, r.tag)
                        still.append(i)
                    continue
                if usage is not None:
                    usage[a.owner].add(outcome)
                ans.failure = None
        pending = still
    return answers


def build_judge(backend: dict[str, Any] | JudgeBackend | None, device: Any = None,
                owner: str = 'metric') -> JudgeBackend:
    """The backend of a judged metric, from its config dict (``type`` plus arguments) or a built backend.

    Raises:
        ValueError: If no backend is given.
    """
    if backend is None:
        raise ValueError(f'{owner}: `backend` must be given, e.g. dict(type="openai", base_url=..., model=..., '
                         'api_key_env="OPENAI_API_KEY") or dict(type="hf", model="Qwen/Qwen2-VL-2B-Instruct"); '
                         'check `val_evaluator` in your config')
    if isinstance(backend, dict):
        cfg = dict(backend)
        kind = str(cfg.get('type', '')).lower()
        if kind in ('hf', 'local_hf', 'transformers', 'local') and 'device' not in cfg and device is not None:
            cfg['device'] = str(device)
        return build_backend(cfg)
    return build_backend(backend)


class JudgeMetric(BaseVideoMetric):
    """Base of the judged metrics: a backend, bounded re-asks, usage counting, per-video failures.

    Subclasses implement :meth:`judge_batch`. ``process`` keeps each video's usage beside its scores;
    ``compute_metrics`` sums it into ``self.protocol['usage']`` and records the backend in
    ``self.protocol['backend']``.

    Args:
        backend: Backend config dict (``type='openai'`` / ``'hf'`` / ``'scripted'`` and its arguments) or a built
            :class:`~aigve.models.judges.protocol.JudgeBackend`.
        parse_retries: Re-asks of an unparsable reply before the video fails. Defaults to 2.
        device: Device of a local backend. Defaults to ``'auto'``.
        collect_device: See ``BaseMetric``. Defaults to ``'cpu'``.
        prefix: Result-key prefix. Defaults to the class's ``default_prefix``.
    """

    needs_prompt = True
    streams_frames = True  # judged metrics read a few frames with take_frames

    def __init__(self, backend: dict[str, Any] | JudgeBackend | None = None, parse_retries: int = 2,
                 device: str = 'auto', collect_device: str = 'cpu', prefix: str | None = None) -> None:
        super().__init__(device=device, collect_device=collect_device, prefix=prefix)
        if not isinstance(parse_retries, int) or parse_retries < 0:
            raise ValueError(f'`parse_retries` must be an int >= 0, but got {parse_retries!r}')
        self.parse_retries = parse_retries
        self.judge = build_judge(backend, self.device, type(self).__name__)
        inner = getattr(self.judge, 'inner', self.judge)
        self.record_weights(getattr(inner, 'resolved', None))
        self.protocol['backend'] = self.judge.describe()

    # ----------------------------------------------------------------------------- subclass hook
    def judge_batch(self, videos: Sequence[Any],
                    samples: Sequence[dict]) -> list[tuple[dict[str, float] | Unscorable, JudgeUsage]]:
        """Score a batch: per video, a score dict (or ``Unscorable``) and the usage its calls took."""
        raise NotImplementedError

    def ask(self, asks: Sequence[Ask], usage: Sequence[JudgeUsage]) -> list[Answer]:
        """:func:`ask_all` with this metric's backend and ``parse_retries``."""
        return ask_all(self.judge, asks, usage, self.parse_retries)

    # ------------------------------------------------------------------------------------- plumbing
    def score_batch(self, videos: Sequence[Any], samples: Sequence[dict]) -> list[dict[str, float] | Unscorable]:
        """Scores only (``score`` and notebooks); runs go through :meth:`process`, which keeps the usage too."""
        return [score for score, _ in self.judge_batch(videos, samples)]

    def process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        """Judge the batch; keep one record per video with its scores (or failure) and its usage.

        The records are ``BaseVideoMetric``'s (``scores`` or ``failure``) plus ``usage``; it calls
        :meth:`judge_batch` directly (not :meth:`score_batch`, which subclasses may trim for notebooks).
        """
        from aigve.utils.video_io import VideoReadError

        videos = list(data_batch['inputs'] if isinstance(data_batch, dict) else data_batch)
        with torch.no_grad():
            try:
                judged = self.judge_batch(*self.whole_videos_unless_streaming(videos, data_samples))
            except VideoReadError:  # a lazy video failed to decode: judge one by one, count the bad ones
                judged = [self._judge_one(v, s) for v, s in zip(videos, data_samples)]
        for sample, (score, usage) in zip(data_samples, judged):
            record: dict[str, Any] = dict(video=sample['video'], video_id=sample.get('video_id'),
                                          usage=usage.to_dict())
            if isinstance(score, Unscorable):
                record['failure'] = score.reason
            else:
                record['scores'] = {k: float(v) for k, v in score.items()}
            self.results.append(record)

    def _judge_one(self, video: Any, sample: dict) -> tuple[dict[str, float] | Unscorable, JudgeUsage]:
        from aigve.utils.video_io import VideoReadError

        try:
            return self.judge_batch(*self.whole_videos_unless_streaming([video], [sample]))[0]
        except VideoReadError as e:
            return Unscorable(str(e)), JudgeUsage()

    def compute_metrics(self, results: list) -> dict[str, float]:
        """Mean scores over the scored videos (see ``BaseVideoMetric``); usage totals into ``protocol``."""
        total = JudgeUsage()
        for r in results:
            total.merge(r.get('usage') or {})
        n = max(1, len(results))
        usage: dict[str, Any] = dict(videos=len(results), **total.to_dict())
        usage['calls_per_video'] = round(total.counts['calls'] / n, 3)
        usage['tokens_per_video'] = round((total.counts['tokens_in'] + total.counts['tokens_out']) / n, 1)
        usage['failed_videos'] = sum(1 for r in results if 'failure' in r)
        self.protocol['usage'] = usage
        self.protocol['backend'] = self.judge.describe()
        return super().compute_metrics(results)
