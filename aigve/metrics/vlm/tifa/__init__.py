"""``TIFA`` metric (class in ``tifa_metric.py``, math in ``functional.py``, prompt in ``prompts.py``)."""
from .tifa_metric import TIFA

__all__ = ['TIFA']
