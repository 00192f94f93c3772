"""Light-VQA+: pure feature and fusion steps, reconstructed from the paper's description and Light-VQA's code.

Paper: Xunchu Zhou, Xiaohong Liu, Yunlong Dong, Tengchuan Kou, Yixuan Gao, Zicheng Zhang, Chunyi Li,
Haoning Wu, Guangtao Zhai, "Light-VQA+: A Video Quality Assessment Model for Exposure Correction with
Vision-Language Guidance", arXiv 2405.03333 (2024). Its repository (SaMMyCHoo/Light-VQA-plus) holds only a
README ("The code will be released soon"). Its predecessor Light-VQA (Dong et al., ACM MM 2023,
wenzhouyidu/Light-VQA, no license file) is public: Swin stage-3/stage-4 pooled features, SlowFast motion
features, a ``head`` -> ``head1`` -> ``head2`` regressor clamped to [0, 100], 8 key frames per video.

What Light-VQA+ adds, as its abstract and the published summaries of its method state: CLIP with
vision-language prompts yields the brightness, noise and brightness-consistency features; spatial
information (semantic + brightness/noise) and temporal information (motion + brightness consistency) are
fused by cross-attention; a trainable attention modelled on the human visual system (HVS) weights the
video clips by their impact on overall quality. Every concrete choice below is inferred (see
``docs/metrics/lightvqa_plus.md``):

* key frames: 8 at ``round(linspace(0, T - 1, 8))``, resized to 672x1120 (3 x 5 tiles of 224);
* BNS (300 per key frame): CLIP ViT-B/32 zero-shot probabilities (x10) of 5 noise and 5 exposure prompts
  on each of the 15 tiles, for the key frame (local) and averaged over its eighth of the video (global);
* BC, brightness consistency (300 per key frame): variances over time of the per-frame exposure
  probabilities (75 = 15 tiles x 5) at temporal steps 1, 2, 4, 8;
* fusion: :func:`multi_head_attention` between the 8 spatial and the 8 temporal clip tokens;
* HVS pooling: :func:`hvs_pool`, the softmax-weighted mean of the per-clip scores.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import torch

__all__ = [
    'BC_DIM',
    'BNS_DIM',
    'EXPOSURE_PROMPTS',
    'MOTION_DIM',
    'NOISE_PROMPTS',
    'NUM_KEY_FRAMES',
    'brightness_consistency',
    'clip_from',
    'hvs_pool',
    'key_frame_indices',
    'multi_head_attention',
    'segment_means',
    'tile_frames'
]

NUM_KEY_FRAMES = 8
BNS_DIM = 300
BC_DIM = 300
#: SlowFast-R50 pooled width (slow 2048 + fast 256).
MOTION_DIM = 2304
#: Text prompts (5 exposure levels, 5 noise levels) of the CLIP guidance.
EXPOSURE_PROMPTS = ('an underexposed photo', 'a slightly underexposed photo', 'a well-exposed photo',
                    'a slightly overexposed photo', 'an overexposed photo')
NOISE_PROMPTS = ('a photo with no noise', 'a photo with little noise', 'a photo with considerable noise',
                 'a photo with serious noise', 'a photo with extreme noise')
_BC_STEPS = (1, 2, 4, 8)


def key_frame_indices(num_frames: int, n: int = NUM_KEY_FRAMES) -> list[int]:
    """``round(linspace(0, T - 1, n))`` (repeats when ``T < n``).

    Examples:
        >>> key_frame_indices(100), key_frame_indices(3)
        ([0, 14, 28, 42, 57, 71, 85, 99], [0, 0, 1, 1, 1, 1, 2, 2])
    """
    if num_frames < 1:
        raise ValueError(f'`num_frames` must be >= 1, but got {num_frames}')
    return torch.linspace(0, num_frames - 1, n, dtype=torch.float64).round().long().tolist()


def clip_from(start: int, num_frames: int, clip_len: int = 32) -> list[int]:
    """``clip_len`` frame indices from ``start``, the last frame repeated past the end."""
    return [min(start + j, num_frames - 1) for j in range(clip_len)]


def tile_frames(frames: torch.Tensor, tile: int) -> torch.Tensor:
    """Cut ``(N, 3, R * tile, C * tile)`` into ``(N * C * R, 3, tile, tile)``, columns outer, rows inner."""
    _, c, h, w = frames.shape
    if h % tile or w % tile:
        raise ValueError(f'frames must be a multiple of the tile size {tile}, but got {h}x{w}')
    x = frames.unfold(2, tile, tile).unfold(3, tile, tile)  # (N, 3, R, C, t, t)
    return x.permute(0, 3, 2, 1, 4, 5).reshape(-1, c, tile, tile)


def _segments(num_frames: int, n: int) -> list[tuple[int, int]]:
    """``n`` consecutive ranges: size ``T // n``, the last takes the rest; single frames when ``T < n``."""
    if num_frames >= n:
        size = num_frames // n
        return [(i * size, (i + 1) * size if i < n - 1 else num_frames) for i in range(n)]
    return [(i * num_frames // n, i * num_frames // n + 1) for i in range(n)]


def segment_means(per_frame: torch.Tensor, n: int = NUM_KEY_FRAMES) -> torch.Tensor:
    """Mean of ``(T, D)`` rows over each of ``n`` temporal segments -> ``(n, D)``."""
    return torch.stack([per_frame[a:b].mean(0) for a, b in _segments(per_frame.shape[0], n)])


def _var(rows: torch.Tensor) -> torch.Tensor:
    if rows.shape[0] < 2:
        return rows.new_zeros(rows.shape[1])
    return rows.var(dim=0, unbiased=True)


def brightness_consistency(exposure: torch.Tensor, n: int = NUM_KEY_FRAMES,
                           steps: Sequence[int] = _BC_STEPS) -> torch.Tensor:
    """Multi-scale temporal variance of per-frame exposure probabilities, ``(T, D) -> (n, len(steps) * D)``.

    For each ``step``, the video is cut into ``n // step`` segments; in each, the variance over time is
    taken on every ``step``-th frame for each of the ``step`` phases and averaged over phases. Key frame
    ``i`` gets the segment that contains it at every scale. Fewer than two frames give variance 0.
    """
    t = exposure.shape[0]
    scales = []
    for step in steps:
        per_segment = []
        for a, b in _segments(t, n // step) if n // step > 0 else [(0, t)]:
            chunk = exposure[a:b]
            per_segment.append(torch.stack([_var(chunk[j::step]) for j in range(step)]).mean(0))
        scales.append(per_segment)
    rows = [torch.cat([scales[s][i * len(scales[s]) // n] for s in range(len(steps))]) for i in range(n)]
    return torch.stack(rows)


def multi_head_attention(query: torch.Tensor, key: torch.Tensor, value: torch.Tensor, num_heads: int) -> torch.Tensor:
    """Scaled dot-product attention of already projected queries over keys/values, split into heads.

    .. math::
        \\operatorname{head}_h = \\operatorname{softmax}\\big(Q_h K_h^\\top / \\sqrt{d_h}\\big) V_h,
        \\qquad d_h = D / H

    and the heads are concatenated back to width ``D``.

    Inputs:
        ``query`` ``(..., Lq, D)``, ``key`` and ``value`` ``(..., Lk, D)``.

    Returns:
        ``(..., Lq, D)``.

    Raises:
        ValueError: ``D`` is not a multiple of ``num_heads``.

    Examples:
        >>> q = torch.zeros(1, 2, 4)
        >>> v = torch.tensor([[[1., 2., 3., 4.], [3., 4., 5., 6.]]])
        >>> multi_head_attention(q, torch.zeros(1, 2, 4), v, 2)  # equal logits: the mean of the values
        tensor([[[2., 3., 4., 5.],
                 [2., 3., 4., 5.]]])
    """
    *batch, lq, dim = query.shape
    if num_heads < 1 or dim % num_heads:
        raise ValueError(f'`num_heads` must divide the feature width {dim}, but got {num_heads}')
    dh = dim // num_heads

    def split(x: torch.Tensor) -> torch.Tensor:
        return x.reshape(*x.shape[:-1], num_heads, dh).transpose(-3, -2)  # (..., H, L, dh)

    q, k, v = split(query), split(key), split(value)
    weights = (q @ k.transpose(-1, -2) / math.sqrt(dh)).softmax(dim=-1)
    return (weights @ v).transpose(-3, -2).reshape(*batch, lq, dim)


def hvs_pool(scores: torch.Tensor, logits: torch.Tensor) -> torch.Tensor:
    """HVS-weighted video score: per-clip scores averaged with softmax weights of the clips' attention logits.

    .. math:: Q = \\sum_i \\frac{e^{a_i}}{\\sum_j e^{a_j}} \\, q_i

    Inputs:
        ``scores`` and ``logits`` of the same shape ``(..., K)``.

    Returns:
        ``(...)`` video scores; equal logits give the plain mean, equal scores give that score.

    Examples:
        >>> hvs_pool(torch.tensor([1.0, 3.0]), torch.tensor([0.0, math.log(3.0)]))
        tensor(2.5000)
    """
    if scores.shape != logits.shape or scores.dim() == 0:
        raise ValueError(f'`scores` and `logits` must have the same (..., K) shape, but got '
                         f'{tuple(scores.shape)} and {tuple(logits.shape)}')
    return (logits.softmax(dim=-1) * scores).sum(dim=-1)
