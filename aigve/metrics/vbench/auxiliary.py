"""Read VBench's ``auxiliary_info`` (style, object, colour, ...) from a sample's annotation.

An annotation entry carries it as VBench's prompt files write it, ``{dimension: {field: value}}``; the
dataset keeps it in ``sample['meta']['auxiliary_info']`` (see :mod:`aigve.datasets.base_video_dataset`).
"""
from __future__ import annotations

from typing import Any

from aigve.core.base_metric import Unscorable

__all__ = ['auxiliary_value']


def auxiliary_value(sample: dict, dimension: str, field: str) -> Any:
    """``auxiliary_info[dimension][field]`` of ``sample``, or :class:`Unscorable` naming what is missing.

    Examples:
        >>> s = dict(meta=dict(auxiliary_info={'appearance_style': {'appearance_style': 'Van Gogh style'}}))
        >>> auxiliary_value(s, 'appearance_style', 'appearance_style')
        'Van Gogh style'
        >>> auxiliary_value(dict(meta={}), 'color', 'color').reason
        "needs auxiliary_info.color.color in the annotation (VBench's prompt-suite field), but it has none"
    """
    info = ((sample.get('meta') or {}).get('auxiliary_info') or {}).get(dimension) or {}
    value = info.get(field) if isinstance(info, dict) else None
    if value is None or value == '':
        return Unscorable(f"needs auxiliary_info.{dimension}.{field} in the annotation (VBench's prompt-suite "
                          f'field), but it has none')
    return value
