"""Flow scores of frame pairs, batched across videos: what ``dynamic_degree`` and the static filter share.

Each video contributes a stream of frame pairs; pairs of the same frame size are stacked (across video
boundaries) into one RAFT call of at most ``batch_size`` pairs, and each pair's flow is reduced at once to its
top-fraction mean magnitude (:func:`~aigve.metrics.vbench.dynamic_degree.functional.top_fraction_mean`), so
only the scores are kept. RAFT works on every sample on its own (instance-normalised features, per-pair
correlation, batch norm in eval mode), so the scores do not depend on the batching.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import torch
from torch import nn

from aigve.core.base_metric import Unscorable
from aigve.models.raft import MIN_SIDE, load_raft_large, raft_flow, sintel_padding
from aigve.utils.lazy_video import iter_chunks

from .functional import top_fraction_mean

__all__ = ['check_flow_options', 'consecutive_pairs', 'flow_model', 'pair_flow_scores', 'too_small']

Pairs = Iterable[tuple[torch.Tensor, torch.Tensor]]


def check_flow_options(num_flow_updates: int, batch_size: int) -> None:
    """Raise ValueError unless both are positive ints (the RAFT options of the metrics that use it)."""
    for name, value in (('num_flow_updates', num_flow_updates), ('batch_size', batch_size)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f'`{name}` must be a positive int, but got {value!r}')


def flow_model(net: nn.Module | None, model_path: str | None, check_hash: bool) -> tuple[nn.Module, Any]:
    """The RAFT a metric uses: ``net`` as given (tests, notebooks), else RAFT-large C_T_V1 through the resolver.

    Returns:
        ``(module, resolved)`` with ``resolved`` None for an injected module; the module in eval mode, no grads.
    """
    if net is not None:
        if not isinstance(net, nn.Module):
            raise TypeError(f'`net` must be an nn.Module (a torchvision RAFT) or None, but got {type(net).__name__}')
        return net.eval().requires_grad_(False), None
    return load_raft_large(model_path, check_hash=check_hash)


def too_small(height: int, width: int) -> Unscorable | None:
    """An :class:`Unscorable` for frames torchvision's RAFT cannot take (padded side below 128), else None."""
    left, right, top, bottom = sintel_padding(height, width)
    if min(height + top + bottom, width + left + right) < MIN_SIDE:
        return Unscorable(f'frames of {height}x{width} are too small for RAFT (torchvision needs at least '
                          f'{MIN_SIDE} pixels a side)')
    return None


def consecutive_pairs(video: Any) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """``(frames[:-1], frames[1:])`` chunks of a ``(T, 3, H, W)`` tensor or a lazy video (read chunk by chunk).

    Examples:
        >>> v = torch.arange(4, dtype=torch.uint8).view(4, 1, 1, 1).expand(4, 3, 1, 1)
        >>> [(a[:, 0, 0, 0].tolist(), b[:, 0, 0, 0].tolist()) for a, b in consecutive_pairs(v)]
        [([0, 1, 2], [1, 2, 3])]
    """
    for chunk in iter_chunks(video, overlap=1):
        if chunk.shape[0] >= 2:
            yield chunk[:-1], chunk[1:]


def pair_flow_scores(model: nn.Module, streams: Sequence[Pairs], *, fraction: float, device: torch.device | str,
                     num_flow_updates: int = 20, batch_size: int = 8) -> list[torch.Tensor]:
    """Top-``fraction`` mean flow magnitude of every pair of every stream, in order.

    Args:
        model: torchvision RAFT (or a module with the same call).
        streams: One iterable of ``(first, second)`` ``(n, 3, H, W)`` uint8 frame chunks per video.
        fraction: Share of the (padded) pixels averaged per pair.
        device: Where RAFT runs.
        num_flow_updates: RAFT iterations. Defaults to 20.
        batch_size: Pairs per RAFT call. Defaults to 8.

    Returns:
        One ``(num_pairs,)`` float64 CPU tensor per stream.
    """
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f'`batch_size` must be a positive int, but got {batch_size!r}')
    scores: list[list[float]] = [[] for _ in streams]
    firsts: list[torch.Tensor] = []
    seconds: list[torch.Tensor] = []
    owners: list[int] = []

    def flush() -> None:
        a = torch.stack(firsts).to(device)
        b = torch.stack(seconds).to(device)
        values = top_fraction_mean(raft_flow(model, a, b, num_flow_updates), fraction).tolist()
        for owner, value in zip(owners, values):
            scores[owner].append(value)
        firsts.clear()
        seconds.clear()
        owners.clear()

    for i, stream in enumerate(streams):
        for first, second in stream:
            for a, b in zip(first.unbind(0), second.unbind(0)):
                if firsts and (len(firsts) == batch_size or a.shape != firsts[0].shape):
                    flush()
                firsts.append(a)
                seconds.append(b)
                owners.append(i)
    if firsts:
        flush()
    return [torch.tensor(s, dtype=torch.float64) for s in scores]
