"""``DSG``: Davidsonian Scene Graph question answering on video frames, with the dependency (parent) rule."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from aigve.models.judges.protocol import JudgeBackend, JudgeReply, JudgeRequest
from aigve.registry import METRICS
from aigve.utils.hashing import text_sha256

from ..question_cache import Answer, Ask, GenerationFailed, QAMetric
from .functional import (
    ANSWER_RULES,
    DSGGraph,
    ParsedLines,
    answer_is_yes,
    build_graph,
    dsg_scores,
    load_dsg1k,
    parse_dependencies,
    parse_questions,
    parse_tuples,
)
from .prompts import build_prompt, cut_run_on, template_sha256

#: DSG's GPT-4o VQA prompt (``dsg/vqa_utils.py``); ``'{question}'`` alone is how DSG asks mPLUG and InstructBLIP
VQA_TEMPLATE = "Answer only with 'yes' or 'no'. Do not give other outputs or punctuation marks. Question: {question}"


def _reader(parse: Callable[[str], ParsedLines], what: str) -> Callable[[JudgeReply], ParsedLines]:
    def read(reply: JudgeReply) -> ParsedLines:
        parsed = parse(cut_run_on(reply.text))
        if not parsed.values:
            raise ValueError(f'no "id | {what}" line in the reply (' + ('; '.join(parsed.problems[:2]) or 'empty')
                             + ')')
        return parsed
    return read


@METRICS.register_module()
class DSG(QAMetric):
    r"""DSG: yes/no questions from the prompt's Davidsonian scene graph, answered on frames, parents first.

    .. math::
        s_q = 1[\text{VQA}(x_f, q) = \text{yes}], \quad
        \text{dsg} = \frac{1}{F}\sum_f \frac{1}{N}\sum_q s_q \prod_{p \in \text{parents}(q)} s_p, \quad
        \text{dsg\_nodep} = \frac{1}{F}\sum_f \frac{1}{N}\sum_q s_q

    Pipeline (Cho et al., ICLR 2024): an LLM writes, with DSG's three in-context prompts, the prompt's atomic
    tuples, a question per tuple and each tuple's parents (3 calls per unique prompt, cached; or read from a
    DSG-1k question file); the VQA backend answers every question on each of ``num_frames`` frames; a
    question whose parent was answered "no" scores 0 (one hop, as DSG's ``calc_vqa_score``). Both the
    dependency-aware score (headline) and the plain mean are reported, averaged over frames.

    Inputs:
        Generated videos ``(T, 3, H, W)`` uint8 RGB with their prompts; ``num_frames`` frames are sent.
        A video without a prompt, without questions, or with a failed VQA call is a counted failure.

    Per-video scores: ``dsg`` (with dependencies) and ``dsg_nodep``, both in [0, 1].

    Args:
        backend: The VQA backend (a vision-language model): a config dict (``type='openai'`` / ``'hf'`` /
            ``'scripted'``) or a built backend.
        qg_backend: The LLM that writes the scene graphs. Defaults to None (``backend``, unless
            ``questions_file`` is given).
        questions_file: A DSG-1k question file (``dsg-1k-anns.csv`` layout, ``.csv`` or ``.csv.gz``), looked
            up by prompt text. Defaults to None.
        answer_rule: When an answer counts as yes: ``'first_word'``, ``'exact'`` (DSG's ``answer == 'yes'``),
            ``'substring'`` or ``'prob'`` (P(yes) >= 0.5 from logprobs/logits). Defaults to ``'first_word'``.
        vqa_template: The VQA prompt, with ``{question}``. Defaults to DSG's GPT-4o prompt.
        qg_max_tokens: Budget of each generation reply. Defaults to 1024 (DSG's 500 can cut long scene graphs).
        dependency_rule: For ``questions_file``: ``'robust'`` or ``'dsg'`` (see
            :func:`~aigve.metrics.vlm.dsg.functional.load_dsg1k`). Defaults to ``'robust'``.
        **kwargs: ``num_frames`` (default 4), ``question_cache``, ``cache_root``, ``parse_retries``, ``device``,
            ``collect_device``, ``prefix``: see :class:`~aigve.metrics.vlm.question_cache.QAMetric`.

    Examples:
        >>> metric = DSG(backend=dict(type='openai', base_url='http://127.0.0.1:8000/v1', model='qwen2-vl',
        ...                           api_key_env=None))  # doctest: +SKIP
        >>> metric.score(video_uint8_tchw, prompt='a black cat on a red sofa')  # doctest: +SKIP
        {'dsg': 0.75, 'dsg_nodep': 0.8}
    """

    default_prefix = 'dsg'
    higher_is_better = True
    score_range = (0.0, 1.0)
    needs_prompt = True
    qg_name = 'dsg'

    def __init__(self, backend: dict[str, Any] | JudgeBackend | None = None,
                 qg_backend: dict[str, Any] | JudgeBackend | None = None, questions_file: str | None = None,
                 answer_rule: str = 'first_word', vqa_template: str = VQA_TEMPLATE, qg_max_tokens: int = 1024,
                 dependency_rule: str = 'robust', **kwargs: Any) -> None:
        if answer_rule not in ANSWER_RULES:
            raise ValueError(f'`answer_rule` must be one of {ANSWER_RULES}, but got {answer_rule!r}; '
                             'check `val_evaluator` in your config')
        if not isinstance(vqa_template, str) or '{question}' not in vqa_template:
            raise ValueError(f'`vqa_template` must be a str containing "{{question}}", but got {vqa_template!r}')
        if isinstance(qg_max_tokens, bool) or not isinstance(qg_max_tokens, int) or qg_max_tokens < 1:
            raise ValueError(f'`qg_max_tokens` must be a positive int, but got {qg_max_tokens!r}')
        if dependency_rule not in ('robust', 'dsg'):
            raise ValueError(f"`dependency_rule` must be 'robust' or 'dsg', but got {dependency_rule!r}")
        self.answer_rule, self.vqa_template = answer_rule, vqa_template
        self.qg_max_tokens, self.dependency_rule = qg_max_tokens, dependency_rule
        super().__init__(backend=backend, qg_backend=qg_backend, questions_file=questions_file, **kwargs)
        self.protocol.update(answer_rule=answer_rule, vqa_template=vqa_template,
                             vqa_template_sha256=text_sha256(vqa_template),
                             dependency_rule=dependency_rule)

    # ------------------------------------------------------------------------------- question hooks
    def template_sha256(self) -> str:
        """sha256 over the three step templates' hashes (tuple, question, dependency)."""
        return text_sha256(''.join(template_sha256(s) for s in ('tuple', 'question', 'dependency')))

    def qg_decoding(self) -> dict[str, Any]:
        """``max_tokens`` of each generation request."""
        return dict(max_tokens=self.qg_max_tokens)

    def generate_questions(self, prompts: list[str]) -> list[dict[str, Any] | GenerationFailed]:
        """DSG's three steps for all prompts: tuples first, then questions and dependencies (concurrently)."""
        def ask(step: str, text: str, read: Callable[[JudgeReply], ParsedLines]) -> Ask:
            return Ask(JudgeRequest(build_prompt(step, text), max_tokens=self.qg_max_tokens, tag=f'dsg-{step}'),
                       parse=read)

        tuples = self.qg_ask([ask('tuple', p, _reader(parse_tuples, 'tuple')) for p in prompts])
        out: list[dict[str, Any] | GenerationFailed] = [
            GenerationFailed(f'DSG tuple generation: {a.failure}') for a in tuples]
        ok = [i for i, a in enumerate(tuples) if a.ok]
        follow = []
        for i in ok:
            text = prompts[i] + '\n' + cut_run_on(tuples[i].reply.text)
            follow += [ask('question', text, _reader(parse_questions, 'question')),
                       ask('dependency', text, _reader(parse_dependencies, 'dependencies'))]
        answers = self.qg_ask(follow)
        for k, i in enumerate(ok):
            q, d = answers[2 * k], answers[2 * k + 1]
            if not (q.ok and d.ok):
                bad = q if not q.ok else d
                out[i] = GenerationFailed(f'DSG {"question" if bad is q else "dependency"} generation: {bad.failure}')
                continue
            problems = [f'tuple {p}' for p in tuples[i].value.problems] + [f'question {p}' for p in q.value.problems]
            problems += [f'dependency {p}' for p in d.value.problems]
            graph = build_graph(q.value.values, d.value.values, tuples[i].value.values, problems)
            graph.raw = dict(tuple=tuples[i].reply.text, question=q.reply.text, dependency=d.reply.text)
            out[i] = dict(graph=graph.to_dict(), problems=graph.problems)
        return out

    def read_questions_file(self, path: str) -> dict[str, dict[str, Any]]:
        """A DSG-1k question file, by prompt text."""
        return {text: dict(graph=g.to_dict(), problems=g.problems, source=path)
                for text, g in load_dsg1k(path, key='text', dependency_rule=self.dependency_rule).items()}

    def usable_questions(self, payload: dict[str, Any]) -> DSGGraph | None:
        """The payload's graph, or None when it has no question."""
        graph = DSGGraph.from_dict(payload['graph'])
        return graph if graph.questions else None

    # ------------------------------------------------------------------------------------ VQA hooks
    def video_asks(self, questions: DSGGraph, frames: torch.Tensor, owner: int) -> list[Ask]:
        """Every question on every frame (frame-major), as yes/no requests."""
        rule = self.answer_rule

        def read(reply: JudgeReply) -> bool:
            if rule == 'prob' and reply.yes_prob is None:
                raise ValueError(f"answer_rule='prob' needs P(yes), but the backend gave none ({reply.text[:40]!r})")
            return answer_is_yes(reply.text, rule, reply.yes_prob)

        return [Ask(JudgeRequest(self.vqa_template.format(question=q), images=[frame], tag=f'dsg-q{qid}'),
                    owner=owner, method='yes_no', parse=read)
                for frame in frames for qid, q in questions.questions.items()]

    def video_scores(self, questions: DSGGraph, answers: list[Answer], n_frames: int) -> dict[str, float]:
        """DSG's two scores per frame, averaged over frames."""
        ids = list(questions.questions)
        dep, nodep = 0.0, 0.0
        for f in range(n_frames):
            yes = {qid: answers[f * len(ids) + k].value for k, qid in enumerate(ids)}
            s = dsg_scores(yes, questions.dependencies)
            dep += s['dsg'] / n_frames
            nodep += s['dsg_nodep'] / n_frames
        return dict(dsg=dep, dsg_nodep=nodep)
