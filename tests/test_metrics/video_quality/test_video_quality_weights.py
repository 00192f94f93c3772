"""Video-quality metrics: weights through the resolver (model_path, offline error) and their configs."""
from __future__ import annotations

import pytest
import torch
from mmengine.config import Config
from vq_helpers import TinyMultiScale

from aigve.metrics.video_quality import GSTVQA
from aigve.metrics.video_quality.gstvqa import GSTVQANet
from aigve.utils.weights import WEIGHTS, WeightsNotFoundError, WeightSpec, register_weights


@pytest.fixture
def gstvqa_spec():
    """The manifest entry (the lead adds it to aigve/utils/weights.py; registered here if still missing)."""
    name = 'gstvqa-konvid'
    added = name not in WEIGHTS
    if added:
        register_weights(WeightSpec(
            name=name, filename='training-all-data-GSTVQA-konvid-EXP0-best', metric='gstvqa',
            license='unspecified (no license file)',
            url='https://github.com/Baoliang93/GSTVQA/raw/main/TCSVT_Release/GVQA_Release/GVQA_Cross/models/'
            'training-all-data-GSTVQA-konvid-EXP0-best'))
    yield WEIGHTS[name]
    if added:
        WEIGHTS.pop(name)


def test_model_path_loads_strict_and_records_sha256(tmp_path, gstvqa_spec) -> None:
    path = tmp_path / gstvqa_spec.filename
    torch.save(GSTVQANet().state_dict(), path)
    metric = GSTVQA(model_path=str(tmp_path), feature_extractor=TinyMultiScale(), device='cpu')
    assert len(metric.weights_used['gstvqa-konvid']) == 64
    assert torch.equal(metric.net.q_reg2.weight, torch.load(path)['q_reg2.weight'])


def test_offline_without_weights_names_the_fix(gstvqa_spec) -> None:
    with pytest.raises(WeightsNotFoundError, match='aigve weights download gstvqa-konvid'):
        GSTVQA(feature_extractor=TinyMultiScale(), device='cpu')


def test_missing_model_path_fails_at_once(tmp_path, gstvqa_spec) -> None:
    with pytest.raises(FileNotFoundError, match='model_path'):
        GSTVQA(model_path=str(tmp_path / 'nope.pth'), feature_extractor=TinyMultiScale(), device='cpu')


@pytest.mark.parametrize('name, metric', [('gstvqa', 'GSTVQA'), ('simple_vqa', 'SimpleVQA'),
                                          ('lightvqa_plus', 'LightVQAPlus')])
def test_config_declares_the_metric(repo_root, name, metric) -> None:
    cfg = Config.fromfile(str(repo_root / 'configs' / f'{name}.py'))
    assert cfg.val_evaluator['type'] == metric and cfg.test_evaluator == cfg.val_evaluator
    assert cfg.default_scope == 'aigve'
