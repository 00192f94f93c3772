"""VideoScore's network (He et al., EMNLP 2024; github.com/TIGER-AI-Lab/VideoScore, MIT / Apache-2.0 weights).

TIGER-Lab's ``Idefics2ForSequenceClassification`` (in their Mantis repository) is a stock ``Idefics2Model``
(``model.*``: SigLIP vision tower, perceiver connector, Mistral text model) and one linear regression head
``score`` (with bias) applied to the text model's last hidden states; the row of the last real token is the
output: five raw regression values. :class:`VideoScoreRegressor` has exactly those modules, so the released
checkpoints (``TIGER-Lab/VideoScore-v1.1``, ``TIGER-Lab/VideoScore``) load 1:1; :func:`load_videoscore` refuses
any missing or unexpected key. There is no ``lm_head``.
"""
from __future__ import annotations

from typing import Any

import torch
from torch import nn
from transformers.models.idefics2.modeling_idefics2 import Idefics2Model, Idefics2PreTrainedModel

from aigve.utils.weights import ResolvedWeights, resolve_weights

__all__ = ['VideoScoreRegressor', 'last_real_token', 'load_videoscore', 'StrictLoadError']


class StrictLoadError(RuntimeError):
    """A checkpoint's keys differ from the network's (missing or unexpected keys)."""


def last_real_token(attention_mask: torch.Tensor) -> torch.Tensor:
    """Index of the last position whose ``attention_mask`` is 1, per row (left or right padding).

    Upstream takes ``argmax(input_ids == pad_token_id) - 1`` (mod length): the token before the first pad, i.e.
    the last real token of a right-padded row, and the last token when there is no padding; the same here, and
    correct for left padding too.

    Examples:
        >>> last_real_token(torch.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [0, 0, 1, 1, 1]])).tolist()
        [2, 4, 4]
    """
    length = attention_mask.shape[1]
    return length - 1 - attention_mask.flip(1).to(torch.int64).argmax(dim=1)


class VideoScoreRegressor(Idefics2PreTrainedModel):
    """``Idefics2Model`` + ``score = nn.Linear(text hidden size, num_labels)``, pooled at the last real token.

    Inputs: what an ``Idefics2Processor`` returns (``input_ids``, ``attention_mask``, ``pixel_values``,
    ``pixel_attention_mask``). Output: ``(B, num_labels)`` float regression values (VideoScore: 5, in the order
    visual quality, temporal consistency, dynamic degree, text-to-video alignment, factual consistency).
    """

    def __init__(self, config: Any) -> None:
        super().__init__(config)
        self.model = Idefics2Model(config)
        self.score = nn.Linear(config.text_config.hidden_size, config.num_labels)
        self.post_init()

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, pixel_values: torch.Tensor,
                pixel_attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        hidden = self.model(input_ids=input_ids, attention_mask=attention_mask, pixel_values=pixel_values,
                            pixel_attention_mask=pixel_attention_mask, use_cache=False).last_hidden_state
        rows = torch.arange(hidden.shape[0], device=hidden.device)
        return self.score(hidden[rows, last_real_token(attention_mask).to(hidden.device)])


def load_videoscore(source: str, *, revision: str | None = None, model_path: str | None = None,
                    dtype: torch.dtype = torch.float32) -> tuple[VideoScoreRegressor, Any, ResolvedWeights]:
    """Load a VideoScore checkpoint (hub id, manifest name or ``save_pretrained`` folder) strictly.

    Returns:
        ``(model, processor, resolved)``: the network in eval mode, the checkpoint's ``Idefics2Processor``
        (image splitting off, as the checkpoints configure it) and what was loaded.

    Raises:
        StrictLoadError: If the checkpoint has keys the network lacks, or lacks some the network has.
        WeightsNotFoundError: Offline and not in the cache (the message names what to download).
    """
    from transformers import AutoProcessor

    resolved = resolve_weights(source, model_path=model_path, revision=revision)
    model, info = VideoScoreRegressor.from_pretrained(str(resolved.path), dtype=dtype, output_loading_info=True)
    bad = {k: v for k, v in info.items() if k in ('missing_keys', 'unexpected_keys', 'mismatched_keys') and v}
    if bad:
        detail = '; '.join(f'{k}: {sorted(map(str, v))[:5]}' for k, v in bad.items())
        raise StrictLoadError(f'{resolved.path} is not a VideoScore checkpoint of this layout ({detail})')
    processor = AutoProcessor.from_pretrained(str(resolved.path))
    image_processor = getattr(processor, 'image_processor', None)
    if getattr(image_processor, 'do_image_splitting', False):
        raise StrictLoadError(f'{resolved.path}: its image processor splits images, VideoScore does not '
                              '(do_image_splitting must be false)')
    return model.eval().requires_grad_(False), processor, resolved
