"""VBench ``dynamic_degree`` (Huang et al., "VBench", CVPR 2024; github.com/Vchitect/VBench, Apache-2.0).

RAFT optical flow (torchvision ``raft_large``, C_T_V1 weights; Teed & Deng, ECCV 2020, BSD-3-Clause) between
frames sampled at about 8 fps; a video is dynamic when enough pairs move more than a resolution-scaled
threshold. The flow scoring is shared with VBench's static-video filter
(:mod:`aigve.metrics.vbench.static_filter`).
"""
from .dynamic_degree_metric import DynamicDegree
from .flow import consecutive_pairs, flow_model, pair_flow_scores, too_small
from .functional import dynamic_thresholds, frame_stride, is_dynamic, moving_pairs, sampled_positions, top_fraction_mean

__all__ = ['DynamicDegree', 'consecutive_pairs', 'dynamic_thresholds', 'flow_model', 'frame_stride', 'is_dynamic',
           'moving_pairs', 'pair_flow_scores', 'sampled_positions', 'too_small', 'top_fraction_mean']
