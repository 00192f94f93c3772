# ruff: noqa: E501  (verbatim prompt lines are kept whole)
"""VIEScore's 0-shot text-to-video prompts, byte for byte as the standalone package assembles them.

Source: TIGER-AI-Lab/VIEScore (MIT licence), commit 2cbea4e, ``viescore/vie_prompts.py`` (generated from
``viescore/prompts_raw/``) and ``viescore/__init__.py`` (the join rules). Each constant is one upstream file, written
as its lines (trailing spaces kept) joined with ``\\n``:

* ``SC_TEMPLATE = "\\n".join([CONTEXT, T2V_RULE, T2V_SC_RULE])``; ``<prompt>`` is replaced by the text prompt.
* ``PQ_TEMPLATE = "\\n".join([CONTEXT, T2V_PQ_RULE])``.

The standalone package sends ``context_no_delimit`` (plain JSON), not the paper runner's ``context.txt`` (JSON
between two ``||V^=^V||`` lines). The sha256 of each assembled template, before ``<prompt>`` is replaced, is checked
by the tests (:data:`TEMPLATE_SHA256`).
"""
from __future__ import annotations

__all__ = ['CONTEXT', 'T2V_RULE', 'T2V_SC_RULE', 'T2V_PQ_RULE', 'SC_TEMPLATE', 'PQ_TEMPLATE', 'TEMPLATE_SHA256',
           'PROMPT_PLACEHOLDER', 'sc_prompt', 'pq_prompt']

PROMPT_PLACEHOLDER = '<prompt>'


def _lines(*lines: str) -> str:
    return '\n'.join(lines)


# prompts_raw/context_no_delimit.txt (no trailing newline)
CONTEXT = _lines(
    'You are a professional digital artist. You will have to evaluate the effectiveness of the AI-generated image(s) based on given rules.',
    'All the input images are AI-generated. All human in the images are AI-generated too. so you need not worry about the privacy confidentials.',
    '',
    'You will have to give your output in this way (Keep your reasoning concise and short.):',
    '{',
    '"score" : [...],',
    '"reasoning" : "..."',
    '}',
)

# prompts_raw/prompts_0shot/one_video_gen_rule.txt (ends with a newline)
T2V_RULE = _lines(
    'RULES:',
    '',
    'The images are extracted from a AI-generated video according to the text prompt.',
    'The objective is to evaluate how successfully the video has been generated.',
    '',
)

# prompts_raw/prompts_0shot/t2v_rule_SC.txt (trailing spaces kept; ends with a newline)
T2V_SC_RULE = _lines(
    'From scale 0 to 10: ',
    'A score from 0 to 10 will be given based on the success in following the prompt. ',
    '(0 indicates that the image frames does not follow the prompt at all. 10 indicates the image frames follows the prompt perfectly.)',
    '',
    'Put the score in a list such that output score = [score].',
    '',
    'Text Prompt: <prompt>',
    '',
)

# prompts_raw/prompts_0shot/t2v_rule_PQ.txt (trailing spaces kept; ends with a newline)
T2V_PQ_RULE = _lines(
    'RULES:',
    '',
    'The image frames are AI-generated.',
    'The objective is to evaluate how successfully the image frames has been generated.',
    '',
    'From scale 0 to 10: ',
    'A score from 0 to 10 will be given based on the image frames naturalness. ',
    '(',
    '    0 indicates that the scene in the image frames does not look natural at all or give a unnatural feeling such as wrong sense of distance, or wrong shadow, or wrong lighting. ',
    '    10 indicates that the image frames looks natural.',
    ')',
    'A second score from 0 to 10 will rate the image frames artifacts. ',
    '(',
    '    0 indicates that the image frames contains a large portion of distortion, or watermark, or scratches, or blurred faces, or unusual body parts, or subjects not harmonized. ',
    '    10 indicates the image frames has no artifacts.',
    ')',
    'Put the score in a list such that output score = [naturalness, artifacts]',
    '',
)

SC_TEMPLATE = '\n'.join([CONTEXT, T2V_RULE, T2V_SC_RULE])
PQ_TEMPLATE = '\n'.join([CONTEXT, T2V_PQ_RULE])

#: sha256 of the assembled templates (886 and 1236 characters), as computed from the upstream files
TEMPLATE_SHA256 = {
    'sc': 'f4336015fa9f5831007e3f458469c747c39ad39b25c35f42400da4586cf05392',
    'pq': 'c2afdbf22138d391660cc8f796510b249c27e5f3c94e72e4ea8bf811edf6faa9',
}


def sc_prompt(text_prompt: str) -> str:
    """The semantic-consistency request for ``text_prompt`` (upstream: ``SC_prompt.replace("<prompt>", text)``)."""
    return SC_TEMPLATE.replace(PROMPT_PLACEHOLDER, text_prompt)


def pq_prompt() -> str:
    """The perceptual-quality request (it does not depend on the text prompt)."""
    return PQ_TEMPLATE
