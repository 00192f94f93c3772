"""Core: the metric base class, the model-free evaluation loop, its hooks and the results writer."""
from .base_metric import BaseVideoMetric, NoVideoScored, SummaryMetric, Unscorable
from .hooks import VideoProgressHook
from .loops import AIGVELoop
from .model import PassThroughModel

__all__ = ['BaseVideoMetric', 'NoVideoScored', 'SummaryMetric', 'Unscorable', 'AIGVELoop', 'PassThroughModel',
           'VideoProgressHook']
