"""Every config loads, names registered metrics, builds its dataset on the toy set; every metric has a card."""
from __future__ import annotations

from pathlib import Path

import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope

from aigve.core.evaluate import check_metric_types
from aigve.registry import DATASETS, METRICS

REPO = Path(__file__).resolve().parents[1]
CONFIGS = sorted(p for p in (REPO / 'configs').glob('*.py'))


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: p.name)
def test_config_loads_and_builds_its_dataset(path, tmp_path):
    cfg = Config.fromfile(str(path))
    assert cfg.default_scope == 'aigve'
    check_metric_types(cfg)  # raises for an unregistered metric
    init_default_scope('aigve')
    if cfg.val_dataloader.dataset.type == 'AIGVEBenchDataset':  # a downloaded dataset: a tiny look-alike here
        from helpers.aigve_bench import bench_entries, write_bench
        cfg.val_dataloader.dataset.data_root = str(write_bench(tmp_path, bench_entries(1, ('m', )))['root'])
    dataset = DATASETS.build(cfg.val_dataloader.dataset)
    assert len(dataset) > 0
    item = dataset[0]
    assert 'failure' not in item['data_samples'], item['data_samples'].get('failure')
    video = item['inputs']
    assert video.ndim == 4 and video.shape[1] == 3 and str(video.dtype) == 'torch.uint8'


def registered_metrics() -> list[str]:
    METRICS.import_from_location()
    return sorted(METRICS.module_dict)


@pytest.mark.parametrize('name', registered_metrics())
def test_every_metric_has_a_card_a_doc_and_a_config(name):
    cls = METRICS.get(name)
    card = cls.card()
    assert card['prefix'] and isinstance(card['higher_is_better'], bool)
    index = (REPO / 'docs/metrics/index.md').read_text()
    assert f'`{name}`' in index, f'{name} has no row in docs/metrics/index.md'
    configs = [p for p in CONFIGS if f"type='{name}'" in p.read_text()]
    assert configs, f'{name} has no config in configs/'
