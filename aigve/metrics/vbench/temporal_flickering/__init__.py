from .functional import flicker_score, mean_abs_frame_difference
from .temporal_flickering_metric import TemporalFlickering

__all__ = ['TemporalFlickering', 'flicker_score', 'mean_abs_frame_difference']
