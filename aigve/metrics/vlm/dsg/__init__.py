"""``DSG`` metric (class in ``dsg_metric.py``, math and parsing in ``functional.py``, prompts in ``prompts.py``)."""
from .dsg_metric import DSG

__all__ = ['DSG']
