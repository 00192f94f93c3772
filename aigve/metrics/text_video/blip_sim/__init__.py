"""``BLIPSim`` metric (class in ``blip_sim_metric.py``, math in ``functional.py``)."""
from .blip_sim_metric import BLIPSim

__all__ = ['BLIPSim']
