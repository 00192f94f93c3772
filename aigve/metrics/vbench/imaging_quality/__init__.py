"""VBench ``imaging_quality`` (Huang et al., "VBench", CVPR 2024; github.com/Vchitect/VBench, Apache-2.0).

MUSIQ (Ke et al., ICCV 2021) trained on SPAQ, in pyiqa's layout (:mod:`aigve.models.musiq`), on every frame
after VBench's "longer side 512" resize; per video the mean score (0-100), the dimension score /100.
"""
from .functional import PREPROCESS_MODES, preprocess, preprocessed_size
from .imaging_quality_metric import ImagingQuality

__all__ = ['PREPROCESS_MODES', 'ImagingQuality', 'preprocess', 'preprocessed_size']
