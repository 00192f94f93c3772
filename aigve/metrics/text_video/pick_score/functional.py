"""PickScore math: the model's scaled logit ``exp(logit_scale) * cos(image, text)``, averaged over frames.

Paper: Kirstain et al., "Pick-a-Pic: An Open Dataset of User Preferences for Text-to-Image Generation"
(NeurIPS 2023); reference inference code in github.com/yuvalkirstain/PickScore (MIT): normalised
embeddings, ``model.logit_scale.exp() * text_embs @ image_embs.T``.
"""
from __future__ import annotations

import math

import torch

from ..clip_sim.functional import frame_text_cosine


def pick_score_from_embeddings(frame_embeds: torch.Tensor, text_embed: torch.Tensor, logit_scale: float) -> float:
    r"""PickScore of one video.

    .. math:: \text{pick\_score} = e^{s} \cdot \frac{1}{T} \sum_t \cos(e_t, e_c)

    Args:
        frame_embeds: ``(T, D)`` image embeddings.
        text_embed: ``(D,)`` text embedding.
        logit_scale: The model's ``logit_scale`` parameter :math:`s` (a log value; ``exp(s) = 100`` for
            PickScore_v1).

    Examples:
        >>> round(pick_score_from_embeddings(torch.tensor([[1., 0.]]), torch.tensor([1., 1.]), math.log(100)), 4)
        70.7107
    """
    return math.exp(float(logit_scale)) * float(frame_text_cosine(frame_embeds, text_embed).mean())
