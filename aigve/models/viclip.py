"""ViCLIP ViT-L/14 (InternVid), the video-text model of VBench's ``overall_consistency`` and ``temporal_style``.

Paper: Wang et al., "InternVid: A Large-scale Video-Text Dataset for Multimodal Understanding and
Generation", ICLR 2024. Architecture read from VBench's copy ``vbench/third_party/ViCLIP/{viclip,
viclip_vision,viclip_text}.py`` (github.com/Vchitect/VBench @45e79ec, Apache-2.0; from OpenGVLab/InternVideo);
this is our own code, with the module names of that definition so that the released
``ViClip-InternVid-10M-FLT.pth`` (its state dict under the top key ``model``) loads with ``strict=True``.

* Vision (``vision_encoder``): a ``Conv3d`` patch embedding of kernel ``(1, 14, 14)`` without bias, a CLS
  token plus 257 spatial position embeddings shared by every frame, a ``temporal_positional_embedding``
  ``[1, 8, 1024]`` added to the patch tokens only (the CLS token is not given one), one joint attention over
  ``1 + 8 * 256`` tokens through 24 pre-LN blocks (``nn.MultiheadAttention``, QuickGELU MLP), ``ln_post`` and
  the CLS token times ``proj`` ``[1024, 768]``.
* Text (``text_encoder``): the CLIP text transformer (width 768, 12 layers, 12 heads, causal mask, context 32),
  ``ln_final``, the embedding at the end-of-text token (the largest id of the row) times ``text_projection``.
* ``temp``: the contrastive temperature (unused for scoring, kept for strict loading).

Tokenisation is OpenAI CLIP's rule (:class:`ViCLIPTokenizer`): ``[SOT] + BPE(clean(text)) + [EOT]``,
truncated to the context length with the last kept id replaced by EOT, padded with 0.
"""
from __future__ import annotations

import html
import re
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import torch
from mmengine.logging import print_log
from torch import nn

from aigve.utils.imports import is_available
from aigve.utils.weights import ResolvedWeights, resolve_weights

__all__ = [
    'VICLIP_CONTEXT_LENGTH', 'VICLIP_NUM_FRAMES', 'VICLIP_WEIGHTS', 'VICLIP_TOKENIZER', 'QuickGELU', 'ViCLIP',
    'ViCLIPVision', 'ViCLIPText', 'ViCLIPTokenizer', 'openai_clip_clean', 'load_viclip', 'load_viclip_tokenizer',
    'extract_viclip_state_dict', 'load_checkpoint_file', 'unwrap_state_dict'
]

#: Text context of ViCLIP (VBench's ``max_txt_l``): prompts are cut to 32 tokens, EOT included.
VICLIP_CONTEXT_LENGTH = 32
#: Frames per clip of the released model (the length of ``temporal_positional_embedding``).
VICLIP_NUM_FRAMES = 8
#: Manifest name of the released checkpoint.
VICLIP_WEIGHTS = 'viclip-internvid-10m-flt'
#: Where the tokenizer comes from: a hub id (or local folder) of OpenAI's CLIP BPE, whose ``vocab.json`` and
#: ``merges.txt`` are the vocabulary of VBench's ``bpe_simple_vocab_16e6.txt.gz``.
VICLIP_TOKENIZER = 'openai/clip-vit-large-patch14'


class QuickGELU(nn.Module):
    """OpenAI CLIP's activation ``x * sigmoid(1.702 x)``."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.sigmoid(1.702 * x)


class _ResidualBlock(nn.Module):
    """Pre-LN block: ``x + attn(ln_1(x))`` then ``x + mlp(ln_2(x))`` (keys ``attn``, ``ln_1``, ``mlp``, ``ln_2``)."""

    def __init__(self, width: int, heads: int) -> None:
        super().__init__()
        self.attn = nn.MultiheadAttention(width, heads, batch_first=True)
        self.ln_1 = nn.LayerNorm(width)
        self.mlp = nn.Sequential(OrderedDict([('c_fc', nn.Linear(width, width * 4)), ('gelu', QuickGELU()),
                                              ('c_proj', nn.Linear(width * 4, width))]))
        self.ln_2 = nn.LayerNorm(width)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        h = self.ln_1(x)
        x = x + self.attn(h, h, h, need_weights=False, attn_mask=mask)[0]
        return x + self.mlp(self.ln_2(x))


class _Transformer(nn.Module):
    def __init__(self, width: int, layers: int, heads: int) -> None:
        super().__init__()
        self.resblocks = nn.ModuleList(_ResidualBlock(width, heads) for _ in range(layers))

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        for block in self.resblocks:
            x = block(x, mask)
        return x


class ViCLIPVision(nn.Module):
    """ViCLIP's video encoder: ``(B, T, 3, S, S)`` normalised frames -> ``(B, output_dim)`` embeddings.

    Args:
        width: Token width. Defaults to 1024.
        layers: Blocks. Defaults to 24.
        heads: Attention heads. Defaults to 16.
        patch_size: Spatial patch side. Defaults to 14.
        image_size: Input side. Defaults to 224.
        num_frames: Length of the temporal position embedding. Defaults to 8.
        output_dim: Embedding size after ``proj``. Defaults to 768.
    """

    def __init__(self, width: int = 1024, layers: int = 24, heads: int = 16, patch_size: int = 14,
                 image_size: int = 224, num_frames: int = VICLIP_NUM_FRAMES, output_dim: int = 768) -> None:
        super().__init__()
        self.image_size = image_size
        self.conv1 = nn.Conv3d(3, width, (1, patch_size, patch_size), (1, patch_size, patch_size), bias=False)
        scale = width**-0.5
        self.class_embedding = nn.Parameter(scale * torch.randn(width))
        self.positional_embedding = nn.Parameter(scale * torch.randn((image_size // patch_size)**2 + 1, width))
        self.ln_pre = nn.LayerNorm(width)
        self.temporal_positional_embedding = nn.Parameter(torch.zeros(1, num_frames, width))
        self.transformer = _Transformer(width, layers, heads)
        self.ln_post = nn.LayerNorm(width)
        self.proj = nn.Parameter(scale * torch.randn(width, output_dim))

    def forward(self, video: torch.Tensor) -> torch.Tensor:
        """Embed ``(B, T, 3, S, S)`` clips; ``T`` must equal ``num_frames`` (or be 1, as the original allows)."""
        b, t = video.shape[:2]
        x = self.conv1(video.permute(0, 2, 1, 3, 4))  # (B, C, T, h, w)
        c = x.shape[1]
        x = x.permute(0, 2, 3, 4, 1).reshape(b, t, -1, c) + self.positional_embedding[1:].to(x.dtype)
        temporal = self.temporal_positional_embedding
        if t == 1:  # the original's single-image path: the mean temporal embedding
            temporal = temporal.mean(1, keepdim=True)
        elif t != temporal.shape[1]:
            raise ValueError(f'`video` must have {temporal.shape[1]} frames (the temporal position embedding), '
                             f'but got {t}')
        # patch-major, time-minor token order, as the original's '(b n) t m -> b (n t) m'
        x = (x.transpose(1, 2) + temporal.to(x.dtype).unsqueeze(0)).reshape(b, -1, c)
        cls = (self.class_embedding + self.positional_embedding[0]).to(x.dtype).expand(b, 1, c)
        x = self.transformer(self.ln_pre(torch.cat([cls, x], dim=1)))
        return self.ln_post(x[:, 0]) @ self.proj


class ViCLIPText(nn.Module):
    """ViCLIP's text encoder (CLIP's): ``(B, L)`` token ids -> ``(B, embed_dim)`` embeddings at the EOT token.

    Args:
        width: Token width. Defaults to 768.
        layers: Blocks. Defaults to 12.
        heads: Attention heads. Defaults to 12.
        context_length: Positions (ids are padded to it). Defaults to 32.
        vocab_size: Vocabulary size. Defaults to 49408.
        embed_dim: Embedding size after ``text_projection``. Defaults to 768.
    """

    def __init__(self, width: int = 768, layers: int = 12, heads: int = 12,
                 context_length: int = VICLIP_CONTEXT_LENGTH, vocab_size: int = 49408, embed_dim: int = 768) -> None:
        super().__init__()
        self.context_length = context_length
        self.token_embedding = nn.Embedding(vocab_size, width)
        self.positional_embedding = nn.Parameter(torch.randn(context_length, width) * 0.01)
        self.transformer = _Transformer(width, layers, heads)
        self.ln_final = nn.LayerNorm(width)
        self.text_projection = nn.Parameter(torch.randn(width, embed_dim) * width**-0.5)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        """Embed ``(B, context_length)`` ids (as :class:`ViCLIPTokenizer` makes them)."""
        if ids.ndim != 2 or ids.shape[1] != self.context_length:
            raise ValueError(f'`ids` must be (B, {self.context_length}) token ids, but got {tuple(ids.shape)}')
        ids = ids.long()
        x = self.token_embedding(ids) + self.positional_embedding
        n = ids.shape[1]
        mask = torch.full((n, n), float('-inf'), dtype=x.dtype, device=x.device).triu_(1)
        x = self.ln_final(self.transformer(x, mask))
        return x[torch.arange(x.shape[0], device=x.device), ids.argmax(dim=-1)] @ self.text_projection


class ViCLIP(nn.Module):
    """ViCLIP: ``vision_encoder``, ``text_encoder`` and ``temp``, keyed as ``ViClip-InternVid-10M-FLT.pth``.

    The defaults are the released ViT-L/14; smaller sizes build the tiny models of the tests.

    Examples:
        >>> m = ViCLIP(vision_width=16, vision_layers=1, vision_heads=2, patch_size=4, image_size=8,
        ...            text_width=16, text_layers=1, text_heads=2, vocab_size=50, embed_dim=8)
        >>> m.encode_video(torch.randn(2, 8, 3, 8, 8)).shape, m.encode_text(torch.zeros(1, 32, dtype=torch.long)).shape
        (torch.Size([2, 8]), torch.Size([1, 8]))
    """

    def __init__(self, vision_width: int = 1024, vision_layers: int = 24, vision_heads: int = 16,
                 patch_size: int = 14, image_size: int = 224, num_frames: int = VICLIP_NUM_FRAMES,
                 text_width: int = 768, text_layers: int = 12, text_heads: int = 12,
                 context_length: int = VICLIP_CONTEXT_LENGTH, vocab_size: int = 49408, embed_dim: int = 768) -> None:
        super().__init__()
        self.vision_encoder = ViCLIPVision(vision_width, vision_layers, vision_heads, patch_size, image_size,
                                           num_frames, embed_dim)
        self.text_encoder = ViCLIPText(text_width, text_layers, text_heads, context_length, vocab_size, embed_dim)
        self.temp = nn.Parameter(torch.ones([]) / 100.0)

    @property
    def image_size(self) -> int:
        """Side of the square frames the vision encoder takes."""
        return self.vision_encoder.image_size

    @property
    def num_frames(self) -> int:
        """Frames per clip."""
        return self.vision_encoder.temporal_positional_embedding.shape[1]

    @property
    def context_length(self) -> int:
        """Token ids per prompt."""
        return self.text_encoder.context_length

    def encode_video(self, video: torch.Tensor) -> torch.Tensor:
        """``(B, T, 3, S, S)`` normalised frames -> ``(B, D)`` unnormalised embeddings."""
        return self.vision_encoder(video)

    def encode_text(self, ids: torch.Tensor) -> torch.Tensor:
        """``(B, context_length)`` ids -> ``(B, D)`` unnormalised embeddings."""
        return self.text_encoder(ids)


# ------------------------------------------------------------------------------------------------ tokenizer
def openai_clip_clean(text: str) -> str:
    """OpenAI CLIP's text cleaning: ``ftfy.fix_text`` (when installed), HTML unescaped twice, whitespace, lower.

    Examples:
        >>> openai_clip_clean('  A  Cat &amp;amp;\\n Dog ')
        'a cat & dog'
    """
    if is_available('ftfy'):
        import ftfy

        text = ftfy.fix_text(text)
    text = html.unescape(html.unescape(text)).strip()
    return re.sub(r'\s+', ' ', text).strip().lower()


class ViCLIPTokenizer:
    """OpenAI CLIP's ``tokenize`` rule over a Hugging Face CLIP BPE tokenizer, at ViCLIP's context of 32.

    ``[SOT] + BPE(openai_clip_clean(text)) + [EOT]``; longer rows are cut to ``context_length`` ids and the last
    kept id is replaced by EOT (VBench's ``truncate=True``); shorter rows are padded with 0 (OpenAI pads with 0,
    not with the Hugging Face pad token). Without ``ftfy`` a prompt with non-ASCII characters may get other ids
    than VBench's (a WARNING says so): install ``ftfy`` for those.

    Args:
        tokenizer: A ``transformers`` CLIP tokenizer (its vocabulary and merges are OpenAI's).
        context_length: Ids per row. Defaults to 32.
    """

    def __init__(self, tokenizer: Any, context_length: int = VICLIP_CONTEXT_LENGTH) -> None:
        if isinstance(context_length, bool) or not isinstance(context_length, int) or context_length < 2:
            raise ValueError(f'`context_length` must be an int >= 2, but got {context_length!r}')
        self.tokenizer = tokenizer
        self.context_length = context_length
        self.sot = self._special('bos_token_id', '<|startoftext|>')
        self.eot = self._special('eos_token_id', '<|endoftext|>')
        self._warned_ascii = False

    def _special(self, attr: str, token: str) -> int:
        value = getattr(self.tokenizer, attr, None)
        if value is None:
            value = self.tokenizer.convert_tokens_to_ids(token)
        if not isinstance(value, int):
            raise TypeError(f'`tokenizer` must define {token}, but {type(self.tokenizer).__name__} does not')
        return value

    def encode(self, text: str) -> list[int]:
        """BPE ids of one text, without SOT/EOT and untruncated."""
        if not isinstance(text, str):
            raise TypeError(f'`text` must be a str, but got {type(text).__name__}')
        if not text.isascii() and not is_available('ftfy') and not self._warned_ascii:
            self._warned_ascii = True
            print_log('ViCLIPTokenizer: a prompt has non-ASCII characters and `ftfy` is not installed; OpenAI\'s '
                      'tokenizer runs ftfy.fix_text first, so ids may differ from VBench\'s (pip install ftfy)',
                      logger='current', level=30)
        return list(self.tokenizer(openai_clip_clean(text), add_special_tokens=False)['input_ids'])

    def __call__(self, texts: str | Sequence[str]) -> torch.Tensor:
        """``(N, context_length)`` int64 ids of ``texts`` (one str gives one row)."""
        texts = [texts] if isinstance(texts, str) else list(texts)
        out = torch.zeros(len(texts), self.context_length, dtype=torch.long)
        for row, text in enumerate(texts):
            ids = [self.sot, *self.encode(text), self.eot]
            if len(ids) > self.context_length:
                ids = ids[:self.context_length]
                ids[-1] = self.eot
            out[row, :len(ids)] = torch.tensor(ids)
        return out

    def num_tokens(self, text: str) -> int:
        """Ids of ``text`` with SOT and EOT before truncation (more than ``context_length`` = truncated)."""
        return len(self.encode(text)) + 2


def load_viclip_tokenizer(name_or_path: str | None = None, revision: str | None = None,
                          context_length: int = VICLIP_CONTEXT_LENGTH) -> tuple[ViCLIPTokenizer, ResolvedWeights]:
    """The CLIP BPE tokenizer from a manifest name, hub id or local folder, wrapped as :class:`ViCLIPTokenizer`.

    Args:
        name_or_path: Defaults to None (:data:`VICLIP_TOKENIZER`, ``openai/clip-vit-large-patch14``; only its
            tokenizer files are read).
        revision: Hub revision. Defaults to None (the manifest's pin).
        context_length: Defaults to 32.

    Raises:
        ImportError: ``transformers`` is missing.
    """
    if not is_available('transformers'):
        raise ImportError('the ViCLIP tokenizer needs `transformers`; install it with: pip install "aigve[clip]"')
    from transformers import CLIPTokenizer

    resolved = resolve_weights(name_or_path or VICLIP_TOKENIZER, revision=revision)
    tokenizer = CLIPTokenizer.from_pretrained(str(resolved.path))
    return ViCLIPTokenizer(tokenizer, context_length), resolved


# ------------------------------------------------------------------------------------------------ weights
def unwrap_state_dict(obj: Any, what: str) -> dict[str, torch.Tensor]:
    """The state dict of a loaded checkpoint: under ``model``, ``module`` or ``state_dict``, or the dict itself.

    Raises:
        TypeError: If no dict of tensors is found.
    """
    for key in ('model', 'module', 'state_dict'):
        if isinstance(obj, dict) and isinstance(obj.get(key), dict):
            obj = obj[key]
            break
    if not isinstance(obj, dict) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise TypeError(f'expected a {what} state dict (a dict of tensors, or one under "model"), but got '
                        f'{type(obj).__name__}')
    return obj


def extract_viclip_state_dict(obj: Any) -> dict[str, torch.Tensor]:
    """The ViCLIP state dict of a loaded checkpoint (the release keeps it under ``model``)."""
    return unwrap_state_dict(obj, 'ViCLIP')


def load_checkpoint_file(path: Any, what: str) -> Any:
    """``torch.load`` with ``weights_only=True``; a file that needs arbitrary pickles gets an error saying what to do.

    Raises:
        ValueError: The file holds more than tensors and plain containers.
    """
    import pickle

    try:
        return torch.load(path, map_location='cpu', weights_only=True)
    except pickle.UnpicklingError as e:
        raise ValueError(f'{what}: {path} holds objects other than tensors, so it is not loaded (weights_only=True). '
                         'Re-save its state dict with torch.save(torch.load(path, weights_only=False)["model"]) from '
                         'a trusted copy, and pass that file as model_path') from e


def load_viclip(model_path: str | None = None, check_hash: bool = True) -> tuple[ViCLIP, ResolvedWeights]:
    """Build ViCLIP-L/14 and load ``ViClip-InternVid-10M-FLT.pth`` strictly.

    Args:
        model_path: The checkpoint, or a folder holding it. Defaults to None (cache, then download).
        check_hash: Refuse a ``model_path`` whose sha256 differs from the recorded one. Defaults to True.

    Returns:
        ``(model, resolved)``: the model in eval mode without gradients, and which file it was.
    """
    resolved = resolve_weights(VICLIP_WEIGHTS, model_path, check_hash=check_hash)
    state = extract_viclip_state_dict(load_checkpoint_file(resolved.path, 'ViCLIP'))
    model = ViCLIP()
    model.load_state_dict(state, strict=True)
    print_log(f'ViCLIP: loaded {resolved.path}', logger='current')
    return model.eval().requires_grad_(False), resolved
