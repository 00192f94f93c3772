"""aigve.results.load -> DataFrame (scores, failures, meta); aigve export csv|parquet; aigve datasets."""
from __future__ import annotations

import json

import pytest
from helpers.aigve_bench import bench_entries, results_doc, write_bench, write_results

import aigve.results
from aigve.cli import main
from aigve.tools import export as ex

pd = pytest.importorskip('pandas')


def _run(tmp_path):
    doc = results_doc({'a.mp4': {'tf/tf': 0.9, 'tf/mae': 5.0}, 'b.mp4': {'tf/tf': 0.8, 'tf/mae': 7.0}},
                      failures=[dict(video='c.mp4', reason='c.mp4: file not found'),
                                dict(video='b.mp4', reason='clip: too short')],
                      meta={'a.mp4': {'overall': 4, 'model': 'sora'}})
    return write_results(tmp_path / 'run' / 'results.json', doc)


def test_load_gives_one_row_per_video_with_scores_failures_and_meta(tmp_path):
    path = _run(tmp_path)
    df = aigve.results.load(path)
    assert list(df.columns) == ['video', 'tf/mae', 'tf/tf', 'failure', 'meta.model', 'meta.overall']
    assert df['video'].tolist() == ['a.mp4', 'b.mp4', 'c.mp4']
    assert df['tf/tf'].tolist()[:2] == [0.9, 0.8] and pd.isna(df['tf/tf'].iloc[2])
    assert df['failure'].isna().tolist() == [True, False, False]  # scored: missing (None or NaN by pandas version)
    assert df['failure'].tolist()[1:] == ['clip: too short', 'c.mp4: file not found']
    assert df.loc[0, 'meta.overall'] == 4
    assert df.attrs['metrics']['tf/tf'] == pytest.approx(0.85) and df.attrs['num_videos'] == dict(scored=2, failed=2)
    assert df.attrs['provenance']['aigve'] == 'test'
    assert aigve.results.load(path.parent)['video'].tolist() == df['video'].tolist()  # a run folder works too


def test_load_joins_annotation_meta_and_several_runs(tmp_path):
    entries = bench_entries(1, ('sora', ))
    ann = tmp_path / 'ann.json'
    ann.write_text(json.dumps(dict(data_list=entries)))
    path = write_results(tmp_path / 'r.json', results_doc({'sora_0.mp4': {'m/m': 1.0}}))
    df = aigve.results.load(path, ann_file=ann)
    assert df.loc[0, 'meta.overall'] == entries[0]['overall'] and df.loc[0, 'meta.subject'] == ['city']
    both = aigve.results.load([path, path])
    assert both['run'].tolist() == [str(path), str(path)] and len(both.attrs['runs']) == 2


def test_not_results_files_are_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match='results file not found'):
        aigve.results.load(tmp_path / 'nope.json')
    bad = tmp_path / 'bad.json'
    bad.write_text('[1, 2]')
    with pytest.raises(aigve.results.ResultsError, match='not a results document'):
        aigve.results.load(bad)


def test_export_csv(tmp_path, capsys):
    path = _run(tmp_path)
    assert main(['export', str(path), '--format', 'csv']) == 0
    out = path.with_suffix('.csv')
    assert f'wrote {out}' in capsys.readouterr().out
    back = pd.read_csv(out)
    assert back['video'].tolist() == ['a.mp4', 'b.mp4', 'c.mp4'] and back['tf/tf'].iloc[0] == 0.9


def test_export_parquet_or_a_clear_error(tmp_path, monkeypatch):
    import importlib.util

    path = _run(tmp_path)
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, 'find_spec', lambda name, *a: None if name == 'pyarrow' else real(name, *a))
    with pytest.raises(ImportError, match='pip install pyarrow'):
        ex.export(aigve.results.load(path), tmp_path / 'x.parquet', 'parquet')
    monkeypatch.undo()
    if real('pyarrow') is None:
        pytest.skip('pyarrow is not installed: the Parquet round trip is not checked')
    ex.export(aigve.results.load(path), tmp_path / 'x.parquet', 'parquet')
    assert pd.read_parquet(tmp_path / 'x.parquet')['video'].tolist() == ['a.mp4', 'b.mp4', 'c.mp4']


def test_split_label(tmp_path):
    assert ex.split_label('sora=work/results.json') == ('sora', 'work/results.json')
    assert ex.split_label('work/results.json') == (None, 'work/results.json')
    odd = tmp_path / 'a=b.json'
    odd.write_text('{}')
    assert ex.split_label(str(odd)) == (None, str(odd))


# ------------------------------------------------------------------------------------------- datasets
def test_datasets_list_and_offline_download(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv('AIGVE_HOME', str(tmp_path / 'home'))
    monkeypatch.setenv('AIGVE_OFFLINE', '1')
    assert main(['datasets', 'list']) == 0
    listing = capsys.readouterr().out
    assert 'aigve-bench' in listing and 'hf:xiaoliux/AIGVE-Bench@main' in listing and 'not downloaded' in listing
    assert main(['datasets', 'download', 'aigve-bench']) == 1
    err = capsys.readouterr().err
    assert 'xiaoliux/AIGVE-Bench' in err and 'offline mode is on' in err and 'aigve datasets download' in err
    assert str(tmp_path / 'home') in err
    assert main(['datasets', 'download', 'aigve-bnch']) == 1
    assert 'did you mean: aigve-bench' in capsys.readouterr().err


def test_download_uses_a_cached_copy_offline(tmp_path, monkeypatch):
    from aigve.tools.datasets import dataset_location, download_dataset, get_dataset_spec
    from aigve.utils.aigve_bench import dataset_cache_root

    monkeypatch.setenv('AIGVE_HOME', str(tmp_path / 'home'))
    monkeypatch.setenv('AIGVE_OFFLINE', '1')
    snap = dataset_cache_root() / 'snapshots' / ('b' * 40)
    (snap / 'annotations').mkdir(parents=True)
    (snap / 'annotations' / 'test.json').write_text('{}')
    (dataset_cache_root() / 'refs').mkdir()
    (dataset_cache_root() / 'refs' / 'main').write_text('b' * 40)
    assert download_dataset('AIGVE_Bench') == snap
    assert dataset_location(get_dataset_spec('aigve-bench')) == str(snap)


def test_a_run_is_found_to_have_read_its_annotation_and_videos(tmp_path):
    from aigve.core.evaluate import evaluate_config
    from aigve.tools.report import build_report

    bench = write_bench(tmp_path / 'bench', bench_entries(3, ('cogvideox', )))
    evaluate_config('configs/aigve_bench_temporal_flickering.py', work_dir=str(tmp_path / 'work'),
                    cfg_options={'data_root': str(bench['root']), 'val_dataloader.num_workers': 0})
    results = tmp_path / 'work' / 'results.json'
    assert ex.run_dataset_paths(results) == dict(ann_file=bench['ann_file'], video_root=bench['videos'])
    assert ex.run_dataset_paths(tmp_path) == dict(ann_file=None, video_root=None)  # no dumped config there
    # agreement without --ann-file: the ratings come through the run's config
    assert main(['agreement', str(results), '--aspects', 'overall', '--n-boot', '20',
                 '--out-dir', str(tmp_path / 'agr')]) == 0
    rows = json.loads((tmp_path / 'agr' / 'agreement.json').read_text())['per_video']
    assert {r['n'] for r in rows} == {3}
    # the report finds the videos for thumbnails without --video-root
    page = build_report([(str(results), None, ex.read_results(results))], k=1)
    assert 'alt="frames of cogvideox_' in page and 'no thumbnails' not in page
