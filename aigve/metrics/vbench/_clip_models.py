"""What the VBench dimensions scoring one clip per video share (``overall_consistency``, ``temporal_style``,
``human_action``): argument checks, the injected-or-loaded model, the per-video verdicts, batched passes."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import nn

from aigve.core.base_metric import Unscorable
from aigve.utils.frames import check_video

__all__ = ['check_positive_ints', 'model_or_load', 'clip_verdicts', 'in_batches']


def check_positive_ints(**values: Any) -> None:
    """Raise ``ValueError`` naming the first argument that is not a positive int.

    Examples:
        >>> check_positive_ints(num_frames=16, top_k=5)
    """
    for arg, value in values.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f'`{arg}` must be a positive int, but got {value!r}; check `val_evaluator` in your config')


def model_or_load(metric: Any, model: nn.Module | None, load: Callable[[], tuple[nn.Module, Any]],
                  what: str) -> nn.Module:
    """The injected ``model``, or ``load()``'s model with its weights recorded on ``metric``.

    Raises:
        TypeError: If ``model`` is neither None nor an ``nn.Module``.
    """
    if model is None:
        model, resolved = load()
        metric.record_weights(resolved)
        return model
    if not isinstance(model, nn.Module):
        raise TypeError(f'`model` must be a {what} nn.Module or None, but got {type(model).__name__}')
    return model


def clip_verdicts(videos: Sequence[Any], samples: Sequence[dict],
                  sample_check: Callable[[dict], Any]) -> tuple[list[Any], list[int], list[Any]]:
    """Sort a batch into scorable videos and :class:`Unscorable` ones.

    Args:
        videos: ``(T, 3, H, W)`` uint8 tensors or lazy videos (None: unreadable).
        samples: The samples; ``sample_check(sample)`` returns an :class:`Unscorable` or what the metric needs
            from the sample (the prompt, the action label).

    Returns:
        ``(verdicts, kept, needs)``: per video None (scorable) or the reason; the indices of the scorable
        videos; and ``sample_check``'s value for each of them.
    """
    verdicts: list[Any] = []
    kept, needs = [], []
    for i, (video, sample) in enumerate(zip(videos, samples)):
        need = sample_check(sample if isinstance(sample, dict) else {})
        if video is None:
            verdict = Unscorable('the video could not be read')
        elif isinstance(need, Unscorable):
            verdict = need
        else:
            check_video(video, min_frames=0)
            verdict = Unscorable('the video has no frames') if video.shape[0] < 1 else None
        verdicts.append(verdict)
        if verdict is None:
            kept.append(i)
            needs.append(need)
    return verdicts, kept, needs


def in_batches(clips: list[torch.Tensor], batch_size: int, forward: Callable[[torch.Tensor], torch.Tensor],
               device: Any) -> torch.Tensor:
    """``forward`` over ``clips`` stacked ``batch_size`` at a time; the outputs concatenated (float32, CPU).

    Examples:
        >>> in_batches([torch.ones(2, 3)] * 3, 2, lambda x: x.sum((1, 2)), 'cpu').tolist()
        [6.0, 6.0, 6.0]
    """
    out = [forward(torch.stack(clips[i:i + batch_size]).to(device)).float().cpu()
           for i in range(0, len(clips), batch_size)]
    return torch.cat(out) if out else torch.empty(0)
