"""Issue 16: the older toolkit's command lines, as its README writes them, run here.

Weight-free ones run to the end (pairing, staging, listing, ``--compute`` with a weight-free metric); those
that need weights reach the offline error naming them, never an argument error. Paths of the README
(``IN``, ``/path/to/mixed_videos``, ``./my_dataset``) become a temporary folder and the test's cwd.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers.videos import synthetic_frames, write_video

from aigve.tools.metric_names import expand_metric_request, legacy_metrics_text, registered_cards
from aigve.utils.errors import report_errors

REPO = Path(__file__).resolve().parents[2]
OLD_CONFIG_NAMES = ['gstvqa', 'simplevqa', 'lightvqa_plus', 'clipsim', 'fid', 'fvd', 'is_score', 'cliptemp',
                    'blipsim', 'pickscore', 'viescore', 'tifa', 'dsg', 'videophy', 'vbench']
ALIASES = dict(clipsim='clip_sim', simplevqa='simple_vqa', is_score='is', cliptemp='clip_temp', blipsim='blip_sim',
               pickscore='pick_score')
OFFLINE = 'AIGVE_OFFLINE'


@pytest.fixture()
def mixed(tmp_path, monkeypatch) -> Path:
    """The README's ``IN``: a mixed folder of references and generated videos; cwd = its parent, empty cache."""
    folder = tmp_path / 'mixed_videos'
    folder.mkdir()
    for i, name in enumerate(['4056', 'clip']):
        write_video(folder / f'{name}.mp4', synthetic_frames(6, 32, 32, seed=i), fps=8)
        write_video(folder / f'{name}_synthetic.mp4', synthetic_frames(6, 32, 32, seed=i + 5, noise=20), fps=8)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv('AIGVE_HOME', str(tmp_path / 'home'))
    return folder


def prepare(argv: list[str], capsys) -> tuple[int, str]:
    """``python scripts/prepare_annotations.py ARGV`` in-process: (exit code, stderr)."""
    from aigve.tools.prepare_annotations import main

    try:
        rc = report_errors('prepare_annotations', lambda: main(argv))
    except SystemExit as e:  # argparse
        rc = int(e.code or 0)
    return rc, capsys.readouterr().err


def test_readme_pairing_staging_listing(mixed, capsys):
    rc, _ = prepare(['--input-dir', str(mixed), '--out-json', str(mixed / 'annotations.json')], capsys)
    assert rc == 0
    ann = json.loads((mixed / 'annotations.json').read_text())
    assert [(e['video_path_pd'], e['video_path_gt']) for e in ann['data_list']] == [
        ('4056_synthetic.mp4', '4056.mp4'), ('clip_synthetic.mp4', 'clip.mp4')]
    for extra in ([], ['--link']):
        rc, err = prepare(['--input-dir', str(mixed), '--stage-dataset', './my_dataset' + ''.join(extra), *extra],
                          capsys)
        assert rc == 0 and 'Staged dataset at:' in err
        staged = Path('./my_dataset' + ''.join(extra))
        assert (staged / 'annotations' / 'evaluate.json').is_file() and len(list((staged / 'evaluate').iterdir())) == 4
    assert Path('my_dataset--link/evaluate/4056.mp4').is_symlink()
    rc = report_errors('prepare_annotations', lambda: __import__('aigve.tools.prepare_annotations', fromlist=['main'])
                       .main(['--list-metrics']))
    out = capsys.readouterr().out
    assert rc == 0 and out.startswith(legacy_metrics_text()) and 'TemporalFlickering' in out


def test_readme_compute_with_a_weight_free_metric(mixed, capsys):
    # the README's `--compute --metrics all --max-len 64`, with the weight-free TemporalFlickering for `all`
    rc, err = prepare(['--input-dir', str(mixed), '--stage-dataset', './my_dataset', '--compute', '--metrics',
                       'temporal_flickering', '--max-len', '64', '--pad', '--use-cpu'], capsys)
    assert rc == 0, err
    results = json.loads(Path('my_dataset/annotations/aigve_run/results.json').read_text())
    assert results['num_videos'] == dict(scored=2, failed=0)
    # --max-len 4: the first 4 frames; --max-seconds 0.25 at the files' own 8 fps: 2 frames (said in the summary)
    for extra, frames in ((['--max-len', '4'], 4), (['--max-seconds', '0.25', '--fps', '25'], 2)):
        work = Path(f'w{frames}')
        rc, err = prepare(['--input-dir', str(mixed), '--compute', '--metrics', 'temporal_flickering', *extra,
                           '--work-dir', str(work)], capsys)
        assert rc == 0, err
        pipeline = json.loads((work / 'inputs' / 'run_config.data.json').read_text())
        sample = pipeline['val_dataloader']['dataset']['pipeline'][1]
        assert sample.get('num_frames', sample.get('max_seconds')) in (4, 0.25)
        if frames == 2:
            assert "8.000 fps, keeping the first 2 (0.25 s at the file's own fps)" in err


@pytest.mark.parametrize('argv', [
    ['--compute', '--metrics', 'all', '--max-len', '64'],
    ['--compute', '--categories', 'distribution_based', '--max-seconds', '8', '--fps', '25'],
    ['--compute', '--categories', 'distribution_based,nn_based_video'],
    ['--compute', '--categories', 'distribution_based', '--metrics', 'simplevqa'],
], ids=['all-max-len', 'distribution-seconds', 'both-categories', 'category-and-metric'])
def test_readme_compute_needing_weights_reaches_the_offline_error(mixed, capsys, argv):
    rc, err = prepare(['--input-dir', str(mixed), '--stage-dataset', './my_dataset', *argv], capsys)
    assert rc == 1 and OFFLINE in err and 'unrecognized arguments' not in err, err


@pytest.mark.parametrize('argv', [
    ['--stage-dataset', './my_dataset', '--compute', '--categories', 'nn_based_video', '--gstvqa-model',
     '/path/to/GSTVQA.ckpt', '--simplevqa-model', '/path/to/UGC_BVQA_model.pth', '--lightvqa-plus-model',
     '/path/to/lightvqa_plus.pth', '--lightvqa-plus-swin', '/path/to/swin_small_patch4_window7_224.pth'],
    ['--compute', '--metrics', 'lightvqa+', '--lightvqa-plus-model', '/path/to/lightvqa_plus.pth',
     '--lightvqa-plus-swin', '/path/to/swin_small_patch4_window7_224.pth'],
], ids=['nn-based-with-models', 'lightvqa-plus'])
def test_readme_model_flags_become_model_paths(mixed, capsys, argv):
    rc, err = prepare(['--input-dir', str(mixed), *argv], capsys)
    assert rc == 1 and 'unrecognized arguments' not in err
    assert OFFLINE in err or ('/path/to/' in err and 'not found' in err), err
    assert '--lightvqa-plus-swin is not used' in err
    work = Path('my_dataset/annotations/aigve_run') if '--stage-dataset' in argv else mixed / 'aigve_run'
    data = json.loads((work / 'inputs' / 'run_config.data.json').read_text())
    paths = {e['type']: e.get('model_path') for e in data['val_evaluator']}
    assert paths['LightVQAPlus'] == '/path/to/lightvqa_plus.pth'
    if 'GSTVQA' in paths:
        assert paths == {'GSTVQA': '/path/to/GSTVQA.ckpt', 'SimpleVQA': '/path/to/UGC_BVQA_model.pth',
                         'LightVQAPlus': '/path/to/lightvqa_plus.pth'}


@pytest.mark.parametrize('name', OLD_CONFIG_NAMES)
def test_old_config_names_run_their_metric(name, tmp_path, monkeypatch, capsys):
    """``python main_aigve.py configs/<old name>.py --work-dir ./output``: the config exists and runs its metric
    (up to the offline error for its weights); an alias only inherits."""
    from mmengine.config import Config

    path = REPO / 'configs' / f'{name}.py'
    if not path.is_file():
        pytest.skip(f'configs/{name}.py is made with its metric (issues 12/14)')
    if name in ALIASES:
        text = path.read_text()
        assert f"_base_ = ['./{ALIASES[name]}.py']" in text and 'val_evaluator' not in text  # no duplicated body
        assert Config.fromfile(str(path)).val_evaluator == Config.fromfile(
            str(REPO / 'configs' / f'{ALIASES[name]}.py')).val_evaluator
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv('AIGVE_HOME', str(tmp_path / 'home'))
    from aigve.cli import main

    rc = main(['run', str(path), '--work-dir', './output'])
    err = capsys.readouterr().err
    assert 'config not found' not in err and 'unrecognized arguments' not in err
    assert rc == 0 or OFFLINE in err or 'OPENAI' in err.upper(), err


def test_aigve_run_suggests_the_closest_config(capsys):
    from aigve.cli import main

    rc = main(['run', str(REPO / 'configs' / 'simple_vq.py')])
    err = capsys.readouterr().err
    assert rc == 1 and 'did you mean:' in err and 'simple_vqa.py' in err
    # the older README's path (its repository layout): the name is looked up in our configs/
    rc = main(['run', 'AIGVE_Tool/aigve/configs/clipsim.py', '--work-dir', './output'])
    err = capsys.readouterr().err
    assert rc == 1 and str(REPO / 'configs' / 'clipsim.py') in err


def test_older_categories_keep_their_metric_sets():
    cards = registered_cards()
    assert expand_metric_request(None, 'distribution_based', cards) == ['FID', 'IS', 'FVD']  # no KID
    assert expand_metric_request(None, 'nn_based_video', cards) == ['GSTVQA', 'SimpleVQA', 'LightVQAPlus']
    assert expand_metric_request('all', None, cards) == ['FID', 'IS', 'FVD']
    assert 'KID' in expand_metric_request(None, 'distribution', cards)  # our family keeps every member


def test_legacy_result_documents_use_the_older_names():
    from aigve.service.compat import legacy_result_documents

    cards = registered_cards()
    types = ['FID', 'IS', 'FVD', 'GSTVQA', 'SimpleVQA', 'LightVQAPlus', 'TemporalFlickering']
    by_name = {c['name']: c for c in cards}
    metrics, per_video = {}, [{'video': 'a_synthetic.mp4'}]
    for i, t in enumerate(types):
        prefix = by_name[t]['prefix']
        metrics[f'{prefix}/{prefix}'] = float(i)
        if not by_name[t]['set_level']:
            per_video[0][f'{prefix}/{prefix}'] = float(i)
    results = dict(metrics=metrics, per_video=per_video, num_videos=dict(scored=1, failed=0), failures=[],
                   provenance=dict(aigve='x', protocol={}))
    ann = dict(data_list=[dict(video_path_pd='a_synthetic.mp4', video_path_gt='a.mp4')])
    docs = dict(legacy_result_documents(results, [dict(type=t) for t in types], cards, ann))
    assert list(docs) == ['fid_results.json', 'is_results.json', 'fvd_results.json', 'gstvqa_results.json',
                          'simplevqa_results.json', 'lightvqaplus_results.json', 'temporal_flickering_results.json']
    assert docs['fid_results.json']['FID_Mean_Score'] == 0.0 and docs['fid_results.json']['video_results'] == []
    assert docs['gstvqa_results.json']['video_results'] == [
        {'Generated video_name': 'a_synthetic.mp4', 'Real video_name': 'a.mp4', 'GSTVQA_Score': 3.0}]
    assert docs['lightvqaplus_results.json']['LightVQAPlus_Mean_Score'] == 5.0
    assert docs['temporal_flickering_results.json']['provenance']['aigve'] == 'x'
