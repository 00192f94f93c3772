"""Light-VQA (Dong et al., ACM MM 2023): quality of low-light enhanced videos.

Paper: arXiv 2305.09512. Code: github.com/wenzhouyidu/Light-VQA (no license file); this package is written
anew from the facts of that code (see ``docs/metrics/light_vqa.md``).
"""
from .functional import (
    bright_noise_features,
    brightness_consistency,
    grey_block_means,
    key_frame_indices,
    motion_clip_indices,
)
from .light_vqa_metric import LightVQA
from .network import LightVQANet, LightVQATrunk

__all__ = [
    'LightVQA',
    'LightVQANet',
    'LightVQATrunk',
    'bright_noise_features',
    'brightness_consistency',
    'grey_block_means',
    'key_frame_indices',
    'motion_clip_indices',
]
