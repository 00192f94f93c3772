"""``DynamicDegree``: VBench's share of videos with large motion (RAFT optical flow)."""
from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from aigve.core.base_metric import BaseVideoMetric, Unscorable
from aigve.registry import METRICS
from aigve.utils.lazy_video import subset

from .flow import check_flow_options, consecutive_pairs, flow_model, pair_flow_scores, too_small
from .functional import dynamic_thresholds, is_dynamic, moving_pairs, sampled_positions

#: VBench's share of the largest flow magnitudes averaged per pair.
TOP_FRACTION = 0.05


@METRICS.register_module()
class DynamicDegree(BaseVideoMetric):
    """VBench dynamic degree: 1 for a video whose RAFT flow is large in enough frame pairs, else 0.

    .. math::
        \\mathrm{dynamic} \\iff \\#\\{k : \\operatorname{mean} \\operatorname{top}_{5\\%} \\lVert F_k \\rVert
        > 6 \\min(H, W) / 256\\} \\ge \\operatorname{round}(4 T' / 16)

    Inputs:
        Generated videos ``(T, C, H, W)`` uint8 RGB with **every** frame (``SampleFrames(strategy='all')``), at
        full resolution, and the file's real ``fps`` in each sample (the dataset's ``OpenVideo`` adds it). The
        metric keeps frames ``0, s, 2s, ...`` with ``s = max(1, round(fps / 8))`` as VBench does. A video with
        fewer than 2 kept frames, frames under 128 pixels a side (torchvision's RAFT refuses them), or without
        an fps (and no ``fallback_fps``), is listed as a failure.

    Per-video scores: ``dynamic_degree`` (1.0 dynamic, 0.0 not), ``moving_pairs`` (pairs whose score exceeds
    the threshold) and ``num_pairs`` (``T' - 1``). The aggregate ``dynamic_degree`` is the fraction of dynamic
    videos (VBench's mean of the booleans); the other two are per-video means.

    Args:
        model_path: RAFT-large C_T_V1 checkpoint (``raft_large_C_T_V1-22a6c225.pth``) or a folder holding it.
            Defaults to None (the aigve cache, then a download unless offline).
        net: A ready torchvision RAFT to use instead (tests, notebooks). Defaults to None.
        num_flow_updates: RAFT iterations (VBench: 20). Defaults to 20.
        batch_size: Frame pairs per RAFT call, across videos of the same frame size. Lower it for large
            frames (RAFT's correlation volume grows with the square of the pixel count). Defaults to 8.
        fallback_fps: fps assumed for a sample that carries none (in-memory videos). Defaults to None (such
            a video is a failure).
        check_hash: Refuse a ``model_path`` whose sha256 differs from the manifest's. Defaults to True.
        device: Where RAFT runs. Defaults to ``'auto'``.
        collect_device: See :class:`BaseVideoMetric`. Defaults to ``'cpu'``.
        prefix: Defaults to ``'dynamic_degree'``.

    Examples:
        >>> import torch
        >>> from torchvision.models.optical_flow import raft_small
        >>> metric = DynamicDegree(net=raft_small(), num_flow_updates=2, fallback_fps=8, device='cpu')
        >>> scores = metric.score(torch.zeros(4, 3, 128, 128, dtype=torch.uint8))  # random RAFT: any flow
        >>> sorted(scores), scores['num_pairs']
        (['dynamic_degree', 'moving_pairs', 'num_pairs'], 3.0)
    """

    default_prefix = 'dynamic_degree'
    higher_is_better = True
    score_range = (0.0, 1.0)
    streams_frames = True  # consecutive pairs only: long videos are read in chunks sharing one frame

    def __init__(self,
                 model_path: str | None = None,
                 net: nn.Module | None = None,
                 num_flow_updates: int = 20,
                 batch_size: int = 8,
                 fallback_fps: float | None = None,
                 check_hash: bool = True,
                 device: str = 'auto',
                 collect_device: str = 'cpu',
                 prefix: str | None = None) -> None:
        super().__init__(device=device, collect_device=collect_device, prefix=prefix)
        check_flow_options(num_flow_updates, batch_size)
        if fallback_fps is not None and not (isinstance(fallback_fps, (int, float)) and fallback_fps > 0):
            raise ValueError(f'`fallback_fps` must be a positive number or None, but got {fallback_fps!r}')
        model, resolved = flow_model(net, model_path, check_hash)
        self.record_weights(resolved)
        self.net = model.to(self.device)
        self.num_flow_updates = num_flow_updates
        self.batch_size = batch_size
        self.fallback_fps = fallback_fps
        self.protocol = dict(flow='torchvision raft_large C_T_V1' if net is None else 'injected RAFT',
                             num_flow_updates=num_flow_updates, top_fraction=TOP_FRACTION,
                             frames='stride max(1, round(fps / 8)), full resolution, sintel padding to x8')

    def _fps(self, sample: dict) -> float | None:
        fps = sample.get('fps') if isinstance(sample, dict) else None
        return float(fps) if isinstance(fps, (int, float)) and fps > 0 else self.fallback_fps

    def score_batch(self, videos: Sequence, samples: Sequence[dict]) -> list:
        """Score each video; RAFT runs on the pairs of all videos of the batch together."""
        plans: list = []
        for video, sample in zip(videos, samples):
            fps = self._fps(sample)
            if fps is None:
                plans.append(Unscorable("needs the video's fps (VBench samples frames at stride round(fps / 8)); "
                                        'the sample carries none: set `fallback_fps`'))
                continue
            small = too_small(int(video.shape[-2]), int(video.shape[-1]))
            if small:
                plans.append(small)
                continue
            positions = sampled_positions(int(video.shape[0]), fps)
            if len(positions) < 2:
                plans.append(Unscorable(f'needs at least 2 frames at stride round(fps / 8) (fps {fps:g}), '
                                        f'got {len(positions)} of {int(video.shape[0])}'))
                continue
            thres, count_num = dynamic_thresholds(int(video.shape[-2]), int(video.shape[-1]), len(positions))
            plans.append((subset(video, positions), thres, count_num))
        todo = [p for p in plans if not isinstance(p, Unscorable)]
        flows = pair_flow_scores(self.net, [consecutive_pairs(v) for v, _, _ in todo], fraction=TOP_FRACTION,
                                 device=self.device, num_flow_updates=self.num_flow_updates,
                                 batch_size=self.batch_size) if todo else []
        results, k = [], 0
        for plan in plans:
            if isinstance(plan, Unscorable):
                results.append(plan)
                continue
            _, thres, count_num = plan
            pair_scores = flows[k]
            k += 1
            results.append(dict(dynamic_degree=float(is_dynamic(pair_scores, thres, count_num)),
                                moving_pairs=float(moving_pairs(pair_scores, thres)),
                                num_pairs=float(pair_scores.numel())))
        return results

    @torch.no_grad()
    def pair_scores(self, video: torch.Tensor, fps: float) -> torch.Tensor:
        """VBench's per-pair scores (mean of the top 5% flow magnitudes) of one video at ``fps``."""
        positions = sampled_positions(int(video.shape[0]), fps)
        return pair_flow_scores(self.net, [consecutive_pairs(subset(video, positions))], fraction=TOP_FRACTION,
                                device=self.device, num_flow_updates=self.num_flow_updates,
                                batch_size=self.batch_size)[0]
