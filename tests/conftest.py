"""Test-wide settings: offline, a private AIGVE_HOME, seeded torch, CPU."""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

# Before anything imports transformers / huggingface_hub: never touch the network, fail fast.
os.environ['HF_HUB_OFFLINE'] = '1'
os.environ['TRANSFORMERS_OFFLINE'] = '1'
os.environ['AIGVE_OFFLINE'] = '1'
os.environ.setdefault('AIGVE_HOME', tempfile.mkdtemp(prefix='aigve-home-'))

sys.path.insert(0, str(Path(__file__).parent))  # tests/helpers importable as `helpers`

import pytest
import torch

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)


@pytest.fixture
def repo_root() -> Path:
    """The repository root (configs/, scripts/, main_aigve.py)."""
    return REPO
