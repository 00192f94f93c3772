"""``GSTVQA`` metric: no-reference video quality from multi-scale VGG16 statistics (Chen et al., TCSVT 2021)."""
from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from aigve.core.base_metric import BaseVideoMetric
from aigve.metrics.video_quality._common import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    check_positive_int,
    load_quality_head,
    normalise,
    resize,
)
from aigve.metrics.video_quality.gstvqa.functional import (
    GSTVQA_CHECKPOINTS,
    GSTVQA_MAX_LEN,
    gstvqa_score_from_features,
)
from aigve.metrics.video_quality.gstvqa.network import GSTVQANet
from aigve.registry import METRICS
from aigve.utils.frames import check_video
from aigve.utils.lazy_video import in_batches

__all__ = ['GSTVQA']


@METRICS.register_module()
class GSTVQA(BaseVideoMetric):
    """GSTVQA no-reference video quality (higher is better).

    Per frame: ImageNet-normalised RGB at native resolution -> VGG16 stage outputs -> global mean and std
    (1472 + 1472 dims). Per video: the GSTVQA network (channel attention from the frame-to-frame spread of
    the mean features, GRU, attention-weighted temporal pyramid) predicts the MOS divided by the maximum
    MOS of its training set.

    Inputs:
        ``videos``: ``(T, 3, H, W)`` uint8 RGB, any ``T >= 1`` (the first 500 frames are scored, as the
        original; fewer than 29 frames are stretched to 29), ``H, W >= 16``.

    Outputs per video: ``gstvqa`` (prediction on the normalised scale, about 0-1, the headline score) and
    ``gstvqa_mos`` (the same times the training set's maximum MOS, i.e. on that set's MOS scale).

    Args:
        train_set: Which released checkpoint: ``'konvid'`` (KoNViD-1k, default), ``'cvd2014'``,
            ``'livequalcomm'`` or ``'livevqc'``. Defaults to ``'konvid'``.
        model_path: The GSTVQA state dict file (or a folder holding it). Defaults to None (resolver).
        vgg_model_path: torchvision ``vgg16-397923af.pth`` (or a folder). Defaults to None (resolver).
        feature_extractor: A ready module mapping ``(N, 3, H, W)`` normalised images to ``(mean, std)``,
            each ``(N, 1472)``, e.g. :class:`aigve.models.vgg_features.VGG16MultiScale`. Defaults to None.
        net: A ready :class:`GSTVQANet`. Defaults to None.
        pretrained: Load the checkpoints. ``False`` builds random weights and is meant for tests only.
            Defaults to True.
        frame_batch_size: Frames per VGG16 forward. Defaults to 16.
        max_len: Frames scored per video (the original's 500). Defaults to 500.
        resize_to: Optional ``(h, w)`` to resize frames to first; None keeps native resolution as the
            original. Defaults to None.
        device: ``'auto'``, ``'cpu'`` or ``'cuda[:N]'``. Defaults to ``'auto'``.
        collect_device: Defaults to ``'cpu'``.
        prefix: Defaults to ``'gstvqa'``.
    """

    default_prefix = 'gstvqa'
    higher_is_better = True
    score_range = (None, None)
    streams_frames = True  # per-frame VGG features: a long video is read in chunks

    def __init__(self,
                 train_set: str = 'konvid',
                 model_path: str | None = None,
                 vgg_model_path: str | None = None,
                 feature_extractor: nn.Module | None = None,
                 net: nn.Module | None = None,
                 pretrained: bool = True,
                 frame_batch_size: int = 16,
                 max_len: int = GSTVQA_MAX_LEN,
                 resize_to: Sequence[int] | None = None,
                 device: str = 'auto',
                 collect_device: str = 'cpu',
                 prefix: str | None = None) -> None:
        super().__init__(device=device, collect_device=collect_device, prefix=prefix)
        if train_set not in GSTVQA_CHECKPOINTS:
            raise ValueError(f'`train_set` must be one of {sorted(GSTVQA_CHECKPOINTS)}, but got {train_set!r}')
        if resize_to is not None and (len(resize_to) != 2 or min(resize_to) < 16):
            raise ValueError(f'`resize_to` must be None or (h, w) with sides >= 16, but got {resize_to!r}')
        self.train_set = train_set
        self.frame_batch_size = check_positive_int(frame_batch_size, 'frame_batch_size')
        self.max_len = check_positive_int(max_len, 'max_len')
        self.resize_to = tuple(resize_to) if resize_to is not None else None
        weights_name, _, self.label_scale = GSTVQA_CHECKPOINTS[train_set]

        if feature_extractor is None:
            from aigve.models.vgg_features import VGG16MultiScale, load_vgg16_multiscale
            feature_extractor, resolved = (load_vgg16_multiscale(vgg_model_path) if pretrained
                                           else (VGG16MultiScale(), None))
            self.record_weights(resolved)
        if net is None:
            net, resolved = load_quality_head(GSTVQANet(), weights_name, model_path, pretrained, 'GSTVQA')
            self.record_weights(resolved)
        self.feature_extractor = feature_extractor.to(self.device).eval().requires_grad_(False)
        self.net = net.to(self.device).eval().requires_grad_(False)
        self.protocol = dict(backbone='vgg16 relu1_2..relu5_3 mean+std (1472+1472)', train_set=train_set,
                             label_scale=self.label_scale, max_len=self.max_len,
                             resolution='native' if self.resize_to is None else list(self.resize_to),
                             normalisation='imagenet', short_video='stretch to 29 frames')

    def frame_features(self, video: torch.Tensor) -> torch.Tensor:
        """Per-frame ``(T, 2944)`` features ``[mean | std]`` of one uint8 video (tensor or lazy, read in chunks).

        Every frame counts: the video statistics use all of them, the network the first ``max_len``.
        """
        check_video(video)

        def run(chunk: torch.Tensor) -> torch.Tensor:
            x = normalise(chunk.to(self.device), IMAGENET_MEAN, IMAGENET_STD)
            if self.resize_to is not None:
                x = resize(x, self.resize_to)
            mean, std = self.feature_extractor(x)
            return torch.cat([mean, std], dim=1).float()

        return in_batches(video, self.frame_batch_size, run)

    def score_batch(self, videos: Sequence[torch.Tensor], samples: Sequence[dict]) -> list[dict[str, float]]:
        """Score each video; ``samples`` are not read."""
        out = []
        with torch.no_grad():
            for video in videos:
                value = float(gstvqa_score_from_features(self.net, self.frame_features(video), self.max_len))
                out.append(dict(gstvqa=value, gstvqa_mos=value * self.label_scale))
        return out
