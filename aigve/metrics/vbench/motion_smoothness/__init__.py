"""VBench ``motion_smoothness`` (Huang et al., "VBench: Comprehensive Benchmark Suite for Video Generative Models",
CVPR 2024; github.com/Vchitect/VBench ``vbench/motion_smoothness.py``, Apache-2.0), with our own port of the
AMT-S interpolator (Li et al., "AMT: All-Pairs Multi-Field Transforms for Efficient Frame Interpolation",
CVPR 2023; github.com/MCG-NKU/AMT) in :mod:`aigve.models.amt`.
"""
from .functional import (
    abs_diff_means,
    interpolation_triplets,
    pad_amounts,
    pad_frames,
    smoothness_score,
    to_uint8,
    unpad_frames,
)
from .motion_smoothness_metric import MotionSmoothness, even_pair_triplets

__all__ = ['MotionSmoothness', 'abs_diff_means', 'even_pair_triplets', 'interpolation_triplets', 'pad_amounts',
           'pad_frames', 'smoothness_score', 'to_uint8', 'unpad_frames']
