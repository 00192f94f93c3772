"""Tiny random CLIP/BLIP models, saved once per session and loaded by path (no network)."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import torch

try:
    from tests.helpers import tiny_hf
except ImportError:  # torch-fidelity installs a top-level `tests` package that can shadow ours
    _spec = importlib.util.spec_from_file_location('aigve_tests_tiny_hf',
                                                   Path(__file__).parents[2] / 'helpers' / 'tiny_hf.py')
    tiny_hf = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(tiny_hf)

pytest.importorskip('transformers')


@pytest.fixture(autouse=True)
def _offline(monkeypatch, tmp_path_factory):
    """No hub access and an empty aigve cache in every test here."""
    monkeypatch.setenv('HF_HUB_OFFLINE', '1')
    monkeypatch.setenv('AIGVE_OFFLINE', '1')
    monkeypatch.setenv('AIGVE_HOME', str(tmp_path_factory.getbasetemp() / 'aigve_home'))


@pytest.fixture(scope='session')
def tiny_clip_dir(tmp_path_factory) -> Path:
    return tiny_hf.build_tiny_clip(tmp_path_factory.mktemp('tiny_clip'))


@pytest.fixture(scope='session')
def tiny_blip_dir(tmp_path_factory) -> Path:
    return tiny_hf.build_tiny_blip(tmp_path_factory.mktemp('tiny_blip'))


@pytest.fixture(scope='session')
def positive_clip_dir(tmp_path_factory) -> Path:
    """A tiny CLIP whose text projection is negated: random weights give mostly negative prompt-frame
    cosines, which the CLIPScore clamp turns into 0; negating makes them positive, so parity is not 0 == 0."""
    from transformers import CLIPModel

    path = tiny_hf.build_tiny_clip(tmp_path_factory.mktemp('tiny_clip_pos'), seed=1)
    model = CLIPModel.from_pretrained(path)
    with torch.no_grad():
        model.text_projection.weight.neg_()
    model.save_pretrained(path)
    return path


@pytest.fixture(scope='session')
def tiny_max_text_len() -> int:
    return tiny_hf.TINY_MAX_TEXT_LEN


def random_video(t: int = 6, h: int = 40, w: int = 48, seed: int = 0) -> torch.Tensor:
    """A ``(T, 3, H, W)`` uint8 video of smooth random colour blobs (not white noise, so frames differ)."""
    g = torch.Generator().manual_seed(seed)
    small = torch.randint(0, 256, (t, 3, 4, 4), generator=g).float()
    return torch.nn.functional.interpolate(small, size=(h, w), mode='bilinear', align_corners=False).round().to(
        torch.uint8)


@pytest.fixture
def make_video():
    """``make_video(t, h, w, seed)`` -> a random ``(T, 3, H, W)`` uint8 video."""
    return random_video
