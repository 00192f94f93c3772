"""``CLIPTemp``: mean cosine between consecutive frames' CLIP image embeddings (EvalCrafter)."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from aigve.core.base_metric import Unscorable
from aigve.registry import METRICS

from ..hf_common import CLIPFeatureMetric, merge_verdicts
from .functional import clip_temp_from_embeddings


@METRICS.register_module()
class CLIPTemp(CLIPFeatureMetric):
    r"""CLIP temporal consistency: mean cosine of consecutive frames' CLIP image embeddings.

    .. math:: \text{clip\_temp} = \frac{1}{T-1}\sum_{t=1}^{T-1} \cos(E_I(x_t), E_I(x_{t+1}))

    A static video scores 1; reversing the frame order gives the same value. "Consecutive" means
    consecutive among the frames the metric sees (after the pipeline's sampling and ``num_frames``).

    Inputs:
        Generated videos ``(T, C, H, W)`` uint8 RGB, ``T >= 2`` (shorter videos are listed as failures);
        no prompt. All frames the pipeline gives are used unless ``num_frames`` is set.

    Per-video score: ``clip_temp`` in [-1, 1] (close to 1 for natural videos).

    The arguments are those of :class:`~aigve.metrics.text_video.hf_common.HFTextVideoMetric`;
    ``model_name_or_path`` is a ``CLIPModel`` (or where to load one) and defaults to
    ``'openai/clip-vit-base-patch32'``; ``num_frames``, when set, is at least 2.

    Examples:
        >>> metric = CLIPTemp(model_path='/path/to/clip-vit-base-patch32')  # doctest: +SKIP
        >>> metric.score(video_uint8_tchw)  # doctest: +SKIP
        {'clip_temp': 0.97}
    """

    default_prefix = 'clip_temp'
    higher_is_better = True
    score_range = (-1.0, 1.0)
    needs_prompt = False
    default_model = 'openai/clip-vit-base-patch32'
    min_frames = 2

    def score_batch(self, videos: Sequence[torch.Tensor],
                    samples: Sequence[dict[str, Any]]) -> list[dict[str, float] | Unscorable]:
        """Score each video's temporal consistency; all frames of the batch share image-encoder passes."""
        kept, frames, verdicts = self.prepare_videos(videos, samples, need_prompt=False)
        scores = [dict(clip_temp=clip_temp_from_embeddings(e)) for e in self.frame_embeddings(frames)]
        return merge_verdicts(verdicts, kept, scores)
