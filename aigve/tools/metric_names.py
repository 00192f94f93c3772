"""Find registered metrics by the names users type (registry key, prefix, older toolkit's names, family)."""
from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from typing import Any

#: names of the older toolkit (``prepare_annotations.py --metrics``) -> candidate registry keys
LEGACY_NAMES: dict[str, tuple[str, ...]] = {
    'fid': ('FID', ),
    'is': ('InceptionScore', 'IS', 'ISScore'),
    'fvd': ('FVD', ),
    'gstvqa': ('GSTVQA', 'GstVqa'),
    'simplevqa': ('SimpleVQA', ),
    'lightvqa+': ('LightVQAPlus', ),
    'lightvqa_plus': ('LightVQAPlus', ),
}
#: the older toolkit's ``--metrics all``
LEGACY_ALL = ('fid', 'is', 'fvd')
#: the older toolkit's own categories and the metrics they held (its ``--list-metrics``); they keep that set
#: (``distribution_based`` is FID, IS, FVD, without the KID of our ``distribution`` family)
LEGACY_CATEGORIES: dict[str, tuple[str, ...]] = {
    'distribution_based': ('fid', 'is', 'fvd'),
    'nn_based_video': ('gstvqa', 'simplevqa', 'lightvqa+'),
}
#: the older toolkit's ``--categories`` -> our metric families (``aigve.metrics.<family>``)
CATEGORY_ALIASES: dict[str, str] = {
    'distribution_based': 'distribution',
    'nn_based_video': 'video_quality',
    'similarity_based': 'text_video',
    'multi_aspect': 'vbench',
}


def registered_cards() -> list[dict[str, Any]]:
    """Cards of every metric in ``aigve.registry.METRICS`` (after importing ``aigve.metrics``), plus ``family``."""
    from aigve.registry import METRICS

    METRICS.import_from_location()
    cards = []
    for name, cls in sorted(METRICS.module_dict.items()):
        card = dict(cls.card()) if hasattr(cls, 'card') else dict(name=name)
        card['name'] = name
        parts = cls.__module__.split('.')
        card['family'] = parts[2] if len(parts) > 2 and parts[:2] == ['aigve', 'metrics'] else 'external'
        cards.append(card)
    return cards


def _index(cards: Sequence[dict]) -> dict[str, str]:
    index: dict[str, str] = {}
    for card in cards:
        for key in (card['name'], card.get('prefix')):
            if key:
                index.setdefault(str(key).lower(), card['name'])
    return index


def resolve_metric_names(names: Iterable[str], cards: Sequence[dict]) -> list[str]:
    """Registry keys for ``names`` (case-insensitive key or prefix, or an older toolkit name), in order.

    Raises:
        KeyError: For a name no registered metric answers to, with close matches.
    """
    index = _index(cards)
    known = sorted(c['name'] for c in cards)
    out: list[str] = []
    for raw in names:
        name = raw.strip()
        if not name:
            continue
        key = index.get(name.lower())
        if key is None:
            key = next((index[c.lower()] for c in LEGACY_NAMES.get(name.lower(), ()) if c.lower() in index), None)
        if key is None:
            close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
            close += [k for k in known if name.lower() in k.lower() and k not in close]
            hint = f'did you mean: {", ".join(close)}?' if close else f'registered: {", ".join(known) or "none"}'
            raise KeyError(f'metric {name!r} is not registered in aigve ({hint})')
        if key not in out:
            out.append(key)
    return out


def expand_metric_request(metrics: str | Sequence[str] | None, categories: str | Sequence[str] | None,
                          cards: Sequence[dict]) -> list[str]:
    """Registry keys for a ``--metrics``/``--categories`` request (CSV strings or lists).

    ``metrics='all'`` means the older toolkit's set (FID, IS, FVD) among the registered metrics; a category
    is a metric family (``distribution``, ``video_quality``, ``text_video``, ``vbench``) or an older alias.

    Raises:
        KeyError: For an unknown metric or category.
        ValueError: If nothing is selected.
    """
    def split(v: str | Sequence[str] | None) -> list[str]:
        if not v:
            return []
        return [s.strip() for s in (v.split(',') if isinstance(v, str) else v) if s and s.strip()]

    names = split(metrics)
    out: list[str] = []
    if [n.lower() for n in names] == ['all']:
        index = _index(cards)
        names = [n for n in LEGACY_ALL if any(c.lower() in index for c in LEGACY_NAMES[n])]
        if not names:
            raise ValueError(f"`metrics='all'` means FID, IS and FVD, and none of them is registered; registered: "
                             f"{', '.join(sorted(c['name'] for c in cards))}")
    out += resolve_metric_names(names, cards)
    families = sorted({c.get('family', '') for c in cards})
    for cat in split(categories):
        if cat.lower() in LEGACY_CATEGORIES:
            index = _index(cards)
            legacy = [n for n in LEGACY_CATEGORIES[cat.lower()] if any(c.lower() in index for c in LEGACY_NAMES[n])]
            out += [n for n in resolve_metric_names(legacy, cards) if n not in out]
            continue
        family = CATEGORY_ALIASES.get(cat.lower(), cat.lower())
        if family not in families:
            raise KeyError(f'category {cat!r} is unknown; families with registered metrics: {", ".join(families)} '
                           f'(older names: {", ".join(CATEGORY_ALIASES)})')
        out += [c['name'] for c in cards if c.get('family') == family and c['name'] not in out]
    if not out:
        raise ValueError('no metric selected; give `metrics` (e.g. TemporalFlickering) or `categories`')
    return out


def legacy_metrics_text() -> str:
    """The older toolkit's ``prepare_annotations.py --list-metrics`` output, as it printed it."""
    lines = ['Available categories:']
    lines += [f"  - {cat}: {', '.join(names)}" for cat, names in LEGACY_CATEGORIES.items()]
    names = [n for group in LEGACY_CATEGORIES.values() for n in group]
    return '\n'.join(lines + ['All metrics:', '  ' + ', '.join(names)]) + '\n'
