"""TIFA's two helper models, both local transformers models found by the weight resolver (both optional).

* :class:`SBERTChoice`: maps a free-form VQA answer to the nearest choice, as TIFA's ``mc_sbert.py`` does with
  ``sentence-transformers/all-mpnet-base-v2`` (``AutoModel``): token embeddings mean-pooled over the attention
  mask, L2-normalised, the choice with the largest dot product.
* :class:`UnifiedQA`: the question filter's QA model (``allenai/unifiedqa-v2-t5-large-1363200``, T5), greedy
  with ``max_new_tokens=30`` as TIFA's ``unifiedqa.py`` runs it.

Names: the manifest entries ``'tifa-sbert'`` and ``'tifa-unifiedqa'``, a hub id, or a folder saved with
``save_pretrained`` (tests build tiny random ones).
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from mmengine.logging import print_log

from aigve.utils.imports import is_available
from aigve.utils.weights import ResolvedWeights, resolve_weights

from .functional import unifiedqa_mc_input, unifiedqa_normalize, unifiedqa_qa_input

__all__ = ['SBERTChoice', 'UnifiedQA', 'SBERT_DEFAULT', 'UNIFIEDQA_DEFAULT']

SBERT_DEFAULT = 'tifa-sbert'
UNIFIEDQA_DEFAULT = 'tifa-unifiedqa'
INSTALL_HINT = 'pip install "aigve[clip]"'


def _load(source: str, what: str, auto_class: str) -> tuple[Any, Any, ResolvedWeights]:
    if not is_available('transformers'):
        raise ImportError(f'TIFA {what} requires `transformers`; install it with: {INSTALL_HINT}')
    import transformers

    try:
        resolved = resolve_weights(source)
    except FileNotFoundError as e:
        raise FileNotFoundError(f'TIFA {what}: the model {source!r} is not available. {e}') from e
    tokenizer = transformers.AutoTokenizer.from_pretrained(str(resolved.path))
    model = getattr(transformers, auto_class).from_pretrained(str(resolved.path)).eval().requires_grad_(False)
    print_log(f'TIFA: loaded the {what} model from {resolved.path}', logger='current')
    return tokenizer, model, resolved


class SBERTChoice:
    """Nearest choice by sentence embedding (TIFA's SBERT step). Callable as ``(answer, choices) -> choice``.

    Args:
        source: Manifest name, hub id or local folder. Defaults to ``'tifa-sbert'``.
        device: Torch device. Defaults to ``'cpu'``.
        tokenizer: A ready tokenizer (with ``model``, instead of loading). Defaults to None.
        model: A ready ``AutoModel``-style encoder. Defaults to None.
    """

    def __init__(self, source: str = SBERT_DEFAULT, device: str | torch.device = 'cpu', tokenizer: Any = None,
                 model: Any = None) -> None:
        self.resolved: ResolvedWeights | None = None
        if model is None:
            tokenizer, model, self.resolved = _load(source, 'answer-to-choice (SBERT)', 'AutoModel')
        self.name = source if self.resolved is None else self.resolved.name
        self.tokenizer, self.model, self.device = tokenizer, model.to(device), torch.device(device)
        self._memo: dict[tuple[str, tuple[str, ...]], str] = {}

    @torch.no_grad()
    def embed(self, sentences: Sequence[str]) -> torch.Tensor:
        """``(N, D)`` L2-normalised mean-pooled embeddings."""
        enc = self.tokenizer(list(sentences), padding=True, truncation=True, return_tensors='pt').to(self.device)
        tokens = self.model(**enc)[0]
        mask = enc['attention_mask'].unsqueeze(-1).to(tokens.dtype)
        pooled = (tokens * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        return torch.nn.functional.normalize(pooled.float(), p=2, dim=1).cpu()

    def __call__(self, answer: str, choices: Sequence[str]) -> str:
        key = (answer, tuple(choices))
        if key not in self._memo:
            sims = self.embed(list(choices)) @ self.embed([answer])[0]
            self._memo[key] = choices[int(torch.argmax(sims))]
        return self._memo[key]


class UnifiedQA:
    """TIFA's UnifiedQA filter model: :meth:`mcqa` (raw answer) and :meth:`qa` (normalised free-form answer).

    Args:
        source: Manifest name, hub id or local folder. Defaults to ``'tifa-unifiedqa'``.
        device: Torch device. Defaults to ``'cpu'``.
        tokenizer: A ready tokenizer (with ``model``, instead of loading). Defaults to None.
        model: A ready seq2seq model. Defaults to None.
        max_new_tokens: Generation budget. Defaults to 30 (TIFA's).
    """

    def __init__(self, source: str = UNIFIEDQA_DEFAULT, device: str | torch.device = 'cpu', tokenizer: Any = None,
                 model: Any = None, max_new_tokens: int = 30) -> None:
        self.resolved: ResolvedWeights | None = None
        if model is None:
            tokenizer, model, self.resolved = _load(source, 'question filter (UnifiedQA)', 'AutoModelForSeq2SeqLM')
        self.name = source if self.resolved is None else self.resolved.name
        self.tokenizer, self.model, self.device = tokenizer, model.to(device), torch.device(device)
        self.max_new_tokens = max_new_tokens

    @torch.no_grad()
    def run(self, text: str) -> str:
        """Greedy answer to one UnifiedQA input, special tokens removed."""
        ids = self.tokenizer.encode(text, return_tensors='pt').to(self.device)
        out = self.model.generate(ids, max_new_tokens=self.max_new_tokens, do_sample=False)
        return self.tokenizer.batch_decode(out, skip_special_tokens=True)[0]

    def mcqa(self, question: str, caption: str, choices: Sequence[str]) -> str:
        """Raw multiple-choice answer (TIFA compares it with the LLM's answer as is)."""
        return self.run(unifiedqa_mc_input(question, caption, choices))

    def qa(self, question: str, caption: str) -> str:
        """Free-form answer, normalised as TIFA does."""
        return unifiedqa_normalize(self.run(unifiedqa_qa_input(question, caption)))
