"""Optical-flow stand-ins and a transcription of VBench's RAFT pair scoring, for the VBench flow tests."""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


class DiffFlow(nn.Module):
    """A RAFT stand-in with a known answer: both flow channels = ``scale * mean_c |image2 - image1|``.

    The flow is exactly zero for identical frames and grows with the change, so static videos have zero flow
    and moving ones a flow set by the test. Records the ``num_flow_updates`` and batch size of each call.
    """

    def __init__(self, scale: float = 10.0) -> None:
        super().__init__()
        self.scale = scale
        self.calls: list[tuple[int, int]] = []

    def forward(self, image1: torch.Tensor, image2: torch.Tensor, num_flow_updates: int = 12) -> list[torch.Tensor]:
        self.calls.append((int(image1.shape[0]), num_flow_updates))
        d = (image2 - image1).abs().mean(1, keepdim=True) * self.scale
        return [torch.zeros_like(d).repeat(1, 2, 1, 1), d.repeat(1, 2, 1, 1)]


def vbench_pad(image: torch.Tensor) -> torch.Tensor:
    """Transcription of RAFT's ``InputPadder(dims).pad`` in its default 'sintel' mode."""
    ht, wd = image.shape[-2:]
    pad_ht = (((ht // 8) + 1) * 8 - ht) % 8
    pad_wd = (((wd // 8) + 1) * 8 - wd) % 8
    return F.pad(image, [pad_wd // 2, pad_wd - pad_wd // 2, pad_ht // 2, pad_ht - pad_ht // 2], mode='replicate')


def vbench_get_score(flow_up: torch.Tensor, fraction: float) -> float:
    """Transcription of VBench's ``get_score`` (numpy, float32) on a ``(1, 2, H, W)`` flow."""
    flo = flow_up[0].permute(1, 2, 0).cpu().numpy()
    rad = np.sqrt(np.square(flo[:, :, 0]) + np.square(flo[:, :, 1]))
    h, w = rad.shape
    cut_index = int(h * w * fraction)
    return np.mean(abs(np.sort(-rad.flatten()))[:cut_index]).item()


def vbench_pair_score(model: nn.Module, image1: torch.Tensor, image2: torch.Tensor, iters: int,
                      fraction: float) -> float:
    """One pair as VBench scores it: pad, RAFT (which maps 0-255 to [-1, 1] itself in the original), score."""
    image1, image2 = vbench_pad(image1), vbench_pad(image2)
    flow_up = model(2 * (image1 / 255.0) - 1.0, 2 * (image2 / 255.0) - 1.0, num_flow_updates=iters)[-1]
    return vbench_get_score(flow_up, fraction)
