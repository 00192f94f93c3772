"""``AIGVELoop``: a model-free MMEngine evaluation loop.

It feeds each batch straight to the evaluator's metrics (``process``), then calls ``evaluate`` once on the
whole dataset, and writes the results document. Videos that could not be read arrive as samples with a
``failure`` reason: they are counted and listed in the results, never silently dropped (``strict=True``
makes the first one fatal). The usual hooks fire, so logging and progress work as in ``ValLoop``.
"""
from __future__ import annotations

import datetime
import logging
import os.path as osp
import time
from collections.abc import Sequence
from typing import Any

import torch
from mmengine.dist import all_gather_object, barrier, get_world_size, is_main_process
from mmengine.logging import print_log
from mmengine.runner.amp import autocast
from mmengine.runner.base_loop import BaseLoop

from aigve.core import results as results_mod
from aigve.core.base_metric import NoVideoScored, SummaryMetric
from aigve.core.journal import RunJournal
from aigve.core.results import build_results, merge_per_video, provenance
from aigve.registry import LOOPS
from aigve.utils.atomic import write_json_atomic
from aigve.utils.memory import release_free_memory


class VideoFailure(RuntimeError):
    """A video was not scored (unreadable, or a metric could not score it) and the run is strict."""


def _name_failures(failures: list[dict], first: int = 3) -> str:
    """``"a.mp4: reason; b.mp4: reason (and 4 more)"`` for the first ``first`` failures."""
    text = '; '.join(f"{f['video']}: {f['reason']}" for f in failures[:first])
    return text + (f' (and {len(failures) - first} more)' if len(failures) > first else '')


@LOOPS.register_module()
class AIGVELoop(BaseLoop):
    """Evaluate every configured metric over the dataset without a model.

    Args:
        runner: The MMEngine runner.
        dataloader: Dataloader or its config.
        evaluator: Evaluator, its config, or a list of metric configs.
        strict: Stop at the first video that is not scored, for any reason: unreadable, a metric could not
            score it, or a set-level metric failed on it. Defaults to False.
        resume: Reuse the per-video records journaled in ``<work_dir>/journal`` by earlier runs (same video
            content, metric config, pipeline, precision, device type, weights sha256 and library versions).
            Defaults to True.
        out_file: Also write the results document here. Defaults to None.
        fp16: Run metric forward passes under autocast. Defaults to False.
    """

    def __init__(self, runner: Any, dataloader: Any, evaluator: Any, strict: bool = False,
                 out_file: str | None = None, fp16: bool = False, resume: bool = True) -> None:
        super().__init__(runner, dataloader)
        # start the DataLoader workers now, so they decode the first batches while the metrics load their models
        self._batches: Any = iter(self.dataloader)
        self.evaluator = runner.build_evaluator(evaluator)
        dataset = self.dataloader.dataset
        if hasattr(dataset, 'metainfo'):
            self.evaluator.dataset_meta = dataset.metainfo
        self.strict = strict
        self.out_file = out_file
        self.fp16 = fp16
        self.failures: list[dict] = []
        #: video -> the annotation keys its sample carried (``meta``: id, human ratings, groupings)
        self.meta: dict[str, dict] = {}
        self.num_scored = 0
        self.results: dict[str, Any] | None = None
        self.journal = RunJournal(osp.join(runner.work_dir, 'journal'), runner.timestamp, runner.rank, resume)
        self.metric_settings = self._metric_settings(evaluator)

    def _metric_settings(self, evaluator_cfg: Any) -> list[Any]:
        """Everything that can change a metric's number for a given video, the journal key's second half.

        Its config, the pipeline that fed it, the loop's precision, the device type (cpu and cuda kernels
        differ), the sha256 of the weights it loaded (known once it is built) and the installed versions of
        the libraries that compute or decode (:func:`aigve.core.results.library_versions`).
        """
        cfgs = evaluator_cfg.get('metrics', evaluator_cfg) if isinstance(evaluator_cfg, dict) else evaluator_cfg
        cfgs = cfgs if isinstance(cfgs, (list, tuple)) else [cfgs]
        pipeline = self.runner.cfg.get('val_dataloader', {}).get('dataset', {}).get('pipeline')
        versions = results_mod.library_versions()
        return [(type(m).__name__, cfg if isinstance(cfg, dict) else repr(cfg), pipeline,
                 dict(precision=self.precision, device=self._device_type(m),
                      weights=dict(sorted(getattr(m, 'weights_used', {}).items())), libraries=versions))
                for m, cfg in zip(self.evaluator.metrics, cfgs)]

    @property
    def precision(self) -> str:
        """``'fp16'`` (autocast) or ``'fp32'``."""
        return 'fp16' if self.fp16 else 'fp32'

    @staticmethod
    def _device_type(metric: Any) -> str:
        try:
            return torch.device(str(getattr(metric, 'device', 'cpu'))).type
        except (RuntimeError, TypeError):
            return str(getattr(metric, 'device', 'cpu'))

    def run(self) -> dict:
        """Run the evaluation; return the metrics dict (also written to ``<work_dir>/results.json``)."""
        started, t0 = datetime.datetime.now(), time.perf_counter()
        self.runner.call_hook('before_val')
        self.runner.call_hook('before_val_epoch')
        batches = self._batches if self._batches is not None else iter(self.dataloader)
        self._batches = None
        self._prepare_metrics()
        for idx, data_batch in enumerate(batches):
            self.run_iter(idx, data_batch)
        num_scored = sum(all_gather_object(self.num_scored))
        failures = [f for part in all_gather_object(self.failures) for f in part]
        if num_scored == 0:
            failures.sort(key=lambda f: (f.get('video_id') is None, f.get('video_id') or 0))
            raise RuntimeError(
                f'no video could be scored ({len(failures)} failed): {_name_failures(failures)}'
                if failures else 'no video could be scored: the dataset is empty')
        metrics = self._evaluate_metrics(num_scored)
        # videos that decoded but that a metric could not score (e.g. a 1-frame video for a temporal metric)
        metric_failures = [f for m in self.evaluator.metrics for f in getattr(m, 'failures', [])]
        if self.strict and metric_failures:  # e.g. a set-level metric's failure, known only now
            metric_failures.sort(key=lambda f: (f.get('video_id') is None, f.get('video_id') or 0))
            self._strict_stop(metric_failures[0])
        num_scored -= len({f['video'] for f in metric_failures})
        failures += metric_failures
        # dataset order, whatever the number of processes
        failures.sort(key=lambda f: (f.get('video_id') is None, f.get('video_id') or 0))
        meta = {video: m for part in all_gather_object(self.meta) for video, m in part.items()}
        failures = [dict(video=f['video'], reason=f['reason'], **({'meta': meta[f['video']]} if f['video'] in meta
                                                                   else {})) for f in failures]
        self.results = self._results(metrics, failures, num_scored, started, time.perf_counter() - t0, meta)
        if is_main_process():
            self._write(self.results)
        self.runner.call_hook('after_val_epoch', metrics=metrics)
        self.runner.call_hook('after_val')
        return metrics

    def _evaluate_metrics(self, size: int) -> dict[str, float]:
        """Every metric's aggregates, then the summaries made from them (e.g. VBench's Quality score).

        With several metrics, one that scored no video (all its videos are in its failures, with reasons) is
        left out of the aggregates with a warning, and the others are kept; the run fails only when none scored.
        """
        metrics: dict[str, float] = {}
        idle: list[NoVideoScored] = []
        measured = [m for m in self.evaluator.metrics if not isinstance(m, SummaryMetric)]
        for metric in measured:
            try:
                values = metric.evaluate(size)
            except NoVideoScored as e:
                if len(measured) == 1:
                    raise
                idle.append(e)
                print_log(f'{e}; its videos are listed as failures, the other metrics are kept', logger='current',
                          level=logging.WARNING)
                continue
            clash = sorted(set(values) & set(metrics))
            if clash:
                raise ValueError(f'metrics give the same result keys {clash}: give them different `prefix`es')
            metrics.update(values)
        if idle and len(idle) == len(measured):
            raise idle[0]
        for metric in self.evaluator.metrics:  # scores made from the others' aggregates
            if isinstance(metric, SummaryMetric):
                metrics.update(metric.summary(dict(metrics)))
        return metrics

    def _prepare_metrics(self) -> None:
        """Hand every distinct prompt of the dataset to each metric's ``prepare`` (once, before any batch)."""
        dataset = self.dataloader.dataset
        get = getattr(dataset, 'get_data_info', None)
        if get is None:
            return
        prompts = list(dict.fromkeys(p for p in (get(i).get('prompt') for i in range(len(dataset)))
                                     if isinstance(p, str) and p))
        # the main process first, so that the others find its work in the on-disk caches (one paid call per prompt)
        for turn in (True, False):
            if is_main_process() is turn:
                for metric in self.evaluator.metrics:
                    prepare = getattr(metric, 'prepare', None)
                    if callable(prepare):
                        prepare(prompts)
            if get_world_size() > 1 and turn:
                barrier()

    @torch.no_grad()
    def run_iter(self, idx: int, data_batch: dict) -> None:
        """Hand the readable videos of one batch to the metrics; record the others as failures."""
        release_free_memory()  # the previous batch's frames: keep peak RSS flat (see aigve/utils/memory.py)
        self.runner.call_hook('before_val_iter', batch_idx=idx, data_batch=data_batch)
        inputs, samples = data_batch['inputs'], data_batch['data_samples']
        ok = [i for i, s in enumerate(samples) if not s.get('failure')]
        self.meta.update((s['video'], dict(s['meta'])) for s in samples if s.get('meta'))
        for sample in samples:
            if sample.get('failure'):
                self._record_failure(sample)
        if ok:
            batch = dict(inputs=[inputs[i] for i in ok], data_samples=[samples[i] for i in ok])
            with autocast(enabled=self.fp16):
                for metric, settings in zip(self.evaluator.metrics, self.metric_settings):
                    self._process(metric, settings, batch)
            self.num_scored += len(ok)
        self.runner.call_hook('after_val_iter', batch_idx=idx, data_batch=data_batch, outputs=None)

    def _process(self, metric: Any, settings: Any, batch: dict) -> None:
        """Feed ``batch`` to ``metric``; per-video metrics skip videos journaled by an earlier run."""
        if getattr(metric, 'set_level', True) or not getattr(metric, 'journaled', False):
            start = len(metric.results)
            metric.process(batch, batch['data_samples'])
            self._check_strict(metric.results[start:], getattr(metric, 'prefix', None))
            return
        samples = batch['data_samples']
        keys = [RunJournal.key(s, settings) for s in samples]
        stored = [self.journal.get(k) for k in keys]
        todo = [i for i, r in enumerate(stored) if r is None]
        if todo:
            start = len(metric.results)
            sub = dict(inputs=[batch['inputs'][i] for i in todo], data_samples=[samples[i] for i in todo])
            metric.process(sub, sub['data_samples'])
            self.journal.append(zip([keys[i] for i in todo], metric.results[start:]))
            self._check_strict(metric.results[start:], getattr(metric, 'prefix', None))
        for sample, record in zip(samples, stored):
            if record is not None:
                metric.results.append({**record, 'video': sample['video'], 'video_id': sample.get('video_id')})
                self.journal.reused += 1
                self._check_strict(metric.results[-1:], getattr(metric, 'prefix', None))

    def _check_strict(self, records: list, prefix: str | None = None) -> None:
        """Under ``strict``, stop at the first record a metric marked as not scored (``failure``)."""
        if not self.strict:
            return
        for r in records:
            if isinstance(r, dict) and 'failure' in r:
                reason = f"{prefix}: {r['failure']}" if prefix else r['failure']
                self._strict_stop(dict(video=r.get('video', '?'), reason=reason))

    @staticmethod
    def _strict_stop(failure: dict) -> None:
        raise VideoFailure(f"{failure['video']}: {failure['reason']} (run without --strict to skip it)")

    def _record_failure(self, sample: dict) -> None:
        failure = dict(video=sample['video'], reason=sample['failure'], video_id=sample.get('video_id'))
        if self.strict:
            self._strict_stop(failure)
        # INFO, not WARNING: the log file keeps every one, the console's run summary lists the first ones
        print_log(f"skipping {failure['video']}: {failure['reason']}", logger='current', level=logging.INFO)
        self.failures.append(failure)

    def _results(self, metrics: dict, failures: list[dict], num_scored: int, started: datetime.datetime,
                 seconds: float, meta: dict[str, dict] | None = None) -> dict:
        metric_objs: Sequence[Any] = self.evaluator.metrics
        weights: dict[str, str] = {}
        protocol: dict[str, Any] = {}
        for m in metric_objs:
            weights.update(getattr(m, 'weights_used', {}))
            if getattr(m, 'protocol', None):
                protocol[m.prefix or type(m).__name__] = m.protocol
        devices = sorted({str(getattr(m, 'device', 'cpu')) for m in metric_objs}) or ['cpu']
        prov = provenance(
            device=','.join(devices),
            config=getattr(self.runner.cfg, 'filename', None),
            weights=weights,
            protocol=protocol,
            started=started,
            seconds=seconds,
            world_size=get_world_size(),
            precision=self.precision)
        per_video = merge_per_video(getattr(m, 'per_video', []) for m in metric_objs)
        for record in per_video:  # the annotation keys of each video ride along (human ratings, groupings)
            if (meta or {}).get(record['video']):
                record['meta'] = meta[record['video']]
        return build_results(metrics, per_video, failures, num_scored, prov)

    def _write(self, results: dict) -> None:
        path = osp.join(self.runner.work_dir, 'results.json')
        write_json_atomic(path, results)
        if self.out_file:
            write_json_atomic(self.out_file, results)
        n = results['num_videos']
        print_log(
            f"scored {n['scored']} videos, {n['failed']} failed; results written to {path}"
            + (f' and {self.out_file}' if self.out_file else ''), logger='current')
