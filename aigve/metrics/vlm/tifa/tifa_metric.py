"""``TIFA``: question-answering faithfulness of a video to its prompt, per frame, as TIFA scores an image."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch

from aigve.models.judges.protocol import JudgeBackend, JudgeReply, JudgeRequest
from aigve.registry import METRICS

from ..question_cache import Answer, Ask, GenerationFailed, QAMetric
from .functional import (
    filter_checks,
    load_tifa_questions,
    map_to_choice,
    parse_qg_reply,
    tifa_accuracy,
    type_key,
)
from .prompts import TIFA_QG_PROMPT_SHA256, tifa_qg_request
from .qa_models import SBERT_DEFAULT, UNIFIEDQA_DEFAULT, SBERTChoice, UnifiedQA

CHOICE_MAPPINGS = ('sbert', 'normalized')
#: TIFA's multiple-choice VQA prompt (BLIP-2's in TIFA; ``mc_prompt=True`` gives it to every model)
MC_PROMPT = 'Answer the multiple-choice question. Question: {question} Choices: {choices} Answer:'


@METRICS.register_module()
class TIFA(QAMetric):
    r"""TIFA: the accuracy of a VQA model's answers to questions generated from the prompt, per frame.

    .. math::
        \text{tifa} = \frac{1}{F}\sum_{f=1}^{F} \frac{1}{Q}\sum_{q=1}^{Q} 1[\text{choice}(\text{VQA}(x_f, q)) = a_q]

    Pipeline (Hu et al., ICCV 2023): an LLM writes multiple-choice question-answer pairs about the prompt
    with TIFA's in-context prompt (once per unique prompt, cached; or read from a TIFA v1.0 question file);
    optionally UnifiedQA filters them (TIFA's rules); the VQA backend answers each question on each of
    ``num_frames`` frames (free-form, the bare question as TIFA asks mPLUG); the answer is mapped to a choice
    (exact match, else the SBERT-nearest choice); the video's score is the accuracy, averaged over frames.
    The aggregate adds TIFA's accuracy by question type over all questions of all videos.

    Inputs:
        Generated videos ``(T, 3, H, W)`` uint8 RGB with their prompts; ``num_frames`` frames are sent.
        A video without a prompt, without usable questions, or with a failed VQA call is a counted failure.

    Per-video scores: ``tifa`` in [0, 1]. Aggregate: mean ``tifa`` and ``accuracy_<type>`` (for instance
    ``accuracy_color``, ``accuracy_animal_human``) over the questions of that type.

    Args:
        backend: The VQA backend (a vision-language model): a config dict (``type='openai'`` / ``'hf'`` /
            ``'scripted'``) or a built backend.
        qg_backend: The LLM that writes the questions. Defaults to None (``backend``, unless ``questions_file``
            is given).
        questions_file: A TIFA v1.0 question file (``tifa_v1.0_question_answers.json`` layout), looked up by
            caption text. Defaults to None.
        question_filter: Run TIFA's UnifiedQA filter on generated questions. Defaults to False.
        unifiedqa_model: The UnifiedQA model (manifest name, hub id, folder, or an object with ``mcqa`` and
            ``qa``). Defaults to ``'tifa-unifiedqa'``.
        choice_mapping: ``'sbert'`` (TIFA: exact, else SBERT-nearest choice) or ``'normalized'`` (no model:
            exact, else equal after lowercasing and dropping punctuation/articles, or the first word; an answer
            matching no choice is wrong). Defaults to ``'sbert'``.
        sbert_model: The SBERT model (manifest name, hub id, folder) or a callable ``(answer, choices) -> choice``.
            Defaults to ``'tifa-sbert'``.
        mc_prompt: Show the choices to the VQA model (TIFA does so only for BLIP-2; Yushi-Hu/tifa#16).
            Defaults to False (the bare question).
        qg_max_tokens: Budget of the question-generation reply. Defaults to 700 (TIFA's).
        qg_stop: Stop strings of question generation. Defaults to ``('\n\n', '<|endoftext|>')`` (TIFA's).
        vqa_max_tokens: Budget of one VQA answer. Defaults to 50 (TIFA's GIT/BLIP ``max_length``).
        **kwargs: ``num_frames`` (default 4), ``question_cache``, ``cache_root``, ``parse_retries``, ``device``,
            ``collect_device``, ``prefix``: see :class:`~aigve.metrics.vlm.question_cache.QAMetric`.

    Examples:
        >>> metric = TIFA(backend=dict(type='openai', base_url='http://127.0.0.1:8000/v1', model='qwen2-vl',
        ...                            api_key_env=None), choice_mapping='normalized')  # doctest: +SKIP
        >>> metric.score(video_uint8_tchw, prompt='a black cat on a red sofa')  # doctest: +SKIP
        {'tifa': 0.8}
    """

    default_prefix = 'tifa'
    higher_is_better = True
    score_range = (0.0, 1.0)
    needs_prompt = True
    qg_name = 'tifa'

    def __init__(self, backend: dict[str, Any] | JudgeBackend | None = None,
                 qg_backend: dict[str, Any] | JudgeBackend | None = None, questions_file: str | None = None,
                 question_filter: bool = False, unifiedqa_model: str | Any = UNIFIEDQA_DEFAULT,
                 choice_mapping: str = 'sbert', sbert_model: str | Callable[[str, Sequence[str]], str] = SBERT_DEFAULT,
                 mc_prompt: bool = False, qg_max_tokens: int = 700,
                 qg_stop: Sequence[str] = ('\n\n', '<|endoftext|>'), vqa_max_tokens: int = 50,
                 **kwargs: Any) -> None:
        if choice_mapping not in CHOICE_MAPPINGS:
            raise ValueError(f'`choice_mapping` must be one of {CHOICE_MAPPINGS}, but got {choice_mapping!r}; '
                             'check `val_evaluator` in your config')
        for arg, value in (('qg_max_tokens', qg_max_tokens), ('vqa_max_tokens', vqa_max_tokens)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f'`{arg}` must be a positive int, but got {value!r}')
        if isinstance(qg_stop, str) or not all(isinstance(s, str) for s in qg_stop):
            raise TypeError(f'`qg_stop` must be a list of strings, but got {qg_stop!r}')
        self.qg_max_tokens, self.qg_stop = qg_max_tokens, tuple(qg_stop)
        self.vqa_max_tokens, self.mc_prompt = vqa_max_tokens, bool(mc_prompt)
        super().__init__(backend=backend, qg_backend=qg_backend, questions_file=questions_file, **kwargs)
        self.choice_mapping = choice_mapping
        self.nearest: Callable[[str, Sequence[str]], str] | None = None
        if choice_mapping == 'sbert':
            self.nearest = self._sbert(sbert_model)
        self.question_filter = bool(question_filter)
        self.unifiedqa: Any = None
        if self.question_filter:
            self.unifiedqa = self._unifiedqa(unifiedqa_model)
        self._filtered: dict[str, list[dict[str, Any]]] = {}
        self.protocol.update(choice_mapping=choice_mapping, question_filter=self.question_filter,
                             vqa_prompt='multiple-choice' if self.mc_prompt else 'bare question',
                             vqa_max_tokens=vqa_max_tokens)

    # -------------------------------------------------------------------------------- helper models
    def _sbert(self, model: Any) -> Callable[[str, Sequence[str]], str]:
        if callable(model):
            return model
        try:
            sbert = SBERTChoice(model, device=self.device)
        except (ImportError, FileNotFoundError) as e:
            raise type(e)(f"{e}\nTIFA maps free-form answers to choices with SBERT (choice_mapping='sbert'); "
                          "download the model as above, or set choice_mapping='normalized' to map without a "
                          'model.') from e
        self.record_weights(sbert.resolved)
        self.protocol['sbert'] = sbert.name
        return sbert

    def _unifiedqa(self, model: Any) -> Any:
        if hasattr(model, 'mcqa') and hasattr(model, 'qa'):
            return model
        qa = UnifiedQA(model, device=self.device)
        self.record_weights(qa.resolved)
        self.protocol['unifiedqa'] = qa.name
        return qa

    # ------------------------------------------------------------------------------- question hooks
    def template_sha256(self) -> str:
        """sha256 of TIFA's in-context prompt."""
        return TIFA_QG_PROMPT_SHA256

    def qg_decoding(self) -> dict[str, Any]:
        """``max_tokens`` and ``stop`` of the question-generation request."""
        return dict(max_tokens=self.qg_max_tokens, stop=list(self.qg_stop))

    def generate_questions(self, prompts: list[str]) -> list[dict[str, Any] | GenerationFailed]:
        """One LLM call per prompt (all at once); a reply with no readable pair is re-asked, then a failure."""
        def parse(caption: str) -> Callable[[JudgeReply], Any]:
            def read(reply: JudgeReply) -> Any:
                parsed = parse_qg_reply(reply.text, caption)
                if not parsed.qas:
                    raise ValueError('no question-answer pair in the reply ('
                                     + ('; '.join(parsed.problems[:2]) or 'empty') + ')')
                return parsed
            return read

        asks = [Ask(JudgeRequest(tifa_qg_request(p), max_tokens=self.qg_max_tokens, stop=self.qg_stop, tag='tifa-qg'),
                    parse=parse(p)) for p in prompts]
        out: list[dict[str, Any] | GenerationFailed] = []
        for answer in self.qg_ask(asks):
            if not answer.ok:
                out.append(GenerationFailed(f'TIFA question generation: {answer.failure}'))
            else:
                out.append(dict(raw=answer.reply.text, qas=answer.value.qas, problems=answer.value.problems))
        return out

    def read_questions_file(self, path: str) -> dict[str, dict[str, Any]]:
        """A TIFA v1.0 question file, by caption."""
        return {caption: dict(qas=qas, problems=[], source=path)
                for caption, qas in load_tifa_questions(path, key='caption').items()}

    def usable_questions(self, payload: dict[str, Any]) -> list[dict[str, Any]]:
        """The pairs, filtered by UnifiedQA when ``question_filter`` (generated questions only, once per prompt)."""
        qas = payload['qas']
        if not self.question_filter or payload.get('source'):
            return qas
        key = qas[0]['caption'] if qas else ''
        if key not in self._filtered:
            kept, seen = [], set()
            for qa in qas:
                if qa['question'] in seen:
                    continue
                seen.add(qa['question'])
                mc = self.unifiedqa.mcqa(qa['question'], qa['caption'], qa['choices'])
                free = None if qa['answer'] in ('yes', 'no') or mc != qa['answer'] else \
                    self.unifiedqa.qa(qa['question'], qa['caption'])
                if filter_checks(qa, mc, free) is None:
                    kept.append(qa)
            self._filtered[key] = kept
        return self._filtered[key]

    # ------------------------------------------------------------------------------------ VQA hooks
    def vqa_prompt(self, qa: dict[str, Any]) -> str:
        """What the VQA model is asked: the bare question, or TIFA's multiple-choice prompt."""
        if self.mc_prompt:
            return MC_PROMPT.format(question=qa['question'], choices=', '.join(qa['choices']))
        return qa['question']

    def video_asks(self, questions: list[dict[str, Any]], frames: torch.Tensor, owner: int) -> list[Ask]:
        """Every question on every frame (frame-major), free-form generation."""
        def read(reply: JudgeReply) -> str:
            text = reply.text.strip()
            if not text:
                raise ValueError('empty answer')
            return text

        return [Ask(JudgeRequest(self.vqa_prompt(qa), images=[frame], max_tokens=self.vqa_max_tokens, tag='tifa-vqa'),
                    owner=owner, parse=read) for frame in frames for qa in questions]

    def video_scores(self, questions: list[dict[str, Any]], answers: list[Answer], n_frames: int) -> dict[str, float]:
        """Accuracy per frame, averaged; per-type sums and mapping counts as hidden keys for the aggregate."""
        nq = len(questions)
        correct = [0.0] * nq
        frame_acc = []
        how_counts: dict[str, int] = {}
        for f in range(n_frames):
            hits = []
            for q, qa in enumerate(questions):
                choice, how = map_to_choice(answers[f * nq + q].value, qa['choices'], self.nearest)
                how_counts[how] = how_counts.get(how, 0) + 1
                hits.append(float(choice == qa['answer']))
                correct[q] += hits[-1] / n_frames
            frame_acc.append(tifa_accuracy(hits))
        out: dict[str, float] = dict(tifa=sum(frame_acc) / len(frame_acc))
        for qa, c in zip(questions, correct):
            t = qa['element_type']
            out[f'_n:{t}'] = out.get(f'_n:{t}', 0.0) + 1.0
            out[f'_c:{t}'] = out.get(f'_c:{t}', 0.0) + c
        out.update({f'_map:{k}': float(v) for k, v in how_counts.items()})
        return out

    def compute_metrics(self, results: list) -> dict[str, float]:
        """Mean ``tifa`` over videos, accuracy by question type over all questions; mapping counts in protocol."""
        n_by_type: dict[str, float] = {}
        c_by_type: dict[str, float] = {}
        mapping: dict[str, int] = {}
        clean = []
        for r in results:
            if 'scores' not in r:
                clean.append(r)
                continue
            scores = dict(r['scores'])
            for k in [k for k in scores if k.startswith('_')]:
                v = scores.pop(k)
                kind, _, name = k[1:].partition(':')
                if kind == 'n':
                    n_by_type[name] = n_by_type.get(name, 0.0) + v
                elif kind == 'c':
                    c_by_type[name] = c_by_type.get(name, 0.0) + v
                elif kind == 'map':
                    mapping[name] = mapping.get(name, 0) + int(v)
            clean.append(dict(r, scores=scores))
        metrics = super().compute_metrics(clean)
        for t in sorted(n_by_type):  # over all questions of the type; a question's correctness is its frame mean
            metrics[f'accuracy_{type_key(t)}'] = c_by_type.get(t, 0.0) / n_by_type[t]
        self.protocol['choice_mapping_counts'] = mapping
        self.protocol['questions_by_type'] = {t: int(n) for t, n in sorted(n_by_type.items())}
        return metrics
