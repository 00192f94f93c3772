"""``AppearanceStyle``: VBench's CLIP ViT-B/32 similarity of every frame to the style text, frame-weighted."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F

from aigve.core.base_metric import Unscorable
from aigve.registry import METRICS

from ...text_video.hf_common import merge_verdicts
from .._common import FrameWeightedMetric, VBenchCLIPMetric
from ..auxiliary import auxiliary_value


def style_scores(image_embeddings: torch.Tensor, text_embedding: torch.Tensor, logit_scale: float) -> torch.Tensor:
    """Per-frame ``logits_per_text / 100`` = ``logit_scale * cos(image_t, text) / 100`` (float64).

    Examples:
        >>> style_scores(torch.tensor([[1.0, 0.0], [1.0, 1.0]]), torch.tensor([2.0, 0.0]), 100.0).tolist()
        [1.0, 0.7071067811865475]
    """
    image = F.normalize(image_embeddings.double(), dim=-1)
    text = F.normalize(text_embedding.double().reshape(-1), dim=-1)
    return logit_scale * (image @ text) / 100.0


@METRICS.register_module()
class AppearanceStyle(FrameWeightedMetric, VBenchCLIPMetric):
    r"""VBench appearance style: CLIP ViT-B/32 similarity of each frame to the video's style text.

    .. math::
        c_t = \frac{\text{logits\_per\_text}_t}{100} = \frac{e^{\tau}}{100}\cos(E_I(x_t), E_T(\text{style})),\quad
        \text{video} = \frac1T\sum_t c_t,\quad \text{aggregate} = \frac{\sum_v \sum_t c_{v,t}}{\sum_v T_v}

    ``e^\tau`` is CLIP's logit scale (100 for OpenAI's released weights, so ``c_t`` is the cosine). Frames go
    through VBench's PIL transform ``clip_transform_Image`` (PIL bicubic resize of the short side to 224,
    centre crop, CLIP normalisation), as VBench's ``appearance_style`` reads them.

    Inputs:
        Generated videos ``(T, 3, H, W)`` uint8 RGB, any size, ``T >= 1``, every frame the pipeline gives;
        the style text from the annotation's ``auxiliary_info`` (``{"appearance_style": {"appearance_style":
        "Van Gogh style"}}``, VBench's prompt-suite field, kept in ``sample['meta']['auxiliary_info']``). A
        video without it is listed as a failure of this metric.

    Per-video scores: ``appearance_style`` (about [0, 0.3] in practice, [-1, 1] in principle) and
    ``num_frames``. The aggregate is frame-weighted (all frame scores / all frames), as VBench's single-process
    code computes it; ``num_frames`` is reported summed.

    The arguments are those of :class:`~aigve.metrics.vbench._common.VBenchCLIPMetric`; the model defaults to
    ``'openai/clip-vit-base-patch32'``.

    Examples:
        >>> metric = AppearanceStyle(model_path='/path/to/clip-vit-base-patch32')  # doctest: +SKIP
        >>> metric.evaluate_videos([video_uint8_tchw])  # doctest: +SKIP
    """

    default_prefix = 'appearance_style'
    higher_is_better = True
    score_range = (-1.0, 1.0)
    default_model = 'openai/clip-vit-base-patch32'
    pil_transform = True
    weight_key = 'num_frames'

    def score_batch(self, videos: Sequence[Any], samples: Sequence[dict]) -> list:
        """Score each video against its style text; all frames of the batch share image-encoder passes."""
        kept, frames, verdicts = self.prepare_videos(videos, samples, need_prompt=False)
        styles = {}
        for i in kept:
            style = auxiliary_value(samples[i] if isinstance(samples[i], dict) else {}, 'appearance_style',
                                    'appearance_style')
            if not isinstance(style, Unscorable) and (not isinstance(style, str) or not style.strip()):
                style = Unscorable(f'auxiliary_info.appearance_style.appearance_style must be a non-empty '
                                   f'string, but got {style!r}')
            if isinstance(style, Unscorable):
                verdicts[i] = style
            else:
                styles[i] = style
        frames = [f for i, f in zip(kept, frames) if i in styles]
        kept = [i for i in kept if i in styles]
        scale = float(self.model.logit_scale.exp())
        scores = []
        for i, e in zip(kept, self.frame_embeddings(frames)):
            c = style_scores(e, self.text_embedding(styles[i]), scale)
            scores.append(dict(appearance_style=float(c.mean()), num_frames=float(c.numel())))
        return merge_verdicts(verdicts, kept, scores)
