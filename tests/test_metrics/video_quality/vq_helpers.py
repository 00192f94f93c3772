"""Helpers of the video-quality tests: non-degenerate random init, key tables, test videos."""
from __future__ import annotations

import json
from pathlib import Path

import torch
from helpers.init import nondegenerate_
from torch import nn

DATA = Path(__file__).resolve().parents[2] / 'data' / 'video_quality'
#: Frame counts every metric must handle: single frame, shorter than the models' windows, typical, long.
FRAME_COUNTS = (1, 3, 16, 200)


def nondegenerate_init_(module: nn.Module, seed: int = 0) -> nn.Module:
    """STYLE section 15 initialisation, zero biases."""
    return nondegenerate_(module, seed)


def load_key_table(name: str) -> dict[str, list[int]]:
    """Key -> shape table written from the original model definitions (see tests/data/video_quality)."""
    return json.loads((DATA / name).read_text())


def random_state(table: dict[str, list[int]], seed: int = 1) -> dict[str, torch.Tensor]:
    """A state dict with exactly the table's names and shapes (what a released checkpoint holds)."""
    g = torch.Generator().manual_seed(seed)
    state = {}
    for key, shape in table.items():
        if key.endswith('num_batches_tracked'):
            state[key] = torch.tensor(0)
        elif key.endswith('running_var'):
            state[key] = torch.ones(shape)
        elif key.endswith('relative_position_index'):
            side = int(round(shape[0]**0.5))
            coords = torch.stack(torch.meshgrid(torch.arange(side), torch.arange(side), indexing='ij')).flatten(1)
            rel = (coords[:, :, None] - coords[:, None, :]).permute(1, 2, 0) + (side - 1)
            state[key] = rel[..., 0] * (2 * side - 1) + rel[..., 1]
        else:
            state[key] = torch.randn(shape, generator=g) * 0.02
    return state


def make_video(num_frames: int, height: int = 36, width: int = 48, seed: int = 0) -> torch.Tensor:
    """Random uint8 ``(T, 3, H, W)`` video."""
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, (num_frames, 3, height, width), generator=g, dtype=torch.uint8)



class TinyMultiScale(nn.Module):
    """Cheap stand-in for the VGG16 trunk with the same output contract: ``(mean, std)``, each ``(N, 1472)``.

    The real :class:`VGG16MultiScale` is checked on its own; video-level invariance tests use this one so
    200-frame videos stay fast on two CPU cores.
    """

    def __init__(self, seed: int = 0) -> None:
        super().__init__()
        torch.manual_seed(seed)
        self.conv = nn.Conv2d(3, 1472, 4, stride=4)
        nn.init.kaiming_normal_(self.conv.weight, nonlinearity='relu')

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        y = torch.relu(self.conv(x)).flatten(2)
        return y.mean(2), y.std(2)


class TinyMotion(nn.Module):
    """Cheap stand-in for SlowFast's ``forward_features([slow, fast]) -> (N, 2304)``."""

    def __init__(self, seed: int = 0) -> None:
        super().__init__()
        torch.manual_seed(seed)
        self.slow = nn.Conv3d(3, 2048, (1, 8, 8), stride=(1, 8, 8))
        self.fast = nn.Conv3d(3, 256, (4, 8, 8), stride=(4, 8, 8))
        for conv in (self.slow, self.fast):
            nn.init.kaiming_normal_(conv.weight, nonlinearity='relu')

    def forward_features(self, pathways: list[torch.Tensor]) -> torch.Tensor:
        slow = torch.relu(self.slow(pathways[0])).mean(dim=(2, 3, 4))
        fast = torch.relu(self.fast(pathways[1])).mean(dim=(2, 3, 4))
        return torch.cat([slow, fast], dim=1)
