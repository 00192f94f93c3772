"""A user's own video backbone, registered in MODELS from a config's custom_imports, used by FVD end to end."""
from __future__ import annotations

import importlib
import json
import math
import os
import subprocess
import sys
import textwrap

import pytest
import torch

from aigve.metrics.distribution import FVD
from aigve.models.video_backbones import VideoBackbone, get_video_backbone

#: the user's package: a tiny random 3-D conv network as a registered VideoBackbone (no aigve file changes)
BACKBONE_MODULE = '''
import torch
from torch import nn

from aigve.models.video_backbones import VideoBackbone
from aigve.registry import MODELS


class TinyNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv3d(3, 16, kernel_size=3, stride=2)
        self.fc = nn.Linear(16, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.relu(self.conv(x)).mean(dim=(2, 3, 4)))


@MODELS.register_module(name='tiny3d')
class Tiny3DBackbone(VideoBackbone):
    """Random weights (fixed seed); the default preprocessing: shorter side to 32, centre crop, x / 255."""

    name = 'tiny3d'
    feature_dim = 4
    ddof = 1
    family = 'Tiny3D (user test backbone)'
    input_resolution = 32

    @classmethod
    def load(cls, model_path=None, check_hash=True, **options):
        g = torch.Generator().manual_seed(0)
        net = TinyNet()
        with torch.no_grad():  # non-degenerate: features of order 1, not 1e-3
            for p in net.parameters():
                fan_in = p[0].numel() if p.dim() > 1 else 1
                p.copy_(torch.randn(p.shape, generator=g) * (3 / fan_in) ** 0.5)
        return net, None  # random weights: nothing to record
'''


@pytest.fixture
def user_package(tmp_path, monkeypatch):
    pkg = tmp_path / 'my_fvd_pkg'
    pkg.mkdir()
    (pkg / '__init__.py').write_text('')
    (pkg / 'backbones.py').write_text(textwrap.dedent(BACKBONE_MODULE))
    return tmp_path


def _import_user_backbone(root, monkeypatch) -> type[VideoBackbone]:
    monkeypatch.syspath_prepend(str(root))
    if 'my_fvd_pkg.backbones' not in sys.modules:  # registering twice in one process would raise
        importlib.import_module('my_fvd_pkg.backbones')
    return get_video_backbone('tiny3d')


def test_user_backbone_features_are_not_degenerate(user_package, monkeypatch) -> None:
    cls = _import_user_backbone(user_package, monkeypatch)
    metric = FVD(backbone='tiny3d', num_frames=8, device='cpu')
    assert type(metric.backbone) is cls and metric.weights_used == {}
    g = torch.Generator().manual_seed(1)
    videos = [torch.randint(0, 256, (12, 3, 40, 48), generator=g, dtype=torch.uint8) for _ in range(4)]
    feats, failures = metric.extract(videos, [str(i) for i in range(4)])
    assert feats.shape == (4, 4) and not failures
    assert 0.3 < feats.std().item() < 30  # order 1


def test_user_backbone_runs_from_a_config(user_package, repo_root) -> None:
    work_dir = user_package / 'wd'
    config = user_package / 'fvd_tiny3d.py'
    config.write_text(textwrap.dedent(f'''
        _base_ = ['{repo_root}/configs/fvd.py']
        custom_imports = dict(imports=['my_fvd_pkg.backbones'], allow_failed_imports=False)
        val_evaluator = dict(type='FVD', backbone='tiny3d', num_frames=8, device='cpu', use_cache=False)
        test_evaluator = val_evaluator
        val_dataloader = dict(num_workers=0)
    '''))
    env = {**os.environ, 'PYTHONPATH': os.pathsep.join([str(user_package), str(repo_root)]),
           'AIGVE_HOME': str(user_package / 'home')}
    proc = subprocess.run([sys.executable, '-m', 'aigve.cli', 'run', str(config), '--work-dir', str(work_dir)],
                          cwd=user_package, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, (proc.stdout[-2000:], proc.stderr[-2000:])
    results = json.loads((work_dir / 'results.json').read_text())
    value = results['metrics']['fvd/fvd']
    assert math.isfinite(value) and value > 0
    protocol = results['provenance']['protocol']['fvd']
    assert protocol['backbone'] == 'tiny3d' and protocol['family'] == 'Tiny3D (user test backbone)'
    assert protocol['covariance'] == 'N-1 (ddof=1)' and protocol['n_generated'] == protocol['n_reference'] == 6


def test_unknown_or_wrong_backbone_names_the_registered_ones() -> None:
    with pytest.raises(ValueError, match=r"registered video backbones \[.*'i3d'.*'r3d18'.*\] \(did you mean 'i3d'"):
        FVD(backbone='i3dd', device='cpu')
    with pytest.raises(ValueError, match='is not a VideoBackbone'):
        FVD(backbone='PassThroughModel', device='cpu')  # in MODELS, but not a video backbone
