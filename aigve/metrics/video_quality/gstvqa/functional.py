"""GSTVQA: the network and the pure steps around it.

Paper: Baoliang Chen, Lingyu Zhu, Guo Li, Fangbo Lu, Hongfei Fan, Shiqi Wang, "Learning Generalized
Spatial-Temporal Deep Feature Representation for No-Reference Video Quality Assessment", IEEE TCSVT 2021.
Repository: https://github.com/Baoliang93/GSTVQA (no license file), ``TCSVT_Release/GVQA_Release/GVQA_Cross/
cross_test.py`` (``GSTVQA``, ``ANN``, ``PymidPool``) and ``channel_attention.py`` (``ChannelAttention``).
Written anew from those definitions; parameter names and shapes are the repository's, so its four
``training-all-data-GSTVQA-<set>-EXP0-best`` state dicts load with ``strict=True``.

Per frame the input is ``[mean features (1472) | std features (1472)]``. Per video:

* ``mean_var`` = population std over frames of the mean features (``np.std(features1, 0)``), computed on
  all frames before truncation to ``max_len`` = 500;
* the channel attention ``sigmoid(MLP(mean_var))`` gates the std features; ``fc0`` reduces 1472 -> 256,
  a GRU(256 -> 32) runs over time;
* a temporal attention (two ``Conv1d`` with kernel 15, no padding, ``tanh``) weights the GRU states
  ``[14 : L - 14]``; a 7-level pyramid (1, 2, 4, ..., 64 bins of attention-normalised averages, 127 rows)
  goes through ``q`` (32 -> 1) and ``q_reg2`` (127 -> 1) to the score.

The attention needs ``L >= 29`` states. The original never meets shorter videos (its datasets have
hundreds of frames); here shorter feature sequences are stretched to 29 steps by nearest-neighbour
resampling (:func:`stretch_frames`) -- an aigve choice, stated in the doc card.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    'GSTVQA_CHECKPOINTS',
    'GSTVQA_FEATURE_DIM',
    'GSTVQA_MAX_LEN',
    'GSTVQA_MIN_FRAMES',
    'GSTVQANet',
    'gstvqa_score_from_features',
    'pyramid_pool',
    'stretch_frames',
    'video_statistics'
]

#: 1472 mean + 1472 std dims per frame.
GSTVQA_FEATURE_DIM = 2944
#: Smallest sequence the two kernel-15 attention convolutions accept: 2 * (15 - 1) + 1.
GSTVQA_MIN_FRAMES = 29
#: ``cross_test.py`` truncates the features of a video to its first 500 frames.
GSTVQA_MAX_LEN = 500

#: Released checkpoints: training set -> (manifest name, file name, label scale = max MOS of that set,
#: read from the repository's ``datas/*info.mat`` ``scores``; the network predicts MOS / scale).
GSTVQA_CHECKPOINTS: dict[str, tuple[str, str, float]] = {
    'konvid': ('gstvqa-konvid', 'training-all-data-GSTVQA-konvid-EXP0-best', 4.64),
    'cvd2014': ('gstvqa-cvd2014', 'training-all-data-GSTVQA-cvd14-EXP0-best', 93.38),
    'livequalcomm': ('gstvqa-livequalcomm', 'training-all-data-GSTVQA-liveq-EXP0-best', 73.64276415152705),
    'livevqc': ('gstvqa-livevqc', 'training-all-data-GSTVQA-livev-EXP0-best', 94.2865),
}


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


def pyramid_pool(q: torch.Tensor, att: torch.Tensor, levels: int = 7) -> torch.Tensor:
    """GSTVQA's ``PymidPool``: the mean row, then for 2, 4, ..., 2**(levels-1) bins the bin average of
    ``q`` divided by the bin average of ``att``. ``(L, C) -> (2**levels - 1, C)``."""
    rows = [q.mean(0, keepdim=True)]
    q_t, att_t = q.t().unsqueeze(0), att.t().unsqueeze(0)
    for j in range(1, levels):
        bins = 2**j
        rows.append((F.adaptive_avg_pool1d(q_t, bins) / F.adaptive_avg_pool1d(att_t, bins))[0].t())
    return torch.cat(rows, 0)


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


def video_statistics(features: torch.Tensor) -> torch.Tensor:
    """``mean_var``: population std over frames of the mean half, ``(T, 2944) -> (1472,)``."""
    half = features.shape[1] // 2
    return features[:, :half].std(dim=0, unbiased=False)


def stretch_frames(features: torch.Tensor, min_frames: int = GSTVQA_MIN_FRAMES) -> torch.Tensor:
    """Nearest-neighbour resample a ``(T, D)`` sequence to ``min_frames`` rows when ``T < min_frames``.

    Examples:
        >>> stretch_frames(torch.arange(3.).unsqueeze(1), 6).flatten().tolist()
        [0.0, 0.0, 1.0, 1.0, 2.0, 2.0]
    """
    t = features.shape[0]
    if t == 0:
        raise ValueError('`features` must have at least one frame, but got 0')
    if t >= min_frames:
        return features
    index = (torch.arange(min_frames, device=features.device) * t) // min_frames
    return features.index_select(0, index)


def gstvqa_score_from_features(net: GSTVQANet, features: torch.Tensor,
                               max_len: int = GSTVQA_MAX_LEN) -> torch.Tensor:
    """Score one video from its per-frame ``(T, 2944)`` features (statistics, truncation, stretching)."""
    if features.ndim != 2 or features.shape[1] != GSTVQA_FEATURE_DIM:
        raise ValueError(f'`features` must be (T, {GSTVQA_FEATURE_DIM}), but got {tuple(features.shape)}')
    mean_var = video_statistics(features)
    seq = stretch_frames(features[:max_len])
    return net(seq, mean_var)
