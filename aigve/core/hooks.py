"""Hooks of the evaluation loop."""
from __future__ import annotations

import datetime
import time
from typing import Any

from mmengine.hooks import Hook
from mmengine.logging import print_log

from aigve.registry import HOOKS


@HOOKS.register_module()
class VideoProgressHook(Hook):
    """Log ``videos done / total``, failures, throughput and an ETA every ``interval`` seconds.

    Args:
        interval: Seconds between two progress lines (the last batch is always logged). Defaults to 10.
    """

    priority = 'VERY_LOW'

    def __init__(self, interval: float = 10.0) -> None:
        self.interval = float(interval)

    def before_val_epoch(self, runner: Any) -> None:  # noqa: D102
        self._start = self._last = time.perf_counter()
        self._done = self._failed = 0
        self._total = len(runner.val_loop.dataloader.dataset)

    def after_val_iter(self, runner: Any, batch_idx: int, data_batch: Any = None, outputs: Any = None) -> None:  # noqa: D102
        samples = data_batch['data_samples'] if data_batch else []
        self._done += len(samples)
        self._failed += sum(1 for s in samples if s.get('failure'))
        now = time.perf_counter()
        last_batch = batch_idx + 1 == len(runner.val_loop.dataloader)
        if now - self._last < self.interval and not last_batch:
            return
        self._last = now
        rate = self._done / max(now - self._start, 1e-9)
        # the sampler of one rank sees about total / world_size videos
        total = -(-self._total // runner.world_size)
        eta = datetime.timedelta(seconds=round(max(total - self._done, 0) / max(rate, 1e-9)))
        print_log(
            f'videos {self._done}/{total} (failed {self._failed}), {rate:.2f} videos/s, ETA {eta}',
            logger='current')
