"""``CLIPSim`` metric (class in ``clip_sim_metric.py``, math in ``functional.py``)."""
from .clip_sim_metric import CLIPSim

__all__ = ['CLIPSim']
