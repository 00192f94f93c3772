"""AIGVEBenchDataset reads the published annotation shape; ratings and groupings ride along; missing videos fail."""
from __future__ import annotations

import json

import pytest
from helpers.aigve_bench import ASPECTS, bench_entries, write_bench
from mmengine.config import Config
from mmengine.registry import init_default_scope

from aigve.datasets import AIGVEBenchDataset
from aigve.datasets.base_video_dataset import AnnotationError
from aigve.registry import DATASETS
from aigve.utils import aigve_bench

PIPELINE = [dict(type='OpenVideo', with_reference=False), dict(type='SampleFrames', strategy='all'),
            dict(type='DecodeFrames'), dict(type='PackVideoInputs')]


@pytest.fixture(autouse=True)
def _scope():
    init_default_scope('aigve')


def test_ratings_and_groupings_are_kept_in_meta(tmp_path):
    bench = write_bench(tmp_path, bench_entries(2, ('cogvideox', 'sora')))
    ds = AIGVEBenchDataset(ann_file='annotations/test.json', data_root=str(tmp_path), pipeline=PIPELINE)
    assert len(ds) == 4
    info = ds.get_data_info(2)
    entry = bench['entries'][2]
    assert info['video'] == entry['video_path_pd'] == 'sora_100.mp4'
    assert info['video_path'] == str(tmp_path / 'videos' / 'sora_100.mp4')
    assert info['prompt'] == entry['prompt_gt']
    assert set(info['meta']) == {'id', *ASPECTS, 'model', 'subject', 'dynamic_type', 'detailed_dynamic', 'category'}
    assert {a: info['meta'][a] for a in ASPECTS} == {a: entry[a] for a in ASPECTS}
    assert info['meta']['model'] == 'sora' and info['meta']['subject'] == ['city']
    assert ds.metainfo['aspects'] == list(ASPECTS)
    item = ds[2]
    assert item['data_samples']['meta']['overall'] == entry['overall']
    assert item['inputs'].shape[1] == 3


def test_missing_videos_are_counted_failures_not_drops(tmp_path):
    write_bench(tmp_path, bench_entries(3, ('cogvideox', )), missing=['cogvideox_1.mp4'])
    ds = AIGVEBenchDataset(ann_file='annotations/test.json', data_root=str(tmp_path), pipeline=PIPELINE)
    assert len(ds) == 3 and ds.missing_videos == ['cogvideox_1.mp4']
    item = ds[1]
    assert item['inputs'] is None
    assert 'not found' in item['data_samples']['failure'] and item['data_samples']['video'] == 'cogvideox_1.mp4'


def test_run_counts_the_missing_video_as_a_failure(tmp_path):
    from aigve.core.evaluate import evaluate_config

    write_bench(tmp_path / 'bench', bench_entries(3, ('cogvideox', )), missing=['cogvideox_2.mp4'])
    results = evaluate_config('configs/aigve_bench_temporal_flickering.py', work_dir=str(tmp_path / 'work'),
                              cfg_options={'data_root': str(tmp_path / 'bench'),
                                           'val_dataloader.num_workers': 0})
    assert results['num_videos'] == dict(scored=2, failed=1)
    assert [f['video'] for f in results['failures']] == ['cogvideox_2.mp4']
    assert [r['video'] for r in results['per_video']] == ['cogvideox_0.mp4', 'cogvideox_1.mp4']


@pytest.mark.parametrize('bad, match', [
    (dict(overall=7), r'data_list\[0\]\.overall must be a number from 0 to 5, but got 7'),
    (dict(overall='good'), r"overall must be a number from 0 to 5, but got 'good'"),
    (dict(overall=True), r'overall must be a number'),
    (dict(rating=3), r"unknown keys \['rating'\]"),
])
def test_bad_entries_name_the_entry(tmp_path, bad, match):
    entry = {**bench_entries(1, ('m', ))[0], **bad}
    (tmp_path / 'annotations').mkdir()
    (tmp_path / 'annotations' / 'test.json').write_text(json.dumps(dict(data_list=[entry])))
    with pytest.raises(AnnotationError, match=match):
        AIGVEBenchDataset(data_root=str(tmp_path))


def test_no_download_names_the_command(tmp_path, monkeypatch):
    monkeypatch.setenv('AIGVE_HOME', str(tmp_path / 'home'))
    with pytest.raises(FileNotFoundError, match='aigve datasets download aigve-bench'):
        AIGVEBenchDataset()


def test_downloaded_copy_is_the_default_root(tmp_path, monkeypatch):
    monkeypatch.setenv('AIGVE_HOME', str(tmp_path / 'home'))
    cache = aigve_bench.dataset_cache_root()
    snap = cache / 'snapshots' / ('a' * 40)
    write_bench(snap, bench_entries(1, ('m', )))
    (cache / 'refs').mkdir(parents=True)
    (cache / 'refs' / 'main').write_text('a' * 40)
    assert aigve_bench.downloaded_root() == snap
    ds = AIGVEBenchDataset()
    assert ds.get_data_info(0)['video_path'] == str(snap / 'videos' / 'm_0.mp4')


@pytest.mark.parametrize('config', ['configs/aigve_bench_temporal_flickering.py', 'configs/aigve_bench_clip_sim.py'])
def test_configs_build_on_a_tiny_bench(tmp_path, config):
    write_bench(tmp_path, bench_entries(1, ('m', )))
    cfg = Config.fromfile(config)
    assert cfg.val_dataloader.dataset.type == 'AIGVEBenchDataset' and cfg.val_dataloader.dataset.data_root is None
    cfg.val_dataloader.dataset.data_root = str(tmp_path)
    ds = DATASETS.build(cfg.val_dataloader.dataset)
    assert ds[0]['inputs'].ndim == 4 and ds[0]['data_samples']['meta']['model'] == 'm'
