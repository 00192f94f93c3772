"""Hooks of the evaluation loop."""
from __future__ import annotations

import datetime
import os
import sys
import time
from typing import Any

from mmengine.hooks import Hook
from mmengine.logging import print_log

from aigve.core.console import console_is_quiet
from aigve.registry import HOOKS


@HOOKS.register_module()
class VideoProgressHook(Hook):
    """Report ``videos done / total``, failures, throughput and an ETA.

    Every ``interval`` seconds (and after the last batch) it logs a ``videos N/M (failed F), R videos/s, ETA T``
    line: into the log file, and onto the console when the run is verbose. When the console is quiet (see
    :func:`aigve.core.console.build_runner`), the console of the main process shows instead a progress bar if
    stderr is a terminal, else the same line on stderr (the service reads a job's progress from these lines).

    Args:
        interval: Seconds between two progress lines (the last batch is always reported). Defaults to 10.
        bar: Show a progress bar on a quiet console whose stderr is a terminal. Defaults to True.
    """

    priority = 'VERY_LOW'

    def __init__(self, interval: float = 10.0, bar: bool = True) -> None:
        self.interval = float(interval)
        self.bar = bool(bar)
        self._bar: Any = None

    def before_val_epoch(self, runner: Any) -> None:
        self._start = self._last = time.perf_counter()
        self._done = self._failed = 0
        self._total = len(runner.val_loop.dataloader.dataset)
        # the sampler of one rank sees about total / world_size videos
        self._rank_total = -(-self._total // runner.world_size)
        self._console = runner.rank == 0 and console_is_quiet(runner.logger)
        self._bar = None
        if self._console and self.bar and _is_terminal(sys.stderr):
            from tqdm import tqdm
            self._bar = tqdm(total=self._rank_total, desc='videos', unit='video', file=sys.stderr,
                             dynamic_ncols=True, leave=True)

    def after_val_iter(self, runner: Any, batch_idx: int, data_batch: Any = None, outputs: Any = None) -> None:
        samples = data_batch['data_samples'] if data_batch else []
        self._done += len(samples)
        failed = sum(1 for s in samples if s.get('failure'))
        self._failed += failed
        if self._bar is not None:
            self._bar.update(len(samples))
            if self._failed:
                self._bar.set_postfix(failed=self._failed, refresh=False)
        now = time.perf_counter()
        last_batch = batch_idx + 1 == len(runner.val_loop.dataloader)
        if now - self._last < self.interval and not last_batch:
            return
        self._last = now
        rate = self._done / max(now - self._start, 1e-9)
        eta = datetime.timedelta(seconds=round(max(self._rank_total - self._done, 0) / max(rate, 1e-9)))
        line = f'videos {self._done}/{self._rank_total} (failed {self._failed}), {rate:.2f} videos/s, ETA {eta}'
        print_log(line, logger='current')
        if self._console and self._bar is None:
            print(line, file=sys.stderr, flush=True)

    def after_val_epoch(self, runner: Any, metrics: Any = None) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def _is_terminal(stream: Any) -> bool:
    """Whether ``stream`` is a terminal that a progress bar can be drawn on (a pty of width 0 is not)."""
    try:
        return bool(stream.isatty()) and os.get_terminal_size(stream.fileno()).columns > 0
    except (AttributeError, OSError, ValueError):  # no isatty/fileno, no size, or a closed stream
        return False
