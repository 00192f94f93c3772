"""``LightVQAPlus`` metric: exposure-aware no-reference video quality (Light-VQA+, reconstructed)."""
from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from aigve.core.base_metric import BaseVideoMetric
from aigve.metrics.video_quality._common import (
    CLIP_MEAN,
    CLIP_STD,
    IMAGENET_MEAN,
    IMAGENET_STD,
    check_positive_int,
    load_quality_head,
    normalise,
    resize,
)
from aigve.metrics.video_quality._motion import SlowFastMotion
from aigve.metrics.video_quality.lightvqa_plus.functional import (
    EXPOSURE_PROMPTS,
    NOISE_PROMPTS,
    NUM_KEY_FRAMES,
    brightness_consistency,
    clip_from,
    hvs_pool,
    key_frame_indices,
    segment_means,
    tile_frames,
)
from aigve.metrics.video_quality.lightvqa_plus.network import ClipExposurePrompts, LightVQAPlusNet
from aigve.registry import METRICS
from aigve.utils.frames import check_video
from aigve.utils.lazy_video import LazyVideo, in_batches, take_frames
from aigve.utils.weights import ResolvedWeights, resolve_weights

__all__ = ['LightVQAPlus', 'build_clip_exposure_prompts']

_WEIGHTS = 'lightvqa-plus'


def build_clip_exposure_prompts(
        clip_model: str = 'clip-vit-base-patch32') -> tuple[ClipExposurePrompts, ResolvedWeights]:
    """CLIP ViT-B/32 (transformers) with the tokenised prompts, and the record of the CLIP weights.

    ``clip_model`` is a manifest name, hub id or local folder, resolved by
    :func:`aigve.utils.weights.resolve_weights`.
    """
    from transformers import CLIPModel, CLIPTokenizer

    resolved = resolve_weights(clip_model)
    path = str(resolved.path)
    tokenizer = CLIPTokenizer.from_pretrained(path)
    model = CLIPModel.from_pretrained(path).eval()
    noise = dict(tokenizer(list(NOISE_PROMPTS), padding=True, truncation=True, return_tensors='pt'))
    exposure = dict(tokenizer(list(EXPOSURE_PROMPTS), padding=True, truncation=True, return_tensors='pt'))
    return ClipExposurePrompts(model, noise, exposure), resolved


@METRICS.register_module()
class LightVQAPlus(SlowFastMotion, BaseVideoMetric):
    """Light-VQA+ exposure-aware video quality (higher is better, in [0, 100]); architecture reconstructed.

    The authors' code was never published; this follows Light-VQA's released model and the Light-VQA+
    paper's description (CLIP-guided brightness/noise features, cross-attention fusion of spatial and
    temporal information, HVS-inspired clip weighting). ``docs/metrics/lightvqa_plus.md`` lists every
    inferred part. A checkpoint that does not match the reconstruction fails ``strict=True`` loading loudly.

    Inputs:
        ``videos``: ``(T, 3, H, W)`` uint8 RGB, any ``T >= 1``. 8 key frames; CLIP runs on 15 tiles of every
        frame (the global brightness/noise and brightness-consistency features use the whole video).

    Outputs per video: ``lightvqa_plus``, the 8 clip scores averaged with the HVS weights.

    Args:
        model_path: The Light-VQA+ checkpoint (whole network state dict). Defaults to None (resolver).
        clip_model: CLIP manifest name, hub id or folder. Defaults to ``'clip-vit-base-patch32'``.
        slowfast_model_path: ``SLOWFAST_8x8_R50.pyth`` (or a folder). Defaults to None (resolver).
        net: A ready :class:`LightVQAPlusNet`. Defaults to None.
        net_cfg: Keyword arguments of :class:`LightVQAPlusNet` (``dim``, ``num_heads``, ``first_fc``,
            ``hvs_hidden``: inferred widths, see the card) when ``net`` is None. Defaults to None.
        motion_extractor: A ready module with ``forward_features([slow, fast]) -> (N, 2304)``. Defaults to None.
        exposure_prompts: A ready :class:`ClipExposurePrompts`. Defaults to None.
        pretrained: Load the checkpoints; ``False`` gives random weights (tests only). Defaults to True.
        frame_size: ``(h, w)`` key frames and CLIP frames are resized to; a multiple of ``tile_size`` in
            3 x 5 tiles. Defaults to ``(672, 1120)``.
        tile_size: CLIP tile side. Defaults to 224.
        motion_size: Side of the SlowFast frames. Defaults to 224.
        clip_len: Frames per SlowFast clip. Defaults to 32.
        frame_batch_size: Frames per CLIP/Swin forward (x15 tiles for CLIP). Defaults to 4.
        clip_batch_size: Clips per SlowFast forward. Defaults to 2.
        device: ``'auto'``, ``'cpu'`` or ``'cuda[:N]'``. Defaults to ``'auto'``.
        collect_device: Defaults to ``'cpu'``.
        prefix: Defaults to ``'lightvqa_plus'``.
    """

    default_prefix = 'lightvqa_plus'
    higher_is_better = True
    score_range = (0.0, 100.0)
    experimental = True  # fusion and HVS modules inferred; no released checkpoint
    streams_frames = True  # CLIP tiles frame batch by frame batch; only the key frames and clips are decoded again

    def __init__(self,
                 model_path: str | None = None,
                 clip_model: str = 'clip-vit-base-patch32',
                 slowfast_model_path: str | None = None,
                 net: nn.Module | None = None,
                 net_cfg: dict | None = None,
                 motion_extractor: nn.Module | None = None,
                 exposure_prompts: nn.Module | None = None,
                 pretrained: bool = True,
                 frame_size: Sequence[int] = (672, 1120),
                 tile_size: int = 224,
                 motion_size: int = 224,
                 clip_len: int = 32,
                 frame_batch_size: int = 4,
                 clip_batch_size: int = 2,
                 device: str = 'auto',
                 collect_device: str = 'cpu',
                 prefix: str | None = None) -> None:
        super().__init__(device=device, collect_device=collect_device, prefix=prefix)
        self.tile_size = check_positive_int(tile_size, 'tile_size')
        if len(frame_size) != 2 or tuple(frame_size) != (3 * tile_size, 5 * tile_size):
            raise ValueError(f'`frame_size` must be (3 * tile_size, 5 * tile_size) = {(3 * tile_size, 5 * tile_size)}'
                             f' (15 tiles), but got {tuple(frame_size)}')
        self.frame_size = (int(frame_size[0]), int(frame_size[1]))
        self.frame_batch_size = check_positive_int(frame_batch_size, 'frame_batch_size')

        self.init_motion(motion_extractor, slowfast_model_path, pretrained, motion_size=motion_size,
                         clip_len=clip_len, clip_batch_size=clip_batch_size)
        if exposure_prompts is None:
            exposure_prompts, resolved = build_clip_exposure_prompts(clip_model)
            self.record_weights(resolved)
        if net is None:
            net, resolved = load_quality_head(LightVQAPlusNet(**(net_cfg or {})), _WEIGHTS, model_path, pretrained,
                                              'LightVQAPlus')
            self.record_weights(resolved)
        self.net = net.to(self.device).eval().requires_grad_(False)
        self.exposure_prompts = exposure_prompts.to(self.device).eval().requires_grad_(False)
        self.protocol = dict(architecture='reconstructed (code unpublished)', key_frames=NUM_KEY_FRAMES,
                             fusion='two-way cross-attention over clips', pooling='HVS softmax clip weights',
                             frame_size=list(self.frame_size), tiles='3x5', clip=clip_model,
                             motion=f'{self.clip_len}-frame clip from each key frame at {self.motion_size}')

    # ---------------------------------------------------------------------------------------- steps
    def clip_probabilities(self, video: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-frame (noise, exposure) tile probabilities x10, each ``(T, 75)``."""

        def run(chunk: torch.Tensor) -> torch.Tensor:
            frames = resize(chunk.to(self.device).float() / 255.0, self.frame_size)
            tiles = normalise(tile_frames(frames, self.tile_size), CLIP_MEAN, CLIP_STD)
            noise, exposure = self.exposure_prompts(tiles)
            return torch.cat([noise.reshape(chunk.shape[0], -1), exposure.reshape(chunk.shape[0], -1)], 1).float()

        both = in_batches(video, self.frame_batch_size, run)
        half = both.shape[1] // 2
        return both[:, :half], both[:, half:]

    def temporal_features(self, video: torch.Tensor | LazyVideo, keys: list[int]) -> torch.Tensor:
        """SlowFast features ``(8, 2304)`` of the clips starting at the key frames."""
        return self.motion_features(video, [clip_from(k, video.shape[0], self.clip_len) for k in keys])

    def clip_quality(self, video: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-clip scores in [0, 100] and HVS logits, each ``(8,)``, of one uint8 video."""
        check_video(video)
        keys = key_frame_indices(video.shape[0])
        noise, exposure = self.clip_probabilities(video)
        key_index = torch.tensor(keys, device=noise.device)
        bns = torch.cat([noise[key_index], segment_means(noise), exposure[key_index], segment_means(exposure)], 1)
        temporal = torch.cat([self.temporal_features(video, keys), brightness_consistency(exposure)], 1)
        frames = resize(normalise(take_frames(video, keys).to(self.device), IMAGENET_MEAN, IMAGENET_STD),
                        self.frame_size)
        stage3, stage4 = [], []
        for i in range(0, frames.shape[0], self.frame_batch_size):
            s3, s4 = self.net.features(frames[i:i + self.frame_batch_size])
            stage3.append(s3)
            stage4.append(s4)
        return self.net.regress(torch.cat([torch.cat(stage4), bns, torch.cat(stage3)], 1), temporal)

    def score_video(self, video: torch.Tensor) -> torch.Tensor:
        """HVS-weighted video score (0-dim tensor) of one uint8 video."""
        return hvs_pool(*self.clip_quality(video))

    def score_batch(self, videos: Sequence[torch.Tensor], samples: Sequence[dict]) -> list[dict[str, float]]:
        """Score each video; ``samples`` are not read."""
        with torch.no_grad():
            return [dict(lightvqa_plus=float(self.score_video(video))) for video in videos]
