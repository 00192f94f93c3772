"""VBench dimensions."""
from .temporal_flickering import TemporalFlickering

__all__ = ['TemporalFlickering']
