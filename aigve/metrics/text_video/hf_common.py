"""What the text-video metrics share: loading a Hugging Face model, batching frames, encoding prompts.

* :func:`feature_tensor` reads the projected embedding out of ``get_image_features`` /
  ``get_text_features`` on transformers 4 (a tensor) and 5 (an output object whose ``pooler_output`` is
  the projected embedding).
* :func:`encode_in_batches` runs the frames of several videos through an image encoder in chunks of
  ``frame_batch_size`` frames that cross video boundaries, then splits the result back per video.
* :func:`tokenize_prompt` truncates prompts longer than the text encoder's limit, with a WARNING.
* :class:`HFTextVideoMetric` is the base of :class:`CLIPSim`, :class:`CLIPTemp`, :class:`BLIPSim` and
  :class:`PickScore`: argument checks, weight resolution, frame selection, the prompt-embedding cache.
"""
from __future__ import annotations

import itertools
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

import torch
from mmengine.logging import print_log
from torch import nn

from aigve.core.base_metric import BaseVideoMetric, Unscorable
from aigve.utils.frames import check_video, select_frames
from aigve.utils.imports import is_available
from aigve.utils.lazy_video import frame_batches, subset
from aigve.utils.weights import resolve_weights

#: Install hint for the ``transformers`` extra.
INSTALL_HINT = 'pip install "aigve[clip]"'
#: Prompts whose text embedding is kept between batches (per metric instance).
PROMPT_CACHE_SIZE = 4096


def feature_tensor(output: Any) -> torch.Tensor:
    """Return the projected embedding from ``get_image_features`` / ``get_text_features``.

    transformers 4 returns the ``(B, D)`` tensor itself; transformers 5 returns a
    ``BaseModelOutputWithPooling`` whose ``pooler_output`` holds the projected embedding.

    Raises:
        TypeError: If ``output`` is neither.
    """
    if isinstance(output, torch.Tensor):
        return output
    for name in ('pooler_output', 'image_embeds', 'text_embeds'):
        value = getattr(output, name, None)
        if isinstance(value, torch.Tensor):
            return value
    raise TypeError(f'expected a tensor or a model output with `pooler_output`, but got {type(output).__name__}')


def encode_in_batches(videos: Sequence[torch.Tensor], encode: Callable[[list[torch.Tensor], list[int]],
                                                                         torch.Tensor],
                      batch_size: int) -> list[torch.Tensor]:
    """Run ``encode`` over the frames of all ``videos`` in chunks of ``batch_size`` and split per video.

    Args:
        videos: ``(T_i, C, H, W)`` frame stacks or lazy videos (decoded chunk by chunk); sizes may differ.
        encode: Called with a list of at most ``batch_size`` ``(C, H, W)`` frames and, for each frame,
            the index of its video in ``videos``; returns a tensor whose first dimension is the number
            of frames.
        batch_size: Frames per call.

    Returns:
        One tensor per video, ``(T_i, ...)``, in the order of ``videos``.
    """
    parts: list[list[torch.Tensor]] = [[] for _ in videos]
    for frames, owners in frame_batches(videos, batch_size):
        out = encode(frames, owners)
        start = 0
        for owner, run in itertools.groupby(owners):  # a batch holds consecutive runs of each video's frames
            count = len(list(run))
            parts[owner].append(out[start:start + count])
            start += count
    return [torch.cat(p) if p else torch.empty(0) for p in parts]


def text_length_limit(text_config: Any, tokenizer: Any) -> int:
    """Token limit of a text encoder: its ``max_position_embeddings``, or the tokenizer's if smaller."""
    limits = [getattr(text_config, 'max_position_embeddings', None), getattr(tokenizer, 'model_max_length', None)]
    limits = [int(n) for n in limits if isinstance(n, int) and 0 < n < 1_000_000]
    if not limits:
        raise ValueError('cannot tell the text encoder\'s token limit: neither `max_position_embeddings` in the '
                         'text config nor `model_max_length` of the tokenizer is set')
    return min(limits)


def tokenize_prompt(tokenizer: Any, prompt: str, max_length: int, owner: str) -> dict[str, torch.Tensor]:
    """Tokenize one prompt to ``(1, L)`` tensors, truncating to ``max_length`` tokens with a WARNING."""
    # verbose=False: our warning replaces transformers' "longer than the specified maximum" one
    n_tokens = len(tokenizer(prompt, verbose=False)['input_ids'])
    if n_tokens > max_length:
        print_log(f'{owner}: the prompt has {n_tokens} tokens, more than the text encoder\'s limit of '
                  f'{max_length}; it is truncated to {max_length} tokens (scores see only its start): '
                  f'{prompt[:80]!r}{"..." if len(prompt) > 80 else ""}', logger='current', level=30)
    encoded = tokenizer(prompt, truncation=True, max_length=max_length, return_tensors='pt')
    return {k: encoded[k] for k in ('input_ids', 'attention_mask') if k in encoded}


def preprocess_frames(image_processor: Any, frames: list[torch.Tensor]) -> torch.Tensor:
    """The model's own preprocessing (resize, crop, rescale, normalise) of uint8 ``(C, H, W)`` frames."""
    return image_processor(images=[f.cpu() for f in frames], return_tensors='pt')['pixel_values']


class HFTextVideoMetric(BaseVideoMetric):
    """Base of the metrics that score sampled frames with a Hugging Face image-text model.

    Subclasses set ``model_class`` (the transformers class name), ``default_model``, and implement
    :meth:`score_batch`. This class loads the model and processor, checks the common arguments and
    provides :meth:`prepare_videos` and :meth:`prompt_embedding`.

    Args:
        model_name_or_path: Hub id, local directory, or a ready model (``nn.Module``). Defaults to the
            subclass's ``default_model``.
        processor: Hub id or local directory of the processor, or a ready processor (an object with
            ``image_processor`` and ``tokenizer``). Defaults to None (the model's own directory; a ready
            model needs a ready processor or a path).
        model_path: Local directory (or hub id) that replaces ``model_name_or_path`` when set, so a
            config can point at a local copy with ``--cfg-options val_evaluator.model_path=DIR``.
            Defaults to None.
        revision: Hub revision (branch, tag or commit) of hub ids. Defaults to None (the resolver's pin).
        num_frames: Frames kept per video, spread uniformly over the frames the pipeline gives; None
            keeps them all. Defaults to None.
        frame_batch_size: Frames per forward pass of the image encoder; frames of several videos share a
            pass. Defaults to 32.
        device: See :class:`BaseVideoMetric`. Defaults to ``'auto'``.
        collect_device: See :class:`BaseVideoMetric`. Defaults to ``'cpu'``.
        prefix: Defaults to the class's ``default_prefix``.
    """

    model_class: str = ''
    default_model: str = ''
    default_processor: str | None = None
    min_frames: int = 1
    streams_frames = True  # frames reach the encoders through `encode_in_batches`, chunk by chunk

    def __init__(self,
                 model_name_or_path: str | nn.Module | None = None,
                 processor: str | Any | None = None,
                 model_path: str | None = None,
                 revision: str | None = None,
                 num_frames: int | None = None,
                 frame_batch_size: int = 32,
                 device: str = 'auto',
                 collect_device: str = 'cpu',
                 prefix: str | None = None) -> None:
        name = type(self).__name__
        if not is_available('transformers'):
            raise ImportError(f'{name} requires `transformers`; install it with: {INSTALL_HINT}')
        super().__init__(device=device, collect_device=collect_device, prefix=prefix)
        if num_frames is not None and (isinstance(num_frames, bool) or not isinstance(num_frames, int)
                                       or num_frames < self.min_frames):
            raise ValueError(f'`num_frames` must be None or an int >= {self.min_frames}, but got {num_frames!r}; '
                             'check `val_evaluator` in your config')
        if isinstance(frame_batch_size, bool) or not isinstance(frame_batch_size, int) or frame_batch_size < 1:
            raise ValueError(f'`frame_batch_size` must be a positive int, but got {frame_batch_size!r}; '
                             'check `val_evaluator` in your config')
        if model_path is not None and not isinstance(model_path, str):
            raise TypeError(f'`model_path` must be a str or None, but got {type(model_path).__name__}')
        self.num_frames = num_frames
        self.frame_batch_size = frame_batch_size
        self._prompt_cache: OrderedDict[str, Any] = OrderedDict()

        source = model_path if model_path is not None else (model_name_or_path or self.default_model)
        self.model, model_dir, model_name = self._load_model(source, revision)
        if processor is None:
            processor = self.default_processor or model_dir
        if processor is None:
            raise ValueError(f'{name}: `processor` must be given (a hub id, a local directory or a processor '
                             'object) when `model_name_or_path` is a ready model, but got None')
        self.processor, processor_name = self._load_processor(processor, revision)
        self.model.eval().requires_grad_(False).to(self.device)
        self.protocol.update(model=model_name, processor=processor_name, revision=revision,
                             num_frames='all given' if num_frames is None else num_frames,
                             image_processor=type(self.image_processor).__name__)

    # ------------------------------------------------------------------------------------ loading
    def _load_model(self, source: str | nn.Module, revision: str | None) -> tuple[nn.Module, str | None, str]:
        name = type(self).__name__
        if isinstance(source, nn.Module):
            return source, None, getattr(getattr(source, 'config', None), '_name_or_path', '') or type(source).__name__
        if not isinstance(source, str) or not source:
            raise TypeError(f'`model_name_or_path` must be a hub id, a local directory or an nn.Module, '
                            f'but got {source!r}')
        import transformers

        resolved = resolve_weights(source, revision=revision)
        model_dir = str(resolved.path)
        model = getattr(transformers, self.model_class).from_pretrained(model_dir)
        self.record_weights(resolved)
        print_log(f'{name}: loaded {self.model_class} weights from {model_dir}', logger='current')
        return model, model_dir, source

    def _load_processor(self, processor: str | Any, revision: str | None) -> tuple[Any, str]:
        if isinstance(processor, str):
            from transformers import AutoProcessor

            name = processor
            processor = AutoProcessor.from_pretrained(str(resolve_weights(processor, revision=revision).path))
        else:
            name = type(processor).__name__
        for attr in ('image_processor', 'tokenizer'):
            if getattr(processor, attr, None) is None:
                raise TypeError(f'`processor` must have an `{attr}` (a transformers processor), but got '
                                f'{type(processor).__name__}')
        return processor, name

    @property
    def image_processor(self) -> Any:
        """The model's image processor (resize, crop, normalise)."""
        return self.processor.image_processor

    @property
    def tokenizer(self) -> Any:
        """The model's tokenizer."""
        return self.processor.tokenizer

    # ------------------------------------------------------------------------------------ helpers
    def prepare_videos(self, videos: Sequence[Any], samples: Sequence[dict],
                       need_prompt: bool) -> tuple[list[int], list[torch.Tensor], list[Unscorable | None]]:
        """Check and subsample the batch.

        Returns:
            ``(kept, frames, verdicts)``: indices of the scorable videos, their selected frames, and for
            every video either None (scorable) or the :class:`Unscorable` reason.
        """
        kept, frames, verdicts = [], [], []
        for i, (video, sample) in enumerate(zip(videos, samples)):
            verdict = None
            if video is None:
                verdict = Unscorable('the video could not be read')
            else:
                check_video(video, min_frames=0)  # fewer than min_frames: a verdict below, not an error
                prompt = sample.get('prompt') if isinstance(sample, dict) else None
                if need_prompt and (not isinstance(prompt, str) or not prompt.strip()):
                    verdict = Unscorable(f'needs a text prompt, but the sample has {prompt!r}')
                elif video.shape[0] < self.min_frames:
                    verdict = Unscorable(f'needs at least {self.min_frames} frame(s), got {video.shape[0]}')
            verdicts.append(verdict)
            if verdict is None:
                kept.append(i)
                if self.num_frames is not None and video.shape[0] > self.num_frames:  # else no copy
                    video = subset(video, select_frames(int(video.shape[0]), num_frames=self.num_frames,
                                                        strategy='uniform'))
                frames.append(video)
        return kept, frames, verdicts

    def prompt_embedding(self, prompt: str, encode: Callable[[dict[str, torch.Tensor]], Any]) -> Any:
        """Embedding of ``prompt`` by ``encode(tokens)``, computed once per prompt and kept in a small cache."""
        if prompt in self._prompt_cache:
            self._prompt_cache.move_to_end(prompt)
            return self._prompt_cache[prompt]
        tokens = tokenize_prompt(self.tokenizer, prompt, self.text_max_length, type(self).__name__)
        value = encode({k: v.to(self.device) for k, v in tokens.items()})
        self._prompt_cache[prompt] = value
        if len(self._prompt_cache) > PROMPT_CACHE_SIZE:
            self._prompt_cache.popitem(last=False)
        return value

    @property
    def text_max_length(self) -> int:
        """Token limit of the text encoder (prompts beyond it are truncated with a warning)."""
        return text_length_limit(getattr(self.model.config, 'text_config', None), self.tokenizer)

    def pixel_values(self, frames: list[torch.Tensor]) -> torch.Tensor:
        """Preprocessed ``(B, 3, S, S)`` float pixels of uint8 frames, on the metric's device."""
        return preprocess_frames(self.image_processor, frames).to(self.device, torch.float32)


def merge_verdicts(verdicts: list[Unscorable | None], kept: list[int],
                   scores: list[dict[str, float]]) -> list[dict[str, float] | Unscorable]:
    """Put the scores of the kept videos back among the unscorable ones, in batch order."""
    by_index = dict(zip(kept, scores))
    return [by_index[i] if v is None else v for i, v in enumerate(verdicts)]




class CLIPFeatureMetric(HFTextVideoMetric):
    """Shared CLIP part of :class:`CLIPSim`, :class:`CLIPTemp` and :class:`PickScore`: frame and prompt embeddings."""

    model_class = 'CLIPModel'

    def frame_embeddings(self, videos: Sequence[torch.Tensor]) -> list[torch.Tensor]:
        """Unnormalised projected image embeddings ``(T_i, D)`` (float32, CPU) of every video's frames."""

        def encode(frames: list[torch.Tensor], owners: list[int]) -> torch.Tensor:
            out = self.model.get_image_features(pixel_values=self.pixel_values(frames))
            return feature_tensor(out).float().cpu()

        return encode_in_batches(videos, encode, self.frame_batch_size)

    def text_embedding(self, prompt: str) -> torch.Tensor:
        """Unnormalised projected text embedding ``(D,)`` (float32, CPU) of ``prompt``, computed once."""
        return self.prompt_embedding(
            prompt, lambda tokens: feature_tensor(self.model.get_text_features(**tokens))[0].float().cpu())

__all__ = [
    'INSTALL_HINT',
    'CLIPFeatureMetric',
    'HFTextVideoMetric',
    'encode_in_batches',
    'feature_tensor',
    'merge_verdicts',
    'preprocess_frames',
    'text_length_limit',
    'tokenize_prompt',
]
