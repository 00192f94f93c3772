"""Light-VQA+: network and pure feature steps, reconstructed from the paper and Light-VQA's released code.

Paper: Xunchu Zhou, Xiaohong Liu, Yunlong Dong, Tengchuan Kou, Yixuan Gao, Zicheng Zhang, Chunyi Li,
Haoning Wu, Guangtao Zhai, "Light-VQA+: A Video Quality Assessment Model for Exposure Correction with
Vision-Language Guidance", arXiv 2405.03333 (2024). Its repository (SaMMyCHoo/Light-VQA-plus) holds only a
README ("The code will be released soon"). Its predecessor Light-VQA (Dong et al., ACM MM 2023,
wenzhouyidu/Light-VQA, no license file) is public and is the base here: ``final_fusion_model.py`` (Swin-S
with stage-3 and stage-4 pooled features, ``head`` -> ReLU -> ``head1`` -> ReLU -> ``head2``, output clamped
to [0, 100], the video score the mean over 8 key frames) and ``extract_temporal_features.py`` (SlowFast).

What Light-VQA+ changes, as its abstract states: brightness and noise features come from CLIP with
vision-language prompts instead of hand-crafted statistics. Reconstructed here (every item is inferred,
see ``docs/metrics/lightvqa_plus.md``):

* key frames: 8 at ``round(linspace(0, T - 1, 8))``, resized to 672x1120 (3 x 5 tiles of 224);
* BNS (300 per key frame): CLIP ViT-B/32 zero-shot probabilities (x10) of 5 noise and 5 exposure prompts
  on each of the 15 tiles, for the key frame (local) and averaged over its eighth of the video (global),
  ordered ``[noise local, noise global, exposure local, exposure global]`` (75 each);
* BC, brightness consistency (300 per key frame): variances over time of the per-frame exposure
  probabilities (75 = 15 tiles x 5) at temporal steps 1, 2, 4, 8;
* temporal (2304 per key frame): SlowFast-R50 on the 32 frames from the key frame at 224x224;
* head input per key frame: Swin stage-4 (768) + BNS (300) + Swin stage-3 (768) + [temporal | BC] (2604)
  = 4440.
"""
from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from aigve.models.swin import SWIN_SMALL, SwinBackbone

__all__ = [
    'BC_DIM',
    'BNS_DIM',
    'EXPOSURE_PROMPTS',
    'NOISE_PROMPTS',
    'NUM_KEY_FRAMES',
    'ClipExposurePrompts',
    'LightVQAPlusNet',
    'brightness_consistency',
    'clip_from',
    'key_frame_indices',
    'segment_means',
    'tile_frames'
]

NUM_KEY_FRAMES = 8
BNS_DIM = 300
BC_DIM = 300
#: Text prompts (5 exposure levels, 5 noise levels) of the CLIP guidance.
EXPOSURE_PROMPTS = ('an underexposed photo', 'a slightly underexposed photo', 'a well-exposed photo',
                    'a slightly overexposed photo', 'an overexposed photo')
NOISE_PROMPTS = ('a photo with no noise', 'a photo with little noise', 'a photo with considerable noise',
                 'a photo with serious noise', 'a photo with extreme noise')
_BC_STEPS = (1, 2, 4, 8)


class LightVQAPlusNet(SwinBackbone):
    """Swin-S + regression head; key names as Light-VQA's ``SwinTransformer`` (``head``, ``head1``, ``head2``).

    Inputs:
        ``forward(frames, bns, temporal)``: ``frames`` ``(K, 3, H, W)`` ImageNet-normalised key frames,
        ``bns`` ``(K, 300)``, ``temporal`` ``(K, 2604)`` = [SlowFast 2304 | BC 300]. Returns ``(K,)``
        per-key-frame quality in [0, 100].

    Args:
        first_fc: Width of ``head``. Defaults to 1024.
        swin: Swin configuration. Defaults to Swin-S.
    """

    def __init__(self, first_fc: int = 1024, swin: dict | None = None) -> None:
        super().__init__(**(swin or SWIN_SMALL))
        in_features = self.num_features * 2 + BNS_DIM + 2304 + BC_DIM
        self.head = nn.Linear(in_features, first_fc)
        self.head1 = nn.Linear(first_fc, 64)
        self.head2 = nn.Linear(64, 1)

    def features(self, frames: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Pooled Swin (stage-3, stage-4) features of ``(K, 3, H, W)`` frames, each ``(K, 768)``."""
        return SwinBackbone.forward(self, frames)

    def regress(self, stage4: torch.Tensor, bns: torch.Tensor, stage3: torch.Tensor,
                temporal: torch.Tensor) -> torch.Tensor:
        x = torch.cat([stage4, bns, stage3, temporal], dim=1)
        x = self.head2(torch.relu(self.head1(torch.relu(self.head(x)))))
        return x.squeeze(1).clamp(0.0, 100.0)

    def forward(self, frames: torch.Tensor, bns: torch.Tensor, temporal: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        stage3, stage4 = self.features(frames)
        return self.regress(stage4, bns, stage3, temporal)


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


def key_frame_indices(num_frames: int, n: int = NUM_KEY_FRAMES) -> list[int]:
    """``round(linspace(0, T - 1, n))`` (repeats when ``T < n``).

    Examples:
        >>> key_frame_indices(100), key_frame_indices(3)
        ([0, 14, 28, 42, 57, 71, 85, 99], [0, 0, 1, 1, 1, 1, 2, 2])
    """
    if num_frames < 1:
        raise ValueError(f'`num_frames` must be >= 1, but got {num_frames}')
    return torch.linspace(0, num_frames - 1, n, dtype=torch.float64).round().long().tolist()


def clip_from(start: int, num_frames: int, clip_len: int = 32) -> list[int]:
    """``clip_len`` frame indices from ``start``, the last frame repeated past the end."""
    return [min(start + j, num_frames - 1) for j in range(clip_len)]


def tile_frames(frames: torch.Tensor, tile: int) -> torch.Tensor:
    """Cut ``(N, 3, R * tile, C * tile)`` into ``(N * C * R, 3, tile, tile)``, columns outer, rows inner."""
    _, c, h, w = frames.shape
    if h % tile or w % tile:
        raise ValueError(f'frames must be a multiple of the tile size {tile}, but got {h}x{w}')
    x = frames.unfold(2, tile, tile).unfold(3, tile, tile)  # (N, 3, R, C, t, t)
    return x.permute(0, 3, 2, 1, 4, 5).reshape(-1, c, tile, tile)


def _segments(num_frames: int, n: int) -> list[tuple[int, int]]:
    """``n`` consecutive ranges: size ``T // n``, the last takes the rest; single frames when ``T < n``."""
    if num_frames >= n:
        size = num_frames // n
        return [(i * size, (i + 1) * size if i < n - 1 else num_frames) for i in range(n)]
    return [(i * num_frames // n, i * num_frames // n + 1) for i in range(n)]


def segment_means(per_frame: torch.Tensor, n: int = NUM_KEY_FRAMES) -> torch.Tensor:
    """Mean of ``(T, D)`` rows over each of ``n`` temporal segments -> ``(n, D)``."""
    return torch.stack([per_frame[a:b].mean(0) for a, b in _segments(per_frame.shape[0], n)])


def _var(rows: torch.Tensor) -> torch.Tensor:
    if rows.shape[0] < 2:
        return rows.new_zeros(rows.shape[1])
    return rows.var(dim=0, unbiased=True)


def brightness_consistency(exposure: torch.Tensor, n: int = NUM_KEY_FRAMES,
                           steps: Sequence[int] = _BC_STEPS) -> torch.Tensor:
    """Multi-scale temporal variance of per-frame exposure probabilities, ``(T, D) -> (n, len(steps) * D)``.

    For each ``step``, the video is cut into ``n // step`` segments; in each, the variance over time is
    taken on every ``step``-th frame for each of the ``step`` phases and averaged over phases. Key frame
    ``i`` gets the segment that contains it at every scale. Fewer than two frames give variance 0.
    """
    t = exposure.shape[0]
    scales = []
    for step in steps:
        per_segment = []
        for a, b in _segments(t, n // step) if n // step > 0 else [(0, t)]:
            chunk = exposure[a:b]
            per_segment.append(torch.stack([_var(chunk[j::step]) for j in range(step)]).mean(0))
        scales.append(per_segment)
    rows = [torch.cat([scales[s][i * len(scales[s]) // n] for s in range(len(steps))]) for i in range(n)]
    return torch.stack(rows)
