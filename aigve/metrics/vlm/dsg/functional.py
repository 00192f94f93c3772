"""DSG math and parsing: ``id | text`` replies, the question graph, yes/no answers and the two scores.

Paper: Cho et al., "Davidsonian Scene Graph: Improving Reliability in Fine-grained Evaluation for Text-to-Image
Generation" (ICLR 2024). Code: j-min/DSG (commit 7330119, Apache-2.0): ``dsg/parse_utils.py``,
``dsg/vqa_utils.py`` (``calc_vqa_score``), ``dsg/data_utils.py``. Our own implementation of their rules:

* Parsing keeps DSG's reading of a well-formed reply (text after the first ``output:``, one ``id | value`` per
  line, tuple categories before ``(``, dependency ids split on commas, ``0`` dropped beside other ids) and
  differs only where DSG raises: a malformed line (no ``|``, a non-integer id, a repeated id) is skipped and
  reported; the value is split on the first ``|`` only; an empty or ``-`` dependency reads as ``[0]``; parents
  that are not question ids are dropped and reported.
* Scoring is ``calc_vqa_score``'s: :math:`s_q = 1[\\text{answer}_q = \\text{yes}]`, the plain score is the mean of
  :math:`s_q`; the dependency-aware score zeroes :math:`s_q` when any parent's *raw* score is 0 (one hop) and
  divides by the number of questions.
"""
from __future__ import annotations

import csv
import gzip
import io
import logging
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mmengine.logging import print_log

__all__ = ['ParsedLines', 'DSGGraph', 'parse_id_lines', 'parse_tuples', 'parse_questions', 'parse_dependencies',
           'tuple_category', 'build_graph', 'answer_is_yes', 'ANSWER_RULES', 'dsg_scores', 'load_dsg1k',
           'read_csv_rows']

#: How a VQA answer counts as "yes": ``exact`` is DSG's rule, ``first_word`` (default) reads the first word
#: (``'Yes, there is.'`` counts), ``substring`` is the older aigve rule (``'eyes'`` counts: do not use it for
#: new numbers), ``prob`` reads the backend's P(yes) >= 0.5.
ANSWER_RULES = ('first_word', 'exact', 'substring', 'prob')
_FIRST_WORD = re.compile(r'[\W_]*([a-z]+)')


@dataclass
class ParsedLines:
    """What a parser read: ``values`` by id, in reply order, and one line per problem (malformed lines)."""

    values: dict[int, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def parse_id_lines(text: str) -> ParsedLines:
    """Read ``id | value`` lines after the first ``output:`` (DSG's layout), reporting what it cannot read.

    The value is everything after the first ``|``, stripped. Blank lines are skipped silently; a line without
    ``|``, with a non-integer id, or repeating an id (the first one is kept) is skipped and reported.

    Examples:
        >>> p = parse_id_lines('output: 1 | Is there a cat?\\n2 Is the cat black?\\n3 | Is it | here?')
        >>> p.values
        {1: 'Is there a cat?', 3: 'Is it | here?'}
        >>> p.problems
        ["line 2: no '|' in '2 Is the cat black?'"]
    """
    if not isinstance(text, str):
        raise TypeError(f'`text` must be a str, but got {type(text).__name__}')
    if 'output:' in text:
        text = text[text.index('output:') + len('output:'):]
    out = ParsedLines()
    for number, raw in enumerate(text.strip().splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if '|' not in line:
            out.problems.append(f'line {number}: no \'|\' in {line!r}')
            continue
        head, value = line.split('|', 1)
        head = head.strip()
        if not re.fullmatch(r'[+]?\d+', head):
            out.problems.append(f'line {number}: id {head!r} is not an integer in {line!r}')
            continue
        qid = int(head)
        if qid in out.values:
            out.problems.append(f'line {number}: id {qid} repeated (the first one is kept)')
            continue
        out.values[qid] = value.strip()
    return out


def tuple_category(tuple_text: str) -> str:
    """The part of a DSG tuple before ``(`` (DSG's ``clean_tuple_str``).

    Examples:
        >>> tuple_category('attribute - color (shirt, black)')
        'attribute - color'
    """
    return tuple_text.strip().split('(')[0].strip()


def parse_tuples(text: str) -> ParsedLines:
    """Tuples by id, each kept whole (``'entity - whole (cat)'``); :func:`tuple_category` gives DSG's short form."""
    return parse_id_lines(text)


def parse_questions(text: str) -> ParsedLines:
    """Questions by id (the text after the first ``|``)."""
    return parse_id_lines(text)


def _dependency_ids(value: str) -> tuple[list[int], bool]:
    """DSG's ``clean_dependency_id`` then ``int``; an empty or ``-`` value reads ``[0]``. Returns (ids, clean)."""
    parts = [p.strip() for p in value.strip().split(',')]
    ids = [p for p in parts if p.isdecimal()]
    clean = len(ids) == len([p for p in parts if p]) or value.strip() in ('', '-')
    if len(ids) > 1:
        ids = [p for p in ids if int(p) != 0]
    return ([int(p) for p in ids] or [0]), clean


def parse_dependencies(text: str) -> ParsedLines:
    """Parent ids by id (``[0]`` = no parent). Non-numeric parts (``'3, air'``) are dropped and reported.

    Examples:
        >>> p = parse_dependencies('1 | 0\\n2 | 1\\n3 | 1, 2\\n4 | -\\n5 | 0, 3\\n6 | 3, background')
        >>> p.values
        {1: [0], 2: [1], 3: [1, 2], 4: [0], 5: [3], 6: [3]}
        >>> p.problems
        ["id 6: non-numeric parents dropped from '3, background'"]
    """
    lines = parse_id_lines(text)
    out = ParsedLines(problems=list(lines.problems))
    for qid, value in lines.values.items():
        ids, clean = _dependency_ids(value)
        if not clean:
            out.problems.append(f'id {qid}: non-numeric parents dropped from {value!r}')
        out.values[qid] = ids
    return out


@dataclass
class DSGGraph:
    """One prompt's DSG: questions, parent ids (``[]`` = none) and tuples, all by question id.

    ``problems`` lists what parsing or assembly skipped; ``raw`` keeps the LLM's three replies when generated.
    """

    questions: dict[int, str]
    dependencies: dict[int, list[int]]
    tuples: dict[int, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    raw: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (ids as strings, as JSON keys are)."""
        return dict(questions={str(k): v for k, v in self.questions.items()},
                    dependencies={str(k): v for k, v in self.dependencies.items()},
                    tuples={str(k): v for k, v in self.tuples.items()}, problems=list(self.problems),
                    raw=dict(self.raw))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DSGGraph:
        """Inverse of :meth:`to_dict`."""
        return cls(questions={int(k): v for k, v in data['questions'].items()},
                   dependencies={int(k): [int(x) for x in v] for k, v in data['dependencies'].items()},
                   tuples={int(k): v for k, v in data.get('tuples', {}).items()},
                   problems=list(data.get('problems', [])), raw=dict(data.get('raw', {})))


def build_graph(questions: Mapping[int, str], dependencies: Mapping[int, Sequence[int]] | None = None,
                tuples: Mapping[int, str] | None = None, problems: Sequence[str] = ()) -> DSGGraph:
    """Assemble a :class:`DSGGraph`: every question gets its parents (none when missing); ``0``, the question
    itself and ids that are not questions are dropped (the last two reported).

    Examples:
        >>> g = build_graph({1: 'Is there a cat?', 2: 'Is the cat black?'}, {1: [0], 2: [1, 7]})
        >>> g.dependencies, g.problems
        ({1: [], 2: [1]}, ['question 2: parent 7 is not a question id (dropped)'])
    """
    problems = list(problems)
    deps: dict[int, list[int]] = {}
    for qid in questions:
        parents = []
        for p in (dependencies or {}).get(qid, ()):
            p = int(p)
            if p == 0:
                continue
            if p == qid:
                problems.append(f'question {qid}: is its own parent (dropped)')
            elif p not in questions:
                problems.append(f'question {qid}: parent {p} is not a question id (dropped)')
            elif p not in parents:
                parents.append(p)
        deps[qid] = parents
    return DSGGraph(questions=dict(questions), dependencies=deps, tuples=dict(tuples or {}), problems=problems)


def answer_is_yes(answer: str | None, rule: str = 'first_word', yes_prob: float | None = None) -> bool:
    """Whether a VQA answer counts as "yes" under ``rule`` (see :data:`ANSWER_RULES`).

    ``exact`` is DSG's ``answer == 'yes'`` (no normalisation, as DSG's PaLI/mPLUG/InstructBLIP rows are scored);
    ``first_word`` lowercases and compares the first word (leading punctuation and spaces skipped; an answer
    that starts with a digit is not yes); ``substring`` is ``'yes' in answer``
    (lowercased); ``prob`` needs ``yes_prob`` and reads ``yes_prob >= 0.5``. ``None`` answers are "no".

    Raises:
        ValueError: For an unknown rule, or ``prob`` without ``yes_prob``.

    Examples:
        >>> [answer_is_yes(a) for a in ('yes', 'Yes.', 'yes, a cat', 'no', 'eyes', None)]
        [True, True, True, False, False, False]
        >>> answer_is_yes('Yes.', 'exact'), answer_is_yes('eyes', 'substring')
        (False, True)
    """
    if rule == 'prob':
        if yes_prob is None:
            raise ValueError("answer rule 'prob' needs P(yes), but the backend gave none")
        return float(yes_prob) >= 0.5
    if not isinstance(answer, str):
        return False
    if rule == 'exact':
        return answer == 'yes'
    if rule == 'first_word':
        word = _FIRST_WORD.match(answer.lower())
        return word is not None and word.group(1) == 'yes'
    if rule == 'substring':
        return 'yes' in answer.lower()
    raise ValueError(f'`answer_rule` must be one of {ANSWER_RULES}, but got {rule!r}')


def dsg_scores(yes: Mapping[int, bool | float],
               dependencies: Mapping[int, Sequence[int]] | None = None) -> dict[str, Any]:
    r"""DSG's two scores of one image from per-question yes/no results (``calc_vqa_score``).

    .. math::
        s_q = 1[\text{yes}_q], \qquad s'_q = 0 \text{ if } \exists p \in \text{parents}(q): s_p = 0
        \text{ else } s_q, \qquad \text{dsg} = \frac{1}{N}\sum_q s'_q, \qquad \text{dsg\_nodep} = \frac{1}{N}\sum_q s_q

    One hop: a parent's own filtered score is not used. Parents that are not keys of ``yes`` are ignored.

    Args:
        yes: Question id -> answered yes (bool, or a score in [0, 1]; a parent "answered no" scores 0).
        dependencies: Question id -> parent ids (``0`` ignored). Defaults to None (no dependencies).

    Returns:
        ``dict(dsg=..., dsg_nodep=..., valid={qid: bool})``; both scores are 0.0 for no questions, as in DSG.

    Examples:
        >>> s = dsg_scores({1: False, 2: True, 3: True}, {2: [1], 3: [0]})
        >>> round(s['dsg'], 4), round(s['dsg_nodep'], 4), s['valid']
        (0.3333, 0.6667, {1: True, 2: False, 3: True})
    """
    scores = {q: float(v) for q, v in yes.items()}
    if not scores:
        return dict(dsg=0.0, dsg_nodep=0.0, valid={})
    deps = dependencies or {}
    valid = {q: not any(p != 0 and p in scores and scores[p] == 0 for p in deps.get(q, ())) for q in scores}
    n = len(scores)
    return dict(dsg=sum(s for q, s in scores.items() if valid[q]) / n, dsg_nodep=sum(scores.values()) / n,
                valid=valid)


def read_csv_rows(path: str | os.PathLike) -> list[dict[str, str]]:
    """Rows of a CSV file (``.csv`` or ``.csv.gz``) as dicts of strings."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f'CSV file not found: {path}')
    raw = path.read_bytes()
    if path.suffix == '.gz':
        raw = gzip.decompress(raw)
    return list(csv.DictReader(io.StringIO(raw.decode('utf-8'), newline='')))


def load_dsg1k(path: str | os.PathLike, key: str = 'text', dependency_rule: str = 'robust') -> dict[str, DSGGraph]:
    """Read DSG-1k question files (``dsg-1k-anns.csv`` layout) into one :class:`DSGGraph` per prompt.

    Columns used: ``item_id``, ``text``, ``proposition_id``, ``dependency``, ``tuple``,
    ``question_natural_language`` (one row per question, as DSG ships them).

    Args:
        path: The CSV (``.csv`` or ``.csv.gz``).
        key: ``'text'`` (look prompts up by their text, stripped) or ``'item_id'``. Defaults to ``'text'``.
        dependency_rule: ``'robust'`` keeps the numeric parents of a value like ``'3, air'`` (reported);
            ``'dsg'`` copies ``data_utils.py``, which drops the *whole* dependency map of an item with such a
            value (needed to reproduce DSG's published numbers). Defaults to ``'robust'``.

    Returns:
        Key -> graph, in file order.

    Raises:
        FileNotFoundError: If ``path`` is missing.
        ValueError: If a column is missing, or ``key`` or ``dependency_rule`` is unknown.

    Two items with the same text (DSG-1k's ``midjourney_61`` and ``midjourney_65``, whose questions are the same)
    give one entry under ``key='text'``: the first, with a WARNING if their questions differ.
    """
    if key not in ('text', 'item_id'):
        raise ValueError(f"`key` must be 'text' or 'item_id', but got {key!r}")
    if dependency_rule not in ('robust', 'dsg'):
        raise ValueError(f"`dependency_rule` must be 'robust' or 'dsg', but got {dependency_rule!r}")
    rows = read_csv_rows(path)
    need = {'item_id', 'text', 'proposition_id', 'dependency', 'tuple', 'question_natural_language'}
    if rows and not need <= set(rows[0]):
        raise ValueError(f'{path}: a DSG-1k file needs the columns {sorted(need)}, but has {sorted(rows[0])}')
    items: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        items.setdefault(row['item_id'], []).append(row)
    out: dict[str, DSGGraph] = {}
    first_ids: dict[str, str] = {}
    for item_id, item_rows in items.items():
        questions, tuples, deps, problems = {}, {}, {}, []
        for row in item_rows:
            qid = int(row['proposition_id'])
            questions[qid] = row['question_natural_language']
            tuples[qid] = row['tuple']
            ids, clean = _dependency_ids(row['dependency'])
            if not clean:
                problems.append(f'{item_id} question {qid}: non-numeric parents in {row["dependency"]!r}')
            deps[qid] = ids
        if dependency_rule == 'dsg' and problems:
            deps = {}
        graph = build_graph(questions, deps, tuples, problems)
        name = item_rows[0]['text'].strip() if key == 'text' else item_id
        if name in out:  # DSG-1k has one prompt twice (midjourney_61 and _65), with the same questions
            first = out[name]
            if (first.questions, first.dependencies) != (graph.questions, graph.dependencies):
                print_log(f'{path}: items {first_ids[name]} and {item_id} share the text {name!r} but not their '
                          f'questions; the first is used', logger='current', level=logging.WARNING)
            continue
        out[name] = graph
        first_ids[name] = item_id
    return out
