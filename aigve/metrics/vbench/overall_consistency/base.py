"""What ``OverallConsistency`` and ``TemporalStyle`` share: ViCLIP video-prompt cosine on 8 "middle" frames.

VBench's two dimensions run the same code (``vbench/overall_consistency.py`` and ``vbench/temporal_style.py``
differ only in the prompt list they read, github.com/Vchitect/VBench @45e79ec): both score the video against
its full prompt (``info['prompt']``), with no template or style extraction.
"""
from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import torch
from mmengine.logging import print_log
from torch import nn

from aigve.core.base_metric import BaseVideoMetric, Unscorable
from aigve.utils.lazy_video import in_batches, take_frames

from .._clip_models import check_positive_ints, clip_verdicts, model_or_load
from .functional import clip_indices, viclip_frame_transform, video_text_cosine

__all__ = ['ViCLIPPromptMetric']

#: Prompts whose text embedding is kept between batches (per metric instance).
_PROMPT_CACHE_SIZE = 4096
#: Video embeddings kept for the other ViCLIP dimension of the same run (both embed the same 8 frames with the
#: same weights: ``OverallConsistency`` and ``TemporalStyle`` in ``configs/vbench.py`` compute it once).
_SHARED_EMBEDDINGS: OrderedDict[tuple, torch.Tensor] = OrderedDict()
_SHARED_EMBEDDINGS_SIZE = 1024


class ViCLIPPromptMetric(BaseVideoMetric):
    """Cosine of ViCLIP's video embedding (8 "middle" frames) and its embedding of the sample's prompt.

    Inputs:
        Generated videos ``(T, 3, H, W)`` uint8 RGB, any size and length (``T >= 1``); the metric picks 8
        frames with VBench's ``'middle'`` rule (padded with the last one) from the frames the pipeline gives,
        so a pipeline that decodes every frame reproduces VBench. A prompt per video; videos without one are
        listed as failures.

    Per-video scores: ``<prefix>`` = raw cosine in [-1, 1]. The aggregate is the mean over videos (VBench's).

    Args:
        model_path: ``ViClip-InternVid-10M-FLT.pth`` or a folder holding it. Defaults to None (cache, then
            download, through the manifest entry ``viclip-internvid-10m-flt``).
        tokenizer: Hub id or local folder of OpenAI's CLIP BPE tokenizer, or a ready
            :class:`~aigve.models.viclip.ViCLIPTokenizer`. Defaults to None
            (``'openai/clip-vit-large-patch14'``; only its tokenizer files are read).
        model: A ready :class:`~aigve.models.viclip.ViCLIP` (tests, notebooks); ``model_path`` is then unused.
            Defaults to None.
        tokenizer_revision: Hub revision of ``tokenizer``. Defaults to None.
        video_batch_size: Clips per forward pass of the video encoder (clips of several videos share one).
            Defaults to 8.
        device: See :class:`~aigve.core.base_metric.BaseVideoMetric`. Defaults to ``'auto'``.
        collect_device: Defaults to ``'cpu'``.
        prefix: Defaults to the class's ``default_prefix``.
    """

    higher_is_better = True
    score_range = (-1.0, 1.0)
    needs_prompt = True
    streams_frames = True  # only the 8 sampled frames of a lazy video are decoded

    def __init__(self,
                 model_path: str | None = None,
                 tokenizer: str | Any | None = None,
                 model: nn.Module | None = None,
                 tokenizer_revision: str | None = None,
                 video_batch_size: int = 8,
                 device: str = 'auto',
                 collect_device: str = 'cpu',
                 prefix: str | None = None) -> None:
        super().__init__(device=device, collect_device=collect_device, prefix=prefix)
        name = type(self).__name__
        check_positive_ints(video_batch_size=video_batch_size)
        if model_path is not None and not isinstance(model_path, str):
            raise TypeError(f'`model_path` must be a str or None, but got {type(model_path).__name__}')
        from aigve.models.viclip import ViCLIPTokenizer, load_viclip, load_viclip_tokenizer

        model = model_or_load(self, model, lambda: load_viclip(model_path), 'ViCLIP')
        if tokenizer is None or isinstance(tokenizer, str):
            tokenizer, resolved_tok = load_viclip_tokenizer(tokenizer, revision=tokenizer_revision,
                                                            context_length=model.context_length)
            tokenizer_name = str(resolved_tok.name)
        elif isinstance(tokenizer, ViCLIPTokenizer):
            tokenizer_name = type(tokenizer.tokenizer).__name__
        else:
            raise TypeError(f'`tokenizer` must be a hub id, a folder or a ViCLIPTokenizer, but got '
                            f'{type(tokenizer).__name__}')
        if tokenizer.context_length != model.context_length:
            raise ValueError(f'{name}: the tokenizer makes {tokenizer.context_length} ids per prompt but the model '
                             f'takes {model.context_length}')
        self.model = model.eval().requires_grad_(False).to(self.device)
        _SHARED_EMBEDDINGS.clear()  # shared within a run: its ViCLIP dimensions are built before it scores
        self.tokenizer = tokenizer
        self.video_batch_size = video_batch_size
        self._prompt_cache: OrderedDict[str, torch.Tensor] = OrderedDict()
        self.protocol.update(model='ViCLIP-L/14 InternVid-10M-FLT' if self.weights else 'ViCLIP (injected)',
                             tokenizer=tokenizer_name,
                             context_length=tokenizer.context_length, num_frames=model.num_frames,
                             frame_sampling="VBench 'middle', padded with the last frame",
                             transform='VBench clip_transform on uint8 frames (bicubic, antialias=False)')

    # ---------------------------------------------------------------------------------------- helpers
    def text_embedding(self, prompt: str) -> torch.Tensor:
        """Unnormalised ``(D,)`` float32 CPU embedding of ``prompt`` (computed once, kept in a small cache)."""
        if prompt in self._prompt_cache:
            self._prompt_cache.move_to_end(prompt)
            return self._prompt_cache[prompt]
        n = self.tokenizer.num_tokens(prompt)
        if n > self.tokenizer.context_length:
            print_log(f'{type(self).__name__}: the prompt has {n} tokens with start and end, more than ViCLIP\'s '
                      f'{self.tokenizer.context_length}; it is cut to {self.tokenizer.context_length} (VBench does '
                      f'the same): {prompt[:80]!r}{"..." if len(prompt) > 80 else ""}', logger='current', level=30)
        ids = self.tokenizer(prompt).to(self.device)
        value = self.model.encode_text(ids)[0].float().cpu()
        self._prompt_cache[prompt] = value
        if len(self._prompt_cache) > _PROMPT_CACHE_SIZE:
            self._prompt_cache.popitem(last=False)
        return value

    def clip(self, video: Any) -> torch.Tensor:
        """The ``(num_frames, 3, S, S)`` model input of one video: VBench's 8 'middle' frames, transformed."""
        frames = take_frames(video, clip_indices(int(video.shape[0]), self.model.num_frames))
        return viclip_frame_transform(frames.to(self.device), self.model.image_size)

    def video_embeddings(self, clips: list[torch.Tensor]) -> torch.Tensor:
        """``(N, D)`` float32 CPU embeddings of ``N`` clips, ``video_batch_size`` clips per pass."""
        return in_batches(clips, self.video_batch_size,
                          lambda batch: self.model.encode_video(batch.to(self.device)).float().cpu())

    def _weights_key(self) -> tuple:
        """Loaded checkpoints: their sha256; an injected module: its identity and its tensors' in-place versions."""
        if self.weights_used:
            return tuple(sorted(self.weights_used.items()))
        return 'model', id(self.model), sum(p._version for p in self.model.parameters())

    def shared_video_embeddings(self, videos: list[Any]) -> torch.Tensor:
        """:meth:`video_embeddings` of the videos' clips, reusing those another ViCLIP dimension of this run made.

        The key is the weights and the bytes of the 8 chosen frames, so only identical inputs share a result.
        """
        frames = [take_frames(v, clip_indices(int(v.shape[0]), self.model.num_frames)) for v in videos]
        keys = [(self._weights_key(), tuple(f.shape), hashlib.sha256(f.cpu().contiguous().numpy()).hexdigest())
                for f in frames]
        missing = [i for i, k in enumerate(keys) if k not in _SHARED_EMBEDDINGS]
        if missing:
            clips = [viclip_frame_transform(frames[i].to(self.device), self.model.image_size) for i in missing]
            for i, embedding in zip(missing, self.video_embeddings(clips)):
                _SHARED_EMBEDDINGS[keys[i]] = embedding
                if len(_SHARED_EMBEDDINGS) > _SHARED_EMBEDDINGS_SIZE:
                    _SHARED_EMBEDDINGS.popitem(last=False)
        return torch.stack([_SHARED_EMBEDDINGS[k] for k in keys])

    def score_batch(self, videos: Sequence[Any], samples: Sequence[dict]) -> list[dict[str, float] | Unscorable]:
        """Cosine of each video's ViCLIP embedding with its prompt's; clips of the batch share encoder passes."""
        verdicts, kept, prompts = clip_verdicts(videos, samples, _prompt_of)
        if kept:
            video_embeds = self.shared_video_embeddings([videos[i] for i in kept])
            text_embeds = torch.stack([self.text_embedding(p) for p in prompts])
            for i, s in zip(kept, video_text_cosine(video_embeds, text_embeds).tolist()):
                verdicts[i] = {self.default_prefix: s}
        return verdicts


def _prompt_of(sample: dict) -> str | Unscorable:
    prompt = sample.get('prompt')
    if not isinstance(prompt, str) or not prompt.strip():
        return Unscorable(f'needs a text prompt, but the sample has {prompt!r}')
    return prompt
