"""SimpleVQA (Sun et al., ACM MM 2022)."""
from .functional import key_frame_indices, motion_clip_indices, seconds_in_video
from .network import SimpleVQANet
from .simple_vqa_metric import SimpleVQA

__all__ = ['SimpleVQA', 'SimpleVQANet', 'key_frame_indices', 'motion_clip_indices', 'seconds_in_video']
