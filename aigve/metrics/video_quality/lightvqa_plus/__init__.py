"""Light-VQA+ (Zhou et al., 2024): exposure-aware video quality."""
from .functional import (
                         brightness_consistency,
                         hvs_pool,
                         key_frame_indices,
                         multi_head_attention,
                         segment_means,
                         tile_frames,
)
from .lightvqa_plus_metric import LightVQAPlus
from .network import ClipExposurePrompts, CrossAttention, CrossAttentionFusion, HVSWeighting, LightVQAPlusNet

__all__ = [
                         'ClipExposurePrompts',
                         'CrossAttention',
                         'CrossAttentionFusion',
                         'HVSWeighting',
                         'LightVQAPlus',
                         'LightVQAPlusNet',
                         'brightness_consistency',
                         'hvs_pool',
                         'key_frame_indices',
                         'multi_head_attention',
                         'segment_means',
                         'tile_frames',
]
