"""The VBench dimensions that need GRiT + detectron2 or Tag2Text: registered, failing at construction."""
from __future__ import annotations

from typing import Any

from aigve.core.base_metric import BaseVideoMetric
from aigve.registry import METRICS

__all__ = ['DimensionNotAvailable', 'UnavailableDimension', 'ObjectClass', 'MultipleObjects', 'Color',
           'SpatialRelationship', 'Scene']

_CARD = 'docs/metrics/vbench_unavailable.md'
_GRIT = ('GRiT-B (ViT-B + CenterNet2 + a text decoder, built on detectron2, which is not on PyPI) with its '
         'checkpoint grit_b_densecap_objectdet.pth')
_TAG2TEXT = ('Tag2Text Swin-B (its tagging head and BERT caption decoder are in no PyPI package) with its '
             'checkpoint tag2text_swin_14m.pth')


class DimensionNotAvailable(NotImplementedError):
    """A VBench dimension whose model aigve does not have; the message says what it would take."""


class UnavailableDimension(BaseVideoMetric):
    """Base of the registered-but-unavailable VBench dimensions: construction raises :class:`DimensionNotAvailable`."""

    higher_is_better = True
    score_range = (0.0, 1.0)
    #: VBench's dimension name
    dimension: str = ''
    #: what computing it needs
    needs: str = ''

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise DimensionNotAvailable(
            f'{type(self).__name__} (VBench {self.dimension}) is not available: needs {self.needs}; aigve does not '
            f'substitute another model under VBench\'s name (see {_CARD})')


def _dimension(name: str, dimension: str, needs: str, summary: str) -> type[UnavailableDimension]:
    """Register the unavailable dimension ``name`` (a subclass of :class:`UnavailableDimension`)."""
    attrs = dict(__doc__=f'VBench {summary}', __module__=__name__, __qualname__=name, default_prefix=dimension,
                 dimension=dimension, needs=needs)
    return METRICS.register_module(module=type(name, (UnavailableDimension, ), attrs))


ObjectClass = _dimension('ObjectClass', 'object_class', _GRIT + ' (task ObjectDet)',
                         "object class (not available: needs GRiT + detectron2): is the prompt's object detected.")
MultipleObjects = _dimension('MultipleObjects', 'multiple_objects', _GRIT + ' (task ObjectDet)',
                             'multiple objects (not available: needs GRiT + detectron2): are both objects detected.')
Color = _dimension('Color', 'color', _GRIT + ' (task DenseCap)',
                   "color (not available: needs GRiT + detectron2): does the object's caption name the colour.")
SpatialRelationship = _dimension('SpatialRelationship', 'spatial_relationship', _GRIT + ' (task ObjectDet)',
                                 'spatial relationship (not available: needs GRiT + detectron2): box layout.')
Scene = _dimension('Scene', 'scene', _TAG2TEXT,
                   "scene (not available: needs Tag2Text): does the frame caption contain the scene's words.")
