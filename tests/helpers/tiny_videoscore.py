"""A tiny random-weight VideoScore network (Idefics2 layout + ``score`` head) with a matching processor.

The vision tower, perceiver and Mistral text model are a few units wide; the tokenizer is the byte-level
one of :mod:`helpers.tiny_vlm` plus Idefics2's three special tokens; 4 latents per image (``image_seq_len``),
frames resized to at most 56 pixels a side. Random weights: for plumbing, pooling and batching, never for
scores.
"""
from __future__ import annotations

from pathlib import Path

import torch

IDEFICS2_SPECIAL = ['<end_of_utterance>', '<fake_token_around_image>', '<image>']
TINY_LATENTS = 4


def tiny_config(vocab_size: int, image_token_id: int, pad_token_id: int):
    from transformers import Idefics2Config

    return Idefics2Config(
        vision_config=dict(hidden_size=16, intermediate_size=32, num_hidden_layers=1, num_attention_heads=2,
                           image_size=56, patch_size=14),
        perceiver_config=dict(hidden_size=32, resampler_n_latents=TINY_LATENTS, resampler_depth=1,
                              resampler_n_heads=2, resampler_head_dim=8, num_key_value_heads=1),
        text_config=dict(model_type='mistral', hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, vocab_size=vocab_size,
                         pad_token_id=pad_token_id),
        image_token_id=image_token_id, num_labels=5, problem_type='regression')


def build_tiny_videoscore(path: str | Path, seed: int = 0) -> Path:
    """Build, save and return the folder of a tiny VideoScore checkpoint (model + processor)."""
    from transformers import Idefics2ImageProcessor, Idefics2Processor

    from aigve.models.videoscore import VideoScoreRegressor
    from helpers.tiny_vlm import byte_level_tokenizer

    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    tok = byte_level_tokenizer(['<unk>', *IDEFICS2_SPECIAL])
    config = tiny_config(len(tok), tok.convert_tokens_to_ids('<image>'), tok.pad_token_id)
    torch.manual_seed(seed)
    model = VideoScoreRegressor(config).eval()
    with torch.no_grad():  # random but not degenerate: a head that spreads the five outputs
        model.score.weight.normal_(0, 1.0)
        model.score.bias.copy_(torch.tensor([2.5, 2.4, 2.6, 2.3, 2.7]))
    image_processor = Idefics2ImageProcessor(do_image_splitting=False, size=dict(shortest_edge=28, longest_edge=56))
    processor = Idefics2Processor(image_processor=image_processor, tokenizer=tok, image_seq_len=TINY_LATENTS)
    model.save_pretrained(path)
    processor.save_pretrained(path)
    return path
