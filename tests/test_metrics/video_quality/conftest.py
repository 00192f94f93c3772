"""Fixtures of the video-quality tests."""
from __future__ import annotations

import pytest
import torch
from vq_helpers import FRAME_COUNTS, make_video


@pytest.fixture(scope='module')
def videos() -> list[torch.Tensor]:
    """Random uint8 videos of 1, 3, 16 and 200 frames (36x48)."""
    return [make_video(t, seed=t) for t in FRAME_COUNTS]
