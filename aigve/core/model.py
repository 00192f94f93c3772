"""A pass-through model: MMEngine's Runner needs a model, aigve's metrics hold their own backbones."""
from __future__ import annotations

from typing import Any

from mmengine.model import BaseModel

from aigve.registry import MODEL_WRAPPERS, MODELS


@MODELS.register_module()
class PassThroughModel(BaseModel):
    """Holds nothing and computes nothing; :class:`aigve.core.AIGVELoop` never calls it."""

    def forward(self, inputs: Any = None, data_samples: Any = None, mode: str = 'tensor') -> list:
        """Return an empty list (the loop feeds batches straight to the metrics)."""
        return []


@MODEL_WRAPPERS.register_module()
class UnwrappedModel:
    """Model 'wrapper' of distributed runs: building it returns the pass-through model itself.

    The model has no parameters, so DistributedDataParallel (MMEngine's default) would refuse it; metrics
    synchronise their own results across ranks.
    """

    def __new__(cls, module: BaseModel, **kwargs: Any) -> BaseModel:  # type: ignore[misc]
        return module
