"""BLIPSim math: BLIP's image-text contrastive (ITC) cosine and image-text matching (ITM) probability.

Paper: Li et al., "BLIP: Bootstrapping Language-Image Pre-training for Unified Vision-Language
Understanding and Generation" (ICML 2022). ITC is the cosine of the projected, normalised [CLS]
embeddings (transformers' ``BlipForImageTextRetrieval(use_itm_head=False)``); ITM is the softmax
probability of the "match" class of the ITM head (``use_itm_head=True``), per frame.
"""
from __future__ import annotations

import torch

from ..clip_sim.functional import frame_text_cosine


def itm_match_probability(itm_logits: torch.Tensor) -> torch.Tensor:
    r"""Probability of "image and text match" from ITM logits ``(N, 2)`` (class 1 = match).

    .. math:: p = \mathrm{softmax}(z)_1

    Raises:
        ValueError: If ``itm_logits`` is not ``(N, 2)``.

    Examples:
        >>> itm_match_probability(torch.tensor([[0., 0.], [0., 100.]]))
        tensor([0.5000, 1.0000], dtype=torch.float64)
    """
    if itm_logits.ndim != 2 or itm_logits.shape[1] != 2:
        raise ValueError(f'`itm_logits` must be (N, 2), but got {tuple(itm_logits.shape)}')
    return itm_logits.double().softmax(-1)[:, 1]


def blip_sim_from_frame_scores(itc_cosine: torch.Tensor, itm_probability: torch.Tensor) -> dict[str, float]:
    r"""BLIPSim of one video: frame means of the ITC cosine and of the ITM match probability.

    .. math:: \text{blip\_itc} = \frac{1}{T}\sum_t c_t, \qquad \text{blip\_itm} = \frac{1}{T}\sum_t p_t

    Examples:
        >>> blip_sim_from_frame_scores(torch.tensor([0.5, 0.25]), torch.tensor([1.0, 0.5]))
        {'blip_itc': 0.375, 'blip_itm': 0.75}
    """
    return dict(blip_itc=float(itc_cosine.double().mean()), blip_itm=float(itm_probability.double().mean()))


__all__ = ['blip_sim_from_frame_scores', 'frame_text_cosine', 'itm_match_probability']
