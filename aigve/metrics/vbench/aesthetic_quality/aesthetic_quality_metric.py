"""``AestheticQuality``: VBench's LAION aesthetic score of every frame (CLIP ViT-L/14 + linear head) / 10."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from aigve.registry import METRICS

from ...text_video.hf_common import merge_verdicts
from .._common import VBenchCLIPMetric
from .network import load_laion_head


def aesthetic_scores(embeddings: torch.Tensor, head: nn.Module) -> torch.Tensor:
    """Per-frame VBench aesthetic scores: ``head(normalise(float32(e))) / 10`` of ``(T, 768)`` embeddings.

    Examples:
        >>> head = torch.nn.Linear(2, 1); _ = head.weight.data.fill_(10.0); _ = head.bias.data.zero_()
        >>> aesthetic_scores(torch.tensor([[3.0, 0.0]]), head).tolist()
        [1.0]
    """
    e = F.normalize(embeddings.to(torch.float32), dim=-1, p=2)
    return head(e).squeeze(-1) / 10


@METRICS.register_module()
class AestheticQuality(VBenchCLIPMetric):
    r"""VBench aesthetic quality: the LAION aesthetic predictor on every frame, rescaled to about [0, 1].

    .. math::
        a_t = \frac{w^\top \hat e_t + b}{10},\quad \hat e_t = \frac{E_I(x_t)}{\lVert E_I(x_t) \rVert},\quad
        \text{video} = \frac1T \sum_t a_t,\quad \text{aggregate} = \text{mean over videos}

    ``E_I`` is CLIP ViT-L/14's projected image embedding (float32) of frame ``t`` after VBench's tensor
    ``clip_transform`` (short side 224, bicubic, no antialias, on float frames; centre crop; CLIP
    normalisation); ``(w, b)`` is LAION's ``sa_0_4_vit_l_14_linear.pth``.

    Inputs:
        Generated videos ``(T, 3, H, W)`` uint8 RGB, any size, ``T >= 1``; every frame the pipeline gives is
        used (VBench reads all frames).

    Per-video scores: ``aesthetic_quality``, about [0, 1] (LAION ratings are about 1-10; the head is linear,
    so values outside [0, 1] are possible). The aggregate is the mean over videos, as VBench's.

    Args:
        model_path: Local folder (or hub id) of the CLIP ViT-L/14 ``CLIPModel``. Defaults to None
            (``'openai/clip-vit-large-patch14'`` through the resolver).
        head_path: ``sa_0_4_vit_l_14_linear.pth`` (or a folder holding it). Defaults to None (cache, then
            download).
        head: A ready head (``nn.Module`` mapping ``(B, D)`` to ``(B, 1)``); ``head_path`` is then ignored.
            Defaults to None.
        **kwargs: The other arguments of :class:`~aigve.metrics.vbench._common.VBenchCLIPMetric`.

    Raises:
        TypeError: If ``head`` is not an ``nn.Module``.

    Examples:
        >>> metric = AestheticQuality(model_path='/path/to/clip-vit-large-patch14',
        ...                           head_path='sa_0_4_vit_l_14_linear.pth')  # doctest: +SKIP
        >>> metric.score(video_uint8_tchw)  # doctest: +SKIP
        {'aesthetic_quality': 0.52}
    """

    default_prefix = 'aesthetic_quality'
    higher_is_better = True
    score_range = (0.0, 1.0)
    default_model = 'openai/clip-vit-large-patch14'

    def __init__(self, model_path: str | None = None, head_path: str | None = None, head: nn.Module | None = None,
                 **kwargs: Any) -> None:
        super().__init__(model_path=model_path, **kwargs)
        if head is None:
            head, resolved = load_laion_head(head_path)
            self.record_weights(resolved)
        elif not isinstance(head, nn.Module):
            raise TypeError(f'`head` must be an nn.Module or None, but got {type(head).__name__}')
        self.head = head.eval().requires_grad_(False).to(self.device, torch.float32)
        self.protocol.update(head='LAION aesthetic predictor v1 (linear, ViT-L/14)', scale='rating / 10')

    def score_batch(self, videos: Sequence[Any], samples: Sequence[dict]) -> list:
        """Score each video; all frames of the batch share image-encoder passes."""
        kept, frames, verdicts = self.prepare_videos(videos, samples, need_prompt=False)
        scores = [dict(aesthetic_quality=float(aesthetic_scores(e.to(self.device), self.head).mean()))
                  for e in self.frame_embeddings(frames)]
        return merge_verdicts(verdicts, kept, scores)
