"""``aigve metrics [--json]``: the registered metrics and their cards, as a table or as JSON."""
from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from typing import Any


def add_metrics_parser(subparsers: Any) -> None:
    """Add the ``metrics`` command."""
    p = subparsers.add_parser('metrics', help='list the registered metrics and their cards')
    p.add_argument('--json', action='store_true', help='print the cards as JSON instead of a table')


def list_metrics(args: argparse.Namespace) -> int:
    """``aigve metrics``: print the registered metrics and their cards."""
    from aigve.registry import METRICS

    METRICS.import_from_location()
    classes = [cls for _, cls in sorted(METRICS.module_dict.items()) if hasattr(cls, 'card')]
    if getattr(args, 'json', False):
        print(json.dumps([cls.card() for cls in classes], indent=2))
    else:
        print(format_metrics_table(classes))
    return 0


#: columns of the ``aigve metrics`` table
METRICS_COLUMNS = ('name', 'family', 'level', 'needs', 'direction', 'range')


def metric_family(cls: type) -> str:
    """The family of a metric class: the package under ``aigve.metrics`` that holds it.

    ``distribution``, ``video_quality``, ``text_video`` or ``vbench`` for aigve's metrics; the top-level package
    for a metric registered from elsewhere (``custom_imports``).
    """
    parts = cls.__module__.split('.')
    if parts[:2] == ['aigve', 'metrics'] and len(parts) > 2:
        return parts[2]
    return parts[0]


def _range(low: float | None, high: float | None) -> str:
    def bound(v: float | None, inf: str) -> str:
        return inf if v is None else f'{v:g}'
    return f"{'(' if low is None else '['}{bound(low, '-inf')}, {bound(high, 'inf')}{')' if high is None else ']'}"


def card_row(cls: type) -> dict[str, str]:
    """One row of the ``aigve metrics`` table, from the metric's card."""
    card = cls.card()
    needs = [w for w, flag in (('reference', card['needs_reference']), ('prompt', card['needs_prompt'])) if flag]
    name = card['name'] + (' (experimental)' if card.get('experimental') else '')
    return dict(name=name, family=metric_family(cls), level='set' if card['set_level'] else 'per-video',
                needs=', '.join(needs) or '-',
                direction='higher better' if card['higher_is_better'] else 'lower better',
                range=_range(*card['score_range']))


def format_metrics_table(classes: Sequence[type]) -> str:
    """The table ``aigve metrics`` prints: one row per metric class (see :data:`METRICS_COLUMNS`)."""
    from aigve.core.console import format_table

    return format_table([card_row(cls) for cls in classes], METRICS_COLUMNS)
