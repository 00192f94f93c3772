"""What a run shows on the console, and the plain-text tables of the command line.

A run logs everything (MMEngine's environment and config dumps, the hook table, per-iteration lines) to
``<work_dir>/<timestamp>/<timestamp>.log``. Unless it is verbose, the console shows only

* the progress of the run (a progress bar on a terminal, a ``videos N/M ...`` line every few seconds
  otherwise, so that the log of a service job still shows progress; see :class:`~aigve.core.VideoProgressHook`),
* warnings and errors, minus :data:`KNOWN_NOISE`,
* and at the end the summary of :func:`format_run_summary`.

:func:`build_runner` builds an MMEngine ``Runner`` whose console handler is quiet from its first line on (the
environment dump is logged inside ``Runner.__init__``, so quieting the logger afterwards would be too late).
"""
from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any

from mmengine.logging import MMLogger
from mmengine.runner import Runner

from aigve.core.run_data import RUN_DATA_KEYS

#: MMEngine messages of WARNING level that say nothing actionable about an aigve run (they stay in the log file)
KNOWN_NOISE: tuple[re.Pattern[str], ...] = tuple(re.compile(p) for p in (
    r'^`persistent_workers` is only available',
    r'^"file_client_args" will be deprecated',
    r'^The prefix is not set in metric class',
))

#: how many failures the run summary lists (the results document has them all)
SUMMARY_FAILURES = 5
#: longest failure reason the run summary prints, in characters
SUMMARY_REASON_CHARS = 120


class ConsoleFilter(logging.Filter):
    """Pass warnings and errors to the console, except the messages of :data:`KNOWN_NOISE`."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return False
        message = record.getMessage()
        return not any(p.search(message) for p in KNOWN_NOISE)


def _console_handlers(logger: logging.Logger) -> list[logging.Handler]:
    # a FileHandler is a StreamHandler too: only the handlers writing to a console stream count
    return [h for h in logger.handlers
            if isinstance(h, logging.StreamHandler) and not isinstance(h, logging.FileHandler)]


def quiet_console(logger: logging.Logger) -> None:
    """Let the console handlers of ``logger`` show only what :class:`ConsoleFilter` passes.

    The file handler keeps logging everything at the logger's level.
    """
    for handler in _console_handlers(logger):
        if not any(isinstance(f, ConsoleFilter) for f in handler.filters):
            handler.addFilter(ConsoleFilter())


def console_is_quiet(logger: logging.Logger | None = None) -> bool:
    """Whether ``logger`` (default: MMEngine's current logger) was passed to :func:`quiet_console`."""
    if logger is None:
        if not MMLogger.get_instance_dict():
            return False
        logger = MMLogger.get_current_instance()
    return any(isinstance(f, ConsoleFilter) for h in _console_handlers(logger) for f in h.filters)


#: what a redacted config value shows instead of the value
REDACTED = '<a value from the run data file, not logged>'


def redacted_config(cfg: Any) -> Any:
    """A copy of ``cfg`` whose keys listed under ``aigve_run_data_keys`` show :data:`REDACTED`.

    Those values came from a caller (a service request, the pairing script's arguments): logs and config
    dumps must not carry them verbatim.
    """
    from mmengine.config import Config

    keys = cfg.get(RUN_DATA_KEYS) or ()
    if not keys:
        return cfg
    data = cfg.to_dict()
    for key in keys:
        if key in data:
            data[key] = REDACTED
    return Config(data, filename=cfg.filename)


class RedactingRunner(Runner):
    """An MMEngine ``Runner`` whose environment log, config dump and visualizer config show caller-given
    values redacted (:func:`redacted_config`); the run itself uses the real values."""

    def build_visualizer(self, *args: Any, **kwargs: Any) -> Any:
        visualizer = super().build_visualizer(*args, **kwargs)
        add_config = visualizer.add_config
        visualizer.add_config = lambda config, **kw: add_config(redacted_config(config), **kw)
        return visualizer

    def _log_env(self, env_cfg: dict) -> None:
        real, self.cfg = self.cfg, redacted_config(self.cfg)
        try:
            super()._log_env(env_cfg)
        finally:
            self.cfg = real

    def dump_config(self) -> None:
        real, self.cfg = self.cfg, redacted_config(self.cfg)
        try:
            super().dump_config()
        finally:
            self.cfg = real


class QuietConsoleRunner(RedactingRunner):
    """A :class:`RedactingRunner` whose logger writes everything to the log file and only warnings to the console."""

    def build_logger(self, *args: Any, **kwargs: Any) -> MMLogger:
        logger = super().build_logger(*args, **kwargs)
        quiet_console(logger)
        return logger


def build_runner(cfg: Any, *, verbose: bool = False) -> Runner:
    """Build the MMEngine runner of ``cfg``; unless ``verbose``, its console shows only what matters."""
    return (RedactingRunner if verbose else QuietConsoleRunner).from_cfg(cfg)


# ------------------------------------------------------------------------------------------------ tables
def _cell(value: Any) -> str:
    if value is None:
        return '-'
    if isinstance(value, bool):
        return 'yes' if value else 'no'
    if isinstance(value, float):
        return f'{value:.6g}'
    return str(value)


def format_table(rows: Sequence[Sequence[Any] | Mapping[str, Any]], columns: Sequence[str]) -> str:
    """Lay ``rows`` out as a plain-text table under the headers ``columns``.

    Args:
        rows: One sequence of cells per row, in the order of ``columns``, or one mapping per row keyed by
            column name (missing keys print as ``-``). Floats print with 6 significant digits, ``None`` as
            ``-``, booleans as ``yes``/``no``; numbers are right-aligned, everything else left-aligned.
        columns: The column headers.

    Returns:
        The table, without a trailing newline: a header line, a line of dashes, one line per row.
    """
    if isinstance(columns, str) or not all(isinstance(c, str) for c in columns):
        raise TypeError(f'`columns` must be a sequence of str, but got {columns!r}')
    table: list[list[Any]] = []
    for row in rows:
        cells = [row.get(c) for c in columns] if isinstance(row, Mapping) else list(row)
        if len(cells) != len(columns):
            raise ValueError(f'`rows` must have {len(columns)} cells each (one per column), but got {cells!r}')
        table.append(cells)
    text = [[_cell(v) for v in cells] for cells in table]
    widths = [max([len(c)] + [len(r[i]) for r in text]) for i, c in enumerate(columns)]
    numeric = [bool(table) and all(isinstance(r[i], (int, float)) and not isinstance(r[i], bool)
                                   for r in table if r[i] is not None) for i in range(len(columns))]

    def line(cells: Sequence[str]) -> str:
        parts = [c.rjust(w) if num else c.ljust(w) for c, w, num in zip(cells, widths, numeric)]
        return '  '.join(parts).rstrip()

    return '\n'.join([line(columns), line(['-' * w for w in widths]), *(line(r) for r in text)])


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 3] + '...'


def format_run_summary(results: dict, results_path: str) -> str:
    """The summary a run prints at the end: every metric's aggregate, the counts, the first failures, the path.

    Args:
        results: The results document of the run (see :mod:`aigve.core.results`).
        results_path: Where the results document was written.

    Returns:
        A few lines of text, without a trailing newline.
    """
    if not isinstance(results, Mapping) or 'metrics' not in results:
        raise TypeError(f'`results` must be a results document (a dict with "metrics"), but got {results!r:.200}')
    lines = [format_table(list(results['metrics'].items()), ['metric', 'value']), '']
    n = results.get('num_videos', {})
    lines.append(f"scored {n.get('scored', 0)} videos, {n.get('failed', 0)} failed")
    failures = results.get('failures') or []
    if failures:
        shown = failures[:SUMMARY_FAILURES]
        more = f' (first {len(shown)} of {len(failures)})' if len(failures) > len(shown) else ''
        lines.append(f'failures{more}:')
        lines.extend(f"  {f['video']}: {_shorten(str(f['reason']), SUMMARY_REASON_CHARS)}" for f in shown)
    lines.append(f'results written to {results_path}')
    return '\n'.join(lines)
