"""TIFA math and parsing: the question-generation reply, the UnifiedQA filter rules, choice mapping, accuracy.

Paper: Hu et al., "TIFA: Accurate and Interpretable Text-to-Image Faithfulness Evaluation with Question
Answering" (ICCV 2023). Code: Yushi-Hu/tifa (commit 8e37050, Apache-2.0): ``tifascore/question_gen.py``
(``parse_resp``), ``question_filter.py``, ``unifiedqa.py``, ``vqa_models.py``, ``tifa_score.py``. Our own
implementation of their rules:

* :func:`parse_qg_reply` reads the ``About <element> (<type>):`` / ``Q:`` / ``Choices:`` / ``A:`` blocks. TIFA
  skips the first six reply lines blindly; we start at the first ``About`` line and stop at a run-on
  ``Description:`` example, which reads a reply that follows the format exactly as TIFA does, and reports
  (instead of silently losing) what it skips.
* :func:`filter_checks` is ``filter_question_and_answers``: duplicates dropped, UnifiedQA's multiple-choice
  answer must equal the LLM's answer exactly, and for non-yes/no answers the free-form answer's token F1
  (TIFA's ``compute_prf``) must exceed 0.6.
* :func:`map_to_choice` is ``multiple_choice_vqa``: an exact match, else the SBERT-nearest choice.
* The score is the accuracy over the questions (:func:`tifa_accuracy`), and accuracy by question type.
"""
from __future__ import annotations

import json
import os
import re
import string
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ['TIFA_CATEGORIES', 'QA_KEYS', 'ParsedQG', 'parse_qg_reply', 'token_f1', 'words_to_number',
           'filter_checks', 'normalize_answer', 'map_to_choice', 'tifa_accuracy', 'accuracy_by_type',
           'load_tifa_questions', 'type_key', 'FREE_FORM_THRESHOLD']

#: The element types TIFA keeps (``question_gen.categories``); ``animal`` and ``human`` merge into ``animal/human``.
TIFA_CATEGORIES = ('object', 'human', 'animal', 'food', 'activity', 'attribute', 'counting', 'color', 'material',
                   'spatial', 'location', 'shape', 'other')
#: The keys of one question-answer pair, as TIFA writes them.
QA_KEYS = ('caption', 'element', 'question', 'choices', 'answer', 'element_type')
#: A free-form UnifiedQA answer must have token F1 above this with the LLM's answer (``question_filter.py``).
FREE_FORM_THRESHOLD = 0.6


@dataclass
class ParsedQG:
    """Question-answer pairs read from one reply (dicts with :data:`QA_KEYS`), and one line per problem."""

    qas: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def parse_qg_reply(reply: str, caption: str) -> ParsedQG:
    """Parse TIFA's question-generation reply into question-answer pairs.

    A pair is emitted at each ``A:`` line that follows an ``About`` header, a ``Q:`` and a ``Choices:`` line
    (choices split on ``', '``). Types outside :data:`TIFA_CATEGORIES` are dropped (reported); ``animal`` and
    ``human`` become ``animal/human``.

    Args:
        reply: The LLM's reply to :func:`~aigve.metrics.vlm.tifa.prompts.tifa_qg_request` (the text after
            ``'...\\nEntities'``).
        caption: The caption the questions are about (stored in each pair).

    Returns:
        :class:`ParsedQG`.

    Examples:
        >>> reply = (': cat\\nActivities:\\nColors: black\\nCounting:\\nOther attributes:\\n'
        ...          'Questions and answers are below:\\nAbout cat (animal):\\nQ: is this a cat?\\n'
        ...          'Choices: yes, no\\nA: yes\\nAbout black (color):\\nQ: what color is the cat?\\n'
        ...          'Choices: black, white, brown, gray\\nA: black')
        >>> [(qa['question'], qa['element_type']) for qa in parse_qg_reply(reply, 'a black cat').qas]
        [('is this a cat?', 'animal/human'), ('what color is the cat?', 'color')]
    """
    if not isinstance(reply, str):
        raise TypeError(f'`reply` must be a str, but got {type(reply).__name__}')
    out = ParsedQG()
    lines = [line.rstrip('\r') for line in reply.split('\n')]
    start = next((i for i, line in enumerate(lines) if line.startswith('About ')), None)
    if start is None:
        out.problems.append('no "About <element> (<type>):" line in the reply')
        return out
    element = etype = question = choices = None
    for number, line in enumerate(lines[start:], start=start + 1):
        if line.startswith('Description:'):
            out.problems.append(f'line {number}: a run-on example starts here; the rest is ignored')
            break
        if line.startswith('About '):
            body = line[len('About '):].rstrip()
            body = body[:-1] if body.endswith(':') else body
            if ' (' not in body:
                out.problems.append(f'line {number}: no "(type)" in {line!r}')
                element = etype = None
                continue
            element, rest = body.split(' (', 1)
            etype = rest.split(')')[0]
            question = choices = None
        elif line.startswith('Q: '):
            question = line[3:]
        elif line.startswith('Choices: '):
            choices = line[len('Choices: '):].split(', ')
        elif line.startswith('A: '):
            answer = line[3:]
            if element and question and choices:
                if etype not in TIFA_CATEGORIES:
                    out.problems.append(f'line {number}: type {etype!r} is not a TIFA type; {question!r} dropped')
                else:
                    out.qas.append(dict(caption=caption, element=element, question=question, choices=choices,
                                        answer=answer, element_type='animal/human' if etype in ('animal', 'human')
                                        else etype))
            else:
                out.problems.append(f'line {number}: an answer without a header, question and choices (dropped)')
            question = choices = None
        elif line.strip():
            out.problems.append(f'line {number}: not understood: {line!r}')
    return out


def token_f1(gold: Sequence[str], pred: Sequence[str]) -> float:
    """TIFA's ``compute_prf`` F1 over tokens (membership, not counts; both empty gives 1).

    Examples:
        >>> token_f1(['two', 'cats'], ['two', 'cats']), token_f1(['red'], ['dark', 'red'])
        (1.0, 0.6666666666666666)
    """
    if not gold:
        return 1.0 if not pred else 0.0
    tp = sum(1 for g in gold if g in pred)
    fn = len(gold) - tp
    fp = sum(1 for p in pred if p not in gold)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


_UNITS = {w: i for i, w in enumerate('zero one two three four five six seven eight nine ten eleven twelve thirteen '
                                      'fourteen fifteen sixteen seventeen eighteen nineteen'.split())}
_TENS = {w: 10 * i for i, w in enumerate('twenty thirty forty fifty sixty seventy eighty ninety'.split(), start=2)}
_SCALES = {'hundred': 100, 'thousand': 1000, 'million': 1000000}


def words_to_number(text: str) -> int | None:
    """An English number in words (or digits) as an int; None when ``text`` holds no number word.

    Stands in for ``word2number.w2n.word_to_num`` in TIFA's filter (numbers up to the millions, ``and`` and
    hyphens allowed; other words are ignored, as w2n ignores them).

    Examples:
        >>> words_to_number('two'), words_to_number('twenty-one'), words_to_number('3'), words_to_number('a cat')
        (2, 21, 3, None)
    """
    text = text.strip().lower()
    if text.isdecimal():
        return int(text)
    words = [w for w in re.split(r'[\s-]+', text) if w in _UNITS or w in _TENS or w in _SCALES]
    if not words:
        return None
    total = current = 0
    for w in words:
        if w in _UNITS:
            current += _UNITS[w]
        elif w in _TENS:
            current += _TENS[w]
        elif w == 'hundred':
            current = max(current, 1) * 100
        else:
            total += max(current, 1) * _SCALES[w]
            current = 0
    return total + current


def filter_checks(qa: Mapping[str, Any], mc_answer: str, free_form_answer: str | None) -> str | None:
    """Why TIFA's UnifiedQA filter drops ``qa``, or None when it keeps it.

    Args:
        qa: One question-answer pair.
        mc_answer: UnifiedQA's raw answer to ``f"{question} \\n {caption} \\n {choice_text}"``.
        free_form_answer: UnifiedQA's normalised free-form answer (only needed when the answer is not yes/no).

    Examples:
        >>> qa = dict(question='how many cats?', caption='two cats', choices=['1', '2'], answer='2')
        >>> filter_checks(qa, '2', 'two') is None, filter_checks(qa, '1', 'two')
        (True, "UnifiedQA chose '1', not '2'")
    """
    if mc_answer != qa['answer']:
        return f'UnifiedQA chose {mc_answer!r}, not {qa["answer"]!r}'
    if qa['answer'] in ('yes', 'no'):
        return None
    free = (free_form_answer or '').strip()
    gold = qa['answer']
    if gold.isnumeric():
        number = words_to_number(free)
        free = str(number) if number is not None else free
    f1 = token_f1(gold.split(), free.split())
    if f1 <= FREE_FORM_THRESHOLD:
        return f'free-form answer {free!r} has token F1 {f1:.2f} <= {FREE_FORM_THRESHOLD} with {gold!r}'
    return None


def unifiedqa_mc_input(question: str, caption: str, choices: Sequence[str]) -> str:
    """UnifiedQA's multiple-choice input (TIFA's ``mcqa``: four headings at most, trailing space kept).

    Examples:
        >>> unifiedqa_mc_input('is it a cat?', 'a cat', ['yes', 'no'])
        'is it a cat? \\n a cat \\n (A) yes (B) no '
    """
    choice_text = ''.join(f'{h} {c} ' for h, c in zip(('(A)', '(B)', '(C)', '(D)'), choices))
    return f'{question} \n {caption} \n {choice_text}'


def unifiedqa_qa_input(question: str, caption: str) -> str:
    """UnifiedQA's free-form input (TIFA's ``qa``)."""
    return f'{question} \n {caption}'


def unifiedqa_normalize(answer: str) -> str:
    """TIFA's normalisation of a free-form UnifiedQA answer: alphanumerics and spaces, stripped, lowercased."""
    return ''.join(c for c in answer if c.isalnum() or c.isspace()).strip().lower()


_ARTICLES = re.compile(r'\b(a|an|the)\b')


def normalize_answer(text: str) -> str:
    """Lowercase, drop punctuation and articles, collapse spaces (for the ``normalized`` choice mapping).

    Examples:
        >>> normalize_answer('Yes, a Surfer.')
        'yes surfer'
    """
    text = text.lower().translate(str.maketrans('', '', string.punctuation))
    return ' '.join(_ARTICLES.sub(' ', text).split())


def map_to_choice(answer: str, choices: Sequence[str],
                  nearest: Callable[[str, Sequence[str]], str] | None = None) -> tuple[str | None, str]:
    """Map a free-form VQA answer to one of ``choices``: how TIFA's ``multiple_choice_vqa`` does it.

    1. ``answer`` equal to a choice: that choice (``'exact'``).
    2. ``nearest`` given (SBERT in TIFA): its choice (``'nearest'``).
    3. Otherwise: the choice equal to the answer after :func:`normalize_answer`, or to its first word
       (``'Yes, there is'`` -> ``yes``) (``'normalized'``); none -> ``(None, 'unmatched')``.

    Returns:
        ``(choice or None, how)``.

    Examples:
        >>> map_to_choice('yes', ['yes', 'no'])
        ('yes', 'exact')
        >>> map_to_choice('Yes, it is.', ['yes', 'no'])
        ('yes', 'normalized')
        >>> map_to_choice('pale green', ['black', 'green'], nearest=lambda a, c: 'green')
        ('green', 'nearest')
        >>> map_to_choice('purple', ['black', 'green'])
        (None, 'unmatched')
    """
    if answer in choices:
        return answer, 'exact'
    if nearest is not None:
        return nearest(answer, choices), 'nearest'
    norm = normalize_answer(answer)
    by_norm = {normalize_answer(c): c for c in reversed(list(choices))}
    if norm in by_norm:
        return by_norm[norm], 'normalized'
    first = norm.split(' ', 1)[0] if norm else ''
    if first and first in by_norm:
        return by_norm[first], 'normalized'
    return None, 'unmatched'


def tifa_accuracy(correct: Iterable[float]) -> float:
    """Mean correctness over the questions (TIFA's ``tifa_score``); NaN for no questions.

    Examples:
        >>> tifa_accuracy([1, 1, 0, 1])
        0.75
    """
    values = [float(c) for c in correct]
    return sum(values) / len(values) if values else float('nan')


def type_key(element_type: str) -> str:
    """A result-key-safe name of an element type (``'animal/human'`` -> ``'animal_human'``)."""
    return re.sub(r'[^0-9a-z]+', '_', element_type.lower()).strip('_')


def accuracy_by_type(pairs: Iterable[tuple[str, float]]) -> dict[str, float]:
    """Accuracy per element type over ``(element_type, correct)`` pairs (TIFA's ``accuracy_by_type``).

    Examples:
        >>> accuracy_by_type([('color', 1), ('counting', 0), ('color', 0)])
        {'color': 0.5, 'counting': 0.0}
    """
    sums: dict[str, list[float]] = {}
    for etype, correct in pairs:
        sums.setdefault(etype, []).append(float(correct))
    return {k: sum(v) / len(v) for k, v in sums.items()}


def load_tifa_questions(path: str | os.PathLike, key: str = 'caption') -> dict[str, list[dict[str, Any]]]:
    """Read a TIFA question file (``tifa_v1.0_question_answers.json`` layout: a flat list of pairs) by prompt.

    Each entry needs ``question``, ``choices``, ``answer`` and ``element_type``, plus the key (``caption`` or
    ``id``); ``element`` and ``id`` are kept when present. Order within a prompt is file order.

    Args:
        path: The JSON file.
        key: ``'caption'`` (look prompts up by their text, stripped) or ``'id'``. Defaults to ``'caption'``.

    Raises:
        FileNotFoundError: If ``path`` is missing.
        ValueError: If the file is not a list of pairs with those keys, or ``key`` is unknown.
    """
    if key not in ('caption', 'id'):
        raise ValueError(f"`key` must be 'caption' or 'id', but got {key!r}")
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f'TIFA question file not found: {path}')
    data = json.loads(path.read_text(encoding='utf-8'))
    if not isinstance(data, list):
        raise ValueError(f'{path}: a TIFA question file is a JSON list of question-answer pairs, '
                         f'but got a {type(data).__name__}')
    out: dict[str, list[dict[str, Any]]] = {}
    for i, entry in enumerate(data):
        missing = [k for k in ('question', 'choices', 'answer', 'element_type', key) if k not in entry]
        if missing:
            raise ValueError(f'{path}: entry {i} lacks {missing}')
        name = str(entry[key]).strip()
        qa = {k: entry[k] for k in ('id', 'caption', 'element', 'question', 'choices', 'answer', 'element_type')
              if k in entry}
        qa['choices'] = [str(c) for c in qa['choices']]
        out.setdefault(name, []).append(qa)
    return out
