"""Collate a list of samples into lists (videos differ in length and size, so nothing is stacked)."""
from __future__ import annotations

from collections.abc import Sequence

from aigve.registry import FUNCTIONS


@FUNCTIONS.register_module()
def video_collate(batch: Sequence[dict]) -> dict[str, list]:
    """Turn ``[dict(inputs=v, data_samples=s), ...]`` into ``dict(inputs=[v, ...], data_samples=[s, ...])``."""
    return dict(inputs=[b['inputs'] for b in batch], data_samples=[b['data_samples'] for b in batch])
