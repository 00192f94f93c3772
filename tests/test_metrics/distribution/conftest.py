"""Fixtures of the distribution-metric tests (helpers in dist_helpers.py)."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch
from dist_helpers import _ScriptI3DStandIn, nondegenerate_


@pytest.fixture(scope='session')
def weights_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp('dist-weights')


@pytest.fixture(scope='session')
def i3d_script_path(weights_dir: Path) -> str:
    torch.manual_seed(0)
    module = torch.jit.script(nondegenerate_(_ScriptI3DStandIn()))
    path = weights_dir / 'i3d_torchscript.pt'
    module.save(str(path))
    return str(path)


@pytest.fixture(scope='session')
def tats_ckpt(weights_dir: Path) -> str:
    from cdfvd.third_party.i3d.pytorch_i3d import InceptionI3d

    torch.manual_seed(0)
    model = nondegenerate_(InceptionI3d(400, in_channels=3))
    path = weights_dir / 'i3d_pretrained_400.pt'
    torch.save(model.state_dict(), path)
    return str(path)


@pytest.fixture(scope='session')
def fid_ckpt(weights_dir: Path) -> str:
    from aigve.models.inception import FIDInception

    torch.manual_seed(0)
    model = nondegenerate_(FIDInception())
    path = weights_dir / 'pt_inception-2015-12-05-6726825d.pth'
    torch.save(model.state_dict(), path)
    return str(path)
