"""A tiny random-weight mPLUG-Owl-video checkpoint (VideoPhy's layout) saved the way the released ones are.

Vision: 2 layers of width 32 at 28 px (2x2 patches of 14), abstractor: 2 layers, 4 query tokens, LLaMA: 2 layers of
width 32 over a byte-level vocabulary with ``<unk>``/``<s>``/``</s>`` at ids 0/1/2 as LLaMA's. ``config.json`` is
in mPLUG-Owl's format, the weights in ``pytorch_model.bin`` with the rotary ``inv_freq`` buffers older
transformers saved (the loader drops them). Random weights: for plumbing, never for scores.
"""
from __future__ import annotations

import json
from pathlib import Path

import torch

TINY_CONFIG = dict(
    vision_config=dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2,
                       image_size=28, patch_size=14, layer_norm_eps=1e-6),
    visual_abstractor_config=dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=96,
                                  encoder_hidden_size=32, layer_norm_eps=1e-6),
    num_query_tokens=64,
)


def byte_tokenizer():
    from helpers.tiny_vlm import byte_level_tokenizer

    tok = byte_level_tokenizer(['</s>', '<s>', '<unk>'])
    tok.bos_token, tok.unk_token, tok.pad_token = '<s>', '<unk>', '<unk>'
    return tok


def build_tiny_mplug(path: str | Path, seed: int = 0, with_rotary_buffers: bool = True) -> Path:
    """Build, save and return the folder of a tiny VideoPhy-style checkpoint."""
    from aigve.models.mplug_owl_video import MplugOwlVideo, MplugOwlVideoConfig

    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    tok = byte_tokenizer()
    text = dict(model_type='llama', vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                num_attention_heads=4, num_key_value_heads=4, pad_token_id=tok.pad_token_id,
                bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id)
    config = dict(TINY_CONFIG, text_config=text, model_type='mplug-owl')
    torch.manual_seed(seed)
    model = MplugOwlVideo(MplugOwlVideoConfig.from_dict(config))
    with torch.no_grad():  # upstream inits these to zeros / constants: make every part of the path non-trivial
        for name, p in model.named_parameters():
            if name.endswith(('query_tokens', 'vit_eos', 'cls_token', 'position_embedding', 'up_proj.weight')):
                p.normal_(0, 0.5)
    state = model.state_dict()
    if with_rotary_buffers:
        head_dim = 32 // 4
        for i in range(2):
            state[f'language_model.model.layers.{i}.self_attn.rotary_emb.inv_freq'] = torch.ones(head_dim // 2)
    torch.save(state, path / 'pytorch_model.bin')
    (path / 'config.json').write_text(json.dumps(config))
    (path / 'preprocessor_config.json').write_text(json.dumps(dict(
        crop_size=28, image_mean=[0.48145466, 0.4578275, 0.40821073], image_std=[0.26862954, 0.26130258, 0.27577711])))
    tok.save_pretrained(path)
    return path
