"""MUSIQ, the multi-scale image quality transformer (Ke et al., ICCV 2021), in pyiqa's layout.

Paper: Ke, Wang, Wang, Milanfar, Yang, "MUSIQ: Multi-scale Image Quality Transformer", ICCV 2021. Original code
and checkpoints: github.com/google-research/google-research/tree/master/musiq (Apache-2.0). VBench's
``imaging_quality`` runs pyiqa's PyTorch re-implementation (github.com/chaofengc/IQA-PyTorch,
``pyiqa/archs/musiq_arch.py`` and ``pyiqa/data/multiscale_trans_util.py``) with the SPAQ checkpoint
``musiq_spaq_ckpt-358bb6af.pth``. This module is aigve's own implementation of that network: the module and
parameter names are the checkpoint's (so it loads with ``strict=True``), and the computation follows pyiqa's
evaluation path step by step:

* input ``x`` in ``[0, 1]`` is mapped to ``[-1, 1]``;
* multi-scale patches: the image resized (bicubic, ``align_corners=False``, no antialias) so its longer side is
  224 and 384 (sides ``round(side * L / max(H, W))``), plus the original resolution; 32 x 32 patches with
  TensorFlow ``SAME`` zero padding; each scale's patches are zero-padded (mask 0) to ``ceil(L / 32) ** 2``, the
  original resolution keeps all its patches;
* hash-based spatial positions: a patch row ``i`` of ``n_h`` rows maps to grid row ``nearest(i)`` of a
  10 x 10 grid (``F.interpolate(mode='nearest')``), likewise for columns; plus a learned scale embedding;
* per patch a ResNet stem (weight-standardised convs, group norm) -> 256 x 8 x 8 tokens flattened in
  height, width, channel order -> linear 384; a CLS token; 14 pre-norm transformer blocks (6 heads, MLP 1152,
  GELU, attention logits of masked pairs set to -1000 before the softmax); final layer norm; linear head on
  CLS (one output for SPAQ).

pyiqa is not a dependency: its package pulls about 35 others (accelerate, datasets, bitsandbytes, facexlib,
tensorboard, a second OpenCV build, ...) and its current code is under the PolyForm Noncommercial licence.
"""
from __future__ import annotations

import math
import os
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from aigve.utils.weights import ResolvedWeights, resolve_weights

__all__ = ['MUSIQ', 'MUSIQ_SPAQ_WEIGHTS', 'load_musiq_spaq', 'multiscale_patches', 'scaled_size']

#: Manifest name of the SPAQ checkpoint (pyiqa's ``musiq_spaq_ckpt-358bb6af.pth``).
MUSIQ_SPAQ_WEIGHTS = 'musiq-spaq'
#: Patches per call of the convolution stem. Each patch is stemmed on its own, so the chunking changes no
#: value; on a 2-core CPU one call over the patches of 16 images (3,344 of 32 x 32) took 2.4 s, chunks of
#: 256 took 1.1 s (the activations of a whole batch fall out of cache).
STEM_CHUNK = 256


def _same_pad(x: torch.Tensor, kernel: int, stride: int) -> torch.Tensor:
    """TensorFlow ``SAME`` zero padding of ``(N, C, H, W)`` for a ``kernel`` x ``kernel`` window at ``stride``."""
    h, w = x.shape[-2:]
    pad_h = max((math.ceil(h / stride) - 1) * stride + kernel - h, 0)
    pad_w = max((math.ceil(w / stride) - 1) * stride + kernel - w, 0)
    if pad_h == 0 and pad_w == 0:
        return x
    return F.pad(x, (pad_w // 2, pad_w - pad_w // 2, pad_h // 2, pad_h - pad_h // 2))


class _WSConv2d(nn.Conv2d):
    """Convolution with weight standardisation (per output channel: minus mean, over unbiased std + 1e-5)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        w = self.weight
        w = (w - w.mean(dim=(1, 2, 3), keepdim=True)) / (w.std(dim=(1, 2, 3), keepdim=True) + 1e-5)
        return F.conv2d(_same_pad(x, self.kernel_size[0], self.stride[0]), w, self.bias, self.stride)


class _Bottleneck(nn.Module):
    """MUSIQ's single ResNet bottleneck (64 -> 64 -> 256, projection shortcut), group norm eps 1e-4."""

    def __init__(self, channels: int, out_channels: int) -> None:
        super().__init__()
        self.conv1 = _WSConv2d(channels, channels, 1, 1, bias=False)
        self.gn1 = nn.GroupNorm(32, channels, eps=1e-4)
        self.conv2 = _WSConv2d(channels, channels, 3, 1, bias=False)
        self.gn2 = nn.GroupNorm(32, channels, eps=1e-4)
        self.conv3 = _WSConv2d(channels, out_channels, 1, 1, bias=False)
        self.gn3 = nn.GroupNorm(32, out_channels, eps=1e-4)
        self.conv_proj = _WSConv2d(channels, out_channels, 1, 1, bias=False)
        self.gn_proj = nn.GroupNorm(32, out_channels, eps=1e-4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = self.gn_proj(self.conv_proj(x))
        y = F.relu(self.gn1(self.conv1(x)))
        y = F.relu(self.gn2(self.conv2(y)))
        return F.relu(self.gn3(self.conv3(y)) + shortcut)


class _Attention(nn.Module):
    def __init__(self, dim: int, num_heads: int) -> None:
        super().__init__()
        if dim % num_heads:
            raise ValueError(f'`hidden_size` ({dim}) must be divisible by `num_heads` ({num_heads})')
        self.num_heads = num_heads
        self.query = nn.Linear(dim, dim)
        self.key = nn.Linear(dim, dim)
        self.value = nn.Linear(dim, dim)
        self.out = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor, pair_mask: torch.Tensor) -> torch.Tensor:
        b, n, c = x.shape
        heads = [p(x).view(b, n, self.num_heads, c // self.num_heads).transpose(1, 2)
                 for p in (self.query, self.key, self.value)]
        q, k, v = heads
        logits = (q @ k.transpose(-2, -1)) * (c // self.num_heads)**-0.5
        logits = logits.masked_fill(~pair_mask, -1e3)  # a fill (not -inf): fully masked rows stay finite
        return self.out((logits.softmax(dim=-1) @ v).transpose(1, 2).reshape(b, n, c))


class _Mlp(nn.Module):
    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(F.gelu(self.fc1(x)))


class _Block(nn.Module):
    def __init__(self, dim: int, mlp_dim: int, num_heads: int) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attention = _Attention(dim, num_heads)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = _Mlp(dim, mlp_dim)

    def forward(self, x: torch.Tensor, pair_mask: torch.Tensor) -> torch.Tensor:
        x = x + self.attention(self.norm1(x), pair_mask)
        return x + self.mlp(self.norm2(x))


class _PositionTable(nn.Module):
    """A learned table (``position_emb`` / ``scale_emb``) added to the tokens by index."""

    def __init__(self, name: str, shape: Sequence[int]) -> None:
        super().__init__()
        self.name = name
        self.register_parameter(name, nn.Parameter(torch.randn(*shape) * 0.02))

    def forward(self, x: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
        table = getattr(self, self.name)
        return x + table.reshape(-1, table.shape[-1])[index.long()]


class _Encoder(nn.Module):
    def __init__(self, dim: int, mlp_dim: int, num_heads: int, num_layers: int, num_scales: int,
                 grid_size: int) -> None:
        super().__init__()
        self.posembed_input = _PositionTable('position_emb', (1, grid_size * grid_size, dim))
        self.scaleembed_input = _PositionTable('scale_emb', (num_scales, dim))
        self.cls = nn.Parameter(torch.zeros(1, 1, dim))
        self.encoder_norm = nn.LayerNorm(dim, eps=1e-6)
        self.transformer = nn.ModuleDict(
            {f'encoderblock_{i}': _Block(dim, mlp_dim, num_heads) for i in range(num_layers)})

    def forward(self, x: torch.Tensor, spatial: torch.Tensor, scale: torch.Tensor,
                mask: torch.Tensor) -> torch.Tensor:
        x = self.scaleembed_input(self.posembed_input(x, spatial), scale)
        x = torch.cat([self.cls.expand(x.shape[0], -1, -1), x], dim=1)
        keep = torch.cat([mask.new_ones(mask.shape[0], 1), mask], dim=1)
        pair_mask = (keep[:, :, None] & keep[:, None, :])[:, None]  # (B, 1, N+1, N+1)
        for block in self.transformer.values():
            x = block(x, pair_mask)
        return self.encoder_norm(x)


def scaled_size(height: int, width: int, longer_side: int) -> tuple[int, int]:
    """Size of an image resized so its longer side is ``longer_side`` (pyiqa: ``round(side * ratio)``).

    Examples:
        >>> scaled_size(288, 512, 224), scaled_size(288, 512, 384)
        ((126, 224), (216, 384))
    """
    ratio = longer_side / max(height, width)
    return round(height * ratio), round(width * ratio)


def _grid_index(grid_size: int, count: int) -> torch.Tensor:
    """Nearest-neighbour map of ``count`` patch rows (or columns) onto ``grid_size`` grid rows (pyiqa's hash)."""
    grid = torch.arange(grid_size, dtype=torch.float32).view(1, 1, grid_size)
    return F.interpolate(grid, size=count, mode='nearest').view(count).long()


def _scale_tokens(image: torch.Tensor, patch: int, grid_size: int, scale_id: int,
                  max_len: int) -> tuple[torch.Tensor, ...]:
    """Patches ``(B, L, 3 * patch ** 2)``, spatial and scale indices and mask ``(B, L)`` of one scale."""
    b, _, h, w = image.shape
    n_h, n_w = math.ceil(h / patch), math.ceil(w / patch)
    patches = F.unfold(_same_pad(image, patch, patch), patch, stride=patch).transpose(1, 2)  # (B, n_h*n_w, C*p*p)
    spatial = (_grid_index(grid_size, n_h)[:, None] * grid_size + _grid_index(grid_size, n_w)[None, :]).flatten()
    spatial = spatial.to(image.device).expand(b, -1)
    mask = torch.ones_like(spatial, dtype=torch.bool)
    if max_len >= 0:  # zero-pad (mask 0, positions 0) or cut to max_len tokens
        extra = max(max_len - patches.shape[1], 0)
        patches = F.pad(patches, (0, 0, 0, extra))[:, :max_len]
        spatial = F.pad(spatial, (0, extra))[:, :max_len]
        mask = F.pad(mask, (0, extra))[:, :max_len]
    scale = torch.full_like(spatial, scale_id)
    return patches, spatial, scale, mask


def multiscale_patches(image: torch.Tensor, patch_size: int = 32, grid_size: int = 10,
                       longer_side_lengths: Sequence[int] = (224, 384),
                       max_seq_len_from_original_res: int | None = -1) -> tuple[torch.Tensor, ...]:
    """MUSIQ's multi-scale tokens of ``(B, 3, H, W)`` images in ``[-1, 1]``.

    Args:
        image: The images.
        patch_size: Patch side (and stride). Defaults to 32.
        grid_size: Side of the hashed spatial-position grid. Defaults to 10.
        longer_side_lengths: Longer sides of the resized scales (sorted here, as pyiqa does). Defaults to
            (224, 384).
        max_seq_len_from_original_res: Tokens kept from the original resolution; ``-1`` all of them, None no
            original-resolution scale. Defaults to -1 (as VBench's MUSIQ).

    Returns:
        ``(patches, spatial, scale, mask)``: ``(B, N, 3 * patch_size ** 2)`` pixels (channel, row, column
        order per patch), ``(B, N)`` long spatial and scale indices, ``(B, N)`` bool mask.
    """
    h, w = image.shape[-2:]
    parts = []
    lengths = sorted(longer_side_lengths)
    for scale_id, length in enumerate(lengths):
        resized = F.interpolate(image, size=scaled_size(h, w, length), mode='bicubic', align_corners=False)
        parts.append(_scale_tokens(resized, patch_size, grid_size, scale_id, math.ceil(length / patch_size)**2))
    if max_seq_len_from_original_res is not None:
        parts.append(_scale_tokens(image, patch_size, grid_size, len(lengths), max_seq_len_from_original_res))
    return tuple(torch.cat(items, dim=1) for items in zip(*parts))


class MUSIQ(nn.Module):
    """MUSIQ with pyiqa's module names; ``forward`` maps ``[0, 1]`` images to quality scores.

    One output (pyiqa's ``num_class=1``: the SPAQ, KonIQ and PaQ-2-PiQ checkpoints; AVA's 10-way softmax head
    is not built).

    Args:
        patch_size: Patch side. Defaults to 32.
        hidden_size: Token width. Defaults to 384.
        mlp_dim: MLP width. Defaults to 1152.
        num_heads: Attention heads. Defaults to 6.
        num_layers: Transformer blocks. Defaults to 14.
        num_scales: Entries of the scale embedding. Defaults to 3.
        grid_size: Side of the hashed spatial grid. Defaults to 10.
        longer_side_lengths: Resized scales. Defaults to (224, 384).
        max_seq_len_from_original_res: See :func:`multiscale_patches`. Defaults to -1.
    """

    def __init__(self, patch_size: int = 32, hidden_size: int = 384, mlp_dim: int = 1152,
                 num_heads: int = 6, num_layers: int = 14, num_scales: int = 3, grid_size: int = 10,
                 longer_side_lengths: Sequence[int] = (224, 384),
                 max_seq_len_from_original_res: int | None = -1) -> None:
        super().__init__()
        if patch_size % 4:
            raise ValueError(f'`patch_size` must be a multiple of 4, but got {patch_size}')
        self.patch_size, self.grid_size = patch_size, grid_size
        self.longer_side_lengths = tuple(longer_side_lengths)
        self.max_seq_len_from_original_res = max_seq_len_from_original_res
        self.conv_root = _WSConv2d(3, 64, 7, 2, bias=False)
        self.gn_root = nn.GroupNorm(32, 64, eps=1e-6)
        self.block1 = _Bottleneck(64, 256)
        self.embedding = nn.Linear(256 * (patch_size // 4)**2, hidden_size)
        self.transformer_encoder = _Encoder(hidden_size, mlp_dim, num_heads, num_layers, num_scales, grid_size)
        self.head = nn.Linear(hidden_size, 1)  # one output: the SPAQ / KonIQ / PaQ-2-PiQ checkpoints' head

    def tokens(self, patches: torch.Tensor) -> torch.Tensor:
        """``(B, N, 3 * p * p)`` patch pixels -> ``(B, N, hidden)`` embeddings."""
        b, n, _ = patches.shape
        flat = patches.reshape(b * n, 3, self.patch_size, self.patch_size)
        x = torch.cat([self._stem(flat[i:i + STEM_CHUNK]) for i in range(0, b * n, STEM_CHUNK)])
        return self.embedding(x.permute(0, 2, 3, 1).reshape(b, n, -1))  # TensorFlow's (H, W, C) order

    def _stem(self, x: torch.Tensor) -> torch.Tensor:
        """``(P, 3, p, p)`` patches -> ``(P, 256, p / 4, p / 4)`` stem features."""
        x = F.relu(self.gn_root(self.conv_root(x)))
        return self.block1(F.max_pool2d(_same_pad(x, 3, 2), 3, 2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Scores of ``(B, 3, H, W)`` images in ``[0, 1]``: ``(B,)`` (the MOS; 0-100 for SPAQ)."""
        patches, spatial, scale, mask = multiscale_patches(
            (x - 0.5) * 2, self.patch_size, self.grid_size, self.longer_side_lengths,
            self.max_seq_len_from_original_res)
        h = self.transformer_encoder(self.tokens(patches), spatial, scale, mask)
        return self.head(h[:, 0])[:, 0]


def load_musiq_spaq(model_path: str | os.PathLike | None = None,
                    check_hash: bool = True) -> tuple[MUSIQ, ResolvedWeights]:
    """MUSIQ with the SPAQ checkpoint, loaded strictly (a ``module.`` prefix is removed, as pyiqa does).

    Args:
        model_path: ``musiq_spaq_ckpt-358bb6af.pth`` or a folder holding it. Defaults to None (the aigve cache,
            then a download unless offline).
        check_hash: Refuse a ``model_path`` whose sha256 does not start with ``358bb6af``. Defaults to True.

    Returns:
        ``(model, resolved)`` in eval mode without gradients.

    Raises:
        WeightsNotFoundError: Not cached and not downloadable (the message names the download command).
        RuntimeError: The checkpoint's keys or shapes differ (strict loading).
    """
    resolved = resolve_weights(MUSIQ_SPAQ_WEIGHTS, model_path, check_hash=check_hash)
    state = torch.load(resolved.path, map_location='cpu', weights_only=True)
    state = {k[len('module.'):] if k.startswith('module.') else k: v for k, v in state.items()}
    model = MUSIQ()
    model.load_state_dict(state, strict=True)
    return model.eval().requires_grad_(False), resolved
