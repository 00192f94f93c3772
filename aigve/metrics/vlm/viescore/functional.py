"""VIEScore's math and reply parsing, as pure functions.

Combination (upstream ``VIEScore.evaluate(..., extract_all_score=True)``): ``SC = min(SC scores)``,
``PQ = min(PQ scores)`` (naturalness, artifacts), ``overall = sqrt(SC * PQ)``, all on 0-10.

.. math::
    O = \\sqrt{\\min_i SC_i \\cdot \\min_j PQ_j}

Parsing a judge's reply into its score list, in three modes:

* ``'tolerant'`` (default): code fences and ``||V^=^V||`` delimiters stripped; the first balanced ``{...}`` read
  as JSON, else repaired (single quotes, unquoted keys, trailing commas), else its ``"score": [...]`` read with a
  regular expression; a bare list ``[6, 0]`` or a bare number (``7``, ``7/10``) also counts. Numeric strings are
  coerced. The reply must hold exactly the expected number of scores (SC 1, PQ 2), each in [0, 10].
* ``'strict'``: the whole reply must be a JSON object whose ``score`` is a list of the expected number of integers
  in [0, 10] (a bare integer for one score); nothing before or after it.
* ``'upstream'``: the acceptance rules of upstream's ``mllm_output_to_dict(give_up_parsing=False)`` (delimiters,
  first ``{`` to last ``}``, a bare ``[a, b]`` or integer, newlines removed, the ``fix_json`` key quoting), for
  parity runs; never its random-guess branch. What it returns is still checked: numbers in [0, 10] and at least one.

Any reply that fails is a :class:`ScoreParseError` (a ``ValueError``): the metric re-asks, then marks the video
unscorable. No mode ever invents a number.
"""
from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from typing import Any

__all__ = ['ScoreParseError', 'PARSE_MODES', 'parse_scores', 'parse_upstream', 'combine', 'combine_calls']

PARSE_MODES = ('tolerant', 'strict', 'upstream')
DELIMITER = '||V^=^V||'
_FENCE = re.compile(r'```(?:json|JSON)?\s*(.*?)```', re.S)
_BARE_NUMBER = re.compile(r'^\s*(\d+(?:\.\d+)?)\s*(?:/\s*10)?\s*\.?\s*$')
_SCORE_FIELD = re.compile(r'["\']?score["\']?\s*:\s*(\[[^\]]*\]|-?\d+(?:\.\d+)?)', re.I)


class ScoreParseError(ValueError):
    """A judge's reply that does not hold a valid score list."""


# ------------------------------------------------------------------------------------------------ checks
def _number(value: Any, integers_only: bool) -> float:
    if isinstance(value, bool):
        raise ScoreParseError(f'a score must be a number, but got {value!r}')
    if isinstance(value, str) and not integers_only:
        try:
            value = float(value.strip().rstrip('.'))
        except ValueError as e:
            raise ScoreParseError(f'a score must be a number, but got {value!r}') from e
    if integers_only and not isinstance(value, int):
        raise ScoreParseError(f'a score must be an integer, but got {value!r}')
    if not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ScoreParseError(f'a score must be a finite number, but got {value!r}')
    if not 0 <= value <= 10:
        raise ScoreParseError(f'a score must be within 0-10, but got {value!r}')
    return float(value)


def _scores(value: Any, expected: int | None, integers_only: bool = False) -> list[float]:
    items = value if isinstance(value, list) else [value]
    scores = [_number(v, integers_only) for v in items]
    if not scores:
        raise ScoreParseError('the score list is empty')
    if expected is not None and len(scores) != expected:
        raise ScoreParseError(f'expected {expected} score(s), but got {len(scores)}: {items!r}')
    return scores


def _score_of(obj: Any) -> Any:
    if not isinstance(obj, dict):
        raise ScoreParseError(f'expected a JSON object, but got {type(obj).__name__}')
    for key, value in obj.items():
        if isinstance(key, str) and key.strip().lower() == 'score':
            return value
    raise ScoreParseError('the JSON object has no "score"')


# ------------------------------------------------------------------------------------------------ tolerant
def _first_balanced_object(text: str) -> str | None:
    """The first ``{...}`` whose braces balance (braces inside JSON strings ignored), or None."""
    start = text.find('{')
    while start != -1:
        depth, in_str, escape = 0, False, False
        for i in range(start, len(text)):
            ch = text[i]
            if in_str:
                if escape:
                    escape = False
                elif ch == '\\':
                    escape = True
                elif ch == '"':
                    in_str = False
            elif ch == '"':
                in_str = True
            elif ch == '{':
                depth += 1
            elif ch == '}':
                depth -= 1
                if depth == 0:
                    return text[start:i + 1]
        start = text.find('{', start + 1)
    return None


def _repairs(candidate: str) -> list[str]:
    fixed = re.sub(r',\s*([}\]])', r'\1', candidate)  # trailing commas
    quoted = re.sub(r'([{,]\s*)([A-Za-z_]\w*)\s*:', r'\1"\2":', fixed)  # unquoted keys
    singles = quoted.replace("'", '"') if '"' not in candidate else quoted
    return [fixed, quoted, singles]


def _parse_tolerant(text: str, expected: int) -> list[float]:
    body = text.strip()
    fenced = _FENCE.search(body)
    if fenced:
        body = fenced.group(1).strip()
    if body.count(DELIMITER) == 2:
        body = body[body.find(DELIMITER) + len(DELIMITER):body.rfind(DELIMITER)].strip()
    obj_text = _first_balanced_object(body)
    if obj_text is not None:
        for attempt in [obj_text, *_repairs(obj_text)]:
            try:
                return _scores(_score_of(json.loads(attempt)), expected)
            except ScoreParseError:
                raise
            except ValueError:
                continue
        field = _SCORE_FIELD.search(obj_text)
        if field:
            try:
                return _scores(json.loads(field.group(1)), expected)
            except ScoreParseError:
                raise
            except ValueError:
                pass
        raise ScoreParseError(f'cannot read the JSON object in the reply: {_excerpt(obj_text)}')
    bare = _BARE_NUMBER.match(body)
    if bare:
        return _scores(float(bare.group(1)), expected)
    lists = re.findall(r'\[\s*-?\d+(?:\.\d+)?(?:\s*,\s*-?\d+(?:\.\d+)?)*\s*\]', body)
    if lists:
        return _scores(json.loads(lists[0]), expected)
    raise ScoreParseError(f'no score in the reply: {_excerpt(body)}')


# ------------------------------------------------------------------------------------------------ strict
def _parse_strict(text: str, expected: int) -> list[float]:
    try:
        obj = json.loads(text.strip())
    except ValueError as e:
        raise ScoreParseError(f'the reply is not a JSON object: {_excerpt(text)}') from e
    value = _score_of(obj)
    if not isinstance(value, list) and expected != 1:
        raise ScoreParseError(f'"score" must be a list of {expected} integers, but got {value!r}')
    return _scores(value, expected, integers_only=True)


# ------------------------------------------------------------------------------------------------ upstream
def _fix_json(text: str) -> str:
    """Upstream's ``fix_json``: quote ``word:`` keys, then quote or bracket the values after quoted keys."""
    fixed = re.sub(r'(\w+):', r'"\1":', text)

    def value(match: re.Match) -> str:
        key, val, comma = match.groups()
        val = val.strip()
        if re.match(r'^-?\d+(\.\d+)?$', val):
            val = f'[{val}]'
        elif not re.match(r'^(true|false|null)$', val, re.IGNORECASE):
            val = f'"{val}"'
        return f'{key}: {val}{comma}'

    return re.sub(r'(".*?"):(.*?)(,|})', value, fixed)


def _int_0_10(text: str) -> bool:
    try:
        return 0 <= int(text) <= 10
    except ValueError:
        return False


def parse_upstream(text: str) -> dict | None:
    """Upstream ``mllm_output_to_dict(text, give_up_parsing=False)``: the parsed dict, or None where it returns False.

    The rate-limit sentinel string and every failure give None; the random-guess branch does not exist here.
    """
    if not isinstance(text, str) or text == 'rate_limit_exceeded':
        return None
    if text.count(DELIMITER) == 2:
        start, end = text.find(DELIMITER) + len(DELIMITER), text.rfind(DELIMITER)
    else:
        start, end = text.find('{'), text.rfind('}') + 1
        if start == -1 or end == 0:
            start, end = text.find('['), text.rfind(']') + 1
            if re.match(r'^\[\d+, ?\d+\]$', text[start:end]):
                text = json.dumps({'score': json.loads(text[start:end]), 'reasoning': 'a list of scores'})
            elif _int_0_10(text):
                text = json.dumps({'score': [int(text)], 'reasoning': 'a number'})
            else:
                return None
            start, end = 0, len(text)
    if start == -1 or end == -1 or start == end:
        return None
    json_str = text[start:end].strip().replace('\n', '')
    try:
        data = json.loads(json_str)
        if not isinstance(data['score'], list):
            data['score'] = [data['score']]
        return data
    except Exception:  # upstream's bare except: any failure goes to fix_json
        try:
            return json.loads(_fix_json(json_str))
        except Exception:
            return None


def _parse_upstream_checked(text: str) -> list[float]:
    data = parse_upstream(text)
    if data is None:
        raise ScoreParseError(f'upstream parser rejects the reply: {_excerpt(text)}')
    return _scores(_score_of(data), None)


# ------------------------------------------------------------------------------------------------ public
def _excerpt(text: str, n: int = 80) -> str:
    flat = ' '.join(str(text).split())
    return repr(flat[:n] + ('...' if len(flat) > n else ''))


def parse_scores(text: str, expected: int, mode: str = 'tolerant') -> list[float]:
    """The score list in a judge's reply.

    Args:
        text: The reply.
        expected: Number of scores asked for (SC 1, PQ 2); ``'upstream'`` mode accepts any number.
        mode: ``'tolerant'``, ``'strict'`` or ``'upstream'``. Defaults to ``'tolerant'``.

    Returns:
        The scores as floats in [0, 10].

    Raises:
        ScoreParseError: The reply holds no valid score list.
        ValueError: An unknown ``mode``.

    Examples:
        >>> parse_scores('```json\\n{"score": [7, 9], "reasoning": "ok"}\\n```', 2)
        [7.0, 9.0]
        >>> parse_scores('{"score": [8], "reasoning": "follows the prompt"}', 1, mode='strict')
        [8.0]
    """
    if mode not in PARSE_MODES:
        raise ValueError(f'`parse_mode` must be one of {PARSE_MODES}, but got {mode!r}')
    if not isinstance(text, str) or not text.strip():
        raise ScoreParseError('empty reply')
    if mode == 'strict':
        return _parse_strict(text, expected)
    if mode == 'upstream':
        return _parse_upstream_checked(text)
    return _parse_tolerant(text, expected)


def combine(sc_scores: Sequence[float], pq_scores: Sequence[float]) -> tuple[float, float, float]:
    """``(SC, PQ, overall)`` = ``(min(SC), min(PQ), sqrt(min(SC) * min(PQ)))``.

    Examples:
        >>> combine([8], [7, 9])
        (8.0, 7.0, 7.483314773547883)
        >>> combine([0], [10, 10])
        (0.0, 10.0, 0.0)
    """
    if not sc_scores or not pq_scores:
        raise ValueError('`sc_scores` and `pq_scores` must be non-empty')
    sc, pq = float(min(sc_scores)), float(min(pq_scores))
    return sc, pq, math.sqrt(sc * pq)


def combine_calls(calls: Sequence[tuple[Sequence[float], Sequence[float]]]) -> dict[str, float]:
    """Per-video scores from one or more (SC, PQ) call pairs: :func:`combine` for each, then their means.

    With all frames in one call (the default) this is :func:`combine`; with one frame per call it is AIGVE's
    per-frame VIEScore averaged over frames.
    """
    if not calls:
        raise ValueError('`calls` must be non-empty')
    parts = [combine(sc, pq) for sc, pq in calls]
    n = len(parts)
    return dict(sc=sum(p[0] for p in parts) / n, pq=sum(p[1] for p in parts) / n,
                overall=sum(p[2] for p in parts) / n)
