"""Light-VQA+ (Zhou et al., 2024): exposure-aware video quality."""
from .functional import (
                         ClipExposurePrompts,
                         LightVQAPlusNet,
                         brightness_consistency,
                         key_frame_indices,
                         segment_means,
                         tile_frames,
)
from .lightvqa_plus_metric import LightVQAPlus

__all__ = [
                         'ClipExposurePrompts',
                         'LightVQAPlus',
                         'LightVQAPlusNet',
                         'brightness_consistency',
                         'key_frame_indices',
                         'segment_means',
                         'tile_frames',
]
