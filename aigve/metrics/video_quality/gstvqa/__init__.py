"""GSTVQA (Chen et al., TCSVT 2021)."""
from .functional import GSTVQA_CHECKPOINTS, gstvqa_score_from_features, stretch_frames, video_statistics
from .gstvqa_metric import GSTVQA
from .network import GSTVQANet

__all__ = [
           'GSTVQA',
           'GSTVQA_CHECKPOINTS',
           'GSTVQANet',
           'gstvqa_score_from_features',
           'stretch_frames',
           'video_statistics',
]
