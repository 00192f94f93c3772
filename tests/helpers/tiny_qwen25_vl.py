"""A tiny random-weight Qwen2.5-VL (``Qwen2_5_VLForConditionalGeneration`` + ``Qwen2_5_VLProcessor``) with video.

The byte-level tokenizer of :mod:`helpers.tiny_vlm` (every character encodes, each digit is one token, as in
Qwen's real tokenizer) plus Qwen's special tokens, and a short chat template shaped like Qwen2.5-VL's own: a
default system turn when the conversation has none, ``<|vision_start|><|video_pad|><|vision_end|>`` for a video
part, the text parts, and ``<|im_start|>assistant\\n`` as the generation prompt. Vision tower and text model are a
few units wide; frames of 56x56 pixels give 4 merged tokens per pair of frames. Random weights: for plumbing
(prompt, frames, generation, seeds), never for scores.
"""
from __future__ import annotations

from pathlib import Path

import torch

from helpers.tiny_vlm import QWEN_SPECIAL, byte_level_tokenizer

#: the system turn Qwen2.5-VL's template inserts when the messages have none
DEFAULT_SYSTEM = 'You are a helpful assistant.'
QWEN25_TEMPLATE = (
    "{% for message in messages %}"
    "{% if loop.first and message['role'] != 'system' %}<|im_start|>system\n" + DEFAULT_SYSTEM + "<|im_end|>\n"
    "{% endif %}<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}<|im_end|>\n"
    "{% else %}{% for part in message['content'] %}"
    "{% if part['type'] == 'image' %}<|vision_start|><|image_pad|><|vision_end|>"
    "{% elif part['type'] == 'video' %}<|vision_start|><|video_pad|><|vision_end|>"
    "{% elif part['type'] == 'text' %}{{ part['text'] }}{% endif %}{% endfor %}<|im_end|>\n{% endif %}"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")
#: frames are resized to this many pixels at most (56 x 56: 2 x 2 merged patches of 28 px)
TINY_PIXELS = 56 * 56


def build_tiny_qwen25_vl(path: str | Path, seed: int = 0) -> Path:
    """Build, save and return the folder of a tiny random Qwen2.5-VL (model, processor, chat template)."""
    from transformers import (
        Qwen2_5_VLConfig,
        Qwen2_5_VLForConditionalGeneration,
        Qwen2_5_VLProcessor,
        Qwen2VLImageProcessor,
        Qwen2VLVideoProcessor,
    )

    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    tok = byte_level_tokenizer(QWEN_SPECIAL, QWEN25_TEMPLATE)
    ids = {t: tok.convert_tokens_to_ids(t) for t in QWEN_SPECIAL}
    eos = ids['<|endoftext|>']
    config = Qwen2_5_VLConfig(
        text_config=dict(vocab_size=len(tok), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2,
                         rope_parameters=dict(rope_type='default', rope_theta=1e4, mrope_section=[2, 3, 3]),
                         eos_token_id=ids['<|im_end|>'], pad_token_id=eos, bos_token_id=eos),
        vision_config=dict(depth=2, hidden_size=32, intermediate_size=64, num_heads=2, out_hidden_size=64,
                           patch_size=14, spatial_merge_size=2, temporal_patch_size=2, window_size=56,
                           fullatt_block_indexes=[1]),
        image_token_id=ids['<|image_pad|>'], video_token_id=ids['<|video_pad|>'],
        vision_start_token_id=ids['<|vision_start|>'], vision_end_token_id=ids['<|vision_end|>'])
    torch.manual_seed(seed)
    model = Qwen2_5_VLForConditionalGeneration(config).eval()
    pixels = dict(min_pixels=28 * 28, max_pixels=TINY_PIXELS)
    processor = Qwen2_5_VLProcessor(image_processor=Qwen2VLImageProcessor(**pixels), tokenizer=tok,
                                    video_processor=Qwen2VLVideoProcessor(**pixels), chat_template=QWEN25_TEMPLATE)
    model.save_pretrained(path)
    processor.save_pretrained(path)
    return path
