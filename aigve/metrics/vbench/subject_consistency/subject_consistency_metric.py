"""``SubjectConsistency``: VBench's DINO frame-to-frame and frame-to-first consistency, frame-weighted."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from aigve.models.dino_vit import load_dino_vitb16
from aigve.registry import METRICS

from ...text_video.hf_common import merge_verdicts
from .._common import (
    FrameWeightedMetric,
    check_positive_int,
    consistency_record,
    dino_transform,
    embed_videos,
    scorable_videos,
)


@METRICS.register_module()
class SubjectConsistency(FrameWeightedMetric):
    r"""VBench subject consistency: DINO ViT-B/16 feature similarity of each frame to the previous and the first.

    .. math::
        s_i = \tfrac12\left(\max(0, \cos(f_{i-1}, f_i)) + \max(0, \cos(f_0, f_i))\right),\quad
        \text{video} = \frac{1}{T-1}\sum_{i=1}^{T-1} s_i,\quad
        \text{aggregate} = \frac{\sum_v \sum_i s_{v,i}}{\sum_v (T_v - 1)}

    ``f_i`` is DINO's CLS token after the final norm, L2-normalised, of frame ``i`` after VBench's
    ``dino_transform`` (short side ``image_size``, bilinear, no antialias, no crop, ImageNet normalisation);
    non-square frames use DINO's own position-embedding interpolation.

    Inputs:
        Generated videos ``(T, 3, H, W)`` uint8 RGB, any size, ``T >= 2``; every frame the pipeline gives is
        used (VBench reads all frames: sample with ``SampleFrames(strategy='all')``). A video with fewer than
        2 frames is listed as a failure of this metric.

    Per-video scores: ``subject_consistency`` in [0, 1] and ``num_pairs`` (``T - 1``). The aggregate is
    frame-weighted as VBench's single-process code computes it; ``num_pairs`` is reported summed.

    Args:
        model_path: ``dino_vitbase16_pretrain.pth`` (or a folder holding it), or a transformers
            ``facebook/dino-vitb16`` folder. Defaults to None (cache, then download).
        net: A ready backbone mapping ``(B, 3, H, W)`` normalised images to ``(B, D)`` features (tests,
            notebooks); ``model_path`` is then ignored. Defaults to None.
        image_size: Short side of ``dino_transform``. Defaults to 224 (VBench).
        frame_batch_size: Frames per backbone pass; frames of several videos share a pass. Defaults to 32.
        device: See :class:`~aigve.core.base_metric.BaseVideoMetric`. Defaults to ``'auto'``.
        collect_device: Defaults to ``'cpu'``.
        prefix: Defaults to ``'subject_consistency'``.

    Raises:
        TypeError: If ``net`` is not an ``nn.Module``.
        ValueError: If ``image_size`` or ``frame_batch_size`` is not a positive int.

    Examples:
        >>> metric = SubjectConsistency(model_path='dino_vitbase16_pretrain.pth')  # doctest: +SKIP
        >>> metric.score(video_uint8_tchw)  # doctest: +SKIP
        {'subject_consistency': 0.95, 'num_pairs': 15.0}
    """

    default_prefix = 'subject_consistency'
    higher_is_better = True
    score_range = (0.0, 1.0)
    streams_frames = True  # frames reach the backbone in bounded batches (lazy videos chunk by chunk)
    weight_key = 'num_pairs'

    def __init__(self, model_path: str | None = None, net: nn.Module | None = None, image_size: int = 224,
                 frame_batch_size: int = 32, device: str = 'auto', collect_device: str = 'cpu',
                 prefix: str | None = None) -> None:
        super().__init__(device=device, collect_device=collect_device, prefix=prefix)
        self.image_size = check_positive_int('image_size', image_size)
        self.frame_batch_size = check_positive_int('frame_batch_size', frame_batch_size)
        if net is None:
            net, resolved = load_dino_vitb16(model_path)
            self.record_weights(resolved)
        elif not isinstance(net, nn.Module):
            raise TypeError(f'`net` must be an nn.Module or None, but got {type(net).__name__}')
        self.net = net.eval().requires_grad_(False).to(self.device)
        self.protocol.update(backbone='DINO ViT-B/16, CLS after the final norm, L2-normalised',
                             image_processor=f'VBench dino_transform({image_size})', frames='all given',
                             aggregate='frame-weighted: sum of s_i over all videos / sum of (T - 1)')

    def frame_features(self, videos: Sequence[Any]) -> list[torch.Tensor]:
        """``(T_v, D)`` float32 CPU backbone features of every frame of every video."""
        return embed_videos(videos, lambda x: self.net(dino_transform(x.to(self.device), self.image_size)),
                            self.frame_batch_size)

    def score_batch(self, videos: Sequence[Any], samples: Sequence[dict]) -> list:
        """Score each video; videos shorter than 2 frames are :class:`~aigve.core.base_metric.Unscorable`."""
        kept, verdicts = scorable_videos(videos, min_frames=2)
        features = self.frame_features([videos[i] for i in kept])
        return merge_verdicts(verdicts, kept, [consistency_record(f, 'subject_consistency') for f in features])
