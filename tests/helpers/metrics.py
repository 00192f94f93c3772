"""A metric that scores nothing: for tests of what the base class records (weights, provenance)."""
from __future__ import annotations

from aigve.core.base_metric import BaseVideoMetric


class RecorderMetric(BaseVideoMetric):
    """Records weights through the base class and computes nothing."""

    default_prefix = 'recorder'

    def process(self, data_batch, data_samples):
        pass

    def compute_metrics(self, results):
        return {}
