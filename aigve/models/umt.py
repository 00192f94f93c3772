"""UMT ViT-L/16 Kinetics-400 (VBench ``human_action``) as transformers ``VideoMAEForVideoClassification``.

Paper: Li et al., "Unmasked Teacher: Towards Training-Efficient Video Foundation Models", ICCV 2023
(github.com/OpenGVLab/unmasked_teacher, MIT). VBench (github.com/Vchitect/VBench @45e79ec, Apache-2.0) runs
``vbench/third_party/umt/models/modeling_finetune.py::vit_large_patch16_224`` with ``all_frames=16``,
``tubelet_size=1``, ``use_mean_pooling=True``, ``num_classes=400`` on ``l16_ptk710_ftk710_ftk400_f16_res224.pth``.
That network is a VideoMAE ViT (pre-LN blocks, exact GELU, LayerNorm eps 1e-6, ``qkv`` without bias plus
``q_bias``/``v_bias``, mean pooling + ``fc_norm``, linear head), so this module converts its keys to the
transformers model instead of porting it:

================================  ==========================================================
UMT key                           ``VideoMAEForVideoClassification`` key
================================  ==========================================================
``patch_embed.proj.*``            ``videomae.embeddings.patch_embeddings.projection.*``
``blocks.i.norm1.*``              ``videomae.encoder.layer.i.layernorm_before.*``
``blocks.i.attn.qkv.weight``      split in three: ``...attention.attention.{query,key,value}.weight``
``blocks.i.attn.q_bias``          ``...attention.attention.query.bias``
``blocks.i.attn.v_bias``          ``...attention.attention.value.bias``
``blocks.i.attn.proj.*``          ``...attention.output.dense.*``
``blocks.i.norm2.*``              ``...layernorm_after.*``
``blocks.i.mlp.fc1.*``            ``...intermediate.dense.*``
``blocks.i.mlp.fc2.*``            ``...output.dense.*``
``fc_norm.*``                     ``fc_norm.*``
``head.*``                        ``classifier.*``
``pos_embed``                     ``videomae.embeddings.position_embeddings`` (a plain tensor)
================================  ==========================================================

Position embedding: UMT builds an 8-frame 1568-entry sinusoid table and interpolates it linearly in time to
16 frames; because that is not the checkpoint's length it becomes a *parameter*, so a ``pos_embed`` stored in
the checkpoint replaces it (:func:`umt_position_table` gives the table; :func:`load_umt` uses the checkpoint's
when present). transformers' ``fc_norm`` uses LayerNorm eps 1e-5; UMT's uses 1e-6, so it is rebuilt with the
config's ``layer_norm_eps`` (same keys).
"""
from __future__ import annotations

import re
from typing import Any

import torch
from mmengine.logging import print_log
from torch import nn

from aigve.utils.imports import is_available
from aigve.utils.weights import ResolvedWeights, resolve_weights

from .viclip import load_checkpoint_file, unwrap_state_dict

__all__ = [
    'UMT_WEIGHTS', 'umt_videomae_config', 'umt_position_table', 'convert_umt_state_dict', 'build_umt_videomae',
    'set_position_embeddings', 'load_umt'
]

#: Manifest name of the released checkpoint.
UMT_WEIGHTS = 'umt-l16-k400'
#: Frames of UMT's pre-training table (the sinusoid is built for 8 frames, then interpolated).
_TABLE_FRAMES = 8

_BLOCK = re.compile(r'^blocks\.(\d+)\.(.+)$')
_BLOCK_MAP = {
    'norm1.weight': 'layernorm_before.weight',
    'norm1.bias': 'layernorm_before.bias',
    'attn.q_bias': 'attention.attention.query.bias',
    'attn.v_bias': 'attention.attention.value.bias',
    'attn.proj.weight': 'attention.output.dense.weight',
    'attn.proj.bias': 'attention.output.dense.bias',
    'norm2.weight': 'layernorm_after.weight',
    'norm2.bias': 'layernorm_after.bias',
    'mlp.fc1.weight': 'intermediate.dense.weight',
    'mlp.fc1.bias': 'intermediate.dense.bias',
    'mlp.fc2.weight': 'output.dense.weight',
    'mlp.fc2.bias': 'output.dense.bias',
}
_TOP_MAP = {
    'patch_embed.proj.weight': 'videomae.embeddings.patch_embeddings.projection.weight',
    'patch_embed.proj.bias': 'videomae.embeddings.patch_embeddings.projection.bias',
    'fc_norm.weight': 'fc_norm.weight',
    'fc_norm.bias': 'fc_norm.bias',
    'head.weight': 'classifier.weight',
    'head.bias': 'classifier.bias',
}


def umt_videomae_config(**overrides: Any) -> Any:
    """``VideoMAEConfig`` of UMT ViT-L/16 K400 as VBench builds it; ``overrides`` make the tiny test models.

    Raises:
        ImportError: ``transformers`` is missing.
    """
    if not is_available('transformers'):
        raise ImportError('UMT needs `transformers`; install it with: pip install "aigve[clip]"')
    from transformers import VideoMAEConfig

    values = dict(image_size=224, patch_size=16, num_channels=3, num_frames=16, tubelet_size=1, hidden_size=1024,
                  num_hidden_layers=24, num_attention_heads=16, intermediate_size=4096, hidden_act='gelu',
                  hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0, layer_norm_eps=1e-6, qkv_bias=True,
                  use_mean_pooling=True, num_labels=400)
    values.update(overrides)
    return VideoMAEConfig(**values)


def umt_position_table(num_frames: int = 16, grid: int = 14, dim: int = 1024) -> torch.Tensor:
    """UMT's sinusoid position table, ``(1, num_frames * grid**2, dim)`` float32.

    The table of ``8 * grid**2`` positions (``pos / 10000^(2 (j // 2) / dim)``, sin on even, cos on odd
    channels, in float64, then float32) is interpolated linearly in time (``align_corners=False``) from 8 to
    ``num_frames`` frames, as ``get_sinusoid_encoding_table(n, dim, cur_frame=16, pre_n_position=1568)`` does.

    Examples:
        >>> umt_position_table(8, 2, 4).shape
        torch.Size([1, 32, 4])
    """
    import numpy as np

    n = _TABLE_FRAMES * grid * grid
    exponent = 2 * (np.arange(dim) // 2) / dim
    angles = np.arange(n, dtype=np.float64)[:, None] / np.power(10000, exponent)[None, :]
    angles[:, 0::2] = np.sin(angles[:, 0::2])
    angles[:, 1::2] = np.cos(angles[:, 1::2])
    table = torch.tensor(angles, dtype=torch.float32).unsqueeze(0)
    if num_frames == _TABLE_FRAMES:
        return table
    x = table.reshape(_TABLE_FRAMES, grid * grid, dim).permute(1, 2, 0)  # (HW, C, T)
    x = torch.nn.functional.interpolate(x, size=num_frames, mode='linear')
    return x.permute(2, 0, 1).reshape(1, num_frames * grid * grid, dim)


def _unwrap(state: Any) -> dict[str, torch.Tensor]:
    state = unwrap_state_dict(state, 'UMT')
    return {k[len('module.'):] if k.startswith('module.') else k: v for k, v in state.items()}


def convert_umt_state_dict(state: Any) -> tuple[dict[str, torch.Tensor], torch.Tensor | None]:
    """Map a UMT fine-tuning state dict to ``VideoMAEForVideoClassification`` keys (see the module docstring).

    Args:
        state: The loaded checkpoint: the state dict itself, or one under ``model``/``module``.

    Returns:
        ``(converted, pos_embed)``: the state dict to load with ``strict=True`` and the checkpoint's
        ``pos_embed`` (``(1, N, D)``), or None when the checkpoint has none.

    Raises:
        TypeError: If ``state`` holds no state dict.
        ValueError: On a key the map does not know (nothing is dropped silently) or a ``qkv`` weight whose
            rows are not three equal parts.
    """
    state = _unwrap(state)
    out: dict[str, torch.Tensor] = {}
    unknown = []
    pos_embed = None
    for key, value in state.items():
        block = _BLOCK.match(key)
        if key == 'pos_embed':
            pos_embed = value
        elif key in _TOP_MAP:
            out[_TOP_MAP[key]] = value
        elif block and block.group(2) == 'attn.qkv.weight':
            if value.ndim != 2 or value.shape[0] % 3:
                raise ValueError(f'{key} must be a (3 * D, D) weight, but got {tuple(value.shape)}')
            prefix = f'videomae.encoder.layer.{block.group(1)}.attention.attention.'
            for name, part in zip(('query', 'key', 'value'), value.chunk(3, dim=0)):
                out[prefix + name + '.weight'] = part.clone()
        elif block and block.group(2) in _BLOCK_MAP:
            out[f'videomae.encoder.layer.{block.group(1)}.{_BLOCK_MAP[block.group(2)]}'] = value
        else:
            unknown.append(key)
    if unknown:
        raise ValueError(f'the UMT checkpoint has {len(unknown)} key(s) the VideoMAE conversion does not know: '
                         f'{unknown[:5]}; is it the K400 fine-tuned l16_ptk710_ftk710_ftk400_f16_res224.pth?')
    return out, pos_embed


def set_position_embeddings(model: nn.Module, table: torch.Tensor) -> None:
    """Put ``table`` (``(1, N, D)``) in as the model's position embeddings (a plain tensor in transformers).

    Raises:
        ValueError: If the shape differs from the model's.
    """
    embeddings = model.videomae.embeddings
    expected = tuple(embeddings.position_embeddings.shape)
    table = table.reshape(1, *table.shape[-2:]) if table.ndim == 2 else table
    if tuple(table.shape) != expected:
        raise ValueError(f'the position embedding must be {expected}, but got {tuple(table.shape)}')
    embeddings.position_embeddings = table.detach().float().clone()


def build_umt_videomae(config: Any = None) -> nn.Module:
    """``VideoMAEForVideoClassification`` laid out as UMT: eps-1e-6 ``fc_norm``, UMT's position table.

    Args:
        config: A ``VideoMAEConfig``. Defaults to None (:func:`umt_videomae_config`).
    """
    from transformers import VideoMAEForVideoClassification

    config = config if config is not None else umt_videomae_config()
    model = VideoMAEForVideoClassification(config)
    if model.fc_norm is not None:
        model.fc_norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
    grid = config.image_size // config.patch_size
    set_position_embeddings(model, umt_position_table(config.num_frames // config.tubelet_size, grid,
                                                      config.hidden_size))
    return model


def load_umt(model_path: str | None = None, check_hash: bool = True) -> tuple[nn.Module, ResolvedWeights]:
    """Build UMT ViT-L/16 K400 as VideoMAE and load the converted checkpoint strictly.

    Args:
        model_path: ``l16_ptk710_ftk710_ftk400_f16_res224.pth`` or a folder holding it. Defaults to None
            (cache, then download).
        check_hash: Refuse a ``model_path`` whose sha256 differs from the recorded one. Defaults to True.

    Returns:
        ``(model, resolved)``: eval mode, no gradients.
    """
    resolved = resolve_weights(UMT_WEIGHTS, model_path, check_hash=check_hash)
    converted, pos_embed = convert_umt_state_dict(load_checkpoint_file(resolved.path, 'UMT'))
    model = build_umt_videomae()
    model.load_state_dict(converted, strict=True)
    if pos_embed is not None:
        set_position_embeddings(model, pos_embed)
    print_log(f'UMT: loaded {resolved.path} (position embedding: '
              f'{"from the checkpoint" if pos_embed is not None else "UMT sinusoid, interpolated to 16 frames"})',
              logger='current')
    return model.eval().requires_grad_(False), resolved
