"""``TemporalFlickering``: VBench's pixel-level flicker score, weight-free."""
from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from aigve.core.base_metric import BaseVideoMetric, Unscorable
from aigve.registry import METRICS
from aigve.utils.lazy_video import iter_chunks

from .functional import flicker_score, pair_differences


@METRICS.register_module()
class TemporalFlickering(BaseVideoMetric):
    """VBench temporal flickering: ``(255 - mean |frame_{t+1} - frame_t|) / 255``, 1 = no flicker.

    Inputs:
        Generated videos ``(T, C, H, W)`` uint8 RGB, all frames (VBench reads every frame), ``T >= 2``.
        A video with fewer than 2 frames is listed as a failure of this metric.

    Per-video scores: ``temporal_flickering`` in [0, 1] and ``mae`` in [0, 255]. The aggregate is the mean
    over videos, as VBench computes it. VBench expects static-camera videos (it filters others first).

    With ``static_filter=True`` VBench's static-video filter (:mod:`aigve.metrics.vbench.static_filter`: RAFT
    on every consecutive pair and the first/last pairs, top-2% flow magnitudes) runs first, and a video it
    rejects is listed as a failure with the reason ``not static (VBench's filter)`` instead of being scored.

    Args:
        static_filter: Apply VBench's static-video filter first (needs RAFT weights). Defaults to False.
        raft_model_path: RAFT-large C_T_V1 checkpoint for the filter. Defaults to None (cache, then download).
        raft_net: A ready torchvision RAFT for the filter (tests, notebooks). Defaults to None.
        num_flow_updates: RAFT iterations of the filter (VBench: 20). Defaults to 20.
        batch_size: Frame pairs per RAFT call of the filter. Defaults to 8.
        check_hash: Refuse a ``raft_model_path`` whose sha256 differs from the manifest's. Defaults to True.
        device: Where to compute. Defaults to ``'auto'``.
        collect_device: See :class:`BaseVideoMetric`. Defaults to ``'cpu'``.
        prefix: Defaults to ``'temporal_flickering'``.

    Examples:
        >>> import torch
        >>> metric = TemporalFlickering(device='cpu')
        >>> metric.score(torch.zeros(8, 3, 16, 16, dtype=torch.uint8))['temporal_flickering']
        1.0
    """

    default_prefix = 'temporal_flickering'
    higher_is_better = True
    score_range = (0.0, 1.0)
    streams_frames = True  # consecutive pairs only: long videos are read in chunks sharing one frame

    def __init__(self,
                 static_filter: bool = False,
                 raft_model_path: str | None = None,
                 raft_net: nn.Module | None = None,
                 num_flow_updates: int = 20,
                 batch_size: int = 8,
                 check_hash: bool = True,
                 device: str = 'auto',
                 collect_device: str = 'cpu',
                 prefix: str | None = None) -> None:
        super().__init__(device=device, collect_device=collect_device, prefix=prefix)
        if not isinstance(static_filter, bool):
            raise TypeError(f'`static_filter` must be a bool, but got {type(static_filter).__name__}')
        self.static_filter = None
        if static_filter:
            from aigve.metrics.vbench.dynamic_degree.flow import check_flow_options, flow_model
            from aigve.metrics.vbench.static_filter import StaticFilter

            check_flow_options(num_flow_updates, batch_size)
            net, resolved = flow_model(raft_net, raft_model_path, check_hash)
            self.record_weights(resolved)
            self.static_filter = StaticFilter(net.to(self.device), self.device, num_flow_updates, batch_size)
            self.protocol = dict(static_filter="VBench's static_filter.py (RAFT, top 2%)",
                                 num_flow_updates=num_flow_updates)

    def _static_rejections(self, videos: Sequence) -> list[Unscorable | None]:
        """Per video: None if VBench's filter keeps it (or no filter is set), else the :class:`Unscorable`."""
        from aigve.metrics.vbench.dynamic_degree.flow import too_small

        out: list[Unscorable | None] = [None] * len(videos)
        if self.static_filter is None:
            return out
        todo = []
        for i, video in enumerate(videos):
            if video.shape[0] >= 2:
                out[i] = too_small(int(video.shape[-2]), int(video.shape[-1]))
                if out[i] is None:
                    todo.append(i)
        for i, static in zip(todo, self.static_filter([videos[i] for i in todo]) if todo else []):
            if not static:
                out[i] = Unscorable("not static (VBench's filter)")
        return out

    def score_batch(self, videos: Sequence[torch.Tensor], samples: Sequence[dict]) -> list:
        """Score each video; videos shorter than 2 frames (or rejected by the static filter) are :class:`Unscorable`."""
        scores = []
        for video, rejected in zip(videos, self._static_rejections(videos)):
            if video.shape[0] < 2:
                scores.append(Unscorable(f'needs at least 2 frames, got {video.shape[0]}'))
                continue
            if rejected is not None:
                scores.append(rejected)
                continue
            pairs = [pair_differences(chunk.to(self.device)) for chunk in iter_chunks(video, overlap=1)]
            mae = float(torch.cat(pairs).mean())
            scores.append(dict(temporal_flickering=flicker_score(mae), mae=mae))
        return scores
