"""VBench ``subject_consistency`` (Huang et al., "VBench: Comprehensive Benchmark Suite for Video Generative
Models", CVPR 2024; github.com/Vchitect/VBench ``vbench/subject_consistency.py``, Apache-2.0).

DINO ViT-B/16 CLS features of every frame (Caron et al., ICCV 2021; github.com/facebookresearch/dino,
Apache-2.0), VBench's ``dino_transform``, the consistency formula of :mod:`aigve.metrics.vbench._common` and a
frame-weighted aggregate.
"""
from .subject_consistency_metric import SubjectConsistency

__all__ = ['SubjectConsistency']
