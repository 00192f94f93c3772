"""VideoScore2's prompt, frame rule, output parser and soft score, as pure functions.

Sources (read, not copied): ``vs2_inference.py`` of github.com/TIGER-AI-Lab/VideoScore2 (read at e6abe26), whose
script the model card ``TIGER-Lab/VideoScore2`` reproduces, and ``qwen-vl-utils``' ``vision_process.py`` (the
Qwen2.5-VL era, QwenLM/Qwen2.5-VL), which the authors call for the frames.

* :data:`QUERY_TEMPLATE`: the authors' ``string.Template``, byte for byte. It is written inside a function in their
  script, so it starts with a newline, every text line carries 4 leading spaces, the blank lines are empty, the
  ``<v_score>;`` and ``<t_score>,`` lines end with a space and the text ends with a newline and 4 spaces; the
  dashes are U+2013. sha256: :data:`PROMPT_SHA256`.
* :func:`frame_indices` / :func:`resize_shape`: qwen-vl-utils' ``smart_nframes`` + ``linspace(...).round()`` and
  ``smart_resize`` for a video read at ``fps`` 2.0.
* :func:`parse_scores`: a tolerant parser of the model's answer (the authors' regex misses formats the released
  model emits); a failure is returned as :class:`ParseFailure`, never replaced by a number.
* :func:`soft_score`: the authors' ``ll_based_soft_score_normed``.
"""
from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from string import Template

import torch

__all__ = [
    'QUERY_TEMPLATE', 'PROMPT_SHA256', 'ASPECTS', 'LABELS', 'build_prompt', 'frame_indices',
    'resize_shape', 'ParsedScores', 'ParseFailure', 'parse_scores', 'soft_score', 'digit_steps'
]

QUERY_TEMPLATE = (
    '\n'
    '    You are an expert for evaluating AI-generated videos from three dimensions:\n'
    '    (1) visual quality \u2013 clarity, smoothness, artifacts;\n'
    '    (2) text-to-video alignment \u2013 fidelity to the prompt;\n'
    '    (3) physical/common-sense consistency \u2013 naturalness and physics plausibility.\n'
    '\n'
    '    Video prompt: $t2v_prompt\n'
    '\n'
    '    Please output in this format:\n'
    '    visual quality: <v_score>; \n'
    '    text-to-video alignment: <t_score>, \n'
    '    physical/common-sense consistency: <p_score>\n'
    '    '
)
#: sha256 of :data:`QUERY_TEMPLATE` (UTF-8, with the literal ``$t2v_prompt``)
PROMPT_SHA256 = '63a228e02ca61abc55d941234ee92285c18e517fa35e667e9ba2336dc193298c'
#: the three scores, in the model's order
ASPECTS = ('visual_quality', 'text_to_video_alignment', 'physical_consistency')
#: how each aspect is named in the prompt (and in the model's answers)
LABELS = dict(visual_quality='visual quality', text_to_video_alignment='text-to-video alignment',
              physical_consistency='physical/common-sense consistency')

# qwen-vl-utils (vision_process.py) constants for videos
IMAGE_FACTOR = 28
FRAME_FACTOR = 2
FPS_MIN_FRAMES = 4
FPS_MAX_FRAMES = 768
VIDEO_MIN_PIXELS = 128 * 28 * 28
VIDEO_MAX_PIXELS = 768 * 28 * 28
VIDEO_TOTAL_PIXELS = int(128000 * 28 * 28 * 0.9)
MAX_RATIO = 200


def build_prompt(t2v_prompt: str) -> str:
    """The user text for a video generated from ``t2v_prompt`` (``Template.substitute``, as the authors do).

    ``$`` or braces inside ``t2v_prompt`` are kept as they are: substitution is not recursive.

    Examples:
        >>> 'Video prompt: a $5 {cat}\\n' in build_prompt('a $5 {cat}')
        True
    """
    return Template(QUERY_TEMPLATE).substitute(t2v_prompt=t2v_prompt)


# ------------------------------------------------------------------------------------------------- frames
def _round_by(x: float, f: int) -> int:
    return round(x / f) * f


def _floor_by(x: float, f: int) -> int:
    return math.floor(x / f) * f


def _ceil_by(x: float, f: int) -> int:
    return math.ceil(x / f) * f


def frame_indices(total: int, video_fps: float, fps: float = 2.0, min_frames: int = FPS_MIN_FRAMES,
                  max_frames: int = FPS_MAX_FRAMES) -> list[int]:
    """Indices of the frames qwen-vl-utils feeds Qwen2.5-VL for a video read at ``fps``.

    ``n = total / video_fps * fps`` clamped to ``[min_frames, min(max_frames, total)]`` (bounds rounded to even),
    floored to an even count, then ``torch.linspace(0, total - 1, n).round()`` (round half to even).

    Raises:
        ValueError: Fewer than 2 frames would be sampled (qwen-vl-utils refuses such videos too).

    Examples:
        >>> frame_indices(48, 24.0)      # 2 s at 24 fps -> 4 frames (the minimum)
        [0, 16, 31, 47]
        >>> len(frame_indices(240, 24.0))  # 10 s -> 20 frames
        20
    """
    if total < 1 or not video_fps or video_fps <= 0:
        raise ValueError(f'needs a frame count >= 1 and a positive fps, but got {total} frames at {video_fps} fps')
    lo = _ceil_by(min_frames, FRAME_FACTOR)
    hi = _floor_by(min(max_frames, total), FRAME_FACTOR)
    n = total / video_fps * fps
    n = _floor_by(min(min(max(n, lo), hi), total), FRAME_FACTOR)
    if not FRAME_FACTOR <= n <= total:
        raise ValueError(f'qwen-vl-utils samples between {FRAME_FACTOR} and {total} frames, but got {n} '
                         f'({total} frames at {video_fps} fps)')
    return torch.linspace(0, total - 1, n).round().long().tolist()


def resize_shape(height: int, width: int, num_frames: int, min_pixels: int = VIDEO_MIN_PIXELS,
                 max_pixels: int = VIDEO_MAX_PIXELS, total_pixels: int = VIDEO_TOTAL_PIXELS) -> tuple[int, int]:
    """``(height, width)`` qwen-vl-utils resizes a video's frames to (``smart_resize``, multiples of 28).

    The per-frame budget is ``max(min(max_pixels, total_pixels / num_frames * 2), int(min_pixels * 1.05))``.

    Examples:
        >>> resize_shape(480, 832, 10)
        (476, 840)
        >>> resize_shape(32, 32, 4)      # small frames are scaled up to at least min_pixels
        (336, 336)
    """
    if max(height, width) / min(height, width) > MAX_RATIO:
        raise ValueError(f'aspect ratio must be below {MAX_RATIO}, but got {height}x{width}')
    cap = max(min(max_pixels, total_pixels / num_frames * FRAME_FACTOR), int(min_pixels * 1.05))
    f = IMAGE_FACTOR
    h, w = max(f, _round_by(height, f)), max(f, _round_by(width, f))
    if h * w > cap:
        beta = math.sqrt(height * width / cap)
        h, w = max(f, _floor_by(height / beta, f)), max(f, _floor_by(width / beta, f))
    elif h * w < min_pixels:
        beta = math.sqrt(min_pixels / (height * width))
        h, w = _ceil_by(height * beta, f), _ceil_by(width * beta, f)
    return h, w


# ------------------------------------------------------------------------------------------------- parser
@dataclass(frozen=True)
class ParsedScores:
    """The three integer scores read from an answer and where each digit sits in the text.

    Attributes:
        scores: aspect -> integer score 1-5.
        offsets: aspect -> index in the parsed text of the score's (first) digit.
        source: ``'answer'`` (after the last ``</think>``, or a text without one) or ``'think'`` (read inside the
            reasoning because the answer after it lacked a score).
    """

    scores: dict[str, int]
    offsets: dict[str, int]
    source: str


@dataclass(frozen=True)
class ParseFailure:
    """An answer without a readable 1-5 score for every aspect; ``reason`` says what is missing."""

    reason: str


_LABEL_RE = {
    'visual_quality': r'visual[ _-]?quality',
    'text_to_video_alignment': r'text[ _-]?(?:to[ _-]?)?video[ _-]?alignment',
    'physical_consistency': (r'physical\s*(?:/\s*common[ _-]?sense)?[ _-]?consistency'
                             r'|common[ _-]?sense[ _-]?consistency'),
}
# label, an optional descriptor on the same line ("– clarity, smoothness, artifacts"), ':' or '=', optional
# markdown emphasis, then the number; "3/5" and "3 out of 5" keep only 3
_SCORE_RE = {
    k: re.compile(r'(?:' + v + r')[^:=\n]{0,160}[:=][ \t*]*(\d+(?:\.\d+)?)(?:\s*(?:/|out\s+of)\s*(\d+))?',
                  re.IGNORECASE)
    for k, v in _LABEL_RE.items()
}
_THINK_END = re.compile(r'</think\s*>', re.IGNORECASE)


def _last_scores(text: str, base: int) -> tuple[dict, dict, list[str]]:
    scores, offsets, problems = {}, {}, []
    for aspect, pattern in _SCORE_RE.items():
        matches = list(pattern.finditer(text))
        if not matches:
            continue
        m = matches[-1]  # the last statement of a score is the answer's
        value, scale = m.group(1), m.group(2)
        if scale is not None and scale != '5':
            problems.append(f'{LABELS[aspect]}: {value}/{scale} is not on the 1-5 scale')
        elif float(value) != int(float(value)) or not 1 <= int(float(value)) <= 5:
            problems.append(f'{LABELS[aspect]}: {value!r} is not an integer from 1 to 5')
        else:  # '3' or '3.0'
            scores[aspect] = int(float(value))
            offsets[aspect] = base + m.start(1)
    return scores, offsets, problems


def _snippet(text: str, size: int = 60) -> str:
    flat = ' '.join(text.split())
    return repr(flat if len(flat) <= 2 * size else f'{flat[:size]} ... {flat[-size:]}')


def parse_scores(text: str) -> ParsedScores | ParseFailure:
    """Read the three 1-5 scores from a VideoScore2 answer, or say why they cannot be read.

    Accepted per aspect (case-insensitive, markdown emphasis allowed): ``visual quality: 3``, ``visual quality:
    3/5``, ``(1) visual quality – clarity, smoothness, artifacts: 3``, ``Visual Quality = 3``. The answer after
    the last ``</think>`` is read first; an aspect missing there is read from the reasoning (``source='think'``).
    The last statement of each score counts. ``3.0`` reads as 3; a score outside the integers 1-5 (``7/10``,
    ``3.5``, ``0``) is a failure, never rounded or clipped.

    Examples:
        >>> answer = 'visual quality: 4;\\ntext-to-video alignment: 3,\\nphysical/common-sense consistency: 5'
        >>> parse_scores(answer).scores
        {'visual_quality': 4, 'text_to_video_alignment': 3, 'physical_consistency': 5}
        >>> parse_scores('').reason
        'empty output'
    """
    if not text or not text.strip():
        return ParseFailure('empty output')
    ends = list(_THINK_END.finditer(text))
    answer_start = ends[-1].end() if ends else 0
    scores, offsets, problems = _last_scores(text[answer_start:], answer_start)
    source = 'answer'
    if len(scores) < len(ASPECTS) and answer_start:
        more, more_offsets, more_problems = _last_scores(text[:answer_start], 0)
        missing = [a for a in ASPECTS if a not in scores]
        stated = {LABELS[a] for a in ASPECTS if a in scores}
        problems = [p for p in problems if p.split(':')[0] not in stated]
        for aspect in missing:
            if aspect in more:
                scores[aspect], offsets[aspect] = more[aspect], more_offsets[aspect]
                source = 'think'
        problems += [p for p in more_problems if p.split(':')[0] not in {LABELS[a] for a in scores}]
    if len(scores) == len(ASPECTS):
        return ParsedScores(scores={a: scores[a] for a in ASPECTS}, offsets={a: offsets[a] for a in ASPECTS},
                            source=source)
    missing = [LABELS[a] for a in ASPECTS if a not in scores]
    detail = '; '.join(dict.fromkeys(problems)) or f'no score for {", ".join(missing)}'
    return ParseFailure(f'{detail} in {_snippet(text)}')


# --------------------------------------------------------------------------------------------- soft score
def soft_score(logits: torch.Tensor, digit_ids: dict[int, int]) -> float | None:
    """The authors' soft score at one generation step: ``s* x p(s*) / sum_s p(s)``, ``s*`` = argmax_s p(s).

    ``p(s)`` is the full-vocabulary softmax probability of the single token of digit ``s`` (1-5) in ``logits``
    (the scores ``generate`` reports for that step). ``s*`` is the most probable digit, not the emitted one,
    as upstream. Rounded to 4 decimals, as upstream. None when no digit has any probability (upstream: 0).

    Examples:
        >>> logits = torch.full((10,), -1e9); logits[3] = 0.0; logits[4] = 0.0   # digits 3 and 4 equally likely
        >>> soft_score(logits, {1: 1, 2: 2, 3: 3, 4: 4, 5: 5})
        1.5
    """
    probs = torch.softmax(logits.float(), dim=-1)
    values = {s: float(probs[i]) for s, i in digit_ids.items()}
    total = sum(values.values())
    best = max(values, key=lambda s: (values[s], -s))  # first maximum in 1..5 order, as upstream's list.index
    return round(best * values[best] / total, 4) if total > 0 else None


def digit_steps(offsets: dict[str, int], num_tokens: int, decode_prefix: Callable[[int], str],
                text: str) -> dict[str, int | None]:
    """The generation step that emitted each score's digit, from its character offset in the decoded text.

    ``decode_prefix(n)`` decodes the first ``n`` generated tokens. The step of offset ``o`` is the shortest prefix
    whose text is ``text[:o + 1]``: then that step's token is exactly the digit (upstream's test: a decoded
    prefix equal to the text up to the digit). None when no prefix ends there (the digit shares a token).
    """
    wanted = {a: o + 1 for a, o in offsets.items()}
    steps: dict[str, int | None] = dict.fromkeys(offsets)
    pending = dict(wanted)
    for n in range(1, num_tokens + 1):
        if not pending:
            break
        prefix = decode_prefix(n)
        for aspect, end in list(pending.items()):
            if len(prefix) >= end:
                steps[aspect] = n - 1 if prefix == text[:end] else None
                del pending[aspect]
    return steps


def digit_token_ids(encode: Callable[[str], Sequence[int]]) -> dict[int, int]:
    """Digit -> token id for the digits 1-5 that are one token (upstream skips the others)."""
    ids = {}
    for s in range(1, 6):
        enc = list(encode(str(s)))
        if len(enc) == 1:
            ids[s] = enc[0]
    return ids
