"""``SetLevelMetric``: the shared machinery of FID, IS, FVD and KID.

A set-level metric keeps one running accumulator per side (``'generated'`` from ``data_batch['inputs']``,
``'reference'`` from ``data_samples[i]['ref_video']``) **in the metric object**, not a growing
``self.results`` list:

* :class:`~aigve.metrics.distribution.functional.GaussianStats` (FID, FVD): count, sum and sum of outer
  products in float64, so memory is ``d + d^2`` doubles whatever the number of videos;
* :class:`FeatureBank` (IS, KID): the feature rows themselves (float32), because subset / split estimators
  need them; memory grows as ``4 * d`` bytes per frame or clip.

``evaluate(size)`` gathers the accumulators of all ranks (``mmengine.dist.all_gather_object``), merges them,
computes on the main process, broadcasts the metrics, adds the prefix and resets, so a distributed run gives
the numbers of a single process. ``evaluate_videos`` (notebooks) goes through ``process`` and
``compute_metrics``, which read the same accumulators.

Reference statistics can be saved (``save_ref_stats``) and loaded (``ref_stats_file``). The file records the
extractor spec (name, weights sha256, preprocessing, frames, ...); loading it under another spec raises.
"""
from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from typing import Any

import torch
from mmengine.dist import all_gather_object, broadcast_object_list, is_main_process
from mmengine.logging import print_log

from aigve.core.base_metric import BaseVideoMetric
from aigve.utils.atomic import atomic_open
from aigve.utils.feature_cache import FeatureCache
from aigve.utils.weights import ResolvedWeights

from .functional import GaussianStats

__all__ = ['STATS_FORMAT', 'FeatureBank', 'SetLevelMetric', 'load_ref_stats', 'save_ref_stats']

#: Format tag and version written in every reference-statistics file.
STATS_FORMAT = 'aigve-reference-stats/1'
SIDES = ('generated', 'reference')


class FeatureBank:
    """Keeps feature rows (float32, CPU) with the same interface as ``GaussianStats`` for the metric base.

    Memory: ``4 * d`` bytes per row (8 KiB per frame for 2048-d Inception features, 4 KiB for 1008 IS probs).
    """

    def __init__(self) -> None:
        self.chunks: list[torch.Tensor] = []
        self.count = 0

    @property
    def dim(self) -> int | None:
        return int(self.chunks[0].shape[1]) if self.chunks else None

    def update(self, features: torch.Tensor) -> None:
        if features.dim() != 2:
            raise ValueError(f'`features` must be 2-D, but got shape {tuple(features.shape)}')
        if self.chunks and features.shape[1] != self.dim:
            raise ValueError(f'`features` must have {self.dim} columns, but got {features.shape[1]}')
        if not torch.isfinite(features).all():
            raise ValueError('`features` must be finite, but got NaN or infinite values')
        if features.shape[0]:
            self.chunks.append(features.detach().to('cpu', torch.float32).clone())
            self.count += int(features.shape[0])

    def merge(self, other: FeatureBank) -> FeatureBank:
        for chunk in other.chunks:
            self.update(chunk)
        return self

    def features(self) -> torch.Tensor:
        """All rows, ``(count, d)`` float32."""
        if not self.chunks:
            raise ValueError('FeatureBank.features() needs at least 1 sample, but got 0')
        return torch.cat(self.chunks)

    def to_dict(self) -> dict[str, Any]:
        return dict(count=self.count, features=torch.cat(self.chunks) if self.chunks else None)

    @classmethod
    def from_dict(cls, state: dict[str, Any]) -> FeatureBank:
        bank = cls()
        if state.get('features') is not None:
            bank.update(torch.as_tensor(state['features']))
        return bank


def save_ref_stats(path: str | os.PathLike, spec: dict[str, Any], state: dict[str, Any]) -> None:
    """Write reference statistics with their spec atomically (``torch.save`` of plain types and tensors)."""
    with atomic_open(path, 'wb') as f:
        torch.save(dict(format=STATS_FORMAT, spec=spec, state=state), f)


def load_ref_stats(path: str | os.PathLike, spec: dict[str, Any]) -> dict[str, Any]:
    """Read reference statistics and check that they were made under ``spec``.

    Raises:
        FileNotFoundError: If ``path`` does not exist.
        ValueError: If the file is not an aigve statistics file or its spec differs (the message lists
            every differing key).
    """
    if not os.path.isfile(path):
        raise FileNotFoundError(f'`ref_stats_file` must be an existing file, but got {str(path)!r}')
    data = torch.load(path, map_location='cpu', weights_only=True)
    if not isinstance(data, dict) or data.get('format') != STATS_FORMAT:
        raise ValueError(f'{path} is not an aigve reference-statistics file (expected format {STATS_FORMAT})')
    saved = data['spec']
    diffs = [f'{k}: file has {saved.get(k)!r}, this metric uses {spec.get(k)!r}'
             for k in sorted(set(saved) | set(spec)) if saved.get(k) != spec.get(k)]
    if diffs:
        raise ValueError(f'reference statistics {path} were computed under a different spec, so they cannot '
                         'be compared with features from this metric:\n  ' + '\n  '.join(diffs)
                         + '\nRecompute them (save_ref_stats=...) or configure the metric as in the file.')
    return data['state']


class SetLevelMetric(BaseVideoMetric):
    """Base of set-level distribution metrics (see the module docstring).

    Subclasses set :attr:`accumulator` (``GaussianStats`` or :class:`FeatureBank`), implement
    :meth:`extract` (videos -> ``(features, failures)``), :meth:`spec` and :meth:`compute_from`.

    Args:
        ref_stats_file: Load the reference side from this file instead of reading ``ref_video``.
            Defaults to None.
        save_ref_stats: After computing, write the reference side to this file. Defaults to None.
        batch_size: Frames or clips per forward pass. Defaults to 32.
        use_cache: Cache the features of each batch under ``$AIGVE_HOME/features``, keyed by the videos'
            content hashes, the frames read and :meth:`spec` (extractor, weights sha256, preprocessing), so a
            second run over the same videos (a re-run, or the same reference set) skips the model.
            Defaults to True.
        device: See :class:`BaseVideoMetric`. Defaults to ``'auto'``.
        collect_device: See :class:`BaseVideoMetric`. Defaults to ``'cpu'``.
        prefix: Prefix of the result keys. Defaults to the class's ``default_prefix``.
    """

    set_level = True
    needs_reference = True
    accumulator: type = GaussianStats

    def __init__(self, ref_stats_file: str | None = None, save_ref_stats: str | None = None, batch_size: int = 32,
                 use_cache: bool = True, device: str = 'auto', collect_device: str = 'cpu',
                 prefix: str | None = None) -> None:
        super().__init__(device=device, collect_device=collect_device, prefix=prefix)
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
            raise ValueError(f'`batch_size` must be a positive int, but got {batch_size!r}')
        if ref_stats_file is not None and not self.needs_reference:
            raise ValueError(f'{type(self).__name__} has no reference side, but got `ref_stats_file`')
        self.batch_size = batch_size
        self.ref_stats_file = ref_stats_file
        self.save_ref_stats = save_ref_stats
        self._loaded_ref: Any = None
        self.feature_cache = FeatureCache(enabled=use_cache)
        self._reset_state()

    # ------------------------------------------------------------------------------ subclass hooks
    def extract(self, videos: Sequence[torch.Tensor],
                names: Sequence[str]) -> tuple[torch.Tensor | None, list[dict[str, str]]]:
        """Features of ``videos`` (rows for all usable ones) and failures ``dict(video, reason)``."""
        raise NotImplementedError

    def spec(self) -> dict[str, Any]:
        """What the features mean (extractor, weights sha256, preprocessing, frames); saved with ref stats."""
        raise NotImplementedError

    def compute_from(self, generated: Any, reference: Any) -> dict[str, float]:
        """Unprefixed metrics from the merged accumulators (``reference`` is None without reference)."""
        raise NotImplementedError

    # ----------------------------------------------------------------------------------- state
    def _reset_state(self) -> None:
        self._acc = {side: self.accumulator() for side in SIDES}
        self._local_failures: list[dict[str, str]] = []

    def _ref_state_from_file(self) -> Any:
        if self._loaded_ref is None:
            state = load_ref_stats(self.ref_stats_file, self.spec())  # type: ignore[arg-type]
            self._loaded_ref = self.accumulator.from_dict(state)
            print_log(f'{type(self).__name__}: loaded {self._loaded_ref.count} reference samples from '
                      f'{self.ref_stats_file}', logger='current')
        return self._loaded_ref

    def process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        """Extract features of the generated (and reference) videos of a batch and update the state.

        Nothing is appended to ``self.results``.
        """
        videos = data_batch['inputs'] if isinstance(data_batch, dict) else data_batch
        names = [str(s.get('video', f'video_{i}')) for i, s in enumerate(data_samples)]
        with torch.no_grad():
            hashes = [(s.get('video_sha256'), s.get('frame_inds')) for s in data_samples]
            self._update('generated', list(videos), names, hashes)
            if self.needs_reference and self.ref_stats_file is None:
                refs = [(s['ref_video'], s.get('ref_video_path') or f'{n} (reference)',
                         (s.get('ref_video_sha256'), s.get('ref_frame_inds')))
                        for s, n in zip(data_samples, names) if s.get('ref_video') is not None]
                if refs:
                    self._update('reference', *map(list, zip(*refs)), prefix='reference: ')

    def _extract_counting_read_errors(self, videos: list, names: list[str]) -> tuple[torch.Tensor | None, list]:
        """:meth:`extract`; when a lazy video fails to decode, video by video, the failing ones as failures."""
        from aigve.utils.lazy_video import materialize
        from aigve.utils.video_io import VideoReadError

        def extract(part: list, part_names: list[str]) -> tuple[torch.Tensor | None, list]:
            return self.extract(part if self.streams_frames else [materialize(v) for v in part], part_names)

        try:
            return extract(videos, names)
        except VideoReadError:
            rows, failures = [], []
            for video, name in zip(videos, names):
                try:
                    feats, fails = extract([video], [name])
                except VideoReadError as e:
                    feats, fails = None, [dict(video=name, reason=f'{self.default_prefix}: {e}')]
                    self.log_failures(fails)
                rows += [feats] if feats is not None else []
                failures += fails
            return (torch.cat(rows) if rows else None), failures

    def _update(self, side: str, videos: list, names: list[str], hashes: list, prefix: str = '') -> None:
        """Add the features of ``videos`` to ``side``, from the feature cache when every video has a hash."""
        key = None
        if all(sha for sha, _ in hashes):
            key = self.feature_cache.key(type(self).__name__, self.spec(), hashes)
            cached = self.feature_cache.load(key)
            if cached is not None:  # failures are stored by position: today's names may differ
                failures = [dict(video=names[i], reason=reason) for i, reason in cached['failures']]
                self._add(side, cached['features'], failures, prefix)
                return
        feats, failures = self._extract_counting_read_errors(videos, names)
        if key is not None:
            positions = [(names.index(f['video']), f['reason']) for f in failures]
            self.feature_cache.save(key, dict(features=feats, failures=positions))
        self._add(side, feats, failures, prefix)

    def _add(self, side: str, feats: torch.Tensor | None, failures: list[dict[str, str]], prefix: str) -> None:
        if feats is not None:
            self._acc[side].update(feats)
        self._local_failures += [dict(f, reason=prefix + f['reason']) for f in failures]

    def _finish(self, states: Sequence[dict[str, Any]]) -> tuple[dict[str, float], list[dict[str, str]]]:
        """Merge per-rank states, compute, save reference statistics if asked."""
        merged = {side: self.accumulator() for side in SIDES}
        failures: list[dict[str, str]] = []
        for state in states:
            for side in SIDES:
                merged[side].merge(self.accumulator.from_dict(state[side]))
            failures += state['failures']
        reference = None
        if self.needs_reference:
            reference = self._ref_state_from_file() if self.ref_stats_file is not None else merged['reference']
        metrics = self.compute_from(merged['generated'], reference)
        if self.save_ref_stats is not None and reference is not None:
            save_ref_stats(self.save_ref_stats, self.spec(), reference.to_dict())
            print_log(f'{type(self).__name__}: saved {reference.count} reference samples to {self.save_ref_stats}',
                      logger='current')
        return metrics, failures

    def _local_state(self) -> dict[str, Any]:
        return dict(**{side: self._acc[side].to_dict() for side in SIDES}, failures=list(self._local_failures))

    def compute_metrics(self, results: list) -> dict[str, float]:
        """Compute from this process's accumulators (``results`` is unused: the state is streamed).

        Used by :meth:`evaluate_videos`; Runner runs go through :meth:`evaluate`. Resets the state.
        """
        try:
            metrics, self.failures = self._finish([self._local_state()])
        finally:
            self._reset_state()
        return metrics

    def evaluate(self, size: int) -> dict:
        """Gather the accumulators of all ranks, compute on the main process, broadcast, prefix, reset."""
        states = all_gather_object(self._local_state())
        if is_main_process():
            try:
                metrics, failures = self._finish(states)
                payload = [dict(metrics=metrics, failures=failures, protocol=self.protocol, error=None)]
            except (RuntimeError, ValueError) as e:
                payload = [dict(error=e)]
        else:
            payload = [None]
        broadcast_object_list(payload)
        self._reset_state()
        result = payload[0]
        if result['error'] is not None:
            raise result['error']
        self.failures, self.protocol = result['failures'], result['protocol']
        prefix = f'{self.prefix}/' if self.prefix else ''
        return {prefix + k: v for k, v in result['metrics'].items()}

    # ----------------------------------------------------------------------------------- helpers
    def check_counts(self, generated: Any, reference: Any, minimum: int = 2) -> None:
        """Raise ``RuntimeError`` when a side has fewer than ``minimum`` samples."""
        sides = [('generated', generated)] + ([('reference', reference)] if reference is not None else [])
        for side, acc in sides:
            if acc.count < minimum:
                hint = (' (set `ref_video` in the annotation file, or `ref_stats_file`)' if side == 'reference'
                        else '')
                raise RuntimeError(f'{type(self).__name__} needs at least {minimum} {side} samples, but got '
                                   f'{acc.count}{hint}')

    def log_failures(self, failures: Sequence[dict[str, str]]) -> None:
        for f in failures:
            print_log(f"{type(self).__name__}: not counting {f['video']}: {f['reason']}", logger='current',
                      level=logging.WARNING)


def build_fid_inception(model_path: str | None = None, model: torch.nn.Module | None = None,
                        check_hash: bool = True, device: torch.device | str = 'cpu',
                        input_protocol: str = 'pytorch-fid') -> tuple[torch.nn.Module, ResolvedWeights | None]:
    """The FID Inception with its weights (``'fid-inception'``), or an injected module (record None)."""
    if model is not None:
        return model.to(device).eval().requires_grad_(False), None
    from aigve.models.inception import load_fid_inception

    return load_fid_inception(model_path, device=device, check_hash=check_hash, input_protocol=input_protocol)


class InceptionFrameMetric(SetLevelMetric):
    """Shared frame path of FID, IS and KID: FID Inception outputs of every (or N sampled) frame(s).

    Args:
        model_path: ``pt_inception-2015-12-05-6726825d.pth`` file or folder; None uses the cache.
            Defaults to None.
        model: Ready module: uint8 ``(N, 3, H, W)`` frames -> dict with :attr:`feature_key` (or a tensor).
            Defaults to None.
        num_frames: Frames per video, spread uniformly (segment centres); None = all frames.
            Defaults to None.
        check_hash: Refuse a ``model_path`` whose sha256 does not start with ``6726825d``. Defaults to True.
        input_protocol: How frames become network input: ``'pytorch-fid'`` (``x/255``, torch bilinear
            resize, ``2x-1``) or ``'torch-fidelity'`` (0-255, TF1 bilinear resize, ``(x-128)/128``); see
            :mod:`aigve.models.inception`. Applied to the FID Inception (loaded or injected); another
            injected module gets the uint8 frames and does its own preprocessing. Recorded in
            :attr:`protocol`, and in :meth:`spec` (feature cache, reference statistics). Defaults to
            ``'pytorch-fid'``.
        Other arguments: see :class:`SetLevelMetric`.
    """

    feature_key = 'pool'
    streams_frames = True
    #: The protocol the features were defined under before ``input_protocol`` existed: specs under it keep
    #: their old form (no ``input_protocol`` key), so existing feature caches and reference statistics still match.
    LEGACY_INPUT_PROTOCOL = 'pytorch-fid'

    def __init__(self, model_path: str | None = None, model: torch.nn.Module | None = None,
                 num_frames: int | None = None, check_hash: bool = True, ref_stats_file: str | None = None,
                 save_ref_stats: str | None = None, batch_size: int = 32, use_cache: bool = True, device: str = 'auto',
                 collect_device: str = 'cpu', prefix: str | None = None, input_protocol: str = 'pytorch-fid') -> None:
        from aigve.models.inception import check_input_protocol

        self.input_protocol = check_input_protocol(input_protocol)
        if num_frames is not None and (not isinstance(num_frames, int) or isinstance(num_frames, bool)
                                       or num_frames < 1):
            raise ValueError(f'`num_frames` must be a positive int or None, but got {num_frames!r}')
        super().__init__(ref_stats_file=ref_stats_file, save_ref_stats=save_ref_stats, batch_size=batch_size,
                         use_cache=use_cache, device=device, collect_device=collect_device, prefix=prefix)
        self.num_frames = num_frames
        self.model, resolved = build_fid_inception(model_path, model, check_hash, self.device, self.input_protocol)
        self.record_weights(resolved)
        self.weights_sha256 = resolved.sha256 if resolved is not None else None

    def spec(self) -> dict[str, Any]:
        from aigve.models.inception import INPUT_PROTOCOLS

        spec = dict(metric=type(self).__name__, extractor='fid-inception', feature=self.feature_key,
                    weights_sha256=self.weights_sha256, num_frames=self.num_frames,
                    preprocessing=INPUT_PROTOCOLS[self.input_protocol])
        if self.input_protocol != self.LEGACY_INPUT_PROTOCOL:  # keep the old specs (and caches) valid
            spec['input_protocol'] = self.input_protocol
        return spec

    def frame_protocol(self) -> dict[str, Any]:
        return dict(backbone='FID Inception-v3 (pt_inception-2015-12-05)', feature=self.feature_key,
                    weights_sha256=self.weights_sha256, resolution=299,
                    num_frames=self.num_frames or 'all', input_protocol=self.input_protocol,
                    preprocessing=self.spec()['preprocessing'])

    def extract(self, videos: Sequence[torch.Tensor],
                names: Sequence[str]) -> tuple[torch.Tensor | None, list[dict[str, str]]]:
        from aigve.utils.frames import check_video, uniform_indices
        from aigve.utils.lazy_video import frame_batches, subset

        frames, failures = [], []
        for video, name in zip(videos, names):
            check_video(video, f'video {name}', min_frames=0)
            if video.shape[0] == 0:
                failures.append(dict(video=name, reason=f'{self.default_prefix}: the video has no frames'))
                continue
            idx = uniform_indices(int(video.shape[0]), self.num_frames) if self.num_frames else None
            frames.append(video if idx is None else subset(video, idx))
        self.log_failures(failures)
        if not frames:
            return None, failures
        chunks = [self._features(torch.stack(batch))
                  for batch, _ in frame_batches(frames, self.batch_size, same_size=True)]
        return torch.cat(chunks).flatten(1), failures

    def _features(self, frames: torch.Tensor) -> torch.Tensor:
        from aigve.models.inception import FIDInception

        frames = frames.to(self.device)
        if isinstance(self.model, FIDInception):  # the metric's protocol, whatever the module's default
            out = self.model(frames, input_protocol=self.input_protocol)
        else:
            out = self.model(frames)
        return out[self.feature_key] if isinstance(out, dict) else out
