"""VBench ``background_consistency`` (Huang et al., CVPR 2024; github.com/Vchitect/VBench
``vbench/background_consistency.py``, Apache-2.0): CLIP ViT-B/32 (OpenAI, MIT) image features of every frame,
VBench's tensor ``clip_transform``, the consistency formula of :mod:`aigve.metrics.vbench._common`,
frame-weighted aggregate.
"""
from .background_consistency_metric import BackgroundConsistency

__all__ = ['BackgroundConsistency']
