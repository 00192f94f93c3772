"""``PickScore``: the PickScore_v1 preference model's scaled logit between prompt and frames."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from aigve.core.base_metric import Unscorable
from aigve.registry import METRICS

from ..hf_common import CLIPFeatureMetric, merge_verdicts
from .functional import pick_score_from_embeddings


@METRICS.register_module()
class PickScore(CLIPFeatureMetric):
    r"""PickScore: ``exp(logit_scale) * cos(image, prompt)`` of the PickScore_v1 CLIP-H model, frame-averaged.

    .. math:: \text{pick\_score} = e^{s}\,\frac{1}{T}\sum_{t=1}^{T} \cos(E_I(x_t), E_C(c))

    This is the number the model defines (the official inference script reports
    ``model.logit_scale.exp() * text_embs @ image_embs.T``), per frame, averaged over frames. For
    PickScore_v1 :math:`e^s = 100`, so the range is [-100, 100].

    Inputs:
        Generated videos ``(T, C, H, W)`` uint8 RGB, any size, and a prompt per video (videos without one
        are listed as failures). All frames the pipeline gives are used unless ``num_frames`` is set.

    Per-video score: ``pick_score``.

    The arguments are those of :class:`~aigve.metrics.text_video.hf_common.HFTextVideoMetric`;
    ``model_name_or_path`` is a PickScore ``CLIPModel`` (or where to load one) and defaults to
    ``'yuvalkirstain/PickScore_v1'``, ``processor`` defaults to ``'laion/CLIP-ViT-H-14-laion2B-s32B-b79K'``
    (PickScore_v1 ships without one).

    Examples:
        >>> metric = PickScore(model_path='/path/to/PickScore_v1',
        ...                    processor='/path/to/CLIP-ViT-H-14-laion2B-s32B-b79K')  # doctest: +SKIP
        >>> metric.score(video_uint8_tchw, prompt='a red ball rolls left')  # doctest: +SKIP
        {'pick_score': 21.3}
    """

    default_prefix = 'pick_score'
    higher_is_better = True
    score_range = (-100.0, 100.0)
    needs_prompt = True
    default_model = 'yuvalkirstain/PickScore_v1'
    default_processor = 'laion/CLIP-ViT-H-14-laion2B-s32B-b79K'

    @property
    def logit_scale(self) -> float:
        """The model's ``logit_scale`` parameter (a log value)."""
        return float(self.model.logit_scale.detach().float().cpu())

    def score_batch(self, videos: Sequence[torch.Tensor],
                    samples: Sequence[dict[str, Any]]) -> list[dict[str, float] | Unscorable]:
        """Score each video against its prompt; all frames of the batch share image-encoder passes."""
        kept, frames, verdicts = self.prepare_videos(videos, samples, need_prompt=True)
        embeds = self.frame_embeddings(frames)
        scores = [
            dict(pick_score=pick_score_from_embeddings(e, self.text_embedding(samples[i]['prompt']), self.logit_scale))
            for i, e in zip(kept, embeds)
        ]
        return merge_verdicts(verdicts, kept, scores)
