"""Tiny ViCLIP / UMT-VideoMAE models and a character-level CLIP tokenizer for the VBench ViCLIP and UMT tests."""
from __future__ import annotations

import json
from pathlib import Path

import torch
from helpers import tiny_hf

DATA = Path(__file__).resolve().parents[2] / 'data' / 'vbench'
#: Tiny ViCLIP of the stored reference run (tests/data/vbench/viclip_tiny_reference.json)
TINY_VICLIP = dict(vision_width=32, vision_layers=2, vision_heads=4, patch_size=7, image_size=28, text_width=24,
                   text_layers=2, text_heads=4, vocab_size=100, embed_dim=16)
#: Tiny UMT-as-VideoMAE of the stored reference run (tests/data/vbench/umt_tiny_reference.json)
TINY_UMT = dict(image_size=32, num_frames=4, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                intermediate_size=128, num_labels=10)


def load_json(name: str) -> dict:
    return json.loads((DATA / name).read_text(encoding='utf-8'))


def seeded_state(shapes: dict[str, torch.Size], seed: int = 0, scale: float = 0.3) -> dict[str, torch.Tensor]:
    """``randn(shape) * scale`` per key in sorted key order (how the reference runs drew their weights)."""
    g = torch.Generator().manual_seed(seed)
    return {k: torch.randn(shapes[k], generator=g) * scale for k in sorted(shapes)}


def char_tokenizer(path: Path):
    """A ViCLIPTokenizer over a character-level CLIP BPE (one id per character); returns it and the vocab size."""
    from transformers import CLIPTokenizer

    from aigve.models.viclip import ViCLIPTokenizer

    vocab_size = tiny_hf._write_clip_tokenizer(Path(path), 77)
    return ViCLIPTokenizer(CLIPTokenizer.from_pretrained(path)), vocab_size


def tiny_viclip(vocab_size: int = 100, seed: int = 0):
    """The tiny ViCLIP with seeded non-degenerate weights (std-0.3 normal parameters, LayerNorms at 1/0)."""
    from aigve.models.viclip import ViCLIP

    model = ViCLIP(**{**TINY_VICLIP, 'vocab_size': vocab_size})
    shapes = {k: v.shape for k, v in model.state_dict().items()}
    state = seeded_state(shapes, seed)
    for k in state:
        if '.ln' in k or k.startswith(('vision_encoder.ln', 'text_encoder.ln')):
            state[k] = torch.ones_like(state[k]) if k.endswith('weight') else torch.zeros_like(state[k])
    model.load_state_dict(state, strict=True)
    return model.eval()
