"""The LAION aesthetic predictor v1 head (github.com/LAION-AI/aesthetic-predictor, MIT): ``nn.Linear(768, 1)``.

It maps an L2-normalised CLIP ViT-L/14 image embedding to a rating of about 1-10. The released
``sa_0_4_vit_l_14_linear.pth`` is the state dict of that layer (keys ``weight`` ``(1, 768)`` and ``bias``
``(1,)``) and loads with ``strict=True``.
"""
from __future__ import annotations

import os

import torch
from torch import nn

from aigve.utils.weights import ResolvedWeights, resolve_weights

__all__ = ['LAION_EMBED_DIM', 'laion_aesthetic_head', 'load_laion_head']

#: Input width of the head: CLIP ViT-L/14's projected image embedding.
LAION_EMBED_DIM = 768


def laion_aesthetic_head(embed_dim: int = LAION_EMBED_DIM) -> nn.Linear:
    """An uninitialised head (``nn.Linear(embed_dim, 1)``), as LAION's and VBench's code build it."""
    return nn.Linear(embed_dim, 1)


def load_laion_head(model_path: str | os.PathLike | None = None,
                    check_hash: bool = True) -> tuple[nn.Linear, ResolvedWeights]:
    """Load ``sa_0_4_vit_l_14_linear.pth`` strictly; returns ``(head in eval mode, resolved weights)``.

    Args:
        model_path: The file (or a folder holding it). Defaults to None (cache, then download).
        check_hash: Refuse a file whose sha256 differs from the released file's. Defaults to True.

    Raises:
        WeightsNotFoundError: Not cached and not downloadable; the message names the file and the command.
        WeightsHashError: The file is not the released one (``check_hash=False`` loads other weights).
        RuntimeError: The keys or shapes differ (strict load).
    """
    resolved = resolve_weights('laion-aesthetic-vit-l-14', model_path, check_hash=check_hash)
    head = laion_aesthetic_head()
    head.load_state_dict(torch.load(resolved.path, map_location='cpu', weights_only=True), strict=True)
    return head.eval().requires_grad_(False), resolved
