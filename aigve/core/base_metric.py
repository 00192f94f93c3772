"""``BaseVideoMetric``: an MMEngine ``BaseMetric`` that carries its card and a Runner-free entry.

Sample contract (what ``process`` receives, built by :class:`aigve.datasets.BaseVideoDataset`):

* ``data_batch['inputs']``: list of generated videos, each a ``(T, C, H, W)`` uint8 RGB tensor.
* ``data_samples``: list of dicts with ``video`` (path as written in the annotation), ``video_id``,
  ``prompt`` (str or None), ``ref_video`` (``(T, C, H, W)`` uint8 tensor or None), ``ref_video_path``,
  ``fps`` (float or None) and ``meta`` (dict).

Per-video metrics implement :meth:`score_batch`; the base class turns its output into per-video records
and a sample-weighted mean over the whole dataset. Set-level metrics override ``process`` and
``compute_metrics`` and keep ``per_video`` empty.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from mmengine.dist import all_gather_object, broadcast_object_list, is_main_process
from mmengine.evaluator import BaseMetric

from aigve.utils.device import resolve_device


class Unscorable:
    """Returned by ``score_batch`` in place of a score dict for a video the metric cannot score.

    The video is then listed in the run's failures with ``reason`` instead of being silently dropped.
    """

    def __init__(self, reason: str) -> None:
        self.reason = reason


class NoVideoScored(RuntimeError):
    """A metric scored none of the videos it was given (each one is in its ``failures`` with the reason)."""


class BaseVideoMetric(BaseMetric):
    """Base class of every aigve metric.

    Card attributes (class level, read by the docs, the service and ``aigve metrics``):

    * ``higher_is_better``: direction of the headline score.
    * ``score_range``: ``(low, high)``, ``None`` for an unbounded side.
    * ``needs_reference``: the metric reads ``ref_video``.
    * ``needs_prompt``: the metric reads ``prompt``.
    * ``set_level``: one number for the whole set (FID, FVD) rather than one per video.

    Args:
        device: ``'auto'`` (CUDA when available, else CPU), ``'cpu'``, ``'cuda'`` or ``'cuda:N'``.
            Defaults to ``'auto'``.
        collect_device: Where results are gathered in distributed runs. Defaults to ``'cpu'``.
        prefix: Prefix of the result keys. Defaults to the class's ``default_prefix``.
    """

    higher_is_better: bool = True
    score_range: tuple[float | None, float | None] = (None, None)
    needs_reference: bool = False
    needs_prompt: bool = False
    set_level: bool = False
    #: True for a metric whose architecture or weights are not the authors' (its card says what is inferred)
    experimental: bool = False
    #: per-video records of this metric may be journaled and reused on resume (one record per video from
    #: ``process``); set False for a metric whose records depend on more than the video, prompt and config
    journaled: bool = True
    #: the metric reads videos with :func:`aigve.utils.lazy_video.iter_chunks`, so a
    #: :class:`~aigve.utils.lazy_video.LazyVideo` (a video too large to hold whole) reaches it as it is;
    #: otherwise ``process`` decodes such videos whole first
    streams_frames: bool = False

    def __init__(self, device: str = 'auto', collect_device: str = 'cpu', prefix: str | None = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.device = resolve_device(device)
        #: checkpoint name -> sha256 of every weight file this metric loaded (recorded in provenance)
        self.weights_used: dict[str, str] = {}
        #: the full record of every checkpoint this metric loaded (see :meth:`record_weights`)
        self.weights: list[Any] = []
        #: how the numbers were made (backbone, resolution, frames, ...), recorded in provenance
        self.protocol: dict[str, Any] = {}
        #: per-video records of the last ``compute_metrics`` call, keys prefixed like the metrics
        self.per_video: list[dict[str, Any]] = []
        #: videos this metric could not score in the last ``compute_metrics`` call: dict(video, reason)
        self.failures: list[dict[str, str]] = []

    def record_weights(self, resolved: Any) -> None:
        """Record a loaded checkpoint (a :class:`~aigve.utils.weights.ResolvedWeights`) in provenance.

        The one way a metric reports the weights it loaded: every loader returns ``(module, resolved)`` and the
        metric passes ``resolved`` here. ``None`` (an injected module, or random weights) records nothing.
        """
        if resolved is None:
            return
        self.weights.append(resolved)
        self.weights_used[resolved.name] = resolved.sha256

    # ----------------------------------------------------------------------------------------- card
    @classmethod
    def card(cls) -> dict[str, Any]:
        """Return the metric's card as a plain dict."""
        low, high = cls.score_range
        return dict(
            name=cls.__name__,
            prefix=cls.default_prefix,
            higher_is_better=cls.higher_is_better,
            score_range=[low, high],
            needs_reference=cls.needs_reference,
            needs_prompt=cls.needs_prompt,
            set_level=cls.set_level,
            experimental=cls.experimental,
            summary=(cls.__doc__ or '').strip().splitlines()[0] if cls.__doc__ else '',
        )

    # ------------------------------------------------------------------------------ before the loop
    def prepare(self, prompts: Sequence[str]) -> None:
        """Called by the loop once, before the first batch, with every distinct prompt of the dataset.

        For work done once per prompt rather than per video (TIFA's and DSG's question generation), so that it
        runs in the main process before any video is scored, not in dataset workers. Default: nothing.
        """

    # ------------------------------------------------------------------------------ per-video path
    def score_batch(self, videos: Sequence[torch.Tensor],
                    samples: Sequence[dict]) -> list[dict[str, float] | Unscorable]:
        """Score a batch of videos; one dict of float scores (or an :class:`Unscorable`) per video.

        Per-video metrics implement this; set-level metrics override ``process`` instead.
        """
        raise NotImplementedError(f'{type(self).__name__} must implement `score_batch` or `process`')

    def process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        """Score the batch and keep one small CPU record per video."""
        from aigve.utils.video_io import VideoReadError

        videos = list(data_batch['inputs'] if isinstance(data_batch, dict) else data_batch)
        with torch.no_grad():
            try:
                scores = self.score_batch(*self.whole_videos_unless_streaming(videos, data_samples))
            except VideoReadError:  # a lazy video failed to decode: score one by one, count the bad ones
                scores = [self._score_or_unscorable(v, s) for v, s in zip(videos, data_samples)]
        for sample, score in zip(data_samples, scores):
            record = dict(video=sample['video'], video_id=sample.get('video_id'))
            if isinstance(score, Unscorable):
                record['failure'] = score.reason
            else:
                record['scores'] = {k: float(v) for k, v in score.items()}
            self.results.append(record)

    def _score_or_unscorable(self, video: Any, sample: dict) -> dict[str, float] | Unscorable:
        """Score one video; a video that fails to decode here (a lazy one) becomes :class:`Unscorable`."""
        from aigve.utils.video_io import VideoReadError

        try:
            return self.score_batch(*self.whole_videos_unless_streaming([video], [sample]))[0]
        except VideoReadError as e:
            return Unscorable(str(e))

    def whole_videos_unless_streaming(self, videos: list,
                                      data_samples: Sequence[dict]) -> tuple[list, list[dict]]:
        """The videos and samples; lazy videos (and references) decoded whole unless the metric ``streams_frames``."""
        samples = list(data_samples)
        if self.streams_frames:
            return videos, samples
        from aigve.utils.lazy_video import materialize

        samples = [dict(s, ref_video=materialize(s['ref_video'])) if isinstance(s, dict) and 'ref_video' in s
                   else s for s in samples]
        return [materialize(v) for v in videos], samples

    def evaluate(self, size: int) -> dict[str, float]:
        """Gather every rank's records exactly (no padding, none dropped), compute once, share the result.

        Unlike MMEngine's default, records are gathered whole and put back in dataset order (``video_id``),
        so per-video values and aggregates do not depend on the number of processes. ``size`` is unused.
        """
        parts = all_gather_object(list(self.results))
        results = [r for part in parts for r in part]
        results.sort(key=lambda r: (r.get('video_id') is None, r.get('video_id') or 0))
        payload: list[Any] = [None]
        if is_main_process():
            try:  # an error reaches every rank (raised on the main one alone, the others would wait forever)
                values = self.compute_metrics(results)
                payload = [{f'{self.prefix}/{k}' if self.prefix else k: v for k, v in values.items()}]
            except Exception as e:  # re-raised below, on every rank
                payload = [e]
        broadcast_object_list(payload)
        self.results.clear()
        if isinstance(payload[0], Exception):
            raise payload[0]
        return payload[0]

    def compute_metrics(self, results: list) -> dict[str, float]:
        """Sample-weighted mean of every score over all videos; fills ``per_video`` and ``failures``.

        Raises:
            NoVideoScored: If no video was scored.
        """
        self.failures = [
            dict(video=r['video'], video_id=r.get('video_id'), reason=f"{self.prefix}: {r['failure']}")
            for r in results if 'failure' in r
        ]
        results = [r for r in results if 'failure' not in r]
        if not results:
            named = '; '.join(f"{f['video']}: {f['reason']}" for f in self.failures[:3])
            more = f' (and {len(self.failures) - 3} more)' if len(self.failures) > 3 else ''
            raise NoVideoScored(f'{type(self).__name__}: no video was scored, so there is nothing to aggregate'
                                + (f' ({len(self.failures)} failed: {named}{more})' if self.failures else ''))
        prefix = f'{self.prefix}/' if self.prefix else ''
        self.per_video = [
            dict(video=r['video'], **{prefix + k: v for k, v in r['scores'].items()}) for r in results
        ]
        keys = list(results[0]['scores'])
        return {k: sum(r['scores'][k] for r in results) / len(results) for k in keys}

    # ------------------------------------------------------------------------------- notebook use
    def evaluate_videos(self,
                        videos: Sequence[torch.Tensor],
                        prompts: Sequence[str | None] | None = None,
                        ref_videos: Sequence[torch.Tensor | None] | None = None,
                        batch_size: int = 8) -> dict[str, float]:
        """Run the metric on in-memory videos without a Runner.

        Inputs:
            ``videos``: sequence of ``(T, C, H, W)`` uint8 RGB tensors; ``prompts`` and ``ref_videos``
            align with them when the metric needs them.

        Returns:
            The unprefixed metric dict, as ``compute_metrics`` returns it. ``self.per_video`` holds the
            per-video records afterwards.
        """
        n = len(videos)
        prompts = list(prompts) if prompts is not None else [None] * n
        ref_videos = list(ref_videos) if ref_videos is not None else [None] * n
        if len(prompts) != n or len(ref_videos) != n:
            raise ValueError(
                f'`prompts` and `ref_videos` must have one entry per video ({n}), '
                f'but got {len(prompts)} and {len(ref_videos)}')
        self.results.clear()
        for start in range(0, n, batch_size):
            stop = min(start + batch_size, n)
            samples = [
                dict(video=f'video_{i}', video_id=i, prompt=prompts[i], ref_video=ref_videos[i],
                     ref_video_path=None, fps=None, meta={}) for i in range(start, stop)
            ]
            self.process(dict(inputs=list(videos[start:stop]), data_samples=samples), samples)
        try:
            return self.compute_metrics(self.results)
        finally:
            self.results.clear()

    def score(self, video: torch.Tensor, prompt: str | None = None,
              ref_video: torch.Tensor | None = None) -> dict[str, float]:
        """Score one video (per-video metrics only); returns its unprefixed scores."""
        if self.set_level:
            raise TypeError(f'{type(self).__name__} is set-level; use `evaluate_videos` on a set of videos')
        sample = dict(video='video_0', video_id=0, prompt=prompt, ref_video=ref_video, ref_video_path=None,
                      fps=None, meta={})
        with torch.no_grad():
            score = self.score_batch([video], [sample])[0]
        if isinstance(score, Unscorable):
            raise ValueError(f'{type(self).__name__} cannot score this video: {score.reason}')
        return {k: float(v) for k, v in score.items()}


class SummaryMetric(BaseVideoMetric):
    """A score made from other metrics' aggregates in the same run (VBench's Quality/Semantic/Total, ...).

    It reads no video: list it in ``val_evaluator`` after the metrics it combines. The loop calls
    :meth:`summarize` with every other metric's (prefixed) aggregates once they are computed, and adds what it
    returns, prefixed, to the run's metrics; whatever it could not compute it explains in ``self.protocol``.
    """

    set_level = True
    journaled = False

    def process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        """Nothing to do per batch."""

    def evaluate(self, size: int) -> dict[str, float]:
        """Nothing on its own: see :meth:`summarize`."""
        return {}

    def compute_metrics(self, results: list) -> dict[str, float]:
        return {}

    def summarize(self, metrics: dict[str, float]) -> dict[str, float]:
        """Return the summary scores (unprefixed) from the other metrics' prefixed aggregates ``metrics``."""
        raise NotImplementedError(f'{type(self).__name__} must implement `summarize`')

    def summary(self, metrics: dict[str, float]) -> dict[str, float]:
        """:meth:`summarize`, with the keys prefixed like every metric's."""
        prefix = f'{self.prefix}/' if self.prefix else ''
        return {prefix + k: v for k, v in self.summarize(metrics).items()}
