"""``aigve.core.evaluate``: the top-level ``model_path`` override reaches the metrics, unread keys are warned
about, and ``evaluate_config`` returns the document it writes."""
from __future__ import annotations

import json
import textwrap
import warnings
from pathlib import Path

import pytest

from aigve.core import BaseVideoMetric
from aigve.core.evaluate import UnreadConfigKeyWarning, evaluate_config, load_config
from aigve.registry import METRICS

REPO = Path(__file__).resolve().parents[2]
CONFIGS_WITH_MODEL_PATH = sorted(p for p in (REPO / 'configs').glob('*.py') if 'model_path' in p.read_text())


class RecordsModelPath(BaseVideoMetric):
    """Test metric: keeps the ``model_path`` it was built with."""

    default_prefix = 'records_model_path'

    def __init__(self, model_path: str | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.model_path = model_path

    def score_batch(self, videos, samples):
        return [dict(score=0.0) for _ in videos]


@pytest.fixture
def records_model_path():
    """``RecordsModelPath`` in the metric registry for one test (other tests list every registered metric)."""
    METRICS.register_module(module=RecordsModelPath, force=True)
    yield RecordsModelPath
    METRICS._module_dict.pop('RecordsModelPath', None)


def write_config(tmp_path: Path, body: str) -> Path:
    path = tmp_path / 'cfg.py'
    path.write_text(f"_base_ = ['{REPO}/configs/_base_/default_runtime.py', '{REPO}/configs/_base_/datasets/toy.py']\n"
                    + textwrap.dedent(body))
    return path


def load_quietly(config, tmp_path, **options):
    """load_config with every UnreadConfigKeyWarning turned into an error."""
    with warnings.catch_warnings():
        warnings.simplefilter('error', UnreadConfigKeyWarning)
        return load_config(str(config), work_dir=str(tmp_path / 'wd'), **options)


def test_top_level_model_path_reaches_every_metric_that_takes_one(records_model_path, tmp_path):
    config = write_config(tmp_path, '''
        model_path = None
        val_evaluator = [dict(type='RecordsModelPath', model_path=model_path), dict(type='TemporalFlickering'),
                         dict(type='RecordsModelPath')]
    ''')
    cfg = load_quietly(config, tmp_path, cfg_options={'model_path': '/ckpt/given.pth'})
    first, flicker, last = cfg.val_evaluator
    assert first.model_path == last.model_path == '/ckpt/given.pth'
    assert 'model_path' not in flicker  # TemporalFlickering takes no weights
    assert METRICS.build(first).model_path == '/ckpt/given.pth'
    assert load_quietly(config, tmp_path).val_evaluator[0].model_path is None  # nothing given: the config's


@pytest.mark.parametrize('config', CONFIGS_WITH_MODEL_PATH, ids=lambda p: p.stem)
def test_model_path_override_reaches_the_metric_of_every_config(config, tmp_path):
    cfg = load_quietly(config, tmp_path, cfg_options={'model_path': '/ckpt/x'})
    entries = cfg.val_evaluator if isinstance(cfg.val_evaluator, list) else [cfg.val_evaluator]
    assert [e.get('model_path') for e in entries] == ['/ckpt/x'] * len(entries)


def test_model_path_override_reaches_the_loader(tmp_path):
    """A real metric: its weight loading fails naming the given path (not the cache's file)."""
    cfg = load_quietly(REPO / 'configs/is.py', tmp_path, cfg_options={'model_path': str(tmp_path / 'missing.pth')})
    with pytest.raises(FileNotFoundError, match='missing.pth'):
        METRICS.build(cfg.val_evaluator)


@pytest.mark.parametrize('key, close', [('modle_path', 'model_path'), ('data_rot', 'data_root'),
                                        ('ann_fille', 'ann_file')])
def test_an_unread_override_is_a_warning_naming_it_and_the_close_match(key, close, tmp_path):
    with pytest.warns(UnreadConfigKeyWarning) as record:
        load_config(str(REPO / 'configs/temporal_flickering.py'), cfg_options={key: 'x'},
                    work_dir=str(tmp_path / 'wd'))
    messages = [str(w.message) for w in record]
    assert len(messages) == 1
    assert f'`{key}` (set by --cfg-options) is read by no component' in messages[0]
    assert f'did you mean `{close}`' in messages[0]


def test_model_path_for_metrics_without_weights_is_a_warning(tmp_path):
    match = r'`model_path`.*no metric in `val_evaluator` \(TemporalFlickering\)'
    with pytest.warns(UnreadConfigKeyWarning, match=match):
        load_config(str(REPO / 'configs/temporal_flickering.py'), cfg_options={'model_path': '/x'},
                    work_dir=str(tmp_path / 'wd'))


def test_config_variables_are_read_and_an_unused_one_is_warned_about(tmp_path):
    config = write_config(tmp_path, '''
        frames = 4
        unused_setting = 1
        val_dataloader = dict(dataset=dict(pipeline=[
            dict(type='OpenVideo'), dict(type='SampleFrames', strategy='first', num_frames=frames),
            dict(type='DecodeFrames'), dict(type='PackVideoInputs')]))
        val_evaluator = dict(type='TemporalFlickering')
    ''')
    with pytest.warns(UnreadConfigKeyWarning) as record:
        load_config(str(config), work_dir=str(tmp_path / 'wd'))
    assert [str(w.message).split(' (')[0] for w in record] == ['config key `unused_setting`']
    assert str(config) in str(record[0].message)


@pytest.mark.parametrize('config', sorted((REPO / 'configs').glob('*.py')), ids=lambda p: p.stem)
def test_shipped_configs_have_no_unread_keys(config, tmp_path):
    load_quietly(config, tmp_path)


def test_evaluate_config_returns_the_document_it_writes(tmp_path):
    config = write_config(tmp_path, '''
        val_dataloader = dict(num_workers=0)
        val_evaluator = dict(type='TemporalFlickering', device='cpu')
    ''')
    results = evaluate_config(str(config), work_dir=str(tmp_path / 'wd'), out=str(tmp_path / 'copy.json'))
    assert results == json.loads((tmp_path / 'wd' / 'results.json').read_text())
    assert results == json.loads((tmp_path / 'copy.json').read_text())
    assert results['num_videos']['scored'] > 0 and 'temporal_flickering/temporal_flickering' in results['metrics']
    cfg = load_config(str(config), work_dir=str(tmp_path / 'wd'))
    with pytest.raises(ValueError, match='`strict`'):
        evaluate_config(cfg, strict=True)
