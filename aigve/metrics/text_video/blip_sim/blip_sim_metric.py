"""``BLIPSim``: BLIP image-text retrieval scores (ITC cosine and ITM match probability) over sampled frames."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F

from aigve.core.base_metric import Unscorable
from aigve.registry import METRICS

from ..hf_common import HFTextVideoMetric, encode_in_batches, merge_verdicts
from .functional import blip_sim_from_frame_scores, itm_match_probability


@METRICS.register_module()
class BLIPSim(HFTextVideoMetric):
    r"""BLIP text-video similarity: per-frame ITC cosine and ITM match probability, frame-averaged.

    .. math::
        \text{blip\_itc} = \frac{1}{T}\sum_t \cos(P_v(v_t^{cls}), P_c(c^{cls})), \qquad
        \text{blip\_itm} = \frac{1}{T}\sum_t \mathrm{softmax}(\mathrm{ITM}(x_t, c))_{\text{match}}

    Both are computed as transformers' ``BlipForImageTextRetrieval`` computes them (``use_itm_head`` False
    and True), sharing one vision pass per frame. The ITC text embedding is computed once per prompt; the
    ITM head attends from the prompt to each frame, so it runs the text encoder once per frame.

    Inputs:
        Generated videos ``(T, C, H, W)`` uint8 RGB, any size (the BLIP processor resizes to 384x384 and
        normalises), and a prompt per video (videos without one are listed as failures). All frames the
        pipeline gives are used unless ``num_frames`` is set.

    Per-video scores: ``blip_itc`` in [-1, 1] (headline) and ``blip_itm`` in [0, 1].

    The arguments are those of :class:`~aigve.metrics.text_video.hf_common.HFTextVideoMetric`;
    ``model_name_or_path`` is a BLIP retrieval model (a ready ``BlipForImageTextRetrieval`` or where to load one)
    and defaults to ``'Salesforce/blip-itm-base-coco'``, ``processor`` defaults to the model's ``BlipProcessor``.

    Examples:
        >>> metric = BLIPSim(model_path='/path/to/blip-itm-base-coco')  # doctest: +SKIP
        >>> metric.score(video_uint8_tchw, prompt='a red ball rolls left')  # doctest: +SKIP
        {'blip_itc': 0.42, 'blip_itm': 0.93}
    """

    default_prefix = 'blip_sim'
    higher_is_better = True
    score_range = (-1.0, 1.0)
    needs_prompt = True
    default_model = 'Salesforce/blip-itm-base-coco'
    model_class = 'BlipForImageTextRetrieval'

    def _prompt_features(self, prompt: str) -> dict[str, torch.Tensor]:
        """Tokens and the normalised ITC text embedding of ``prompt`` (computed once per prompt)."""

        def encode(tokens: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
            hidden = self.model.text_encoder(input_ids=tokens['input_ids'],
                                             attention_mask=tokens.get('attention_mask')).last_hidden_state
            return dict(tokens, itc=F.normalize(self.model.text_proj(hidden[:, 0, :]).float(), dim=-1)[0])

        return self.prompt_embedding(prompt, encode)

    def _frame_scores(self, frames: list[torch.Tensor], prompts: list[str]) -> torch.Tensor:
        """``(B, 2)``: ITC cosine and ITM match probability of each frame with its video's prompt."""
        image_embeds = self.model.vision_model(pixel_values=self.pixel_values(frames)).last_hidden_state
        image_feat = F.normalize(self.model.vision_proj(image_embeds[:, 0, :]).float(), dim=-1)
        out = torch.empty(len(frames), 2, dtype=torch.float64)
        for prompt in dict.fromkeys(prompts):
            rows = [i for i, p in enumerate(prompts) if p == prompt]
            feats = self._prompt_features(prompt)
            n = len(rows)
            mask = feats.get('attention_mask')
            question = self.model.text_encoder(
                input_ids=feats['input_ids'].expand(n, -1),
                attention_mask=None if mask is None else mask.expand(n, -1),
                encoder_hidden_states=image_embeds[rows],
                encoder_attention_mask=torch.ones(image_embeds[rows].shape[:-1], dtype=torch.long,
                                                  device=image_embeds.device),
            ).last_hidden_state
            logits = self.model.itm_head(question[:, 0, :])
            out[rows, 0] = (image_feat[rows] @ feats['itc']).double().clamp(-1.0, 1.0).cpu()
            out[rows, 1] = itm_match_probability(logits.float()).cpu()
        return out

    def score_batch(self, videos: Sequence[torch.Tensor],
                    samples: Sequence[dict[str, Any]]) -> list[dict[str, float] | Unscorable]:
        """Score each video against its prompt; all frames of the batch share vision passes."""
        kept, frames, verdicts = self.prepare_videos(videos, samples, need_prompt=True)
        prompts = [samples[i]['prompt'] for i in kept]

        def encode(chunk: list[torch.Tensor], owners: list[int]) -> torch.Tensor:
            return self._frame_scores(chunk, [prompts[o] for o in owners])

        per_video = encode_in_batches(frames, encode, self.frame_batch_size)
        scores = [blip_sim_from_frame_scores(s[:, 0], s[:, 1]) for s in per_video]
        return merge_verdicts(verdicts, kept, scores)
