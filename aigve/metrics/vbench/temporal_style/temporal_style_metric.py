"""``TemporalStyle``: VBench's ViCLIP cosine of the video with its full prompt (camera motion, speed, ...)."""
from __future__ import annotations

from aigve.registry import METRICS

from ..overall_consistency.base import ViCLIPPromptMetric


@METRICS.register_module()
class TemporalStyle(ViCLIPPromptMetric):
    r"""VBench temporal style: ViCLIP-L/14 cosine of the video (8 "middle" frames) and its full prompt.

    .. math::
        s = \cos\big(E_V(x_{i_1}, \dots, x_{i_8}),\ E_T(\text{prompt})\big)

    VBench's ``temporal_style.py`` is the same code as ``overall_consistency.py``: the whole prompt (e.g. "A
    beautiful coastal beach in spring, waves lapping on sand, zoom in") is encoded, not only its style part;
    the dimension differs only by its prompt list.

    Inputs:
        Generated videos ``(T, 3, H, W)`` uint8 RGB, any size, ``T >= 1`` (8 frames chosen inside with VBench's
        ``'middle'`` rule, padded with the last one); a prompt per video (cut to 32 tokens as VBench does, with
        a WARNING). Videos without a prompt are listed as failures.

    Per-video scores: ``temporal_style``, the raw cosine in [-1, 1]. The aggregate is the mean over videos.
    VBench's Semantic score normalises it with Min 0, Max 0.364.

    The arguments are those of :class:`~aigve.metrics.vbench.overall_consistency.base.ViCLIPPromptMetric`.

    Examples:
        >>> metric = TemporalStyle(model_path='/path/to/ViClip-InternVid-10M-FLT.pth')  # doctest: +SKIP
        >>> metric.score(video_uint8_tchw, prompt='A beautiful coastal beach in spring, zoom in')  # doctest: +SKIP
        {'temporal_style': 0.24}
    """

    default_prefix = 'temporal_style'
