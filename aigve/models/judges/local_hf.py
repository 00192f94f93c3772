"""A judge backend running a local Hugging Face ``transformers`` vision-language model.

Three families, told apart by the model's config (``kind='auto'``):

* ``'chat'``: models with a chat template, loaded as ``AutoModelForImageTextToText`` with ``AutoProcessor``
  (Qwen2-VL, Qwen2.5-VL, LLaVA-OneVision, Idefics, ...). One user message holds the request's images (before the
  text by default, as these templates expect) and its prompt; several images per request are fine.
* ``'plain'``: image-text models without a chat template that take ``processor(images=..., text=...)``
  (InstructBLIP, BLIP-2); one image per request.
* ``'blip_vqa'``: ``BlipForQuestionAnswering`` (``Salesforce/blip-vqa-base``, ``-capfilt-large``), TIFA's BLIP
  answerer; one image per request, the bare question as prompt.

Decoding is greedy (``do_sample=False``, ``num_beams`` 1 unless set). ``yes_no`` reads the logits of the first
generated token in one pass (``generate(max_new_tokens=1, output_logits=True)``, which equals the forward pass's
last position for decoder-only models and also serves encoder-decoder ones): P(yes) =
``softmax([logsumexp(yes ids), logsumexp(no ids)])[0]``, where the ids are the first sub-token of each of
``yes_words`` / ``no_words`` with and without a leading space (an id shared by both sides is dropped). Requests
are batched ``batch_size`` at a time with left padding, so a frame's questions go through together.

Weights come through :func:`aigve.utils.weights.resolve_weights` (a manifest name, a hub id or a folder saved with
``save_pretrained``); offline and not cached, the error names what to download. The record is
:attr:`HFVLMBackend.resolved` (a metric passes it to ``record_weights``).
"""
from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from aigve.models.judges.images import fit_longest_side, to_pil
from aigve.models.judges.protocol import JudgeBackend, JudgeFailure, JudgeOutcome, JudgeReply, JudgeRequest

__all__ = ['HFVLMBackend', 'KINDS']

KINDS = ('auto', 'chat', 'plain', 'blip_vqa')
INSTALL_HINT = 'pip install "aigve[vqa]" (transformers>=4.45 with torchvision)'


def _transformers_major() -> int:
    import transformers

    return int(transformers.__version__.split('.')[0])


def _chunks(items: list, size: int) -> list[list]:
    return [items[i:i + size] for i in range(0, len(items), size)]


class HFVLMBackend(JudgeBackend):
    """Judge backend over a local transformers VLM.

    Args:
        model: Manifest name, Hugging Face hub id (``'Qwen/Qwen2-VL-2B-Instruct'``) or a local model folder.
        model_path: A local folder to use instead of the hub for ``model``. Defaults to None.
        revision: Hub revision (commit) when ``model`` is a hub id. Defaults to None (manifest pin, else main).
        kind: ``'auto'``, ``'chat'``, ``'plain'`` or ``'blip_vqa'`` (see the module docstring). Defaults to ``'auto'``.
        device: ``'auto'`` (CUDA when present), ``'cpu'``, ``'cuda[:N]'``. Defaults to ``'auto'``.
        dtype: ``'auto'`` (float32 on CPU, bfloat16 on CUDA), ``'float32'``, ``'float16'``, ``'bfloat16'``.
            Defaults to ``'auto'``.
        max_new_tokens: Default generation budget. Defaults to 512.
        num_beams: Beams for ``generate`` (1 = greedy). Defaults to 1.
        max_side: Longest image side before the processor (never upscaled); ``None`` keeps frames as they are.
            Defaults to 512.
        image_position: ``'before'`` or ``'after'`` the text in a chat message. Defaults to ``'before'``.
        batch_size: Requests per forward pass. Defaults to 8.
        yes_words: Words whose first sub-token counts as yes. Defaults to ``('Yes', 'yes')``.
        no_words: Words whose first sub-token counts as no. Defaults to ``('No', 'no')``.
        processor_kwargs: Passed to ``AutoProcessor.from_pretrained`` (e.g. ``dict(max_pixels=200704)`` to cap
            Qwen's image tokens). Defaults to None.
        preloaded: ``(model, processor)`` already built (notebooks, tests); ``model`` is then only a name.
            Defaults to None.

    Raises:
        ImportError: transformers (or torchvision, which Qwen's processor needs) is missing.
        WeightsNotFoundError: The model is neither given locally nor cached, and cannot be downloaded.
        ValueError: A bad argument.
    """

    name = 'hf'

    def __init__(self, model: str, model_path: str | None = None, revision: str | None = None, kind: str = 'auto',
                 device: str = 'auto', dtype: str = 'auto', max_new_tokens: int = 512, num_beams: int = 1,
                 max_side: int | None = 512, image_position: str = 'before', batch_size: int = 8,
                 yes_words: Sequence[str] = ('Yes', 'yes'), no_words: Sequence[str] = ('No', 'no'),
                 processor_kwargs: dict[str, Any] | None = None, preloaded: tuple[Any, Any] | None = None) -> None:
        super().__init__()
        if kind not in KINDS:
            raise ValueError(f'`kind` must be one of {KINDS}, but got {kind!r}')
        if image_position not in ('before', 'after'):
            raise ValueError(f'`image_position` must be "before" or "after", but got {image_position!r}')
        for arg, value in (('batch_size', batch_size), ('max_new_tokens', max_new_tokens), ('num_beams', num_beams)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f'`{arg}` must be an int >= 1, but got {value!r}')
        try:
            import torch
            import transformers  # noqa: F401
        except ImportError as e:
            raise ImportError(f'HFVLMBackend requires transformers: {INSTALL_HINT}') from e
        from aigve.utils.device import resolve_device

        self.model_name = model
        self.device = resolve_device(device)
        self.dtype = self._dtype(dtype, torch)
        self._float32 = torch.float32
        self.max_new_tokens = max_new_tokens
        self.num_beams = num_beams
        self.max_side = max_side
        self.image_position = image_position
        self.batch_size = batch_size
        self.yes_words = tuple(yes_words)
        self.no_words = tuple(no_words)
        self.processor_kwargs = dict(processor_kwargs or {})
        self.resolved: Any = None
        self.revision = revision
        if preloaded is not None:
            self.model, self.processor = preloaded
        else:
            self.model, self.processor = self._load(model, model_path, revision, kind)
        self.model = self.model.to(self.device).eval().requires_grad_(False)
        self.kind = self._kind(kind)
        tokenizer = getattr(self.processor, 'tokenizer', self.processor)
        tokenizer.padding_side = 'left'
        self.tokenizer = tokenizer
        self.yes_ids, self.no_ids = self._answer_ids()

    # ------------------------------------------------------------------------------------ loading
    def _dtype(self, dtype: str, torch: Any) -> Any:
        names = {'float32': torch.float32, 'float16': torch.float16, 'bfloat16': torch.bfloat16}
        if dtype == 'auto':
            return torch.bfloat16 if str(self.device).startswith('cuda') else torch.float32
        if dtype not in names:
            raise ValueError(f'`dtype` must be "auto" or one of {sorted(names)}, but got {dtype!r}')
        return names[dtype]

    def _load(self, model: str, model_path: str | None, revision: str | None, kind: str) -> tuple[Any, Any]:
        from transformers import AutoConfig, AutoProcessor

        from aigve.utils.weights import resolve_weights

        self.resolved = resolve_weights(model, model_path, revision=revision)
        folder = str(self.resolved.path)
        config = AutoConfig.from_pretrained(folder)
        processor = AutoProcessor.from_pretrained(folder, **self.processor_kwargs)
        # transformers 5 names it `dtype`; 4.x `torch_dtype`
        dtype_kw = {'dtype' if _transformers_major() >= 5 else 'torch_dtype': self.dtype}
        if kind == 'blip_vqa' or (kind == 'auto' and config.model_type == 'blip'):
            from transformers import BlipForQuestionAnswering

            net = BlipForQuestionAnswering.from_pretrained(folder, **dtype_kw)
        else:
            from transformers import AutoModelForImageTextToText

            net = AutoModelForImageTextToText.from_pretrained(folder, **dtype_kw)
        return net, processor

    def _kind(self, kind: str) -> str:
        if kind != 'auto':
            return kind
        if type(self.model).__name__ == 'BlipForQuestionAnswering':
            return 'blip_vqa'
        template = getattr(self.processor, 'chat_template', None) or getattr(
            getattr(self.processor, 'tokenizer', None), 'chat_template', None)
        return 'chat' if template else 'plain'

    def _answer_ids(self) -> tuple[list[int], list[int]]:
        def first_ids(words: Sequence[str]) -> set[int]:
            ids = set()
            for w in words:
                for variant in (w, ' ' + w):
                    enc = self.tokenizer.encode(variant, add_special_tokens=False)
                    if enc:
                        ids.add(int(enc[0]))
            return ids

        yes, no = first_ids(self.yes_words), first_ids(self.no_words)
        shared = yes & no
        yes, no = sorted(yes - shared), sorted(no - shared)
        if not yes or not no:
            raise ValueError(f'the tokenizer of {self.model_name!r} gives no distinct first token for '
                             f'{self.yes_words} and {self.no_words}; set `yes_words` / `no_words`')
        return yes, no

    def describe(self) -> dict[str, Any]:
        """Model (name, weights sha256, revision) and every answer-changing setting."""
        return dict(backend=self.name, model=self.model_name, kind=self.kind,
                    weights_sha256=getattr(self.resolved, 'sha256', None),
                    revision=getattr(self.resolved, 'revision', None) or self.revision,
                    dtype=str(self.dtype).replace('torch.', ''), max_new_tokens=self.max_new_tokens,
                    num_beams=self.num_beams, max_side=self.max_side, image_position=self.image_position,
                    yes_words=list(self.yes_words), no_words=list(self.no_words),
                    processor_kwargs=self.processor_kwargs)

    def close(self) -> None:
        """Drop the model (frees its memory once nothing else holds it)."""
        self.model = None

    # ------------------------------------------------------------------------------------ inputs
    def _images(self, request: JudgeRequest) -> list[Any]:
        return [fit_longest_side(to_pil(img), self.max_side) for img in request.images]

    def _inputs(self, requests: list[JudgeRequest]) -> Any:
        images = [self._images(r) for r in requests]
        if self.kind == 'chat':
            conversations = []
            for r, ims in zip(requests, images):
                parts = [{'type': 'image', 'image': im} for im in ims]
                text = [{'type': 'text', 'text': r.prompt}]
                content = parts + text if self.image_position == 'before' else text + parts
                conversations.append([{'role': 'user', 'content': content}])
            # transformers 5 takes the processor's padding in `processor_kwargs` (a bare `padding` warns); 4.x bare
            padding = {'processor_kwargs': {'padding': True}} if _transformers_major() >= 5 else {'padding': True}
            inputs = self.processor.apply_chat_template(
                conversations, add_generation_prompt=True, tokenize=True, return_dict=True, return_tensors='pt',
                **padding)
        else:
            if any(len(ims) != 1 for ims in images):
                raise ValueError(f'a {self.kind!r} model takes exactly one image per request')
            inputs = self.processor(images=[ims[0] for ims in images], text=[r.prompt for r in requests],
                                    return_tensors='pt', padding=True)
        inputs = inputs.to(self.device)
        return inputs.to(self.dtype) if self.dtype != self._float32 else inputs  # floating tensors only

    def _gen_kwargs(self, max_new_tokens: int) -> dict[str, Any]:
        return dict(do_sample=False, num_beams=self.num_beams, max_new_tokens=max_new_tokens)

    @staticmethod
    def _new_tokens(generated: Any, input_ids: Any) -> Any:
        """The generated part: decoder-only models echo the prompt first, encoder-decoder ones do not."""
        n = input_ids.shape[1]
        if generated.shape[1] >= n and bool((generated[:, :n] == input_ids).all()):
            return generated[:, n:]
        return generated

    def _batched(self, requests: list[JudgeRequest], step: Any) -> list[JudgeOutcome]:
        """Run ``step`` over batches; a failing batch is retried one request at a time, so one bad input fails alone."""
        import torch

        out: list[JudgeOutcome] = []
        if self.model is None:
            raise RuntimeError('this HFVLMBackend is closed')
        for batch in _chunks(requests, self.batch_size):
            start = time.perf_counter()
            try:
                with torch.no_grad():
                    replies = step(batch)
            except Exception as e:
                if len(batch) == 1:
                    out.append(JudgeFailure(f'{type(e).__name__}: {e}', seconds=time.perf_counter() - start))
                    continue
                replies = [o for r in batch for o in self._batched([r], step)]
                out.extend(replies)
                continue
            seconds = (time.perf_counter() - start) / len(batch)
            for reply in replies:
                reply.seconds = seconds
            out.extend(replies)
        return out

    # ----------------------------------------------------------------------------------- calls
    def _generate_step(self, batch: list[JudgeRequest]) -> list[JudgeOutcome]:
        budget = max(r.max_tokens or self.max_new_tokens for r in batch)
        inputs = self._inputs(batch)
        generated = self.model.generate(**inputs, **self._gen_kwargs(budget))
        new = self._new_tokens(generated, inputs['input_ids'])
        mask = inputs.get('attention_mask')
        replies: list[JudgeOutcome] = []
        pad = self.tokenizer.pad_token_id
        for i, r in enumerate(batch):
            ids = new[i]
            tokens_out = int((ids != pad).sum()) if pad is not None else int(ids.numel())
            text = self.tokenizer.decode(ids, skip_special_tokens=True)
            for s in r.stop:
                if s in text:
                    text = text[:text.index(s)]
            tokens_in = int(mask[i].sum()) if mask is not None else int(inputs['input_ids'].shape[1])
            if not text.strip():
                replies.append(JudgeFailure('empty reply', tokens_in=tokens_in, tokens_out=tokens_out))
            else:
                replies.append(JudgeReply(text=text, tokens_in=tokens_in, tokens_out=tokens_out))
        return replies

    def _yes_no_step(self, batch: list[JudgeRequest]) -> list[JudgeOutcome]:
        import torch

        inputs = self._inputs(batch)
        out = self.model.generate(**inputs, **self._gen_kwargs(1), output_logits=True, return_dict_in_generate=True)
        logits = out.logits[0].float()  # (B, vocab): the first generated token's logits, before any processor
        yes = torch.logsumexp(logits[:, self.yes_ids], dim=-1)
        no = torch.logsumexp(logits[:, self.no_ids], dim=-1)
        p_yes = torch.softmax(torch.stack([yes, no], dim=-1), dim=-1)[:, 0]
        mask = inputs.get('attention_mask')
        top = logits.argmax(dim=-1)
        replies: list[JudgeOutcome] = []
        for i in range(len(batch)):
            tokens_in = int(mask[i].sum()) if mask is not None else int(inputs['input_ids'].shape[1])
            text = self.tokenizer.decode([int(top[i])], skip_special_tokens=True).strip()
            replies.append(JudgeReply(text=text, yes_prob=float(p_yes[i]), tokens_in=tokens_in, tokens_out=1))
        return replies

    def _generate(self, requests: list[JudgeRequest]) -> list[JudgeOutcome]:
        return self._batched(requests, self._generate_step)

    def _yes_no(self, requests: list[JudgeRequest]) -> list[JudgeOutcome]:
        return self._batched(requests, self._yes_no_step)
