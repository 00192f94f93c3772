"""``ImagingQuality``: VBench's MUSIQ-SPAQ frame quality, averaged over every frame."""
from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from aigve.core.base_metric import BaseVideoMetric, Unscorable
from aigve.metrics.vbench._common import embed_videos
from aigve.models.musiq import load_musiq_spaq
from aigve.registry import METRICS

from .functional import PREPROCESS_MODES, preprocess


@METRICS.register_module()
class ImagingQuality(BaseVideoMetric):
    """VBench imaging quality: MUSIQ (trained on SPAQ) score of every frame, mean per video, /100.

    .. math::
        \\mathrm{imaging\\_quality}_v = \\frac{1}{100\\, T_v} \\sum_t \\mathrm{MUSIQ}(x_{v,t})

    Inputs:
        Generated videos ``(T, C, H, W)`` uint8 RGB with every frame (``SampleFrames(strategy='all')``, as
        VBench reads them), any size; frames whose longer side exceeds 512 are resized to 512 first (VBench's
        default ``'longer'`` mode). A video with no frames is listed as a failure.

    Per-video scores: ``musiq``, the mean MUSIQ-SPAQ frame score on its 0-100 scale (the number VBench's
    per-video JSON holds), and ``imaging_quality = musiq / 100``. Aggregates: their means over videos; the
    ``imaging_quality`` aggregate is VBench's dimension score (mean over videos / 100).

    Args:
        model_path: ``musiq_spaq_ckpt-358bb6af.pth`` or a folder holding it. Defaults to None (the aigve
            cache, then a download unless offline).
        net: A ready :class:`~aigve.models.musiq.MUSIQ` (or any module mapping ``(B, 3, H, W)`` images in
            ``[0, 1]`` to ``(B,)`` scores) to use instead. Defaults to None.
        preprocess_mode: VBench's ``imaging_quality_preprocessing_mode``: ``'longer'``, ``'shorter'``,
            ``'shorter_centercrop'`` or ``'None'``. Defaults to ``'longer'`` (VBench's default).
        batch_size: Frames per MUSIQ call, across videos of the same frame size. Defaults to 16.
        check_hash: Refuse a ``model_path`` whose sha256 differs from the manifest's. Defaults to True.
        device: Where MUSIQ runs. Defaults to ``'auto'``.
        collect_device: See :class:`BaseVideoMetric`. Defaults to ``'cpu'``.
        prefix: Defaults to ``'imaging_quality'``.

    Examples:
        >>> import torch
        >>> from aigve.models.musiq import MUSIQ
        >>> net = MUSIQ(hidden_size=32, mlp_dim=64, num_heads=2, num_layers=1)
        >>> metric = ImagingQuality(net=net, device='cpu')
        >>> sorted(metric.score(torch.zeros(2, 3, 64, 96, dtype=torch.uint8)))
        ['imaging_quality', 'musiq']
    """

    default_prefix = 'imaging_quality'
    higher_is_better = True
    score_range = (0.0, 1.0)  # about: MUSIQ-SPAQ's output is not clamped to its 0-100 training range
    streams_frames = True  # frames are scored one at a time: long videos are read in chunks

    def __init__(self,
                 model_path: str | None = None,
                 net: nn.Module | None = None,
                 preprocess_mode: str = 'longer',
                 batch_size: int = 16,
                 check_hash: bool = True,
                 device: str = 'auto',
                 collect_device: str = 'cpu',
                 prefix: str | None = None) -> None:
        super().__init__(device=device, collect_device=collect_device, prefix=prefix)
        if preprocess_mode not in PREPROCESS_MODES:
            raise ValueError(f'`preprocess_mode` must be one of {PREPROCESS_MODES}, but got {preprocess_mode!r}; '
                             'check `val_evaluator` in your config')
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f'`batch_size` must be a positive int, but got {batch_size!r}')
        if net is None:
            net, resolved = load_musiq_spaq(model_path, check_hash=check_hash)
            self.record_weights(resolved)
        elif not isinstance(net, nn.Module):
            raise TypeError(f'`net` must be an nn.Module or None, but got {type(net).__name__}')
        self.net = net.eval().requires_grad_(False).to(self.device)
        self.preprocess_mode = preprocess_mode
        self.batch_size = batch_size
        self.protocol = dict(model='MUSIQ-SPAQ (pyiqa layout)', preprocess_mode=preprocess_mode,
                             scales='longer side 224, 384 + original, patch 32', frames='all')

    def frame_scores(self, frames: torch.Tensor) -> torch.Tensor:
        """MUSIQ scores ``(B,)`` of stacked ``(B, 3, H, W)`` uint8 frames (VBench's preprocessing included)."""
        return self.net(preprocess(frames.to(self.device), self.preprocess_mode)).float().reshape(-1)

    def score_batch(self, videos: Sequence, samples: Sequence[dict]) -> list:
        """Score every frame of every video, batched across videos; per video the mean."""
        keep = [i for i, v in enumerate(videos) if int(v.shape[0]) > 0]
        scores = embed_videos([videos[i] for i in keep], lambda x: self.frame_scores(x)[:, None],
                              self.batch_size) if keep else []
        out: list = [Unscorable('the video has no frames')] * len(videos)
        for i, s in zip(keep, scores):
            musiq = float(s.double().mean())
            out[i] = dict(imaging_quality=musiq / 100.0, musiq=musiq)
        return out
