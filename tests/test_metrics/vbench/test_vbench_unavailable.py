"""The GRiT / Tag2Text VBench dimensions: registered, with a card, and a one-line "not available" error when built."""
from __future__ import annotations

import pytest

from aigve.metrics.vbench.unavailable import DimensionNotAvailable
from aigve.registry import METRICS

DIMENSIONS = {'ObjectClass': ('object_class', 'GRiT'), 'MultipleObjects': ('multiple_objects', 'GRiT'),
              'Color': ('color', 'GRiT'), 'SpatialRelationship': ('spatial_relationship', 'GRiT'),
              'Scene': ('scene', 'Tag2Text')}


@pytest.mark.parametrize('name', sorted(DIMENSIONS))
def test_building_says_what_it_needs(name) -> None:
    dimension, model = DIMENSIONS[name]
    with pytest.raises(DimensionNotAvailable) as info:
        METRICS.build(dict(type=name, device='cpu'))
    message = str(info.value)
    assert f'(VBench {dimension}) is not available: needs {model}' in message
    assert '\n' not in message and 'docs/metrics/vbench_unavailable.md' in message
    assert isinstance(info.value, NotImplementedError)
    if model == 'GRiT':
        assert 'detectron2' in message


@pytest.mark.parametrize('name', sorted(DIMENSIONS))
def test_card_without_construction(name) -> None:
    card = METRICS.get(name).card()
    assert card['prefix'] == DIMENSIONS[name][0] and card['score_range'] == [0.0, 1.0]
    assert 'not available' in card['summary']
