"""``PickScore`` metric (class in ``pick_score_metric.py``, math in ``functional.py``)."""
from .pick_score_metric import PickScore

__all__ = ['PickScore']
