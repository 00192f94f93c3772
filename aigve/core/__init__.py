"""Core: the metric base class, the model-free evaluation loop, its hooks and the results writer."""
from .base_metric import BaseVideoMetric, SummaryMetric, Unscorable
from .hooks import VideoProgressHook
from .loops import AIGVELoop
from .model import PassThroughModel

__all__ = ['BaseVideoMetric', 'SummaryMetric', 'Unscorable', 'AIGVELoop', 'PassThroughModel', 'VideoProgressHook']
