"""All aigve metrics. Importing this registers them; heavy libraries load only when a metric is built."""
from .vbench import TemporalFlickering

__all__ = ['TemporalFlickering']
