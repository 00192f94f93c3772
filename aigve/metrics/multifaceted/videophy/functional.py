"""VideoPhy's prompts, tokenisation, frames and parsing (github.com/Hritikbansal/videophy, read at 01d366c).

* VideoPhy-1 (VideoCon-Physics, ``utils/constants.py``): semantic adherence (SA) and physical commonsense (PC)
  prompts ("... curious human and AI assistant ..."), scored by ``P(Yes) / (P(Yes) + P(No))`` at the last prompt
  token (``entailment_inference.py``). The prompt is tokenised in chunks (``data_utils/xgpt3_dataset.py``): split
  on ``<image>``, ``<|video|>``, ``AI: `` and ``\\nHuman: `` (kept), each text chunk tokenised on its own without
  special tokens, BOS first, the video as 65 placeholder ids ``-2``.
* VideoPhy-2 AutoEval (``VIDEOPHY2/template.py``, ``inference.py``): SA, PC and rule prompts ("... and an AI
  assistant ..."), split on the media tokens only, greedy generation, the reply read as the first of
  ``zero .. five, 0 .. 5`` it contains (that order). Upstream writes 0 for a reply with none of them; here that
  is a counted failure.

Prompts are filled with :meth:`str.replace`, so braces in a caption cannot break them.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence

__all__ = ['PREAMBLE_V1', 'PROMPT_SA_V1', 'PROMPT_PC_V1', 'PROMPT_SA_V2', 'PROMPT_PC_V2', 'PROMPT_RULE_V2',
           'PROMPT_SHA256_PREFIXES', 'VIDEO_TOKEN', 'VIDEO_ID', 'fill', 'chunk_prompt', 'tokenize_prompt',
           'parse_rating', 'entailment']

VIDEO_TOKEN = '<|video|>'
IMAGE_TOKEN = '<image>'
#: placeholder ids of the media tokens (upstream: ``-(i + 1)`` in the order ``<image>``, ``<|video|>``)
MEDIA_IDS = {IMAGE_TOKEN: -1, VIDEO_TOKEN: -2}
VIDEO_ID = MEDIA_IDS[VIDEO_TOKEN]

PREAMBLE_V1 = ("The following is a conversation between a curious human and AI assistant. The assistant gives "
               "helpful, detailed, and polite answers to the user's questions.")
PROMPT_SA_V1 = PREAMBLE_V1 + '\nHuman: <|video|>\nHuman: Does this video entail the description: "{caption}"?\nAI: '
PROMPT_PC_V1 = PREAMBLE_V1 + '\nHuman: <|video|>\nHuman: Does this video follow the physical laws?\nAI: '

_PREAMBLE_V2 = ("The following is a conversation between a curious human and an AI assistant. The assistant gives "
                "helpful, detailed, and polite answers to the user's questions.\nHuman: <|video|>\n")
PROMPT_SA_V2 = (_PREAMBLE_V2 + 'Human: Does this video match the description: "{caption}"? Please rate the video on '
                'a scale from 1 to 5, where 5 indicates a perfect match and 1 indicates no relevance.\nAI: ')
PROMPT_PC_V2 = (_PREAMBLE_V2 + 'Human: Does this video adhere to the physical laws? Rate the video on a scale from 1 '
                'to 5, where 5 means full compliance and 1 means significant violations.\nAI: ')
PROMPT_RULE_V2 = (_PREAMBLE_V2 + 'Human: Does the video follow the physical rule: "{rule}"?\nChoose 0 if not, 1 if '
                  'valid, or 2 if indeterminate. \nAI: ')

#: leading hex digits of each template's sha256 (UTF-8, with its ``{caption}``/``{rule}`` field), as read
PROMPT_SHA256_PREFIXES = {
    'PROMPT_SA_V1': 'f53c3e92a4025d57', 'PROMPT_PC_V1': '7c5ec3a6fa369fd0',
    'PROMPT_SA_V2': '76de8b9aaa108515', 'PROMPT_PC_V2': '253f1229a0c47514', 'PROMPT_RULE_V2': '304ee4008211039f',
}
#: VideoPhy-1's delimiters, kept as chunks of their own
V1_DELIMITERS = (IMAGE_TOKEN, VIDEO_TOKEN, 'AI: ', '\nHuman: ')
#: VideoPhy-2's processor splits on the media tokens only
V2_DELIMITERS = (IMAGE_TOKEN, VIDEO_TOKEN)
#: video placeholder run length (64 queries + ``vit_eos``)
MEDIA_LENGTH = 65
#: VideoPhy-2's reply words, in upstream's lookup order
RATING_WORDS = {'zero': 0, 'one': 1, 'two': 2, 'three': 3, 'four': 4, 'five': 5,
                '0': 0, '1': 1, '2': 2, '3': 3, '4': 4, '5': 5}


def fill(template: str, **fields: str) -> str:
    """``template`` with each ``{name}`` replaced by its value (plain replacement, no format syntax)."""
    for name, value in fields.items():
        template = template.replace('{' + name + '}', value)
    return template


def chunk_prompt(prompt: str, delimiters: Sequence[str]) -> list[str]:
    """``re.split`` on the delimiters, keeping them, dropping empty chunks (upstream's chunking).

    Examples:
        >>> chunk_prompt('x\\nHuman: <|video|>\\nAI: ', V1_DELIMITERS)
        ['x', '\\nHuman: ', '<|video|>', '\\n', 'AI: ']
    """
    pattern = '|'.join(map(re.escape, delimiters))
    return [c for c in re.split(f'({pattern})', prompt) if c]


def tokenize_prompt(prompt: str, encode: Callable[[str], list[int]], bos_id: int,
                    delimiters: Sequence[str] = V1_DELIMITERS) -> list[int]:
    """BOS, then each chunk's ids (``encode`` = the tokenizer without special tokens), media as 65 placeholders.

    Nothing is appended after the final ``AI: `` (the answer is what is scored or generated); no padding.
    """
    ids = [bos_id] if bos_id is not None and bos_id > 0 else []
    for chunk in chunk_prompt(prompt, delimiters):
        ids += [MEDIA_IDS[chunk]] * MEDIA_LENGTH if chunk in MEDIA_IDS else list(encode(chunk))
    return ids


def entailment(probs_yes: float, probs_no: float) -> float:
    """VideoPhy-1's score, ``P(Yes) / (P(Yes) + P(No))``.

    Examples:
        >>> entailment(0.3, 0.1)
        0.7499999999999999
    """
    return probs_yes / (probs_yes + probs_no)


def parse_rating(reply: str) -> int | None:
    """VideoPhy-2's reading of a reply: the first of ``zero .. five, 0 .. 5`` (in that order) it contains.

    Returns None where upstream would write 0 for lack of any (the caller counts it as a failure).

    Examples:
        >>> parse_rating(' 4 '), parse_rating('I would say Five.'), parse_rating('none'), parse_rating('')
        (4, 5, 1, None)
    """
    text = reply.lower().strip()
    for word, value in RATING_WORDS.items():
        if word in text:
            return value
    return None
