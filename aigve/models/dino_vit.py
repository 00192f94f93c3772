"""DINO ViT-B/16 (Caron et al., "Emerging Properties in Self-Supervised Vision Transformers", ICCV 2021).

Our own module with the parameter names of the authors' release (github.com/facebookresearch/dino,
``vision_transformer.py``, Apache-2.0), so ``dino_vitbase16_pretrain.pth`` loads with ``strict=True``:
``cls_token``, ``pos_embed``, ``patch_embed.proj.*``, ``blocks.N.{norm1, attn.qkv, attn.proj, norm2, mlp.fc1,
mlp.fc2}.*``, ``norm.*``. ViT-B/16 as DINO's ``vit_base``: width 768, 12 blocks of 12 heads, MLP ratio 4, qkv
bias, exact GELU, LayerNorm eps 1e-6, no classifier head (``num_classes=0``).

The output is the CLS token after the final norm (DINO's ``forward``), the feature VBench's
``subject_consistency`` uses. Inputs of another size than the 224x224 the position embedding was trained at
use DINO's own interpolation (``interpolate_pos_encoding``): the 14x14 grid is resampled bicubically with
``F.interpolate(scale_factor=((H // 16 + 0.1) / 14, (W // 16 + 0.1) / 14))`` (the scale factor, not an output
size; timm's and transformers' resampling differ slightly), and left as it is for a square input with the
trained number of patches.

The transformers layout (``facebook/dino-vitb16``, ``ViTModel``) converts exactly: :func:`convert_hf_vit_state_dict`
concatenates the separate query/key/value projections into ``qkv`` and renames the rest.
"""
from __future__ import annotations

import json
import math
import os
import re
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from aigve.models.swin import _Mlp  # fc1 -> exact GELU -> fc2, DINO's Mlp (names and maths)
from aigve.utils.weights import ResolvedWeights, resolve_weights

__all__ = ['DINO_VITB16', 'DinoVisionTransformer', 'convert_hf_vit_state_dict', 'dino_vitb16',
           'interpolate_pos_embed', 'load_dino_vitb16']

#: DINO's ``vit_base(patch_size=16)`` (hubconf ``dino_vitb16``).
DINO_VITB16 = dict(img_size=224, patch_size=16, embed_dim=768, depth=12, num_heads=12, mlp_ratio=4.0, eps=1e-6)


class _PatchEmbed(nn.Module):
    def __init__(self, patch_size: int, embed_dim: int) -> None:
        super().__init__()
        self.patch_size = patch_size
        self.proj = nn.Conv2d(3, embed_dim, kernel_size=patch_size, stride=patch_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(x).flatten(2).transpose(1, 2)


class _Attention(nn.Module):
    def __init__(self, dim: int, num_heads: int) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.qkv = nn.Linear(dim, dim * 3, bias=True)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, c = x.shape
        q, k, v = self.qkv(x).reshape(b, n, 3, self.num_heads, c // self.num_heads).permute(2, 0, 3, 1, 4)
        out = F.scaled_dot_product_attention(q, k, v)  # softmax(q k^T / sqrt(head_dim)) v, as DINO
        return self.proj(out.transpose(1, 2).reshape(b, n, c))


class _Block(nn.Module):
    def __init__(self, dim: int, num_heads: int, mlp_ratio: float, eps: float) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=eps)
        self.attn = _Attention(dim, num_heads)
        self.norm2 = nn.LayerNorm(dim, eps=eps)
        self.mlp = _Mlp(dim, int(dim * mlp_ratio))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


def interpolate_pos_embed(pos_embed: torch.Tensor, height: int, width: int, patch_size: int) -> torch.Tensor:
    """DINO's position-embedding rule for a ``height x width`` input: ``(1, 1 + h*w, D)`` with ``h = H // p``.

    The trained ``(1, 1 + N, D)`` table (``N`` a square) is returned as it is when the input is square with
    ``N`` patches; otherwise its grid is resampled with bicubic ``F.interpolate`` at
    ``scale_factor=((H // p + 0.1) / sqrt(N), (W // p + 0.1) / sqrt(N))`` (align_corners False, no antialias)
    and the class position is kept.

    Raises:
        ValueError: If the table is not square or the resampled grid is not ``(H // p) x (W // p)``.
    """
    n = pos_embed.shape[1] - 1
    gh, gw = height // patch_size, width // patch_size
    if gh * gw == n and height == width:
        return pos_embed
    side = int(math.sqrt(n))
    if side * side != n:
        raise ValueError(f'`pos_embed` must hold a square grid plus the class token, but has {n} patch entries')
    dim = pos_embed.shape[-1]
    grid = pos_embed[:, 1:].reshape(1, side, side, dim).permute(0, 3, 1, 2)
    grid = F.interpolate(grid, scale_factor=((gh + 0.1) / side, (gw + 0.1) / side), mode='bicubic',
                         align_corners=False)
    if tuple(grid.shape[-2:]) != (gh, gw):
        raise ValueError(f'DINO position-embedding interpolation gave a {tuple(grid.shape[-2:])} grid, '
                         f'expected {(gh, gw)} for a {height}x{width} input')
    grid = grid.permute(0, 2, 3, 1).reshape(1, gh * gw, dim)
    return torch.cat((pos_embed[:, :1], grid), dim=1)


class DinoVisionTransformer(nn.Module):
    """DINO's ``VisionTransformer`` (inference only; no dropout, no head), parameter names as released.

    Args:
        img_size: Side the position embedding was trained at. Defaults to 224.
        patch_size: Patch side. Defaults to 16.
        embed_dim: Width. Defaults to 768.
        depth: Number of blocks. Defaults to 12.
        num_heads: Attention heads. Defaults to 12.
        mlp_ratio: MLP hidden width / width. Defaults to 4.0.
        eps: LayerNorm epsilon. Defaults to 1e-6.

    Inputs:
        ``(B, 3, H, W)`` float images, ImageNet-normalised; ``H`` and ``W`` multiples of ``patch_size`` are
        read whole (the convolution drops a remainder, as DINO's does).

    Returns:
        ``(B, embed_dim)``: the CLS token after the final norm.
    """

    def __init__(self, img_size: int = 224, patch_size: int = 16, embed_dim: int = 768, depth: int = 12,
                 num_heads: int = 12, mlp_ratio: float = 4.0, eps: float = 1e-6) -> None:
        super().__init__()
        if embed_dim % num_heads:
            raise ValueError(f'`embed_dim` ({embed_dim}) must be divisible by `num_heads` ({num_heads})')
        self.patch_size = patch_size
        self.embed_dim = embed_dim
        num_patches = (img_size // patch_size)**2
        self.patch_embed = _PatchEmbed(patch_size, embed_dim)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, embed_dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, num_patches + 1, embed_dim))
        self.blocks = nn.ModuleList(_Block(embed_dim, num_heads, mlp_ratio, eps) for _ in range(depth))
        self.norm = nn.LayerNorm(embed_dim, eps=eps)
        nn.init.trunc_normal_(self.pos_embed, std=0.02)
        nn.init.trunc_normal_(self.cls_token, std=0.02)

    def prepare_tokens(self, x: torch.Tensor) -> torch.Tensor:
        """Patch tokens with the class token in front and the (interpolated) position embedding added."""
        height, width = x.shape[-2:]
        tokens = self.patch_embed(x)
        tokens = torch.cat((self.cls_token.expand(x.shape[0], -1, -1), tokens), dim=1)
        return tokens + interpolate_pos_embed(self.pos_embed, height, width, self.patch_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.prepare_tokens(x)
        for block in self.blocks:
            x = block(x)
        return self.norm(x)[:, 0]


def dino_vitb16() -> DinoVisionTransformer:
    """An uninitialised DINO ViT-B/16 (load weights with :func:`load_dino_vitb16`)."""
    return DinoVisionTransformer(**DINO_VITB16)


# ------------------------------------------------------------------------------ transformers layout
_HF_LAYER = re.compile(r'^(?:encoder\.layer|layers)\.(\d+)\.(.+)$')
#: transformers ViT names (hub files, then transformers 5 in-memory names) -> DINO names within a block
_HF_BLOCK = {
    'layernorm_before': 'norm1', 'layernorm_after': 'norm2',
    'attention.output.dense': 'attn.proj', 'attention.o_proj': 'attn.proj',
    'intermediate.dense': 'mlp.fc1', 'output.dense': 'mlp.fc2', 'mlp.fc1': 'mlp.fc1', 'mlp.fc2': 'mlp.fc2',
}
_HF_QKV = {'attention.attention.query': 0, 'attention.attention.key': 1, 'attention.attention.value': 2,
           'attention.q_proj': 0, 'attention.k_proj': 1, 'attention.v_proj': 2}
_HF_TOP = {'embeddings.cls_token': 'cls_token', 'embeddings.position_embeddings': 'pos_embed',
           'embeddings.patch_embeddings.projection.weight': 'patch_embed.proj.weight',
           'embeddings.patch_embeddings.projection.bias': 'patch_embed.proj.bias',
           'layernorm.weight': 'norm.weight', 'layernorm.bias': 'norm.bias'}
#: transformers keys without a DINO counterpart that are dropped (the unused, randomly initialised pooler)
_HF_UNUSED = ('pooler.dense.weight', 'pooler.dense.bias')


def convert_hf_vit_state_dict(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Convert a transformers ``ViTModel`` state dict (``facebook/dino-vitb16``) to DINO's key names, exactly.

    Accepts the hub files' names (``encoder.layer.N.attention.attention.query.weight``, ...) and those of
    transformers 5 (``layers.N.attention.q_proj.weight``, ...), with or without a ``vit.`` prefix. Query, key
    and value are concatenated in that order into ``attn.qkv`` (DINO's ``reshape(B, N, 3, heads, d)`` reads
    them so); the pooler, which DINO does not have, is dropped. Values are copied unchanged.

    Raises:
        KeyError: On a key that has no DINO counterpart, or a block missing one of query, key and value.
    """
    out: dict[str, torch.Tensor] = {}
    qkv: dict[tuple[int, str], dict[int, torch.Tensor]] = {}
    for key, value in state.items():
        key = key[len('vit.'):] if key.startswith('vit.') else key
        if key in _HF_UNUSED:
            continue
        if key in _HF_TOP:
            out[_HF_TOP[key]] = value
            continue
        match = _HF_LAYER.match(key)
        if match is None:
            raise KeyError(f'{key!r} is not a transformers ViT key that maps onto DINO ViT')
        index, rest = int(match.group(1)), match.group(2)
        name, _, kind = rest.rpartition('.')
        if name in _HF_QKV:
            qkv.setdefault((index, kind), {})[_HF_QKV[name]] = value
        elif name in _HF_BLOCK:
            out[f'blocks.{index}.{_HF_BLOCK[name]}.{kind}'] = value
        else:
            raise KeyError(f'{key!r} is not a transformers ViT key that maps onto DINO ViT')
    for (index, kind), parts in sorted(qkv.items()):
        if sorted(parts) != [0, 1, 2]:
            raise KeyError(f'block {index}: query, key and value {kind} must all be present, got parts {sorted(parts)}')
        out[f'blocks.{index}.attn.qkv.{kind}'] = torch.cat([parts[0], parts[1], parts[2]], dim=0)
    return out


def _hf_folder_state(folder: Path) -> tuple[dict[str, torch.Tensor], dict]:
    config = json.loads((folder / 'config.json').read_text())
    if (folder / 'model.safetensors').is_file():
        from safetensors.torch import load_file

        state = load_file(str(folder / 'model.safetensors'))
    elif (folder / 'pytorch_model.bin').is_file():
        state = torch.load(folder / 'pytorch_model.bin', map_location='cpu', weights_only=True)
    else:
        raise FileNotFoundError(f'{folder} holds config.json but neither model.safetensors nor pytorch_model.bin')
    return convert_hf_vit_state_dict(state), config


def load_dino_vitb16(model_path: str | os.PathLike | None = None,
                     check_hash: bool = True) -> tuple[DinoVisionTransformer, ResolvedWeights]:
    """Load DINO ViT-B/16 strictly; returns ``(module in eval mode without gradients, resolved weights)``.

    Args:
        model_path: ``dino_vitbase16_pretrain.pth`` (DINO's release, or a folder holding it), or a transformers
            folder of ``facebook/dino-vitb16`` (``config.json`` + weights), converted exactly, or the hub id
            ``'facebook/dino-vitb16'`` itself (a hub snapshot through the resolver). Defaults to None
            (the cache ``$AIGVE_HOME/checkpoints/vbench/``, then download, then an error naming the file).
        check_hash: Refuse a file whose sha256 differs from the manifest's (DINO publishes none, so this only
            applies to files already recorded). Defaults to True.

    Raises:
        WeightsNotFoundError: Not cached and not downloadable; the message names the file and the command.
        RuntimeError: The checkpoint's keys or shapes differ from ViT-B/16 (strict load).
    """
    hub = model_path is not None and str(model_path) in ('facebook/dino-vitb16', 'dino-vitb16-hf')
    if hub or (model_path is not None and (Path(model_path).expanduser() / 'config.json').is_file()):
        resolved = resolve_weights('dino-vitb16-hf', None if hub else model_path)
        state, config = _hf_folder_state(Path(resolved.path))
        net = DinoVisionTransformer(img_size=config.get('image_size', 224), patch_size=config.get('patch_size', 16),
                                    embed_dim=config.get('hidden_size', 768),
                                    depth=config.get('num_hidden_layers', 12),
                                    num_heads=config.get('num_attention_heads', 12),
                                    mlp_ratio=config.get('intermediate_size', 3072) / config.get('hidden_size', 768))
    else:
        resolved = resolve_weights('dino-vitb16', model_path, check_hash=check_hash)
        state = torch.load(resolved.path, map_location='cpu', weights_only=True)
        net = dino_vitb16()
    net.load_state_dict(state, strict=True)
    return net.eval().requires_grad_(False), resolved
