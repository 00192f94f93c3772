"""mPLUG-Owl-video, the network of VideoPhy's judges (VideoCon-Physics and VideoPhy-2 AutoEval).

Written from the definitions in github.com/Hritikbansal/videophy (``mplug_owl_video/modeling_mplug_owl.py``),
with the released checkpoints' key names, so ``videophysics/videocon_physics`` and
``videophysics/videophy_2_auto`` load with ``strict=True``:

* ``vision_model``: a ViT-L/14 at 224 px over every frame (``embeddings.{cls_token, patch_embed, position_embedding,
  pre_layernorm}``, 24 ``encoder.layers``, ``post_layernorm``). When a video has more than one frame, each layer
  first adds a temporal adapter (``temporal.{ln, down_proj, conv, up_proj}``: LayerNorm, 1x1x1 Conv3d down to half
  width, depthwise Conv3d over 3 frames, QuickGELU, 1x1x1 Conv3d up) to the patch tokens; the adapter hands the
  *input* CLS back in the CLS slot, so the layer's residual doubles CLS in every layer (as upstream). Then a
  per-frame pre-LN block whose ``self_attn.query_key_value`` is laid out per head (``[heads, 3, head_dim]``).
* ``abstractor``: 6 cross-attention layers over 64 ``query_tokens`` + 64 ``temporal_query_tokens``; keys and values
  are the normalised queries followed by the normalised visual tokens of all frames; the residual of the attention
  output is the *normalised* query (as upstream); SwiGLU MLP with a LayerNorm inside. The first 64 outputs go
  through ``visual_fc``, the last 64 through ``temporal_visual_fc`` (added), then ``vit_eos``: 65 video tokens.
* ``language_model``: transformers' stock ``LlamaForCausalLM``. The prompt's run of 65 video placeholders is
  replaced by the 65 video tokens (:meth:`MplugOwlVideo.splice`).

Precision: LayerNorms compute in fp32 (upstream's ``LayerNormFp32``); upstream runs the depthwise temporal conv on
the CPU in bf16 (a workaround for a GPU kernel error); here it runs where the model is, in its dtype.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ['VisionConfig', 'AbstractorConfig', 'MplugOwlVideoConfig', 'MplugOwlVideo', 'VIDEO_TOKENS',
           'convert_checkpoint', 'load_mplug_owl_video']

#: video tokens per video in the language model's input (64 queries + ``vit_eos``)
VIDEO_TOKENS = 65


@dataclass
class VisionConfig:
    """``MplugOwlVisionConfig`` (ViT-L/14 @ 224)."""

    hidden_size: int = 1024
    intermediate_size: int = 4096
    num_hidden_layers: int = 24
    num_attention_heads: int = 16
    image_size: int = 224
    patch_size: int = 14
    layer_norm_eps: float = 1e-6


@dataclass
class AbstractorConfig:
    """``MplugOwlVisualAbstractorConfig``."""

    hidden_size: int = 1024
    num_hidden_layers: int = 6
    num_attention_heads: int = 16
    intermediate_size: int = 4096
    encoder_hidden_size: int = 1024
    layer_norm_eps: float = 1e-6

    @property
    def mlp_hidden(self) -> int:
        """Upstream's rule: 2816 as given, else 2/3 of ``intermediate_size`` rounded up to a multiple of 256."""
        if self.intermediate_size == 2816:
            return 2816
        hidden = int(2 * self.intermediate_size / 3)
        return 256 * ((hidden + 255) // 256)


@dataclass
class MplugOwlVideoConfig:
    """The checkpoint's ``config.json`` (``vision_config``, ``visual_abstractor_config``, ``text_config``)."""

    vision: VisionConfig = field(default_factory=VisionConfig)
    abstractor: AbstractorConfig = field(default_factory=AbstractorConfig)
    text: dict = field(default_factory=dict)
    num_query_tokens: int = 64

    @classmethod
    def from_dict(cls, data: dict) -> MplugOwlVideoConfig:
        def pick(kind: type, values: dict | None) -> Any:
            names = kind.__dataclass_fields__
            return kind(**{k: v for k, v in (values or {}).items() if k in names})

        return cls(vision=pick(VisionConfig, data.get('vision_config')),
                   abstractor=pick(AbstractorConfig, data.get('visual_abstractor_config')),
                   text=dict(data.get('text_config') or {}), num_query_tokens=int(data.get('num_query_tokens', 64)))


class LayerNormFp32(nn.LayerNorm):
    """LayerNorm computed in float32 and cast back (upstream's ``LayerNormFp32``)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        weight = self.weight.float() if self.weight is not None else None
        bias = self.bias.float() if self.bias is not None else None
        return F.layer_norm(x.float(), self.normalized_shape, weight, bias, self.eps).type_as(x)


def quick_gelu(x: torch.Tensor) -> torch.Tensor:
    return x * torch.sigmoid(1.702 * x)


# ----------------------------------------------------------------------------------------------- vision
class VisionEmbeddings(nn.Module):
    def __init__(self, cfg: VisionConfig) -> None:
        super().__init__()
        self.cls_token = nn.Parameter(torch.zeros(1, 1, cfg.hidden_size))
        self.patch_embed = nn.Conv2d(3, cfg.hidden_size, cfg.patch_size, cfg.patch_size, bias=False)
        self.position_embedding = nn.Parameter(torch.zeros(1, (cfg.image_size // cfg.patch_size) ** 2 + 1,
                                                           cfg.hidden_size))
        self.pre_layernorm = LayerNormFp32(cfg.hidden_size, eps=cfg.layer_norm_eps)

    def forward(self, video: torch.Tensor) -> torch.Tensor:
        """``(B, C, T, H, W)`` -> ``(B, T, 1 + patches, D)``."""
        b, _, t = video.shape[:3]
        frames = video.transpose(1, 2).flatten(0, 1)
        patches = self.patch_embed(frames).flatten(2).transpose(1, 2)
        tokens = torch.cat([self.cls_token.expand(b * t, 1, -1).to(patches.dtype), patches], dim=1)
        tokens = tokens + self.position_embedding[:, :tokens.shape[1]].to(patches.dtype)
        return self.pre_layernorm(tokens).unflatten(0, (b, t))


class TemporalAdapter(nn.Module):
    """``temporal``: a depthwise convolution over neighbouring frames of the patch tokens (CLS passed through)."""

    def __init__(self, cfg: VisionConfig) -> None:
        super().__init__()
        width, bottleneck = cfg.hidden_size, cfg.hidden_size // 2
        self.side = cfg.image_size // cfg.patch_size
        self.ln = LayerNormFp32(width)
        self.down_proj = nn.Conv3d(width, bottleneck, kernel_size=1)
        self.conv = nn.Conv3d(bottleneck, bottleneck, kernel_size=(3, 1, 1), padding=(1, 0, 0), groups=bottleneck)
        self.up_proj = nn.Conv3d(bottleneck, width, kernel_size=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, T, 1 + h*w, D)`` -> same shape: the input CLS, then the adapted patch tokens."""
        cls, patches = x[:, :, :1], x[:, :, 1:]
        b, t = patches.shape[:2]
        y = self.ln(patches).unflatten(2, (self.side, self.side)).permute(0, 4, 1, 2, 3)  # b c t h w
        y = self.up_proj(quick_gelu(self.conv(self.down_proj(y))))
        y = y.permute(0, 2, 3, 4, 1).reshape(b, t, -1, y.shape[1])
        return torch.cat([cls, y], dim=2)


class VisionAttention(nn.Module):
    def __init__(self, cfg: VisionConfig) -> None:
        super().__init__()
        self.heads = cfg.num_attention_heads
        self.query_key_value = nn.Linear(cfg.hidden_size, 3 * cfg.hidden_size)
        self.dense = nn.Linear(cfg.hidden_size, cfg.hidden_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, length, width = x.shape
        qkv = self.query_key_value(x).reshape(n, length, self.heads, 3, width // self.heads).permute(3, 0, 2, 1, 4)
        context = F.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2])
        return self.dense(context.transpose(1, 2).reshape(n, length, width))


class VisionMLP(nn.Module):
    def __init__(self, cfg: VisionConfig) -> None:
        super().__init__()
        self.fc1 = nn.Linear(cfg.hidden_size, cfg.intermediate_size)
        self.fc2 = nn.Linear(cfg.intermediate_size, cfg.hidden_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(quick_gelu(self.fc1(x)))


class VisionLayer(nn.Module):
    def __init__(self, cfg: VisionConfig) -> None:
        super().__init__()
        self.temporal = TemporalAdapter(cfg)
        self.self_attn = VisionAttention(cfg)
        self.input_layernorm = LayerNormFp32(cfg.hidden_size, eps=cfg.layer_norm_eps)
        self.mlp = VisionMLP(cfg)
        self.post_attention_layernorm = LayerNormFp32(cfg.hidden_size, eps=cfg.layer_norm_eps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t = x.shape[:2]
        if t > 1:
            x = x + self.temporal(x)
        x = x.flatten(0, 1)
        x = x + self.self_attn(self.input_layernorm(x))
        x = x + self.mlp(self.post_attention_layernorm(x))
        return x.unflatten(0, (b, t))


class VisionEncoder(nn.Module):
    def __init__(self, cfg: VisionConfig) -> None:
        super().__init__()
        self.layers = nn.ModuleList(VisionLayer(cfg) for _ in range(cfg.num_hidden_layers))


class VisionModel(nn.Module):
    def __init__(self, cfg: VisionConfig) -> None:
        super().__init__()
        self.embeddings = VisionEmbeddings(cfg)
        self.encoder = VisionEncoder(cfg)
        self.post_layernorm = LayerNormFp32(cfg.hidden_size, eps=cfg.layer_norm_eps)

    def forward(self, video: torch.Tensor) -> torch.Tensor:
        """``(B, C, T, H, W)`` normalised frames -> ``(B, T, 1 + patches, D)``."""
        x = self.embeddings(video)
        for layer in self.encoder.layers:
            x = layer(x)
        return self.post_layernorm(x)


# -------------------------------------------------------------------------------------------- abstractor
class AbstractorSelfAttention(nn.Module):
    def __init__(self, cfg: AbstractorConfig) -> None:
        super().__init__()
        self.heads = cfg.num_attention_heads
        self.query = nn.Linear(cfg.hidden_size, cfg.hidden_size)
        self.key = nn.Linear(cfg.encoder_hidden_size, cfg.hidden_size)
        self.value = nn.Linear(cfg.encoder_hidden_size, cfg.hidden_size)

    def forward(self, queries: torch.Tensor, keys: torch.Tensor) -> torch.Tensor:
        def heads(x: torch.Tensor) -> torch.Tensor:
            return x.unflatten(-1, (self.heads, -1)).transpose(1, 2)

        q, k, v = heads(self.query(queries)), heads(self.key(keys)), heads(self.value(keys))
        scores = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])  # the masks upstream passes are all zeros
        return (scores.softmax(dim=-1) @ v).transpose(1, 2).flatten(2)


class AbstractorMLP(nn.Module):
    def __init__(self, cfg: AbstractorConfig) -> None:
        super().__init__()
        hidden = cfg.mlp_hidden
        self.w1 = nn.Linear(cfg.hidden_size, hidden)
        self.w2 = nn.Linear(hidden, cfg.hidden_size)
        self.w3 = nn.Linear(cfg.hidden_size, hidden)
        self.ffn_ln = LayerNormFp32(hidden, eps=cfg.layer_norm_eps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.w2(self.ffn_ln(F.silu(self.w1(x)) * self.w3(x)))


class AbstractorOutput(nn.Module):
    def __init__(self, cfg: AbstractorConfig) -> None:
        super().__init__()
        self.out_proj = nn.Linear(cfg.hidden_size, cfg.hidden_size)
        self.norm2 = LayerNormFp32(cfg.hidden_size)
        self.mlp = AbstractorMLP(cfg)

    def forward(self, context: torch.Tensor, normed_queries: torch.Tensor) -> torch.Tensor:
        x = normed_queries + self.out_proj(context)
        return x + self.mlp(self.norm2(x))


class AbstractorCrossAttention(nn.Module):
    def __init__(self, cfg: AbstractorConfig) -> None:
        super().__init__()
        self.attention = AbstractorSelfAttention(cfg)
        self.output = AbstractorOutput(cfg)
        self.norm1 = LayerNormFp32(cfg.hidden_size)
        self.normk = LayerNormFp32(cfg.hidden_size)

    def forward(self, queries: torch.Tensor, visual: torch.Tensor) -> torch.Tensor:
        normed = self.norm1(queries)
        keys = torch.cat([normed, self.normk(visual)], dim=1)
        return self.output(self.attention(normed, keys), normed)


class AbstractorLayer(nn.Module):
    def __init__(self, cfg: AbstractorConfig) -> None:
        super().__init__()
        self.crossattention = AbstractorCrossAttention(cfg)


class AbstractorEncoder(nn.Module):
    def __init__(self, cfg: AbstractorConfig) -> None:
        super().__init__()
        self.layers = nn.ModuleList(AbstractorLayer(cfg) for _ in range(cfg.num_hidden_layers))


class VisualAbstractor(nn.Module):
    def __init__(self, cfg: AbstractorConfig, text_hidden: int) -> None:
        super().__init__()
        self.encoder = AbstractorEncoder(cfg)
        self.visual_fc = nn.Linear(cfg.hidden_size, text_hidden)
        self.temporal_visual_fc = nn.Linear(cfg.hidden_size, text_hidden)
        self.vit_eos = nn.Parameter(torch.zeros(1, 1, text_hidden))

    def forward(self, queries: torch.Tensor, temporal_queries: torch.Tensor | None,
                visual: torch.Tensor) -> torch.Tensor:
        """Queries ``(B, Q, D)`` (+ temporal ``(B, Q, D)`` when ``T > 1``) over ``visual`` ``(B, T, N, D)``."""
        multi_frame = visual.shape[1] > 1 and temporal_queries is not None
        x = torch.cat([queries, temporal_queries], dim=1) if multi_frame else queries
        flat = visual.flatten(1, 2)
        for layer in self.encoder.layers:
            x = layer.crossattention(x, flat)
        q = queries.shape[1]
        out = self.visual_fc(x[:, :q])
        if multi_frame:
            out = out + self.temporal_visual_fc(x[:, q:])
        return torch.cat([out, self.vit_eos.expand(out.shape[0], 1, -1).to(out.dtype)], dim=1)


# ------------------------------------------------------------------------------------------------ model
class MplugOwlVideo(nn.Module):
    """Vision tower, visual abstractor and LLaMA, with the released checkpoints' key names."""

    def __init__(self, config: MplugOwlVideoConfig) -> None:
        super().__init__()
        from transformers import LlamaConfig, LlamaForCausalLM

        self.config = config
        text_config = LlamaConfig(**{k: v for k, v in config.text.items() if k != 'model_type'})
        width = config.abstractor.hidden_size
        self.vision_model = VisionModel(config.vision)
        self.query_tokens = nn.Parameter(torch.zeros(1, config.num_query_tokens, width))
        self.temporal_query_tokens = nn.Parameter(torch.zeros(1, config.num_query_tokens, width))
        self.abstractor = VisualAbstractor(config.abstractor, text_config.hidden_size)
        self.language_model = LlamaForCausalLM(text_config)

    def video_tokens(self, video: torch.Tensor) -> torch.Tensor:
        """``(B, C, T, H, W)`` normalised frames -> ``(B, 65, text hidden)`` tokens for the language model."""
        visual = self.vision_model(video)
        b = visual.shape[0]
        return self.abstractor(self.query_tokens.expand(b, -1, -1), self.temporal_query_tokens.expand(b, -1, -1),
                               visual)

    def splice(self, input_ids: torch.Tensor, video_tokens: torch.Tensor) -> torch.Tensor:
        """Embed ``input_ids`` (negative ids mark the video placeholder run) with each row's video tokens over it.

        Raises:
            ValueError: If a row has no run of exactly :data:`VIDEO_TOKENS` placeholders.
        """
        ids = input_ids.clamp(min=0).masked_fill(input_ids < 0, 1)  # upstream embeds placeholders as id 1
        embeds = self.language_model.get_input_embeddings()(ids)
        placeholder = input_ids < 0
        counts = placeholder.sum(dim=1)
        if bool((counts != video_tokens.shape[1]).any()):
            raise ValueError(f'each prompt needs one run of {video_tokens.shape[1]} video placeholders, '
                             f'but got {counts.tolist()}')
        embeds = embeds.clone()
        embeds[placeholder] = video_tokens.reshape(-1, video_tokens.shape[-1]).to(embeds.dtype)
        return embeds

    def logits(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, video_tokens: torch.Tensor) -> torch.Tensor:
        """The language model's logits ``(B, L, vocab)`` over the prompts with each row's video tokens spliced in."""
        embeds = self.splice(input_ids, video_tokens)
        return self.language_model(inputs_embeds=embeds, attention_mask=attention_mask, use_cache=False).logits

    def generate(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, video_tokens: torch.Tensor,
                 **kwargs: Any) -> torch.Tensor:
        """The generated ids (new tokens only) after the prompts with each row's video tokens spliced in."""
        embeds = self.splice(input_ids, video_tokens)
        return self.language_model.generate(inputs_embeds=embeds, attention_mask=attention_mask, **kwargs)


#: buffers older transformers saved with LLaMA's weights (recomputed from the config, not parameters)
ROTARY_BUFFER = '.rotary_emb.inv_freq'


def convert_checkpoint(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The released state dict in our module's names: unwrap ``module``/``model``, drop rotary buffers.

    Every other key must be ours exactly (checked by the strict load).
    """
    for wrapper in ('module', 'model', 'state_dict'):
        if set(state) == {wrapper} and isinstance(state[wrapper], dict):
            state = state[wrapper]
    return {k: v for k, v in state.items() if not k.endswith(ROTARY_BUFFER)}


def _read_state(folder: Path) -> dict[str, torch.Tensor]:
    safes = sorted(folder.glob('*.safetensors'))
    if safes:
        from safetensors.torch import load_file

        state: dict[str, torch.Tensor] = {}
        for path in safes:
            state.update(load_file(str(path)))
        return state
    bins = sorted(folder.glob('pytorch_model*.bin'))
    if not bins:
        raise FileNotFoundError(f'{folder}: no model.safetensors or pytorch_model.bin; point `model_path` at the '
                                'downloaded checkpoint folder')
    state = {}
    for path in bins:
        state.update(torch.load(path, map_location='cpu', weights_only=True))
    return state


def load_mplug_owl_video(folder: str | Path, dtype: torch.dtype = torch.float32) -> MplugOwlVideo:
    """Build the network from ``folder/config.json`` and load its weights strictly.

    Raises:
        RuntimeError: On any missing or unexpected key (named).
    """
    folder = Path(folder)
    config = MplugOwlVideoConfig.from_dict(json.loads((folder / 'config.json').read_text(encoding='utf-8')))
    with torch.device('meta'):
        model = MplugOwlVideo(config)
    state = convert_checkpoint(_read_state(folder))
    model.load_state_dict(state, strict=True, assign=True)
    model.language_model.model.rotary_emb.__init__(model.language_model.config)  # buffers are not in the file
    return model.to(dtype).eval().requires_grad_(False)
