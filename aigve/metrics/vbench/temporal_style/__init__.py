"""VBench ``temporal_style`` (Huang et al., CVPR 2024; github.com/Vchitect/VBench, Apache-2.0).

The same computation as ``overall_consistency`` (ViCLIP-L/14 cosine of the video and its full prompt), run on
VBench's temporal-style prompts; the shared class is
:class:`~aigve.metrics.vbench.overall_consistency.base.ViCLIPPromptMetric`.
"""
from .temporal_style_metric import TemporalStyle

__all__ = ['TemporalStyle']
