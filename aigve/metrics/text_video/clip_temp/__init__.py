"""``CLIPTemp`` metric (class in ``clip_temp_metric.py``, math in ``functional.py``)."""
from .clip_temp_metric import CLIPTemp

__all__ = ['CLIPTemp']
