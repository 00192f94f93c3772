"""Swin Transformer backbone (Liu et al., ICCV 2021) with the key layout used by Light-VQA.

References: microsoft/Swin-Transformer (MIT) and wenzhouyidu/Light-VQA ``final_fusion_model.py``, whose
Swin is the widely used variant that pads feature maps to the window size (so any input size works)
and keeps the patch merging at the end of each stage. Written anew; state-dict keys match both
(``patch_embed.proj/norm``, ``layers.<i>.blocks.<j>.{norm1, attn.qkv, attn.proj,
attn.relative_position_bias_table, attn.relative_position_index, norm2, mlp.fc1, mlp.fc2}``,
``layers.<i>.downsample.{norm, reduction}``, ``norm``), so ``swin_small_patch4_window7_224.pth``'s
backbone tensors and Light-VQA(+) checkpoints load by name.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ['SWIN_SMALL', 'SwinBackbone', 'swin_small']

#: Swin-S: embed 96, depths (2, 2, 18, 2), heads (3, 6, 12, 24), window 7.
SWIN_SMALL = dict(embed_dim=96, depths=(2, 2, 18, 2), num_heads=(3, 6, 12, 24), window_size=7)


def _windows(x: torch.Tensor, w: int) -> torch.Tensor:
    b, h, wd, c = x.shape
    x = x.view(b, h // w, w, wd // w, w, c).permute(0, 1, 3, 2, 4, 5)
    return x.reshape(-1, w * w, c)


def _unwindows(x: torch.Tensor, w: int, h: int, wd: int) -> torch.Tensor:
    c = x.shape[-1]
    b = x.shape[0] // ((h // w) * (wd // w))
    x = x.view(b, h // w, wd // w, w, w, c).permute(0, 1, 3, 2, 4, 5)
    return x.reshape(b, h, wd, c)


def _relative_index(w: int) -> torch.Tensor:
    coords = torch.stack(torch.meshgrid(torch.arange(w), torch.arange(w), indexing='ij')).flatten(1)
    rel = (coords[:, :, None] - coords[:, None, :]).permute(1, 2, 0) + (w - 1)
    return rel[..., 0] * (2 * w - 1) + rel[..., 1]


class _WindowAttention(nn.Module):

    def __init__(self, dim: int, window: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.window = window
        self.scale = (dim // heads)**-0.5
        self.relative_position_bias_table = nn.Parameter(torch.zeros((2 * window - 1)**2, heads))
        self.register_buffer('relative_position_index', _relative_index(window))
        self.qkv = nn.Linear(dim, dim * 3)
        self.proj = nn.Linear(dim, dim)
        nn.init.trunc_normal_(self.relative_position_bias_table, std=0.02)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        bw, n, c = x.shape
        q, k, v = self.qkv(x).reshape(bw, n, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4).unbind(0)
        attn = (q * self.scale) @ k.transpose(-2, -1)
        bias = self.relative_position_bias_table[self.relative_position_index.reshape(-1)].view(n, n, -1)
        attn = attn + bias.permute(2, 0, 1).unsqueeze(0)
        if mask is not None:
            nw = mask.shape[0]
            attn = attn.view(bw // nw, nw, self.heads, n, n) + mask.unsqueeze(1).unsqueeze(0)
            attn = attn.view(-1, self.heads, n, n)
        x = (attn.softmax(dim=-1) @ v).transpose(1, 2).reshape(bw, n, c)
        return self.proj(x)


class _Mlp(nn.Module):

    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.act(self.fc1(x)))


class _Block(nn.Module):

    def __init__(self, dim: int, heads: int, window: int, shift: int) -> None:
        super().__init__()
        self.window, self.shift = window, shift
        self.norm1 = nn.LayerNorm(dim)
        self.attn = _WindowAttention(dim, window, heads)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = _Mlp(dim, dim * 4)

    def forward(self, x: torch.Tensor, h: int, w: int, mask: torch.Tensor) -> torch.Tensor:
        b, _, c = x.shape
        win = self.window
        y = self.norm1(x).view(b, h, w, c)
        pad_b, pad_r = (win - h % win) % win, (win - w % win) % win
        y = F.pad(y, (0, 0, 0, pad_r, 0, pad_b))
        hp, wp = y.shape[1], y.shape[2]
        if self.shift:
            y = torch.roll(y, (-self.shift, -self.shift), dims=(1, 2))
        y = self.attn(_windows(y, win), mask if self.shift else None)
        y = _unwindows(y, win, hp, wp)
        if self.shift:
            y = torch.roll(y, (self.shift, self.shift), dims=(1, 2))
        y = y[:, :h, :w, :].reshape(b, h * w, c)
        x = x + y
        return x + self.mlp(self.norm2(x))


class _PatchMerging(nn.Module):

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.reduction = nn.Linear(4 * dim, 2 * dim, bias=False)
        self.norm = nn.LayerNorm(4 * dim)

    def forward(self, x: torch.Tensor, h: int, w: int) -> torch.Tensor:
        b, _, c = x.shape
        x = F.pad(x.view(b, h, w, c), (0, 0, 0, w % 2, 0, h % 2))
        x = torch.cat([x[:, 0::2, 0::2], x[:, 1::2, 0::2], x[:, 0::2, 1::2], x[:, 1::2, 1::2]], dim=-1)
        return self.reduction(self.norm(x.reshape(b, -1, 4 * c)))


class _Stage(nn.Module):

    def __init__(self, dim: int, depth: int, heads: int, window: int, downsample: bool) -> None:
        super().__init__()
        self.window, self.shift = window, window // 2
        self.blocks = nn.ModuleList([_Block(dim, heads, window, 0 if i % 2 == 0 else window // 2)
                                     for i in range(depth)])
        self.downsample = _PatchMerging(dim) if downsample else None

    def _mask(self, h: int, w: int, device: torch.device) -> torch.Tensor:
        win, s = self.window, self.shift
        hp, wp = -(-h // win) * win, -(-w // win) * win
        img = torch.zeros(1, hp, wp, 1, device=device)
        cnt = 0
        for hs in (slice(0, -win), slice(-win, -s), slice(-s, None)):
            for ws in (slice(0, -win), slice(-win, -s), slice(-s, None)):
                img[:, hs, ws, :] = cnt
                cnt += 1
        m = _windows(img, win).squeeze(-1)
        m = m.unsqueeze(1) - m.unsqueeze(2)
        return m.masked_fill(m != 0, -100.0).masked_fill(m == 0, 0.0)

    def forward(self, x: torch.Tensor, h: int, w: int) -> tuple[torch.Tensor, int, int]:
        mask = self._mask(h, w, x.device)
        for blk in self.blocks:
            x = blk(x, h, w, mask)
        if self.downsample is not None:
            x = self.downsample(x, h, w)
            h, w = (h + 1) // 2, (w + 1) // 2
        return x, h, w


class _PatchEmbed(nn.Module):

    def __init__(self, embed_dim: int, patch: int = 4) -> None:
        super().__init__()
        self.patch = patch
        self.proj = nn.Conv2d(3, embed_dim, patch, stride=patch)
        self.norm = nn.LayerNorm(embed_dim)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, int, int]:
        h, w = x.shape[-2:]
        p = self.patch
        if h % p or w % p:
            x = F.pad(x, (0, (p - w % p) % p, 0, (p - h % p) % p))
        x = self.proj(x)
        h, w = x.shape[-2:]
        return self.norm(x.flatten(2).transpose(1, 2)), h, w


class SwinBackbone(nn.Module):
    """Swin trunk; :meth:`forward` returns the token means of stage 3's and stage 4's normalised outputs.

    Light-VQA pools the output of the third stage (after its patch merging, so 8x the embedding width)
    and of the last stage, both through the final ``norm``: two ``(B, 8 * embed_dim)`` vectors.

    Args:
        embed_dim: Width of the patch embedding. Defaults to 96.
        depths: Blocks per stage. Defaults to Swin-S ``(2, 2, 18, 2)``.
        num_heads: Heads per stage. Defaults to ``(3, 6, 12, 24)``.
        window_size: Attention window. Defaults to 7.
    """

    def __init__(self, embed_dim: int = 96, depths: tuple[int, ...] = (2, 2, 18, 2),
                 num_heads: tuple[int, ...] = (3, 6, 12, 24), window_size: int = 7) -> None:
        super().__init__()
        if len(depths) != 4 or len(num_heads) != 4:
            raise ValueError(f'`depths` and `num_heads` must have 4 entries, but got {depths} and {num_heads}')
        self.patch_embed = _PatchEmbed(embed_dim)
        self.layers = nn.ModuleList([
            _Stage(embed_dim * 2**i, depths[i], num_heads[i], window_size, downsample=i < 3) for i in range(4)
        ])
        self.num_features = embed_dim * 8
        self.norm = nn.LayerNorm(self.num_features)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x, h, w = self.patch_embed(x)
        stage3 = x
        for i, layer in enumerate(self.layers):
            x, h, w = layer(x, h, w)
            if i == 2:
                stage3 = x
        return self.norm(stage3).mean(dim=1), self.norm(x).mean(dim=1)


def swin_small() -> SwinBackbone:
    """Swin-S (``swin_small_patch4_window7_224``) with random weights."""
    return SwinBackbone(**SWIN_SMALL)
