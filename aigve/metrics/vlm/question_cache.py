"""Generated questions of TIFA and DSG: the on-disk cache, the per-run bank, and the metrics' shared base.

* :class:`QuestionCache`: one LLM run per unique prompt, ever (on disk, below).
* :class:`QuestionBank`: a run's questions per prompt (precomputed file, cache, or generated once, in the main
  process before any VQA call).
* :class:`QAMetric`: the base of :class:`~aigve.metrics.vlm.tifa.TIFA` and :class:`~aigve.metrics.vlm.dsg.DSG`.

The cache:

An entry lives at ``$AIGVE_HOME/questions/<metric>/<kk>/<key>.json`` where ``key`` hashes

* the metric (``'tifa'``, ``'dsg'``) and a version of this recipe,
* the sha256 of the metric's question-generation template(s),
* the LLM backend's :meth:`~aigve.models.judges.protocol.JudgeBackend.describe` (model, temperature, seed, ...:
  never a secret),
* the decoding settings the metric adds (``max_tokens``, ``stop``),
* and the prompt text.

The file holds those parts in clear (for inspection) and the metric's payload: TIFA's raw reply and parsed
pairs, DSG's three raw replies and parsed graph. Files are written atomically (a temporary sibling, then a
rename), so parallel runs or an interrupted one never leave half a file; an unreadable file counts as a miss.
Only successful generations are stored: a failed LLM call is asked again on the next run.
"""
from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import torch
from mmengine.logging import print_log

from aigve.core.base_metric import Unscorable
from aigve.models.judges.protocol import JudgeBackend
from aigve.utils.atomic import write_json_atomic
from aigve.utils.frames import check_video, select_frames
from aigve.utils.hashing import settings_hash
from aigve.utils.lazy_video import take_frames
from aigve.utils.paths import aigve_home

from ._common import Answer, Ask, JudgeMetric, JudgeUsage, ask_all, build_judge

__all__ = ['QuestionCache', 'QuestionBank', 'GenerationFailed', 'QAMetric', 'default_question_cache_root',
           'CACHE_VERSION']

#: bump when the key's recipe or the payload layout changes, so old entries are not misread
CACHE_VERSION = 1


def default_question_cache_root() -> Path:
    """``$AIGVE_HOME/questions``."""
    return aigve_home() / 'questions'


class QuestionCache:
    """Generated questions of one metric, keyed by template, model, decoding settings and prompt.

    Args:
        metric: The metric's name (``'tifa'``, ``'dsg'``): the cache subfolder and part of the key.
        template_sha256: Hash of the question-generation template(s) (a change of prompt text is a new key).
        model: The LLM backend's ``describe()`` dict.
        decoding: Decoding settings the metric sets per request (``max_tokens``, ``stop``, ...).
        root: Cache folder. Defaults to ``$AIGVE_HOME/questions``.
        enabled: False turns reading and writing off (every prompt is generated). Defaults to True.

    Examples:
        >>> cache = QuestionCache('tifa', 'abc', dict(model='m'), dict(max_tokens=700), root='/tmp/q')
        >>> cache.key('a cat') == cache.key('a cat') != cache.key('a dog')
        True
    """

    def __init__(self, metric: str, template_sha256: str, model: dict[str, Any], decoding: dict[str, Any],
                 root: str | os.PathLike | None = None, enabled: bool = True) -> None:
        if not isinstance(metric, str) or not metric:
            raise ValueError(f'`metric` must be a non-empty str, but got {metric!r}')
        self.metric = metric
        self.template_sha256 = template_sha256
        self.model = dict(model)
        self.decoding = dict(decoding)
        self.root = Path(root) if root is not None else default_question_cache_root()
        self.enabled = enabled
        self.hits = 0
        self.misses = 0

    def key(self, prompt: str) -> str:
        """The sha256 key of ``prompt`` under this cache's metric, template, model and decoding settings."""
        return settings_hash(CACHE_VERSION, self.metric, self.template_sha256, self.model, self.decoding, prompt)

    def path(self, prompt: str) -> Path:
        """Where ``prompt``'s entry is (or would be) stored."""
        key = self.key(prompt)
        return self.root / self.metric / key[:2] / f'{key}.json'

    def get(self, prompt: str) -> dict[str, Any] | None:
        """The cached payload of ``prompt``, or None (disabled, missing, or unreadable: a WARNING, then a miss)."""
        if not self.enabled:
            return None
        path = self.path(prompt)
        if not path.is_file():
            self.misses += 1
            return None
        try:
            entry = json.loads(path.read_text(encoding='utf-8'))
            if entry.get('prompt') != prompt or entry.get('key') != path.stem:
                raise ValueError('the entry belongs to another key')
            payload = entry['payload']
        except (OSError, ValueError, KeyError, TypeError) as e:
            print_log(f'{self.metric}: ignoring unreadable question-cache entry {path} ({e})', logger='current',
                      level=30)
            self.misses += 1
            return None
        self.hits += 1
        return payload

    def put(self, prompt: str, payload: dict[str, Any]) -> Path | None:
        """Store ``payload`` for ``prompt`` atomically; returns the file (None when disabled)."""
        if not self.enabled:
            return None
        path = self.path(prompt)
        write_json_atomic(path, dict(key=path.stem, version=CACHE_VERSION, metric=self.metric,
                                     template_sha256=self.template_sha256, model=self.model,
                                     decoding=self.decoding, prompt=prompt, payload=payload))
        return path


class GenerationFailed:
    """Question generation for one prompt failed (the LLM call, or no usable question came back): the reason."""

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def __repr__(self) -> str:
        return f'GenerationFailed({self.reason!r})'


class QuestionBank:
    """Questions per prompt for one run: memory first, then the disk cache, then one generation per prompt.

    :meth:`ensure` is called with a batch's prompts before any VQA call (in the main process, never in a
    dataset worker); the prompts not known yet are generated together by ``make`` (so an HTTP backend runs
    them concurrently), the successes are written to the disk cache, and failures are remembered for the run
    (a prompt that failed is not asked again until the next run).

    Args:
        make: ``prompts -> [payload dict | GenerationFailed, ...]`` (same order).
        cache: The disk cache, or None for memory only.
    """

    def __init__(self, make: Callable[[list[str]], list[dict[str, Any] | GenerationFailed]],
                 cache: QuestionCache | None = None) -> None:
        self.make = make
        self.cache = cache
        self.generated = 0
        self._known: dict[str, dict[str, Any] | GenerationFailed] = {}

    def add(self, prompt: str, payload: dict[str, Any]) -> None:
        """Give ``prompt`` its questions directly (precomputed files); nothing is written to disk."""
        self._known[prompt] = payload

    def ensure(self, prompts: Iterable[str]) -> None:
        """Make sure every prompt has questions (or a recorded failure)."""
        missing = []
        for prompt in prompts:
            if prompt in self._known or prompt in missing:
                continue
            payload = self.cache.get(prompt) if self.cache is not None else None
            if payload is not None:
                self._known[prompt] = payload
            else:
                missing.append(prompt)
        if not missing:
            return
        made = self.make(missing)
        if len(made) != len(missing):
            raise RuntimeError(f'question generation returned {len(made)} results for {len(missing)} prompts')
        for prompt, payload in zip(missing, made):
            self._known[prompt] = payload
            if not isinstance(payload, GenerationFailed):
                self.generated += 1
                if self.cache is not None:
                    self.cache.put(prompt, payload)

    def get(self, prompt: str) -> dict[str, Any] | GenerationFailed:
        """The questions of ``prompt`` (call :meth:`ensure` first)."""
        self.ensure([prompt])
        return self._known[prompt]

    def counts(self) -> dict[str, int]:
        """Prompts known, generated in this run, failed, and disk-cache hits (for provenance)."""
        failed = sum(isinstance(v, GenerationFailed) for v in self._known.values())
        hits = self.cache.hits if self.cache is not None else 0
        return dict(prompts=len(self._known), generated=self.generated, failed=failed, question_cache_hits=hits)


class QAMetric(JudgeMetric):
    """Base of the question-answering metrics (TIFA, DSG): questions per prompt first, then VQA on frames.

    Per batch, :meth:`judge_batch` first makes sure every prompt of the batch has its questions
    (:meth:`prepare`: a precomputed file, the disk cache, or one generation per prompt not seen before, all the
    batch's new prompts at once), then asks the VQA backend every (frame, question) pair of the batch in one go
    and scores each video from its answers. A video whose prompt has no questions, or any of whose VQA calls
    failed, is ``Unscorable`` with the reason; nothing is guessed.

    Subclasses set ``qg_name`` and implement :meth:`template_sha256`, :meth:`qg_decoding`,
    :meth:`generate_questions`, :meth:`read_questions_file`, :meth:`usable_questions`, :meth:`video_asks` and
    :meth:`video_scores`.

    Args:
        backend: The VQA backend (config dict or built backend); see :class:`~aigve.metrics.vlm._common.JudgeMetric`.
        qg_backend: The LLM that writes the questions. Defaults to None: ``backend`` itself, unless
            ``questions_file`` is given (then prompts missing from the file are not generated but fail).
        questions_file: A precomputed question file (format per metric). Defaults to None.
        num_frames: Frames per video shown to the VQA model, spread uniformly (segment centres); ``None`` uses
            every frame the pipeline gives. Defaults to 4.
        question_cache: Cache generated questions under ``$AIGVE_HOME/questions``. Defaults to True.
        cache_root: Another folder for that cache. Defaults to None.
        parse_retries: Re-asks of an unparsable reply (question generation included). Defaults to 2.
        device: Device of local models. Defaults to ``'auto'``.
        collect_device: See ``BaseMetric``. Defaults to ``'cpu'``.
        prefix: Result-key prefix. Defaults to the class's ``default_prefix``.
    """

    #: the metric's name in cache keys and folders
    qg_name = 'qa'

    def __init__(self, backend: dict[str, Any] | JudgeBackend | None = None,
                 qg_backend: dict[str, Any] | JudgeBackend | None = None, questions_file: str | None = None,
                 num_frames: int | None = 4, question_cache: bool = True, cache_root: str | None = None,
                 parse_retries: int = 2, device: str = 'auto', collect_device: str = 'cpu',
                 prefix: str | None = None) -> None:
        super().__init__(backend=backend, parse_retries=parse_retries, device=device,
                         collect_device=collect_device, prefix=prefix)
        name = type(self).__name__
        if num_frames is not None and (isinstance(num_frames, bool) or not isinstance(num_frames, int)
                                       or num_frames < 1):
            raise ValueError(f'`num_frames` must be None or an int >= 1, but got {num_frames!r}; '
                             'check `val_evaluator` in your config')
        if questions_file is not None and not isinstance(questions_file, str):
            raise TypeError(f'`questions_file` must be a path (str) or None, but got {type(questions_file).__name__}')
        self.num_frames = num_frames
        if qg_backend is not None:
            self.qg_judge: JudgeBackend | None = build_judge(qg_backend, self.device, f'{name} (qg_backend)')
            self.record_weights(getattr(getattr(self.qg_judge, 'inner', self.qg_judge), 'resolved', None))
        else:
            self.qg_judge = None if questions_file is not None else self.judge
        self.qg_usage = JudgeUsage()
        cache = None
        if self.qg_judge is not None:
            cache = QuestionCache(self.qg_name, self.template_sha256(), self.qg_judge.describe(), self.qg_decoding(),
                                  root=cache_root, enabled=question_cache)
        self.bank = QuestionBank(self._make_questions, cache)
        self.questions_file = questions_file
        if questions_file is not None:
            for prompt, payload in self.read_questions_file(questions_file).items():
                self.bank.add(prompt, payload)
        self.protocol.update(num_frames='all given' if num_frames is None else num_frames,
                             frame_selection='uniform (segment centres)', template_sha256=self.template_sha256(),
                             questions_file=questions_file,
                             qg_backend=None if self.qg_judge is None else self.qg_judge.describe())

    # ----------------------------------------------------------------------------- subclass hooks
    def template_sha256(self) -> str:
        """Hash of the question-generation template(s)."""
        raise NotImplementedError

    def qg_decoding(self) -> dict[str, Any]:
        """Decoding settings of the question-generation requests (part of the cache key)."""
        raise NotImplementedError

    def generate_questions(self, prompts: list[str]) -> list[dict[str, Any] | GenerationFailed]:
        """One payload (or failure) per prompt, made with :attr:`qg_judge` (use :meth:`qg_ask`)."""
        raise NotImplementedError

    def read_questions_file(self, path: str) -> dict[str, dict[str, Any]]:
        """Prompt text -> payload, from a precomputed question file."""
        raise NotImplementedError

    def usable_questions(self, payload: dict[str, Any]) -> Any:
        """The questions of a payload as scored (after any filter); a falsy value means none."""
        raise NotImplementedError

    def video_asks(self, questions: Any, frames: torch.Tensor, owner: int) -> list[Ask]:
        """The VQA asks of one video (every question on every frame)."""
        raise NotImplementedError

    def video_scores(self, questions: Any, answers: list[Answer], n_frames: int) -> dict[str, float]:
        """The scores of one video from its answers (all successful), in :meth:`video_asks` order."""
        raise NotImplementedError

    # ------------------------------------------------------------------------------------ helpers
    def qg_ask(self, asks: Sequence[Ask]) -> list[Answer]:
        """Put question-generation asks to :attr:`qg_judge`; usage goes to :attr:`qg_usage`."""
        if self.qg_judge is None:
            raise RuntimeError('no question-generation backend')
        owners = [JudgeUsage() for _ in asks]
        asks = [Ask(a.request, owner=i, method=a.method, parse=a.parse) for i, a in enumerate(asks)]
        answers = ask_all(self.qg_judge, asks, owners, self.parse_retries)
        for u in owners:
            self.qg_usage.merge(u)
        return answers

    def _make_questions(self, prompts: list[str]) -> list[dict[str, Any] | GenerationFailed]:
        if self.qg_judge is None:
            return [GenerationFailed(f'the prompt is not in questions_file {self.questions_file} (set `qg_backend` '
                                     'to generate questions for such prompts)') for _ in prompts]
        return self.generate_questions(prompts)

    def prepare(self, prompts: Iterable[str]) -> None:
        """Make sure every prompt has its questions before any VQA call (generates the missing ones at once)."""
        self.bank.ensure(p.strip() for p in prompts if isinstance(p, str) and p.strip())

    def frames_of(self, video: Any) -> torch.Tensor:
        """The frames shown to the VQA model: ``num_frames`` spread uniformly, ``(F, 3, H, W)`` uint8."""
        check_video(video)
        total = int(video.shape[0])
        if self.num_frames is None:
            return take_frames(video, list(range(total)))
        return take_frames(video, select_frames(total, num_frames=self.num_frames, strategy='uniform'))

    # ------------------------------------------------------------------------------------- judging
    def judge_batch(self, videos: Sequence[Any],
                    samples: Sequence[dict]) -> list[tuple[dict[str, float] | Unscorable, JudgeUsage]]:
        """Questions for the batch's prompts, then every (frame, question) VQA call of the batch at once."""
        usage = [JudgeUsage() for _ in videos]
        verdicts: list[dict[str, float] | Unscorable | None] = [None] * len(videos)
        self.prepare(s.get('prompt') for s in samples)
        plans: dict[int, tuple[Any, int, list[int]]] = {}
        asks: list[Ask] = []
        for i, (video, sample) in enumerate(zip(videos, samples)):
            prompt = sample.get('prompt')
            if not isinstance(prompt, str) or not prompt.strip():
                verdicts[i] = Unscorable('no prompt: this metric needs the text prompt of each video')
                continue
            payload = self.bank.get(prompt.strip())
            if isinstance(payload, GenerationFailed):
                verdicts[i] = Unscorable(f'no questions for this prompt: {payload.reason}')
                continue
            questions = self.usable_questions(payload)
            if not questions:
                verdicts[i] = Unscorable('no usable question for this prompt '
                                         f'({"; ".join(payload.get("problems", [])[:2]) or "none generated"})')
                continue
            try:
                frames = self.frames_of(video)
            except (TypeError, ValueError) as e:
                verdicts[i] = Unscorable(str(e))
                continue
            mine = self.video_asks(questions, frames, owner=i)
            plans[i] = (questions, int(frames.shape[0]), list(range(len(asks), len(asks) + len(mine))))
            asks.extend(mine)
        answers = self.ask(asks, usage) if asks else []
        for i, (questions, n_frames, idx) in plans.items():
            got = [answers[j] for j in idx]
            failed = [a for a in got if not a.ok]
            if failed:
                verdicts[i] = Unscorable(f'{len(failed)} of {len(got)} VQA calls failed; first: {failed[0].failure}')
            else:
                verdicts[i] = self.video_scores(questions, got, n_frames)
        return [(v, u) for v, u in zip(verdicts, usage)]

    def score_batch(self, videos: Sequence[Any], samples: Sequence[dict]) -> list[dict[str, float] | Unscorable]:
        """Scores only (``score`` and notebooks), without the hidden per-video counters (keys starting ``_``)."""
        return [s if isinstance(s, Unscorable) else {k: v for k, v in s.items() if not k.startswith('_')}
                for s in super().score_batch(videos, samples)]

    def compute_metrics(self, results: list) -> dict[str, float]:
        """As :class:`JudgeMetric`, plus question-generation usage and counts in ``protocol``."""
        qg = dict(self.bank.counts(), **self.qg_usage.to_dict())
        self.protocol['question_generation'] = qg
        return super().compute_metrics(results)
