"""GSTVQA network: channel attention, GRU and temporal-attention pyramid regressor.

Written anew from ``cross_test.py`` (``GSTVQA``, ``ANN``) and ``channel_attention.py`` (``ChannelAttention``)
of https://github.com/Baoliang93/GSTVQA; parameter names and shapes are the repository's, so its four
``training-all-data-GSTVQA-<set>-EXP0-best`` state dicts load with ``strict=True``. The pure steps around
it (statistics, stretching, the pyramid pooling) are in :mod:`.functional`.
"""
from __future__ import annotations

import torch
from torch import nn

from aigve.metrics.video_quality.gstvqa.functional import GSTVQA_MIN_FRAMES, pyramid_pool

__all__ = ['GSTVQANet']


class _ANN(nn.Module):
    """``fc0`` (1472 -> 256, linear). ``fc`` exists in the checkpoint but is unused with one layer."""

    def __init__(self, input_size: int = 1472, reduced_size: int = 256) -> None:
        super().__init__()
        self.fc0 = nn.Linear(input_size, reduced_size)
        self.dropout = nn.Dropout(0.5)
        self.fc = nn.Linear(reduced_size, reduced_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc0(x)


class _ChannelAttention(nn.Module):
    """Gate the std half of the features with ``sigmoid(MLP(mean_var))`` (keys ``bottleneck.0/2``)."""

    def __init__(self, half_dim: int = 1472, reduction_dim: int = 320) -> None:
        super().__init__()
        self.half_dim = half_dim
        self.bottleneck = nn.Sequential(nn.Linear(half_dim, reduction_dim), nn.ReLU(),
                                        nn.Linear(reduction_dim, half_dim))

    def forward(self, x: torch.Tensor, mean_var: torch.Tensor) -> torch.Tensor:
        att = torch.sigmoid(self.bottleneck(mean_var))
        return x[..., self.half_dim:] * att.unsqueeze(-2)


class GSTVQANet(nn.Module):
    """The GSTVQA regressor (``cross_test.GSTVQA`` with its defaults).

    Inputs:
        ``forward(features, mean_var)``: ``features`` ``(L, 2944)`` of one video with ``L >= 29``,
        ``mean_var`` ``(1472,)``. Returns a 0-d tensor: the predicted MOS divided by the training set's
        maximum MOS.
    """

    def __init__(self, input_size: int = 1472, reduced_size: int = 256, hidden_size: int = 32,
                 att_frames: int = 15, layer_num: int = 7) -> None:
        super().__init__()
        self.hidden_size = hidden_size
        self.att_frames = att_frames
        self.layer_num = layer_num
        self.ann = _ANN(input_size, reduced_size)
        self.rnn = nn.GRU(reduced_size, hidden_size, batch_first=True)
        self.q = nn.Linear(hidden_size, 1)
        self.CA = _ChannelAttention(input_size, 320)
        self.q_reg = nn.Parameter(torch.ones(hidden_size))
        self.q_mean = nn.Parameter(torch.zeros(hidden_size))
        self.q_reg2 = nn.Linear(2**layer_num - 1, 1)
        self.q_att = nn.Sequential(nn.Conv1d(hidden_size, 1, att_frames), nn.ReLU(), nn.Conv1d(1, 1, att_frames))

    def forward(self, features: torch.Tensor, mean_var: torch.Tensor) -> torch.Tensor:
        length = features.shape[0]
        if length < GSTVQA_MIN_FRAMES:
            raise ValueError(f'`features` must have at least {GSTVQA_MIN_FRAMES} frames, but got {length}; '
                             'use stretch_frames first')
        x = self.ann(self.CA(features.unsqueeze(0), mean_var.unsqueeze(0)))
        states, _ = self.rnn(x, torch.zeros(1, 1, self.hidden_size, dtype=x.dtype, device=x.device))
        states = states[0]
        att = torch.tanh(self.q_att(states.t().unsqueeze(0))).reshape(-1)
        att = att.unsqueeze(1).expand(-1, self.hidden_size)
        trim = self.att_frames - 1
        pooled = pyramid_pool(att * states[trim:length - trim], att, self.layer_num)
        return self.q_reg2(self.q(pooled).t()).reshape(())
