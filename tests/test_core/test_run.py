"""End to end through main_aigve.py: results contract, failures, --strict, overrides, resume."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from helpers.plugin_runs import plugin_config, run_aigve, write_annotation
from helpers.videos import synthetic_frames, write_frames_folder, write_lossless, write_video

REPO = Path(__file__).resolve().parents[2]


def make_dataset(root: Path) -> Path:
    """4 readable videos (lossless flicker, lossless static, h264, frames folder) + 3 broken entries."""
    (root / 'videos').mkdir(parents=True)
    flicker = np.zeros((6, 16, 16, 3), np.uint8)
    flicker[1::2] = 255
    write_lossless(root / 'videos/flicker.mkv', flicker)
    write_lossless(root / 'videos/static.mkv', np.repeat(synthetic_frames(1, 16, 16), 5, axis=0))
    write_video(root / 'videos/moving.mp4', synthetic_frames(10, 32, 32))
    write_frames_folder(root / 'videos/frames', np.repeat(synthetic_frames(1, 16, 16), 4, axis=0))
    (root / 'videos/empty.mp4').write_bytes(b'')
    (root / 'videos/not_a_video.mp4').write_text('hello')
    entries = ['flicker.mkv', 'static.mkv', 'moving.mp4', 'frames', 'empty.mp4', 'not_a_video.mp4', 'missing.mp4']
    ann = dict(metainfo=dict(name='t'), data_list=[dict(video_path_pd=f'videos/{e}', prompt_gt=e) for e in entries])
    (root / 'ann.json').write_text(json.dumps(ann))
    return root


def run(args: list[str], cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(REPO / 'main_aigve.py'), *args], cwd=cwd, capture_output=True,
                          text=True, timeout=300, env={**os.environ, 'PYTHONPATH': str(REPO), **(env or {})})


@pytest.fixture(scope='module')
def dataset(tmp_path_factory) -> Path:
    return make_dataset(tmp_path_factory.mktemp('data'))


def flicker_args(dataset: Path, work_dir: Path, *extra: str) -> list[str]:
    return [str(REPO / 'configs/temporal_flickering.py'), '--work-dir', str(work_dir), '--cfg-options',
            f'data_root={dataset}', 'ann_file=ann.json', 'val_dataloader.batch_size=3', *extra]


def test_run_writes_the_results_contract_and_counts_failures(dataset, tmp_path):
    out = tmp_path / 'copy.json'
    proc = run([*flicker_args(dataset, tmp_path / 'wd'), '--out', str(out)], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads((tmp_path / 'wd/results.json').read_text())
    assert json.loads(out.read_text()) == results
    assert results['num_videos'] == dict(scored=4, failed=3)
    per_video = {r['video']: r['temporal_flickering/temporal_flickering'] for r in results['per_video']}
    assert per_video['videos/flicker.mkv'] == 0.0  # lossless alternating black/white
    assert per_video['videos/static.mkv'] == 1.0
    assert per_video['videos/frames'] == 1.0
    assert 0.0 < per_video['videos/moving.mp4'] < 1.0
    assert results['metrics']['temporal_flickering/temporal_flickering'] == pytest.approx(
        sum(per_video.values()) / 4, abs=1e-12)  # sample-weighted over every batch, not the last one
    failures = {f['video']: f['reason'] for f in results['failures']}
    assert set(failures) == {'videos/empty.mp4', 'videos/not_a_video.mp4', 'videos/missing.mp4'}
    assert all('\n' not in r and r for r in failures.values())
    assert 'empty.mp4' in failures['videos/empty.mp4'] and 'missing.mp4' in failures['videos/missing.mp4']
    prov = results['provenance']
    assert prov['device'] == 'cpu' and prov['world_size'] == 1 and prov['config'].endswith('temporal_flickering.py')
    assert {'aigve', 'torch', 'weights', 'started', 'seconds'} <= set(prov)
    assert 'scored 4 videos, 3 failed' in proc.stdout


def test_strict_makes_the_first_unreadable_video_fatal_with_one_line(dataset, tmp_path):
    proc = run([*flicker_args(dataset, tmp_path / 'wd'), '--strict'], cwd=tmp_path)
    assert proc.returncode != 0
    last = proc.stderr.strip().splitlines()[-1]
    assert 'empty.mp4' in last and '--strict' in last, proc.stderr[-2000:]
    assert not (tmp_path / 'wd/results.json').exists()


def test_unknown_metric_gets_a_did_you_mean(dataset, tmp_path):
    proc = run([*flicker_args(dataset, tmp_path / 'wd'), 'val_evaluator.type=TemporalFlickerin'], cwd=tmp_path)
    assert proc.returncode == 1
    assert 'did you mean: TemporalFlickering' in proc.stderr
    assert 'Traceback' not in proc.stderr


def test_missing_config_is_one_line(tmp_path):
    proc = run(['configs/nope.py'], cwd=tmp_path)
    assert proc.returncode == 1 and 'config not found' in proc.stderr and 'Traceback' not in proc.stderr


COUNTING_METRIC = textwrap.dedent('''
    import os, time
    from aigve.core import BaseVideoMetric
    from aigve.registry import METRICS

    @METRICS.register_module()
    class CountingBrightness(BaseVideoMetric):
        """Mean brightness; appends one line per scored video to $COUNT_FILE, sleeps to be killable."""
        default_prefix = 'brightness'

        def __init__(self, sleep=0.0, **kwargs):
            super().__init__(**kwargs)
            self.sleep = sleep

        def score_batch(self, videos, samples):
            out = []
            for v, s in zip(videos, samples):
                time.sleep(self.sleep)
                with open(os.environ['COUNT_FILE'], 'a') as f:
                    f.write(s['video'] + '\\n')
                out.append(dict(brightness=float(v.float().mean() / 255)))
            return out
''')


def test_kill_and_resume_gives_identical_results_with_only_the_remaining_work(tmp_path):
    data = tmp_path / 'data'
    (data / 'v').mkdir(parents=True)
    for i in range(8):
        write_lossless(data / f'v/{i}.mkv', synthetic_frames(3, 16, 16, seed=i, noise=20))
    ann = dict(data_list=[dict(video_path_pd=f'v/{i}.mkv') for i in range(8)])
    (data / 'ann.json').write_text(json.dumps(ann))
    (tmp_path / 'plug.py').write_text(COUNTING_METRIC)
    config = tmp_path / 'cfg.py'
    config.write_text(textwrap.dedent(f'''
        _base_ = ['{REPO}/configs/_base_/default_runtime.py', '{REPO}/configs/_base_/datasets/toy.py']
        custom_imports = dict(imports=['plug'], allow_failed_imports=False)
        val_dataloader = dict(batch_size=1, num_workers=0, dataset=dict(data_root='{data}', ann_file='ann.json'))
        val_evaluator = dict(type='CountingBrightness', sleep=0.4, device='cpu')
    '''))
    env = {**os.environ, 'PYTHONPATH': f'{tmp_path}:{REPO}'}
    args = [sys.executable, str(REPO / 'main_aigve.py'), str(config), '--work-dir', str(tmp_path / 'wd')]
    # uninterrupted reference run in its own work dir
    ref_count = tmp_path / 'ref_count.txt'
    ref = subprocess.run([*args[:-1], str(tmp_path / 'ref_wd')], env={**env, 'COUNT_FILE': str(ref_count)},
                         capture_output=True, text=True, timeout=300)
    assert ref.returncode == 0, ref.stderr[-2000:]
    # kill -9 once a few videos are journaled
    count = tmp_path / 'count.txt'
    proc = subprocess.Popen(args, env={**env, 'COUNT_FILE': str(count)}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    import time
    deadline = time.time() + 120
    while time.time() < deadline:
        if count.exists() and len(count.read_text().splitlines()) >= 3:
            break
        time.sleep(0.05)
    proc.kill()
    proc.wait()
    done_before = len(count.read_text().splitlines())
    assert 3 <= done_before < 8
    assert not (tmp_path / 'wd/results.json').exists()
    resumed = subprocess.run(args, env={**env, 'COUNT_FILE': str(count)}, capture_output=True, text=True,
                             timeout=300)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    scored = count.read_text().splitlines()
    # only the remaining model work: at most one video (in flight at the kill) is scored twice
    assert len(scored) - done_before <= 8 - done_before + 1
    assert len(scored) < 8 + done_before
    a = json.loads((tmp_path / 'wd/results.json').read_text())
    b = json.loads((tmp_path / 'ref_wd/results.json').read_text())
    for doc in (a, b):
        doc.pop('provenance')
    assert a == b


def test_workers_start_before_the_metrics_load(dataset, tmp_path):
    """The loop opens the DataLoader before building the evaluator, so decoding overlaps model loading."""
    from mmengine.runner import Runner

    from aigve.core.evaluate import load_config

    cfg = load_config(str(REPO / 'configs/temporal_flickering.py'), work_dir=str(tmp_path / 'wd'),
                      cfg_options={'data_root': str(dataset), 'ann_file': 'ann.json',
                                   'val_dataloader.num_workers': 2, 'val_dataloader.batch_size': 3})
    runner = Runner.from_cfg(cfg)
    loop = runner.build_val_loop(runner._val_loop)
    assert loop._batches is not None and len(loop._batches._workers) == 2  # already decoding
    metrics = loop.run()
    assert loop._batches is None and loop.results['num_videos'] == dict(scored=4, failed=3)
    assert metrics == loop.run()  # a second pass opens a fresh iterator


# ------------------------------------------------------------------ resume key: every setting that changes a number
SETTINGS_METRIC = COUNTING_METRIC + textwrap.dedent('''
    import torch
    import aigve.core.results as _results

    if os.environ.get('FAKE_TORCH'):  # a different torch version, as library_versions reports it
        _versions = _results.library_versions
        _results.library_versions = lambda: {**_versions(), 'torch': os.environ['FAKE_TORCH']}

    @METRICS.register_module()
    class SettingsBrightness(CountingBrightness):
        """CountingBrightness whose weights sha256 and device type come from the environment."""

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            if os.environ.get('FAKE_SHA'):
                self.weights_used['fake-weights'] = os.environ['FAKE_SHA']
            if os.environ.get('FAKE_DEVICE'):
                self.device = torch.device(os.environ['FAKE_DEVICE'])
''')


def test_resume_rescores_every_video_when_a_setting_that_changes_numbers_changes(tmp_path):
    data = tmp_path / 'data'
    (data / 'v').mkdir(parents=True)
    for i in range(3):
        write_lossless(data / f'v/{i}.mkv', synthetic_frames(3, 16, 16, seed=i, noise=20))
    (data / 'ann.json').write_text(json.dumps(dict(data_list=[dict(video_path_pd=f'v/{i}.mkv') for i in range(3)])))
    (tmp_path / 'plug.py').write_text(SETTINGS_METRIC)
    config = tmp_path / 'cfg.py'
    config.write_text(textwrap.dedent(f'''
        _base_ = ['{REPO}/configs/_base_/default_runtime.py', '{REPO}/configs/_base_/datasets/toy.py']
        custom_imports = dict(imports=['plug'], allow_failed_imports=False)
        val_dataloader = dict(batch_size=1, num_workers=0, dataset=dict(data_root='{data}', ann_file='ann.json'))
        val_evaluator = dict(type='SettingsBrightness', device='cpu')
    '''))
    count = tmp_path / 'count.txt'
    env = {**os.environ, 'PYTHONPATH': f'{tmp_path}:{REPO}', 'COUNT_FILE': str(count)}

    def rescored(extra_env: dict, *options: str) -> tuple[int, dict]:
        before = len(count.read_text().splitlines()) if count.exists() else 0
        args = [sys.executable, str(REPO / 'main_aigve.py'), str(config), '--work-dir', str(tmp_path / 'wd')]
        if options:
            args += ['--cfg-options', *options]
        proc = subprocess.run(args, env={**env, **extra_env}, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr[-2000:]
        prov = json.loads((tmp_path / 'wd/results.json').read_text())['provenance']
        return len(count.read_text().splitlines()) - before, prov

    assert rescored({})[0] == 3
    assert rescored({})[0] == 0  # same settings: every record reused
    # each step changes one more setting; the journal holds every earlier run's records
    n, prov = rescored({}, 'val_cfg.fp16=True')
    assert n == 3 and prov['precision'] == 'fp16'
    n, prov = rescored({'FAKE_SHA': 'a' * 64}, 'val_cfg.fp16=True')
    assert n == 3 and prov['weights'] == {'fake-weights': 'a' * 64}
    n, prov = rescored({'FAKE_SHA': 'a' * 64, 'FAKE_TORCH': '0.0.1'}, 'val_cfg.fp16=True')
    assert n == 3 and prov['libraries']['torch'] == '0.0.1'
    n, prov = rescored({'FAKE_SHA': 'a' * 64, 'FAKE_TORCH': '0.0.1', 'FAKE_DEVICE': 'cuda'}, 'val_cfg.fp16=True')
    assert n == 3 and prov['device'] == 'cuda'
    assert {'aigve', 'torch', 'torchvision', 'transformers', 'cd-fvd', 'decord', 'av'} <= set(prov['libraries'])
    # and back to the first settings: the first run's records are still valid
    n, prov = rescored({})
    assert n == 0 and prov['precision'] == 'fp32'


# ------------------------------------------------------------------ --strict stops at any video not scored
def test_strict_stops_at_a_video_a_metric_cannot_score(tmp_path):
    (tmp_path / 'v').mkdir()
    write_lossless(tmp_path / 'v/good.mkv', synthetic_frames(4, 16, 16))
    write_lossless(tmp_path / 'v/one_frame.mkv', synthetic_frames(1, 16, 16))
    ann = dict(data_list=[dict(video_path_pd=f'v/{n}') for n in ('good.mkv', 'one_frame.mkv')])
    (tmp_path / 'ann.json').write_text(json.dumps(ann))
    args = [sys.executable, '-m', 'aigve.cli', 'run', str(REPO / 'configs/temporal_flickering.py'),
            '--work-dir', str(tmp_path / 'wd'), '--cfg-options', f'data_root={tmp_path}', 'ann_file=ann.json']
    env = {**os.environ, 'PYTHONPATH': str(REPO)}
    loose = subprocess.run(args, cwd=tmp_path, capture_output=True, text=True, timeout=300, env=env)
    assert loose.returncode == 0, loose.stderr[-2000:]  # without --strict: listed as a failure, run goes on
    assert json.loads((tmp_path / 'wd/results.json').read_text())['num_videos'] == dict(scored=1, failed=1)
    (tmp_path / 'wd/results.json').unlink()
    proc = subprocess.run([*args, '--strict'], cwd=tmp_path, capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode != 0
    last = proc.stderr.strip().splitlines()[-1]
    assert 'one_frame.mkv' in last and 'frames' in last and '--strict' in last, proc.stderr[-2000:]
    assert 'Traceback' not in proc.stderr
    assert not (tmp_path / 'wd/results.json').exists()


def test_strict_help_says_any_video_not_scored():
    from aigve.cli import build_parser
    text = build_parser().format_help() + ''.join(
        a.format_help() for a in build_parser()._subparsers._group_actions[0].choices.values())
    assert 'not scored, for any reason' in ' '.join(text.split())


# ------------------------------------------------------------------ every video failed: name the first few
def test_when_every_video_fails_the_error_names_the_first_few(tmp_path):
    (tmp_path / 'v').mkdir()
    (tmp_path / 'v/empty.mp4').write_bytes(b'')
    (tmp_path / 'v/text.mp4').write_text('hello')
    ann = dict(data_list=[dict(video_path_pd=f'v/{n}') for n in ('empty.mp4', 'text.mp4', 'gone1.mp4', 'gone2.mp4')])
    (tmp_path / 'ann.json').write_text(json.dumps(ann))
    proc = run([str(REPO / 'configs/temporal_flickering.py'), '--work-dir', str(tmp_path / 'wd'),
                '--cfg-options', f'data_root={tmp_path}', 'ann_file=ann.json'], cwd=tmp_path)
    assert proc.returncode != 0
    last = proc.stderr.strip().splitlines()[-1]
    assert 'no video could be scored (4 failed)' in last, proc.stderr[-2000:]
    assert 'empty.mp4' in last and 'text.mp4' in last and 'gone1.mp4' in last and '(and 1 more)' in last


def test_a_metric_that_scored_no_video_names_the_first_few():
    from aigve.metrics import TemporalFlickering
    metric = TemporalFlickering(device='cpu')
    with pytest.raises(RuntimeError) as err:
        metric.compute_metrics([dict(video=f'v{i}.mp4', failure='needs at least 2 frames') for i in range(5)])
    assert 'v0.mp4' in str(err.value) and 'v2.mp4' in str(err.value) and 'v3.mp4' not in str(err.value)
    assert '(5 failed' in str(err.value) and '(and 2 more)' in str(err.value)


def test_strict_stops_at_a_failure_a_set_level_metric_reports_at_the_end(tmp_path):
    """A set-level metric knows its failures (e.g. a video too short for a clip) only when it computes:
    ``--strict`` stops there too, non-zero, naming the video; without it the run lists the failure."""
    config = plugin_config(tmp_path, 'set_pkg', '''
        @METRICS.register_module()
        class ShortestLoses(BaseVideoMetric):
            """Set-level: the shortest video cannot be used (known only once every video is seen)."""
            default_prefix = 'shortest_loses'
            set_level = True

            def process(self, data_batch, data_samples):
                for video, sample in zip(data_batch['inputs'], data_samples):
                    self.results.append(dict(video=sample['video'], video_id=sample['video_id'],
                                             frames=int(video.shape[0])))

            def compute_metrics(self, results):
                short = min(results, key=lambda r: r['frames'])
                self.failures = [dict(video=short['video'], video_id=short['video_id'],
                                      reason=f"shortest_loses: only {short['frames']} frames")]
                return dict(videos=float(len(results) - 1))
    ''', "dict(type='ShortestLoses', device='cpu')")
    write_annotation(tmp_path, {'long.mkv': 6, 'short.mkv': 2})
    loose = run_aigve(tmp_path, config)
    assert loose.returncode == 0, loose.stderr[-2000:]
    results = json.loads((tmp_path / 'wd/results.json').read_text())
    assert results['num_videos'] == dict(scored=1, failed=1)
    assert [f['video'] for f in results['failures']] == ['v/short.mkv']
    (tmp_path / 'wd/results.json').unlink()
    proc = run_aigve(tmp_path, config, '--strict')
    assert proc.returncode != 0
    last = proc.stderr.strip().splitlines()[-1]
    assert 'short.mkv' in last and 'only 2 frames' in last and '--strict' in last, proc.stderr[-2000:]
    assert 'Traceback' not in proc.stderr
    assert not (tmp_path / 'wd/results.json').exists()

def test_metrics_prepare_with_every_prompt_before_the_first_batch(tmp_path):
    """Per-prompt work (TIFA/DSG question generation) runs once, in the main process, before any video."""
    config = plugin_config(tmp_path, 'prep_pkg', '''
        @METRICS.register_module()
        class PromptsFirst(BaseVideoMetric):
            default_prefix = 'prompts_first'
            needs_prompt = True

            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.prepared = None

            def prepare(self, prompts):
                assert self.prepared is None, 'prepared twice'
                self.prepared = list(prompts)

            def score_batch(self, videos, samples):
                assert self.prepared == ['a cat', 'a dog'], self.prepared
                return [dict(known=float(s['prompt'] in self.prepared)) for s in samples]
    ''', "dict(type='PromptsFirst', device='cpu')",
                           loader="dict(num_workers=1, batch_size=1, dataset=dict(pipeline=_base_.generated_pipeline))")
    write_annotation(tmp_path, {'a.mkv': 2, 'b.mkv': 2, 'c.mkv': 2},
                     prompts={'a.mkv': 'a cat', 'b.mkv': 'a dog', 'c.mkv': 'a cat'})
    proc = run_aigve(tmp_path, config)
    assert proc.returncode == 0, proc.stderr[-2000:]
    results = json.loads((tmp_path / 'wd/results.json').read_text())
    assert results['metrics']['prompts_first/known'] == 1.0 and results['num_videos']['scored'] == 3

def test_a_metric_that_scores_no_video_leaves_the_other_metrics_their_results(tmp_path):
    """Several metrics: one that can score none of the videos (1-frame videos for TemporalFlickering) is left out
    with a warning and its failures listed; the other keeps its aggregate. Alone, it still fails the run."""
    source = '''
        @METRICS.register_module()
        class Brightness(BaseVideoMetric):
            default_prefix = 'brightness'

            def score_batch(self, videos, samples):
                return [dict(brightness=float(v.float().mean() / 255)) for v in videos]
    '''
    write_annotation(tmp_path, {'a.mkv': 1, 'b.mkv': 1})
    both = run_aigve(tmp_path, plugin_config(
        tmp_path, 'bright_pkg', source,
        "[dict(type='TemporalFlickering', device='cpu'), dict(type='Brightness', device='cpu')]"), '--fresh')
    assert both.returncode == 0, both.stderr[-2000:]
    console = both.stdout + both.stderr
    assert 'TemporalFlickering: no video was scored' in console and 'the other metrics are kept' in console
    results = json.loads((tmp_path / 'wd/results.json').read_text())
    assert 'brightness/brightness' in results['metrics']
    assert not any(k.startswith('temporal_flickering/') for k in results['metrics'])
    assert {f['video'] for f in results['failures']} == {'v/a.mkv', 'v/b.mkv'}
    assert all('needs at least 2 frames' in f['reason'] for f in results['failures'])
    alone = run_aigve(tmp_path, plugin_config(tmp_path, 'bright_pkg', source,
                                              "dict(type='TemporalFlickering', device='cpu')"), '--fresh')
    assert alone.returncode != 0 and 'no video was scored' in alone.stderr.strip().splitlines()[-1]
