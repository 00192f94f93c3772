"""VBench ``appearance_style`` (Huang et al., CVPR 2024; github.com/Vchitect/VBench ``vbench/appearance_style.py``,
Apache-2.0): CLIP ViT-B/32 (OpenAI, MIT) similarity of every frame (PIL ``clip_transform_Image``) to the style
text of ``auxiliary_info``; frame-weighted aggregate.
"""
from .appearance_style_metric import AppearanceStyle, style_scores

__all__ = ['AppearanceStyle', 'style_scores']
