"""CLIPTemp math: mean cosine between consecutive frames' CLIP image embeddings.

From EvalCrafter (Liu et al., "EvalCrafter: Benchmarking and Evaluating Large Video Generation Models",
2023), where it measures temporal consistency of generated videos.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


def consecutive_cosine(frame_embeds: torch.Tensor) -> torch.Tensor:
    r"""Cosine between each pair of consecutive frame embeddings.

    .. math:: c_t = \cos(e_t, e_{t+1}), \quad t = 1 \dots T-1

    Args:
        frame_embeds: ``(T, D)`` image embeddings, ``T >= 2``.

    Returns:
        ``(T - 1,)`` cosines in [-1, 1], float64.

    Raises:
        ValueError: If ``frame_embeds`` is not 2-D or has fewer than 2 rows.

    Examples:
        >>> consecutive_cosine(torch.tensor([[1., 0.], [1., 0.], [0., 1.]]))
        tensor([1., 0.], dtype=torch.float64)
    """
    if frame_embeds.ndim != 2 or frame_embeds.shape[0] < 2:
        raise ValueError(f'`frame_embeds` must be (T, D) with T >= 2, but got {tuple(frame_embeds.shape)}')
    e = F.normalize(frame_embeds.double(), dim=-1)
    return (e[:-1] * e[1:]).sum(-1).clamp(-1.0, 1.0)


def clip_temp_from_embeddings(frame_embeds: torch.Tensor) -> float:
    r"""CLIPTemp of one video: :math:`\frac{1}{T-1} \sum_t \cos(e_t, e_{t+1})`, 1 for a static video.

    Examples:
        >>> round(clip_temp_from_embeddings(torch.ones(4, 8)), 6)
        1.0
    """
    return float(consecutive_cosine(frame_embeds).mean())
