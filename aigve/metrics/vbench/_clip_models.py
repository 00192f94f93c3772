"""What the VBench dimensions scoring one clip per video share (``overall_consistency``, ``temporal_style``,
``human_action``): argument checks, the injected-or-loaded model, the per-video verdicts."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from torch import nn

from aigve.core.base_metric import Unscorable
from aigve.utils.frames import check_video

__all__ = ['check_positive_ints', 'model_or_load', 'clip_verdicts']


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
