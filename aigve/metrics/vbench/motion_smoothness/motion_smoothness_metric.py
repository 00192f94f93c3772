"""``MotionSmoothness``: VBench's frame-interpolation smoothness score with AMT-S."""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import torch
from torch import nn

from aigve.core.base_metric import BaseVideoMetric, Unscorable
from aigve.registry import METRICS
from aigve.utils.frames import check_video
from aigve.utils.lazy_video import iter_chunks

from .functional import abs_diff_means, pad_amounts, pad_frames, smoothness_score, to_uint8, unpad_frames

#: VBench pads frames to multiples of this (``InputPadder(shape, 16)`` at ``scale_factor`` 1).
PAD_DIVISOR = 16


def even_pair_triplets(video: Any) -> Iterator[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
    """Yield ``(frame 2k, frame 2k+2, frame 2k+1)`` of a video in order, reading it chunk by chunk.

    The frames paired are those of :func:`~.functional.interpolation_triplets`; a lazy video is decoded a chunk
    at a time, so at most one chunk and three frames are held.
    """
    previous_even = pending_odd = None
    index = 0
    for chunk in iter_chunks(video):
        for frame in chunk.unbind(0):
            if index % 2 == 0:
                if previous_even is not None and pending_odd is not None:
                    yield previous_even, frame, pending_odd
                previous_even, pending_odd = frame, None
            else:
                pending_odd = frame
            index += 1


@METRICS.register_module()
class MotionSmoothness(BaseVideoMetric):
    """VBench motion smoothness: how well AMT-S predicts each odd frame from its even neighbours, 1 = perfectly.

    .. math::
        m = \\operatorname{mean}_k \\operatorname{mean}_{c,h,w} |\\mathrm{AMT}(x_{2k}, x_{2k+2}, 0.5) - x_{2k+1}|,
        \\qquad \\mathrm{motion\\_smoothness} = \\frac{255 - m}{255}

    with the prediction turned back into uint8 by truncation, as VBench does.

    Inputs:
        Generated videos ``(T, C, H, W)`` uint8 RGB, every frame (VBench reads all frames), ``T >= 3``
        (two even frames), frames at least 113 pixels on each side (padded to 128: AMT-S's 4-level
        correlation pyramid gives NaN below that, in VBench as here). Other videos are listed as failures of
        this metric.

    Per-video scores: ``motion_smoothness`` in [0, 1] and ``mae`` (``m``) in [0, 255]. The aggregate is the
    mean over videos, as VBench computes it.

    Args:
        model_path: ``amt-s.pth`` (or a folder holding it). Defaults to None (the aigve cache, then a download).
        net: A ready interpolator ``net(img0, img1, embt) -> frame`` on ``(B, 3, H, W)`` floats in [0, 1]
            (tests, notebooks); replaces the checkpoint. Defaults to None.
        pair_batch_size: Frame pairs per forward pass, across videos whose frames have one size. Defaults to 8.
        max_corr_mib: Cap on the all-pairs correlation volumes of one forward pass (they grow with the square of
            the frame area: about 26 MiB per pair at 512x320, 11 GiB at 1920x1080); larger frames are batched
            fewer pairs at a time, down to one. Defaults to 4096.
        check_hash: Refuse a ``model_path`` whose sha256 differs from a pinned one. Defaults to True.
        device: Where to run the network. Defaults to ``'auto'``.
        collect_device: See :class:`BaseVideoMetric`. Defaults to ``'cpu'``.
        prefix: Defaults to ``'motion_smoothness'``.

    Raises:
        TypeError: If ``net`` is not an ``nn.Module`` or ``pair_batch_size`` not an int.
        ValueError: If ``pair_batch_size < 1`` or ``max_corr_mib <= 0``.

    Examples:
        >>> import torch
        >>> from torch import nn
        >>> class Average(nn.Module):
        ...     def forward(self, img0, img1, embt):
        ...         return (img0 + img1) / 2
        >>> metric = MotionSmoothness(net=Average(), device='cpu')
        >>> metric.score(torch.zeros(5, 3, 16, 16, dtype=torch.uint8))['motion_smoothness']
        1.0
    """

    default_prefix = 'motion_smoothness'
    higher_is_better = True
    score_range = (0.0, 1.0)
    streams_frames = True  # frames are read in order, three at a time: long videos are never held whole

    def __init__(self, model_path: str | None = None, net: nn.Module | None = None, pair_batch_size: int = 8,
                 max_corr_mib: float = 4096, check_hash: bool = True, device: str = 'auto',
                 collect_device: str = 'cpu', prefix: str | None = None) -> None:
        super().__init__(device=device, collect_device=collect_device, prefix=prefix)
        if isinstance(pair_batch_size, bool) or not isinstance(pair_batch_size, int):
            raise TypeError(f'`pair_batch_size` must be an int, but got {type(pair_batch_size).__name__}; '
                            'check `val_evaluator` in your config')
        if pair_batch_size < 1:
            raise ValueError(f'`pair_batch_size` must be >= 1, but got {pair_batch_size}; '
                             'check `val_evaluator` in your config')
        if isinstance(max_corr_mib, bool) or not isinstance(max_corr_mib, (int, float)) or max_corr_mib <= 0:
            raise ValueError(f'`max_corr_mib` must be a positive number, but got {max_corr_mib!r}; '
                             'check `val_evaluator` in your config')
        if net is not None and not isinstance(net, nn.Module):
            raise TypeError(f'`net` must be an nn.Module, but got {type(net).__name__}')
        if net is None:
            from aigve.models.amt import load_amt_s

            net, resolved = load_amt_s(model_path, check_hash=check_hash)
            self.record_weights(resolved)
        self.net = net.to(self.device).eval().requires_grad_(False)
        self.pair_batch_size = pair_batch_size
        self.max_corr_mib = float(max_corr_mib)
        levels = getattr(net, 'corr_levels', None)
        if levels is None:
            self.min_side = 1
        else:
            from aigve.models.amt import min_padded_side

            self.min_side = min_padded_side(levels)
        self.protocol = dict(network=type(net).__name__, frames='all (even frames interpolated, odd compared)',
                             embt=0.5, scale_factor=1.0, pad=f'replicate to multiples of {PAD_DIVISOR}',
                             dtype='float32')

    def _unscorable(self, video: Any) -> Unscorable | None:
        check_video(video, min_frames=0)
        t, _, h, w = (int(s) for s in video.shape)
        if t < 3:
            return Unscorable(f'needs at least 3 frames (two even frames to interpolate between), got {t}')
        left, right, top, bottom = pad_amounts(h, w, PAD_DIVISOR)
        if min(h + top + bottom, w + left + right) < self.min_side:
            return Unscorable(f'frames of {h}x{w} are too small for AMT-S: each side must pad to at least '
                              f'{self.min_side} pixels (at least {self.min_side - PAD_DIVISOR + 1})')
        return None

    def pairs_per_batch(self, height: int, width: int) -> int:
        """How many pairs of ``height x width`` frames one forward pass takes (``pair_batch_size``, or fewer).

        AMT-S keeps the correlation of every pair of cells at 1/8 resolution, both ways, with a pyramid on top:
        ``2 * 4/3 * (H/8 * W/8)^2`` float32 values per pair (padded sizes).
        """
        left, right, top, bottom = pad_amounts(height, width, PAD_DIVISOR)
        cells = ((height + top + bottom) // 8) * ((width + left + right) // 8)
        per_pair = 2 * 4 / 3 * cells * cells * 4
        return max(1, min(self.pair_batch_size, int(self.max_corr_mib * 2**20 // per_pair)))

    def _interpolate(self, first: torch.Tensor, second: torch.Tensor) -> torch.Tensor:
        """uint8 ``(B, 3, H, W)`` pairs -> predicted middle frames, uint8, as VBench makes them."""
        x0 = first.to(self.device, torch.float32) / 255.0
        x1 = second.to(self.device, torch.float32) / 255.0
        pads = pad_amounts(int(x0.shape[-2]), int(x0.shape[-1]), PAD_DIVISOR)
        predicted = self.net(pad_frames(x0, pads), pad_frames(x1, pads), 0.5)
        return to_uint8(unpad_frames(predicted.clamp(0.0, 1.0), pads))

    def score_batch(self, videos: Sequence[Any], samples: Sequence[dict]) -> list:
        """Score each video; frame pairs of all videos go through the network in shared batches."""
        out: list[Any] = [self._unscorable(v) for v in videos]
        pair_means: list[list[float]] = [[] for _ in videos]
        buffer: list[tuple[int, torch.Tensor, torch.Tensor, torch.Tensor]] = []
        limit = self.pair_batch_size

        def flush() -> None:
            owners = [b[0] for b in buffer]
            first, second, target = (torch.stack([b[i] for b in buffer]) for i in (1, 2, 3))
            means = abs_diff_means(self._interpolate(first, second), target.to(self.device)).cpu().tolist()
            for owner, mean in zip(owners, means):
                pair_means[owner].append(mean)
            buffer.clear()

        for i, video in enumerate(videos):
            if out[i] is not None:
                continue
            for first, second, target in even_pair_triplets(video):
                if buffer and (len(buffer) >= limit or first.shape != buffer[0][1].shape):
                    flush()
                if not buffer:
                    limit = self.pairs_per_batch(int(first.shape[-2]), int(first.shape[-1]))
                buffer.append((i, first, second, target))
        if buffer:
            flush()
        for i, means in enumerate(pair_means):
            if out[i] is None:
                mae = sum(means) / len(means)
                out[i] = dict(motion_smoothness=smoothness_score(mae), mae=mae)
        return out
