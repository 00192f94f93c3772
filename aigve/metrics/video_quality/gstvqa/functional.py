"""GSTVQA: the pure steps around the network (statistics, stretching, pyramid pooling, scoring).

Paper: Baoliang Chen, Lingyu Zhu, Guo Li, Fangbo Lu, Hongfei Fan, Shiqi Wang, "Learning Generalized
Spatial-Temporal Deep Feature Representation for No-Reference Video Quality Assessment", IEEE TCSVT 2021.
Repository: https://github.com/Baoliang93/GSTVQA (no license file), ``TCSVT_Release/GVQA_Release/GVQA_Cross/
cross_test.py`` (``GSTVQA``, ``ANN``, ``PymidPool``) and ``channel_attention.py`` (``ChannelAttention``).
The network (:class:`~.network.GSTVQANet`) is in :mod:`.network`.

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

from collections.abc import Callable

import torch
import torch.nn.functional as F

__all__ = [
    'GSTVQA_CHECKPOINTS',
    'GSTVQA_FEATURE_DIM',
    'GSTVQA_MAX_LEN',
    'GSTVQA_MIN_FRAMES',
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


def pyramid_pool(q: torch.Tensor, att: torch.Tensor, levels: int = 7) -> torch.Tensor:
    """GSTVQA's ``PymidPool``: the mean row, then for 2, 4, ..., 2**(levels-1) bins the bin average of
    ``q`` divided by the bin average of ``att``. ``(L, C) -> (2**levels - 1, C)``."""
    rows = [q.mean(0, keepdim=True)]
    q_t, att_t = q.t().unsqueeze(0), att.t().unsqueeze(0)
    for j in range(1, levels):
        bins = 2**j
        rows.append((F.adaptive_avg_pool1d(q_t, bins) / F.adaptive_avg_pool1d(att_t, bins))[0].t())
    return torch.cat(rows, 0)


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


def gstvqa_score_from_features(net: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], features: torch.Tensor,
                               max_len: int = GSTVQA_MAX_LEN) -> torch.Tensor:
    """Score one video from its per-frame ``(T, 2944)`` features (statistics, truncation, stretching).

    ``net`` is a :class:`~.network.GSTVQANet` (or any callable ``net(features, mean_var)``).
    """
    if features.ndim != 2 or features.shape[1] != GSTVQA_FEATURE_DIM:
        raise ValueError(f'`features` must be (T, {GSTVQA_FEATURE_DIM}), but got {tuple(features.shape)}')
    mean_var = video_statistics(features)
    seq = stretch_frames(features[:max_len])
    return net(seq, mean_var)
