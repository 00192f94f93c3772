"""What a person sees on the console: the quiet run, ``--verbose``, the tables of ``aigve metrics`` and
``aigve weights list``, and the pieces behind them (``aigve/core/console.py``)."""
from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from aigve.core.console import (
    ConsoleFilter,
    console_is_quiet,
    format_run_summary,
    format_table,
    quiet_console,
)

REPO = Path(__file__).resolve().parents[2]
#: the console of the toy run may be at most this many lines (it was 167 before the console was quieted)
MAX_QUIET_LINES = 12


def aigve(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, '-m', 'aigve.cli', *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300, env={**os.environ, 'PYTHONPATH': str(REPO)})


def toy_run(tmp: Path, *extra: str) -> tuple[subprocess.CompletedProcess, Path]:
    work_dir = tmp / 'wd'
    proc = aigve(['run', str(REPO / 'configs/temporal_flickering.py'), '--work-dir', str(work_dir), *extra], tmp)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc, work_dir


def log_file(work_dir: Path) -> str:
    logs = sorted(work_dir.glob('*/*.log'))
    assert len(logs) == 1, logs
    return logs[0].read_text()


@pytest.fixture(scope='module')
def quiet(tmp_path_factory) -> tuple[subprocess.CompletedProcess, Path]:
    return toy_run(tmp_path_factory.mktemp('quiet'))


# ------------------------------------------------------------------------------------------ a whole run
def test_toy_run_console_is_short_and_has_the_summary(quiet):
    proc, work_dir = quiet
    console = proc.stdout + proc.stderr
    lines = console.strip().splitlines()
    assert len(lines) <= MAX_QUIET_LINES, console
    results = json.loads((work_dir / 'results.json').read_text())
    assert results['num_videos'] == dict(scored=6, failed=0)
    for key, value in results['metrics'].items():  # every metric's aggregate, in the table
        assert any(line.split() == [key, f'{value:.6g}'] for line in lines), (key, console)
    assert 'scored 6 videos, 0 failed' in proc.stdout
    assert f"results written to {work_dir / 'results.json'}" in proc.stdout
    # stderr is not a terminal here: the progress is a line, the one the service reads from a job's log
    assert 'videos 6/6 (failed 0)' in proc.stderr
    for noise in ('System environment', 'Config:', 'Hooks will be executed', 'registry', 'Epoch(val)'):
        assert noise not in console


def test_toy_run_log_file_keeps_everything(quiet):
    _, work_dir = quiet
    log = log_file(work_dir)
    assert 'System environment' in log and 'Config:' in log and "val_evaluator = dict(" in log
    assert 'Hooks will be executed in the following order' in log
    assert 'videos 6/6 (failed 0)' in log and 'scored 6 videos, 0 failed' in log
    # every registry the runner builds from has an aigve child now: no scope fallback warning anywhere
    assert 'Failed to search registry' not in log


def test_verbose_restores_the_full_console_log(tmp_path, quiet):
    proc, work_dir = toy_run(tmp_path, '--verbose')
    console = proc.stdout + proc.stderr
    assert len(console.splitlines()) > 100
    assert 'System environment' in console and 'Config:' in console and 'Epoch(val)' in console
    assert console.count('videos 6/6 (failed 0)') == 1  # the logger's line only, not a second copy
    assert 'scored 6 videos, 0 failed' in proc.stdout
    assert 'System environment' in log_file(work_dir)


# ------------------------------------------------------------------------------------------ the pieces
def test_console_filter_passes_warnings_but_not_info_or_known_noise():
    def record(level: int, msg: str) -> logging.LogRecord:
        return logging.LogRecord('mmengine', level, __file__, 1, msg, None, None)

    f = ConsoleFilter()
    assert not f.filter(record(logging.INFO, 'Config: ...'))
    assert f.filter(record(logging.WARNING, 'a video could not be read'))
    assert f.filter(record(logging.ERROR, 'boom'))
    assert not f.filter(record(logging.WARNING, 'The prefix is not set in metric class Foo.'))


def test_quiet_console_touches_the_console_handler_only(tmp_path):
    logger = logging.Logger('aigve-test-console')
    stream = io.StringIO()
    console = logging.StreamHandler(stream)
    file_handler = logging.FileHandler(tmp_path / 'x.log')
    logger.handlers = [console, file_handler]
    logger.setLevel(logging.INFO)
    assert not console_is_quiet(logger)
    quiet_console(logger)
    quiet_console(logger)  # idempotent
    assert console_is_quiet(logger) and len(console.filters) == 1 and not file_handler.filters
    logger.info('an info line')
    logger.warning('a warning line')
    file_handler.close()
    assert stream.getvalue() == 'a warning line\n'
    assert (tmp_path / 'x.log').read_text() == 'an info line\na warning line\n'


def test_format_table_aligns_and_formats():
    text = format_table([['fvd', 123.456789, None], dict(name='kid', value=2, ok=True)], ['name', 'value', 'ok'])
    assert text.splitlines() == [
        'name    value  ok',
        '----  -------  ---',
        'fvd   123.457  -',
        'kid         2  yes',
    ]
    assert format_table([], ['a', 'b']).splitlines() == ['a  b', '-  -']
    with pytest.raises(ValueError, match='`rows` must have 2 cells'):
        format_table([[1]], ['a', 'b'])
    with pytest.raises(TypeError, match='`columns` must be a sequence of str'):
        format_table([], 'ab')


def test_run_summary_lists_the_first_failures_with_reasons():
    failures = [dict(video=f'v{i}.mp4', reason='cannot decode ' + 'x' * (200 if i == 0 else 1)) for i in range(7)]
    results = dict(metrics={'clip_sim/clip_sim': 0.25, 'fvd/fvd': 123.456789},
                   num_videos=dict(scored=3, failed=7), failures=failures)
    lines = format_run_summary(results, '/w/results.json').splitlines()
    assert lines[2].split() == ['clip_sim/clip_sim', '0.25'] and lines[3].split() == ['fvd/fvd', '123.457']
    assert 'scored 3 videos, 7 failed' in lines
    assert 'failures (first 5 of 7):' in lines
    assert sum(line.startswith('  v') for line in lines) == 5 and '  v5.mp4' not in '\n'.join(lines)
    assert lines[lines.index('failures (first 5 of 7):') + 1].endswith('...')  # a long reason is cut
    assert lines[-1] == 'results written to /w/results.json'
    with pytest.raises(TypeError, match='`results` must be a results document'):
        format_run_summary({'num_videos': {}}, 'x')


# ------------------------------------------------------------------------------------------ listings
def run_main(args: list[str], capsys) -> str:
    from aigve.cli import main

    assert main(args) == 0
    return capsys.readouterr().out


def test_metrics_table_has_a_row_per_registered_metric(capsys):
    from aigve.registry import METRICS

    out = run_main(['metrics'], capsys)
    lines = out.splitlines()
    assert lines[0].split() == ['name', 'family', 'level', 'needs', 'direction', 'range']
    METRICS.import_from_location()
    names = {line.split()[0] for line in lines[2:]}
    assert names == set(METRICS.module_dict)
    fvd = next(line for line in lines if line.startswith('FVD '))
    assert fvd.split() == ['FVD', 'distribution', 'set', 'reference', 'lower', 'better', '[0,', 'inf)']
    flicker = next(line for line in lines if line.startswith('TemporalFlickering '))
    assert flicker.split() == ['TemporalFlickering', 'vbench', 'per-video', '-', 'higher', 'better', '[0,', '1]']


def test_metrics_json_is_the_list_of_cards(capsys):
    from aigve.registry import METRICS

    cards = json.loads(run_main(['metrics', '--json'], capsys))
    METRICS.import_from_location()
    assert cards == [cls.card() for _, cls in sorted(METRICS.module_dict.items()) if hasattr(cls, 'card')]
    assert {'name', 'prefix', 'higher_is_better', 'score_range', 'needs_reference', 'needs_prompt',
            'set_level', 'experimental', 'summary'} == set(cards[0])


def test_weights_list_table_and_json(capsys):
    from aigve.utils.manifest import WEIGHTS

    lines = run_main(['weights', 'list'], capsys).splitlines()
    assert lines[0].split() == ['NAME', 'METRIC', 'FILE', 'SIZE', 'LICENSE', 'CACHED']
    assert set(lines[1]) <= {'-', ' '}
    assert [line.split()[0] for line in lines[2:2 + len(WEIGHTS)]] == list(WEIGHTS)
    assert lines[-1].startswith('cache: ')
    entries = json.loads(run_main(['weights', 'list', '--json'], capsys))
    assert [e['name'] for e in entries] == list(WEIGHTS)
    for entry in entries:
        spec = WEIGHTS[entry['name']]
        assert entry['filename'] == spec.filename and entry['license'] == spec.license
        assert isinstance(entry['cached'], bool) and not entry['cached']  # a fresh AIGVE_HOME


def test_caller_values_are_redacted_in_logs_and_config_dumps(tmp_path):
    """Issue 11: values from a run data file (a service request) reach no log or config dump verbatim, even
    with ``--verbose``; the run itself uses them."""
    from helpers.videos import synthetic_frames, write_video

    from aigve.core.console import REDACTED
    from aigve.tools.run_config import metric_entry, write_run_config

    marker = 'client-value-7f3a'  # in the data root's path, the annotation's path and a metric option
    data = tmp_path / marker
    data.mkdir()
    write_video(data / 'v.mp4', synthetic_frames(6, 32, 32))
    ann = tmp_path / f'{marker}.json'
    ann.write_text(json.dumps(dict(data_list=[dict(video_path_pd='v.mp4')])))
    config = write_run_config(tmp_path / 'job_config.py', data_root=str(data), ann_file=str(ann),
                              metrics=[metric_entry('TemporalFlickering', dict(prefix='flicker'))],
                              with_reference=False)
    work = tmp_path / 'work'
    proc = aigve(['run', str(config), '--work-dir', str(work), '--verbose'], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    results = json.loads((work / 'results.json').read_text())
    assert 'flicker/temporal_flickering' in results['metrics'] and results['num_videos']['scored'] == 1
    assert marker not in proc.stderr
    dumps = [p for p in work.rglob('*') if p.is_file() and p.suffix in ('.log', '.py')]
    assert any(p.suffix == '.log' for p in dumps) and any(p.suffix == '.py' for p in dumps), dumps
    for path in dumps:
        assert marker not in path.read_text(errors='replace'), path
    assert all(REDACTED in p.read_text() for p in dumps if p.suffix == '.py')
