"""Video-quality metrics: weights through the resolver (model_path, offline error) and their configs."""
from __future__ import annotations

import dataclasses

import pytest
import torch
from helpers.metrics import RecorderMetric
from mmengine.config import Config
from torch import nn
from vq_helpers import TinyMultiScale

from aigve.metrics.video_quality import GSTVQA
from aigve.metrics.video_quality._common import load_quality_head
from aigve.metrics.video_quality.gstvqa import GSTVQANet
from aigve.utils.hashing import file_sha256
from aigve.utils.manifest import WEIGHTS, WeightSpec, register_weights
from aigve.utils.weights import ResolvedWeights, WeightsNotFoundError


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
    [resolved] = metric.weights  # the injected feature extractor records nothing
    assert (resolved.name, resolved.path) == ('gstvqa-konvid', path)
    assert torch.equal(metric.net.q_reg2.weight, torch.load(path)['q_reg2.weight'])


def test_loaders_return_a_record_that_the_metric_records(tmp_path, monkeypatch, gstvqa_spec) -> None:
    from aigve.models.slowfast import SlowFastR50, load_slowfast_r50
    from aigve.models.vgg_features import VGG16MultiScale, load_vgg16_multiscale

    # random trunk weights: drop the published file's sha256 prefix for this test only
    monkeypatch.setitem(WEIGHTS, 'vgg16-imagenet', dataclasses.replace(WEIGHTS['vgg16-imagenet'], sha256_prefix=None))
    torch.save({'model_state': SlowFastR50().state_dict()}, tmp_path / WEIGHTS['slowfast-r50-k400'].filename)
    torch.save(VGG16MultiScale().state_dict(), tmp_path / WEIGHTS['vgg16-imagenet'].filename)
    torch.save(GSTVQANet().state_dict(), tmp_path / gstvqa_spec.filename)
    metric = RecorderMetric(device='cpu')
    loaded = [load_slowfast_r50(str(tmp_path)), load_vgg16_multiscale(str(tmp_path)),
              load_quality_head(GSTVQANet(), 'gstvqa-konvid', str(tmp_path), True, 'GSTVQA')]
    for module, resolved in loaded:
        assert isinstance(module, nn.Module) and isinstance(resolved, ResolvedWeights)
        assert resolved.source == 'model_path' and resolved.sha256 == file_sha256(resolved.path)
        metric.record_weights(resolved)
    assert metric.weights == [resolved for _, resolved in loaded]
    assert metric.weights_used == {r.name: r.sha256 for _, r in loaded}
    assert set(metric.weights_used) == {'slowfast-r50-k400', 'vgg16-imagenet', 'gstvqa-konvid'}
    net, resolved = load_quality_head(GSTVQANet(), 'gstvqa-konvid', None, False, 'GSTVQA')  # random weights
    assert isinstance(net, GSTVQANet) and resolved is None


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
