"""Light-VQA+ network: CLIP exposure/noise prompts, Swin-S features, cross-attention fusion, per-clip regressor
and HVS clip weighting.

The paper (arXiv 2405.03333) describes, in words, spatial information (semantic features from Swin +
CLIP brightness/noise features) and temporal information (SlowFast motion + CLIP brightness consistency)
fused by a cross-attention module, then a trainable attention modelled on the human visual system that
gives more weight to the clips with more impact on overall quality. Its code and equations of these two
modules are not available here, so their structure below (widths, heads, residual + LayerNorm, the
attention-pooling MLP) is inferred; ``docs/metrics/lightvqa_plus.md`` lists each choice. The Swin trunk
and the ``head`` -> ``head1`` -> ``head2`` regressor are Light-VQA's (:class:`~aigve.metrics.video_quality.
light_vqa.network.LightVQATrunk`, released key names); the other
parameter names are ours (the real Light-VQA+ checkpoint keys are unknown).
"""
from __future__ import annotations

import torch
from torch import nn

from aigve.metrics.video_quality.light_vqa.network import LightVQATrunk
from aigve.metrics.video_quality.lightvqa_plus.functional import (
    BC_DIM,
    BNS_DIM,
    MOTION_DIM,
    hvs_pool,
    multi_head_attention,
)
from aigve.models.swin import SWIN_SMALL

__all__ = ['ClipExposurePrompts', 'CrossAttention', 'CrossAttentionFusion', 'HVSWeighting', 'LightVQAPlusNet']


class ClipExposurePrompts(nn.Module):
    """CLIP zero-shot probabilities (x10) of the noise and exposure prompts for image tiles.

    Args:
        clip_model: A ``transformers.CLIPModel`` (anything with ``get_image_features``,
            ``get_text_features`` and ``logit_scale``).
        noise_inputs: Tokenised noise prompts (``input_ids``, optional ``attention_mask``), 5 rows.
        exposure_inputs: Tokenised exposure prompts, 5 rows.
    """

    def __init__(self, clip_model: nn.Module, noise_inputs: dict[str, torch.Tensor],
                 exposure_inputs: dict[str, torch.Tensor]) -> None:
        super().__init__()
        self.clip_model = clip_model
        with torch.no_grad():
            self.register_buffer('noise_text', self._text(noise_inputs), persistent=False)
            self.register_buffer('exposure_text', self._text(exposure_inputs), persistent=False)

    @staticmethod
    def _features(out: object) -> torch.Tensor:
        emb = out if isinstance(out, torch.Tensor) else out.pooler_output  # transformers 5 returns an object
        return emb / emb.norm(dim=-1, keepdim=True)

    def _text(self, inputs: dict[str, torch.Tensor]) -> torch.Tensor:
        return self._features(self.clip_model.get_text_features(**inputs))

    def forward(self, tiles: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(N, 3, s, s)`` CLIP-normalised tiles -> (noise, exposure) probabilities x10, each ``(N, 5)``."""
        img = self._features(self.clip_model.get_image_features(pixel_values=tiles))
        scale = self.clip_model.logit_scale.exp()
        noise = (scale * img @ self.noise_text.t()).softmax(dim=-1) * 10
        exposure = (scale * img @ self.exposure_text.t()).softmax(dim=-1) * 10
        return noise, exposure


class CrossAttention(nn.Module):
    """Multi-head attention of ``x`` (queries) over ``context`` (keys and values), with an output projection.

    Args:
        dim: Token width. Defaults to 768.
        num_heads: Attention heads; must divide ``dim``. Defaults to 8.
    """

    def __init__(self, dim: int = 768, num_heads: int = 8) -> None:
        super().__init__()
        if num_heads < 1 or dim % num_heads:
            raise ValueError(f'`num_heads` must divide `dim` ({dim}), but got {num_heads}')
        self.num_heads = num_heads
        self.query = nn.Linear(dim, dim)
        self.key = nn.Linear(dim, dim)
        self.value = nn.Linear(dim, dim)
        self.out = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
        """``(..., Lq, dim)`` queries, ``(..., Lk, dim)`` context -> ``(..., Lq, dim)``."""
        attended = multi_head_attention(self.query(x), self.key(context), self.value(context), self.num_heads)
        return self.out(attended)


class CrossAttentionFusion(nn.Module):
    """Two-way cross-attention between the spatial and temporal clip tokens of one video.

    .. math::
        S' = \\operatorname{LN}(S + \\operatorname{CA}(S, T)), \\quad
        T' = \\operatorname{LN}(T + \\operatorname{CA}(T, S)), \\quad F = [S' \\,|\\, T']

    Args:
        dim: Token width. Defaults to 768.
        num_heads: Attention heads. Defaults to 8.
    """

    def __init__(self, dim: int = 768, num_heads: int = 8) -> None:
        super().__init__()
        self.spatial_attn = CrossAttention(dim, num_heads)  # spatial queries, temporal keys/values
        self.temporal_attn = CrossAttention(dim, num_heads)  # temporal queries, spatial keys/values
        self.spatial_norm = nn.LayerNorm(dim)
        self.temporal_norm = nn.LayerNorm(dim)

    def forward(self, spatial: torch.Tensor, temporal: torch.Tensor) -> torch.Tensor:
        """``(..., K, dim)`` each -> fused ``(..., K, 2 * dim)``."""
        s = self.spatial_norm(spatial + self.spatial_attn(spatial, temporal))
        t = self.temporal_norm(temporal + self.temporal_attn(temporal, spatial))
        return torch.cat([s, t], dim=-1)


class HVSWeighting(nn.Module):
    """Trainable clip attention: logit ``a_i = w^T tanh(W f_i + b) + c`` of each fused clip feature.

    The logits weight the clips' scores through :func:`~.functional.hvs_pool`.

    Args:
        dim: Fused feature width. Defaults to 1536.
        hidden: Hidden width. Defaults to 128.
    """

    def __init__(self, dim: int = 1536, hidden: int = 128) -> None:
        super().__init__()
        self.proj = nn.Linear(dim, hidden)
        self.score = nn.Linear(hidden, 1)

    def forward(self, fused: torch.Tensor) -> torch.Tensor:
        """``(..., K, dim)`` -> logits ``(..., K)``."""
        return self.score(torch.tanh(self.proj(fused))).squeeze(-1)


class LightVQAPlusNet(LightVQATrunk):
    """Swin-S trunk + Light-VQA+ fusion, per-clip regressor and HVS weighting (one state dict).

    Per clip ``i`` (key frame ``i`` with its motion clip and brightness-consistency segment):
    spatial ``[Swin stage-4 768 | BNS 300 | Swin stage-3 768]`` (Light-VQA's order) and temporal
    ``[SlowFast 2304 | BC 300]`` are projected to ``dim`` (``spatial_proj``, ``temporal_proj``), fused by
    :class:`CrossAttentionFusion` across the video's clips, regressed by ``head`` -> ReLU -> ``head1`` ->
    ReLU -> ``head2`` and clamped to [0, 100] (Light-VQA), and pooled with the :class:`HVSWeighting` logits.

    Inputs:
        ``forward(frames, bns, temporal)`` for one video: ``frames`` ``(K, 3, H, W)`` ImageNet-normalised key
        frames, ``bns`` ``(K, 300)``, ``temporal`` ``(K, 2604)``. Returns the video score (0-dim tensor).

    Args:
        dim: Width of the projected tokens and of the attention. Defaults to 768.
        num_heads: Cross-attention heads. Defaults to 8.
        first_fc: Width of ``head``. Defaults to 1024 (Light-VQA).
        hvs_hidden: Hidden width of the HVS weighting. Defaults to 128.
        swin: Swin configuration. Defaults to Swin-S.
    """

    def __init__(self, dim: int = 768, num_heads: int = 8, first_fc: int = 1024, hvs_hidden: int = 128,
                 swin: dict | None = None) -> None:
        super().__init__(2 * dim, first_fc, swin or SWIN_SMALL)  # Light-VQA's trunk and regressor, shared
        self.spatial_dim = 2 * self.num_features + BNS_DIM
        self.temporal_dim = MOTION_DIM + BC_DIM
        self.spatial_proj = nn.Linear(self.spatial_dim, dim)
        self.temporal_proj = nn.Linear(self.temporal_dim, dim)
        self.fusion = CrossAttentionFusion(dim, num_heads)
        self.hvs = HVSWeighting(2 * dim, hvs_hidden)

    def fuse(self, spatial: torch.Tensor, temporal: torch.Tensor) -> torch.Tensor:
        """``(..., K, spatial_dim)`` and ``(..., K, temporal_dim)`` clip features -> ``(..., K, 2 * dim)``."""
        for name, x, width in (('spatial', spatial, self.spatial_dim), ('temporal', temporal, self.temporal_dim)):
            if x.dim() < 2 or x.shape[-1] != width:
                raise ValueError(f'`{name}` must be (..., K, {width}), but got {tuple(x.shape)}')
        if spatial.shape[:-1] != temporal.shape[:-1]:
            raise ValueError(f'`spatial` and `temporal` must have the same clips, but got '
                             f'{tuple(spatial.shape)} and {tuple(temporal.shape)}')
        return self.fusion(self.spatial_proj(spatial), self.temporal_proj(temporal))

    def regress(self, spatial: torch.Tensor, temporal: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-clip scores in [0, 100] and HVS logits, each ``(..., K)``."""
        fused = self.fuse(spatial, temporal)
        return self.regress_clips(fused), self.hvs(fused)

    def forward(self, frames: torch.Tensor, bns: torch.Tensor, temporal: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        stage3, stage4 = self.features(frames)
        return hvs_pool(*self.regress(torch.cat([stage4, bns, stage3], dim=-1), temporal))
