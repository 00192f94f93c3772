"""VBench ``overall_consistency`` (Huang et al., CVPR 2024; github.com/Vchitect/VBench, Apache-2.0).

ViCLIP-L/14 (Wang et al., InternVid, ICLR 2024; ``aigve/models/viclip.py``) cosine of the video and its prompt.
The class shared with ``temporal_style`` is in ``base.py``, the math in ``functional.py``.
"""
from .base import ViCLIPPromptMetric
from .functional import clip_indices, viclip_frame_transform, video_text_cosine
from .overall_consistency_metric import OverallConsistency

__all__ = ['OverallConsistency', 'ViCLIPPromptMetric', 'clip_indices', 'video_text_cosine', 'viclip_frame_transform']
