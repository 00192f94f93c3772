"""``CLIPSim``: prompt-frame CLIP cosine averaged over the sampled frames, plus the CLIPScore convention."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from aigve.core.base_metric import Unscorable
from aigve.registry import METRICS

from ..hf_common import CLIPFeatureMetric, merge_verdicts
from .functional import clip_sim_from_embeddings


@METRICS.register_module()
class CLIPSim(CLIPFeatureMetric):
    r"""CLIP text-video similarity: cosine of the prompt's and each frame's CLIP embeddings, frame-averaged.

    .. math::
        \text{clip\_sim} = \frac{1}{T}\sum_{t=1}^{T} \cos(E_I(x_t), E_C(c)), \qquad
        \text{clip\_score} = \max(100 \cdot \text{clip\_sim},\ 0)

    ``clip_score`` follows torchmetrics' ``CLIPScore`` (scale 100, clamp at 0); the clamp is applied after
    averaging the frames, as torchmetrics clamps the mean over the images it was given, so the value
    equals ``CLIPScore`` fed the video's frames with the prompt repeated per frame.

    Inputs:
        Generated videos ``(T, C, H, W)`` uint8 RGB, any size (the model's processor resizes, centre-crops
        and normalises), and a prompt per video. All frames the pipeline gives are used unless
        ``num_frames`` is set. Videos without a prompt are listed as failures.

    Per-video scores: ``clip_sim`` in [-1, 1] (headline) and ``clip_score`` in [0, 100].

    The arguments are those of :class:`~aigve.metrics.text_video.hf_common.HFTextVideoMetric`;
    ``model_name_or_path`` is a ``CLIPModel`` (or where to load one) and defaults to
    ``'openai/clip-vit-base-patch32'``.

    Examples:
        >>> metric = CLIPSim(model_path='/path/to/clip-vit-base-patch32')  # doctest: +SKIP
        >>> metric.score(video_uint8_tchw, prompt='a red ball rolls left')  # doctest: +SKIP
        {'clip_sim': 0.31, 'clip_score': 31.0}
    """

    default_prefix = 'clip_sim'
    higher_is_better = True
    score_range = (-1.0, 1.0)
    needs_prompt = True
    default_model = 'openai/clip-vit-base-patch32'

    def score_batch(self, videos: Sequence[torch.Tensor],
                    samples: Sequence[dict[str, Any]]) -> list[dict[str, float] | Unscorable]:
        """Score each video against its prompt; all frames of the batch share image-encoder passes."""
        kept, frames, verdicts = self.prepare_videos(videos, samples, need_prompt=True)
        embeds = self.frame_embeddings(frames)
        scores = [clip_sim_from_embeddings(e, self.text_embedding(samples[i]['prompt'])) for i, e in zip(kept, embeds)]
        return merge_verdicts(verdicts, kept, scores)
