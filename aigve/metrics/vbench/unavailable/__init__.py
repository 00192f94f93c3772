"""VBench dimensions aigve registers but cannot compute yet (their models are not on PyPI or not ported).

``object_class``, ``multiple_objects``, ``color`` and ``spatial_relationship`` need GRiT (a detectron2 model);
``scene`` needs Tag2Text. Building one raises :class:`DimensionNotAvailable` naming what it would take (see
``docs/metrics/vbench_unavailable.md``); no other detector or tagger is substituted under VBench's name.
"""
from .unavailable_metric import (
    Color,
    DimensionNotAvailable,
    MultipleObjects,
    ObjectClass,
    Scene,
    SpatialRelationship,
    UnavailableDimension,
)

__all__ = ['Color', 'DimensionNotAvailable', 'MultipleObjects', 'ObjectClass', 'Scene', 'SpatialRelationship',
           'UnavailableDimension']
