"""CLIPSim math: cosine between each frame's and the prompt's CLIP embeddings, and the CLIPScore convention.

Paper: Radford et al., "Learning Transferable Visual Models From Natural Language Supervision" (2021);
the frame-averaged video form as in Wu et al., "GODIVA" (2021) and EvalCrafter (2023). The
``clip_score`` convention is torchmetrics' ``CLIPScore``: ``max(100 * cos, 0)``, here with the clamp
applied after averaging the frames' cosines, as torchmetrics clamps the mean over its images.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


def frame_text_cosine(frame_embeds: torch.Tensor, text_embed: torch.Tensor) -> torch.Tensor:
    r"""Cosine between each frame embedding and the text embedding.

    .. math:: c_t = \frac{\langle e_t, e_c \rangle}{\lVert e_t \rVert \, \lVert e_c \rVert}

    Args:
        frame_embeds: ``(T, D)`` image embeddings (any scale).
        text_embed: ``(D,)`` or ``(1, D)`` text embedding (any scale).

    Returns:
        ``(T,)`` cosines in [-1, 1], float64.

    Raises:
        ValueError: If the shapes do not match.

    Examples:
        >>> frame_text_cosine(torch.tensor([[1., 0.], [0., 2.]]), torch.tensor([3., 0.]))
        tensor([1., 0.], dtype=torch.float64)
    """
    text_embed = text_embed.reshape(-1)
    if frame_embeds.ndim != 2 or frame_embeds.shape[1] != text_embed.shape[0]:
        raise ValueError(f'`frame_embeds` must be (T, {text_embed.shape[0]}) to match the text embedding, '
                         f'but got {tuple(frame_embeds.shape)}')
    frames = F.normalize(frame_embeds.double(), dim=-1)
    text = F.normalize(text_embed.double(), dim=-1)
    return (frames @ text).clamp(-1.0, 1.0)


def clip_score_convention(mean_cosine: float) -> float:
    r"""The CLIPScore convention of torchmetrics: :math:`\max(100 \cdot \bar c, 0)`.

    Examples:
        >>> clip_score_convention(0.3)
        30.0
        >>> clip_score_convention(-0.1)
        0.0
    """
    return max(100.0 * float(mean_cosine), 0.0)


def clip_sim_from_embeddings(frame_embeds: torch.Tensor, text_embed: torch.Tensor) -> dict[str, float]:
    r"""CLIPSim of one video from its frame embeddings and its prompt's embedding.

    .. math::
        \text{clip\_sim} = \frac{1}{T} \sum_t c_t, \qquad
        \text{clip\_score} = \max(100 \cdot \text{clip\_sim}, 0)

    Returns:
        ``dict(clip_sim=..., clip_score=...)``: mean cosine in [-1, 1] and the CLIPScore convention in
        [0, 100].

    Examples:
        >>> s = clip_sim_from_embeddings(torch.tensor([[1., 0.], [1., 1.]]), torch.tensor([1., 0.]))
        >>> round(s['clip_sim'], 4), round(s['clip_score'], 2)
        (0.8536, 85.36)
    """
    mean = float(frame_text_cosine(frame_embeds, text_embed).mean())
    return dict(clip_sim=mean, clip_score=clip_score_convention(mean))
