"""``OverallConsistency``: VBench's ViCLIP cosine of the video with its prompt."""
from __future__ import annotations

from aigve.registry import METRICS

from .base import ViCLIPPromptMetric


@METRICS.register_module()
class OverallConsistency(ViCLIPPromptMetric):
    r"""VBench overall consistency: ViCLIP-L/14 cosine of the video (8 "middle" frames) and its full prompt.

    .. math::
        s = \cos\big(E_V(x_{i_1}, \dots, x_{i_8}),\ E_T(\text{prompt})\big)

    Inputs:
        Generated videos ``(T, 3, H, W)`` uint8 RGB, any size, ``T >= 1`` (8 frames are chosen inside with
        VBench's ``'middle'`` rule and padded with the last one); a prompt per video (truncated to ViCLIP's 32
        tokens as VBench does, with a WARNING). Videos without a prompt are listed as failures.

    Per-video scores: ``overall_consistency``, the raw cosine in [-1, 1] (VBench's; it can be negative). The
    aggregate is the mean over videos. VBench's Semantic score normalises it with Min 0, Max 0.364.

    The arguments are those of :class:`~aigve.metrics.vbench.overall_consistency.base.ViCLIPPromptMetric`.

    Examples:
        >>> metric = OverallConsistency(model_path='/path/to/ViClip-InternVid-10M-FLT.pth')  # doctest: +SKIP
        >>> metric.score(video_uint8_tchw, prompt='Close up of grapes on a rotating table.')  # doctest: +SKIP
        {'overall_consistency': 0.21}
    """

    default_prefix = 'overall_consistency'
