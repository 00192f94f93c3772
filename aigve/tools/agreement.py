"""Agreement of metrics with human ratings: rank and linear correlations with seeded bootstrap intervals.

The math is in pure functions over numbers (:func:`rankdata`, :func:`pearson`, :func:`spearman`,
:func:`kendall`, :func:`bootstrap_ci`, :func:`correlate`); :func:`agreement` applies them to results
documents and human ratings. Conventions:

* Ties get average ranks, as :func:`scipy.stats.rankdata` does, so :func:`spearman` equals
  :func:`scipy.stats.spearmanr`; :func:`kendall` is Kendall's tau-b (SciPy's default variant, which corrects
  for ties in either variable), computed by :func:`scipy.stats.kendalltau`.
* A pair with a missing (NaN) value on either side is left out; ``n`` counts the pairs used. Fewer than 3
  pairs, or a constant side, gives NaN (``null`` in JSON), never a guessed number.
* Confidence intervals: percentile bootstrap over videos (pairs resampled with replacement,
  ``numpy.random.default_rng(seed)``), ``level`` two-sided. Resamples where the statistic is undefined (a
  constant resample) are left out; with fewer than half of them defined the interval is ``None``.
* Direction: the score of a metric whose card says lower is better is negated before correlating, so that a
  positive correlation always means "agrees with people"; the output says so (``negated: true``). Scores other
  than a metric's headline have no stated direction and are used as reported (``direction: 'unknown'``).

.. math::

    \\rho_s = \\operatorname{corr}(\\operatorname{rank}(x), \\operatorname{rank}(y)), \\qquad
    \\tau_b = \\frac{n_c - n_d}{\\sqrt{(n_0 - n_1)(n_0 - n_2)}}

Examples:
    >>> spearman([1, 2, 3, 4], [10, 20, 30, 40])
    1.0
    >>> spearman([1, 2, 3, 4], [4, 3, 2, 1])
    -1.0
"""
from __future__ import annotations

import csv
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from aigve.utils.aigve_bench import ASPECTS, NOT_APPLICABLE_ZERO

__all__ = [
    'STATISTICS', 'rankdata', 'pearson', 'spearman', 'kendall', 'bootstrap_ci', 'correlate', 'Direction',
    'score_directions', 'collect_videos', 'run_generator', 'agreement', 'write_csv', 'heatmap_matrix',
    'plot_heatmap', 'format_correlation', 'format_agreement'
]

#: the correlations reported, in order
STATISTICS = ('spearman', 'kendall', 'pearson')
MIN_PAIRS = 3


# ------------------------------------------------------------------------------------------------ pure math
def rankdata(a: Any) -> np.ndarray:
    """Average ranks (1-based) along the last axis; ties share the mean of their ranks (SciPy's ``'average'``).

    Examples:
        >>> rankdata([10, 20, 20, 5]).tolist()
        [2.0, 3.5, 3.5, 1.0]
    """
    a = np.asarray(a, dtype=np.float64)
    n = a.shape[-1]
    order = np.argsort(a, axis=-1, kind='mergesort')
    s = np.take_along_axis(a, order, axis=-1)
    pos = np.broadcast_to(np.arange(n), s.shape)
    starts = np.ones(s.shape, dtype=bool)
    starts[..., 1:] = s[..., 1:] != s[..., :-1]
    ends = np.ones(s.shape, dtype=bool)
    ends[..., :-1] = starts[..., 1:]
    first = np.maximum.accumulate(np.where(starts, pos, 0), axis=-1)
    last = np.flip(np.minimum.accumulate(np.flip(np.where(ends, pos, n), axis=-1), axis=-1), axis=-1)
    ranks = np.empty(s.shape, dtype=np.float64)
    np.put_along_axis(ranks, order, (first + last) / 2.0 + 1.0, axis=-1)
    return ranks


def _pearson_rows(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Pearson's r along the last axis; NaN where either side is constant."""
    xc = x - x.mean(axis=-1, keepdims=True)
    yc = y - y.mean(axis=-1, keepdims=True)
    den = np.sqrt((xc * xc).sum(axis=-1) * (yc * yc).sum(axis=-1))
    with np.errstate(invalid='ignore', divide='ignore'):
        r = (xc * yc).sum(axis=-1) / den
    # a constant side: den is 0 (or rounding noise around it); report undefined rather than a number
    scale = np.abs(x).max(axis=-1) * np.abs(y).max(axis=-1) + 1e-300
    r = np.where(den <= 1e-12 * scale * x.shape[-1], np.nan, r)
    return np.clip(r, -1.0, 1.0)


def _pairs(x: Sequence[float], y: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(x, dtype=np.float64).ravel()
    y = np.asarray(y, dtype=np.float64).ravel()
    if x.shape != y.shape:
        raise ValueError(f'`x` and `y` must have the same length, but got {x.size} and {y.size}')
    keep = np.isfinite(x) & np.isfinite(y)
    return x[keep], y[keep]


def pearson(x: Sequence[float], y: Sequence[float]) -> float:
    """Pearson's linear correlation of the finite pairs; NaN for fewer than 3 pairs or a constant side."""
    x, y = _pairs(x, y)
    return float(_pearson_rows(x, y)) if x.size >= MIN_PAIRS else math.nan


def spearman(x: Sequence[float], y: Sequence[float]) -> float:
    """Spearman's rank correlation (Pearson's r of average ranks), as :func:`scipy.stats.spearmanr`."""
    x, y = _pairs(x, y)
    return float(_pearson_rows(rankdata(x), rankdata(y))) if x.size >= MIN_PAIRS else math.nan


def kendall(x: Sequence[float], y: Sequence[float]) -> float:
    """Kendall's tau-b (ties in either variable corrected), as :func:`scipy.stats.kendalltau`."""
    from scipy.stats import kendalltau

    x, y = _pairs(x, y)
    if x.size < MIN_PAIRS or np.ptp(x) == 0 or np.ptp(y) == 0:
        return math.nan
    return float(kendalltau(x, y, variant='b').statistic)


def _resampled(stat: str, x: np.ndarray, y: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """``stat`` of every resample ``(x[idx[b]], y[idx[b]])``; vectorised for the Pearson-based ones."""
    xs, ys = x[idx], y[idx]
    if stat == 'pearson':
        return _pearson_rows(xs, ys)
    if stat == 'spearman':
        return _pearson_rows(rankdata(xs), rankdata(ys))
    if stat == 'kendall':
        return np.array([kendall(a, b) for a, b in zip(xs, ys)])
    raise ValueError(f'`stat` must be one of {STATISTICS}, but got {stat!r}')


def bootstrap_ci(x: Sequence[float], y: Sequence[float], stat: str = 'spearman', *, n_boot: int = 1000,
                 seed: int = 0, level: float = 0.95) -> tuple[float, float] | None:
    """Percentile bootstrap interval of a correlation, pairs resampled with replacement.

    Args:
        x: Metric scores.
        y: Human ratings, aligned with ``x``.
        stat: ``'spearman'``, ``'kendall'`` or ``'pearson'``. Defaults to ``'spearman'``.
        n_boot: Number of resamples. Defaults to 1000.
        seed: Seed of ``numpy.random.default_rng``. Defaults to 0.
        level: Two-sided coverage. Defaults to 0.95.

    Returns:
        ``(low, high)``, or None when fewer than 3 pairs or fewer than half the resamples are defined.
    """
    if not 0 < level < 1:
        raise ValueError(f'`level` must be between 0 and 1, but got {level}')
    if n_boot < 1:
        raise ValueError(f'`n_boot` must be a positive integer, but got {n_boot}')
    x, y = _pairs(x, y)
    if x.size < MIN_PAIRS:
        return None
    idx = np.random.default_rng(seed).integers(0, x.size, size=(n_boot, x.size))
    values = _resampled(stat, x, y, idx)
    values = values[np.isfinite(values)]
    if values.size < n_boot / 2:
        return None
    alpha = (1 - level) / 2
    low, high = np.quantile(values, [alpha, 1 - alpha])
    return float(low), float(high)


def correlate(scores: Sequence[float], human: Sequence[float], *, negate: bool = False, n_boot: int = 1000,
              seed: int = 0, level: float = 0.95) -> dict[str, Any]:
    """All three correlations of ``scores`` with ``human``, each with its bootstrap interval, and ``n``.

    ``negate`` flips the sign of ``scores`` first (a lower-is-better metric). The intervals of the three
    statistics use the same resamples (same ``seed``).

    Examples:
        >>> r = correlate([3, 2, 1], [1, 2, 3], negate=True, n_boot=10)
        >>> r['n'], r['spearman'], r['negated']
        (3, 1.0, True)
    """
    x, y = _pairs(scores, human)
    if negate:
        x = -x
    out: dict[str, Any] = dict(n=int(x.size), negated=bool(negate))
    for stat in STATISTICS:
        value = {'spearman': spearman, 'kendall': kendall, 'pearson': pearson}[stat](x, y)
        out[stat] = None if math.isnan(value) else value
        ci = bootstrap_ci(x, y, stat, n_boot=n_boot, seed=seed, level=level) if out[stat] is not None else None
        out[f'{stat}_ci'] = list(ci) if ci else None
    return out


# ------------------------------------------------------------------------------------------------- direction
class Direction:
    """How a score is turned before correlating: ``'higher'`` (as is), ``'lower'`` (negated), ``'unknown'``."""

    HIGHER = 'higher'
    LOWER = 'lower'
    UNKNOWN = 'unknown'

    TEXT = {HIGHER: 'higher is better', LOWER: 'lower is better (negated)',
            UNKNOWN: 'direction unknown (used as reported)'}


def score_directions(keys: Iterable[str], cards: Sequence[Mapping[str, Any]],
                     overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    """Direction of each score key ``<prefix>/<name>``: its metric's card for the headline score, else unknown.

    The headline score of a metric is ``<prefix>/<prefix>`` (or the only score of that prefix among ``keys``).
    ``overrides`` (key -> ``'higher'``/``'lower'``) win over the cards.
    """
    keys = list(keys)
    by_prefix = {c.get('prefix'): c for c in cards if c.get('prefix')}
    counts: dict[str, int] = {}
    for key in keys:
        counts[key.partition('/')[0]] = counts.get(key.partition('/')[0], 0) + 1
    out = {}
    for key in keys:
        prefix, _, name = key.partition('/')
        card = by_prefix.get(prefix)
        headline = name == prefix or counts[prefix] == 1
        if card is not None and headline:
            out[key] = Direction.HIGHER if card.get('higher_is_better', True) else Direction.LOWER
        else:
            out[key] = Direction.UNKNOWN
    for key, value in (overrides or {}).items():
        if value not in (Direction.HIGHER, Direction.LOWER):
            raise ValueError(f"direction of {key!r} must be 'higher' or 'lower', but got {value!r}")
        out[key] = value
    return out


# --------------------------------------------------------------------------------------- results -> pairs
def _score_keys(record: Mapping[str, Any]) -> list[str]:
    return [k for k, v in record.items() if '/' in k and isinstance(v, (int, float)) and not isinstance(v, bool)]


def collect_videos(runs: Sequence[tuple[str, Mapping[str, Any]]],
                   human: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, dict[str, Any]]:
    """One entry per video over several results documents: its scores, human ratings and generator.

    Args:
        runs: ``(label, results document)`` pairs.
        human: Video path (as written in the annotation) -> annotation entry or ``meta`` (ratings, ``model``).
            A per-video record's own ``meta`` (when the results carry one) is used first. Defaults to None.

    Returns:
        ``{video: dict(scores={key: float}, human={...}, model=str | None, run=label)}``.

    Raises:
        ValueError: One video has two different values for the same score in two runs.
    """
    human = human or {}
    videos: dict[str, dict[str, Any]] = {}
    for label, doc in runs:
        for record in doc.get('per_video') or []:
            video = record['video']
            meta = dict(human.get(video) or {}, **(record.get('meta') or {}))
            entry = videos.setdefault(video, dict(scores={}, human={}, model=None, run=label))
            for key in _score_keys(record):
                old = entry['scores'].get(key)
                if old is not None and not math.isclose(old, record[key], rel_tol=1e-9, abs_tol=1e-12):
                    raise ValueError(f'{video} has two values of {key} ({old} and {record[key]}) in two runs; '
                                     f'pass runs of different metrics or of different videos')
                entry['scores'][key] = float(record[key])
            entry['human'].update({a: meta[a] for a in meta if a in ASPECTS or _is_number(meta[a]) and a != 'id'})
            entry['model'] = entry['model'] or meta.get('model')
    return videos


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def run_generator(label: str | None, doc: Mapping[str, Any],
                  human: Mapping[str, Mapping[str, Any]] | None = None) -> str | None:
    """The generator a run evaluated: its label, else the one ``model`` of all its videos (scored or failed)."""
    if label:
        return label
    human = human or {}
    models = set()
    for record in list(doc.get('per_video') or []) + list(doc.get('failures') or []):
        meta = dict(human.get(record['video']) or {}, **(record.get('meta') or {}))
        if meta.get('model') is not None:
            models.add(meta['model'])
    return models.pop() if len(models) == 1 else None


def _ratings(entries: Iterable[Mapping[str, Any]], aspect: str, keep_zero: bool) -> list[float]:
    out = []
    for e in entries:
        v = e.get(aspect)
        if not _is_number(v) or (v == 0 and aspect in NOT_APPLICABLE_ZERO and not keep_zero):
            out.append(math.nan)
        else:
            out.append(float(v))
    return out


def agreement(runs: Sequence[tuple[str | None, Mapping[str, Any]]], *, human: Mapping[str, Mapping[str, Any]]
              | None = None, aspects: Sequence[str] | None = None, directions: Mapping[str, str] | None = None,
              n_boot: int = 1000, seed: int = 0, level: float = 0.95, keep_zero: bool = False) -> dict[str, Any]:
    """Agreement of every score of ``runs`` with every human aspect, per video and per generator.

    Args:
        runs: ``(label or None, results document)`` pairs; the label names the generator of a run.
        human: Video path -> annotation entry (ratings and ``model``), for results that carry no ``meta``.
            Defaults to None.
        aspects: Aspects to use. Defaults to every aspect found among :data:`ASPECTS` (and other numeric keys).
        directions: Score key -> ``'higher'``/``'lower'``/``'unknown'`` (:func:`score_directions`). Defaults
            to None (every score used as reported, direction unknown).
        n_boot: Bootstrap resamples. Defaults to 1000.
        seed: Bootstrap seed. Defaults to 0.
        level: Interval coverage. Defaults to 0.95.
        keep_zero: Keep 0 ratings of :data:`NOT_APPLICABLE_ZERO` aspects (by default a 0 there means "not
            applicable" and the video is left out of that aspect). Defaults to False.

    Returns:
        ``dict(settings, aspects, scores, per_video=[rows], per_generator=[rows], notes=[...])``; each row
        holds ``score``, ``aspect``, ``direction``, ``negated``, ``n`` and every statistic with its ``_ci``.

    Raises:
        ValueError: No human ratings were found for any scored video.
    """
    human = human or {}
    directions = dict(directions or {})
    labelled = [(label or None, doc) for label, doc in runs]
    videos = collect_videos([(label or '', doc) for label, doc in labelled], human)
    rated = {v: e for v, e in videos.items() if e['human']}
    found = {a for e in rated.values() for a in e['human']} | {a for m in human.values() for a in m
                                                               if a in ASPECTS}
    aspects = list(aspects) if aspects else [a for a in ASPECTS if a in found] + sorted(found - set(ASPECTS))
    unknown = [a for a in aspects if a not in found]
    if unknown:
        raise ValueError(f'no human ratings for {unknown}; found: {sorted(found) or "none"}')
    notes: list[str] = []
    per_video_keys = sorted({k for e in videos.values() for k in e['scores']})
    if per_video_keys and not rated:
        raise ValueError('the per-video results carry no human ratings; pass the annotation file with '
                         '--ann-file (AIGVE-Bench: annotations/test.json of the downloaded copy)')
    kw = dict(n_boot=n_boot, seed=seed, level=level)
    per_video_rows = []
    for key in per_video_keys:
        direction = directions.get(key, Direction.UNKNOWN)
        entries = [e for e in rated.values() if key in e['scores']]
        xs = [e['scores'][key] for e in entries]
        for aspect in aspects:
            ys = _ratings((e['human'] for e in entries), aspect, keep_zero)
            row = dict(score=key, aspect=aspect, direction=direction,
                       **correlate(xs, ys, negate=direction == Direction.LOWER, **kw))
            per_video_rows.append(row)
    # ---------------------------------------------------------------------------------- per generator
    human_by_model: dict[str, list[Mapping[str, Any]]] = {}
    for entry in list(human.values()) or [e['human'] | {'model': e['model']} for e in rated.values()]:
        if entry.get('model') is not None:
            human_by_model.setdefault(str(entry['model']), []).append(entry)
    metric_by_model: dict[str, dict[str, float]] = {}
    for key in per_video_keys:
        groups: dict[str, list[float]] = {}
        for e in videos.values():
            if key in e['scores'] and e['model'] is not None:
                groups.setdefault(str(e['model']), []).append(e['scores'][key])
        metric_by_model[key] = {m: float(np.mean(v)) for m, v in groups.items()}
    set_level: dict[str, dict[str, float]] = {}
    for label, doc in labelled:
        keys = set(doc.get('metrics') or {}) - {k for r in doc.get('per_video') or [] for k in _score_keys(r)}
        if not keys:
            continue
        generator = run_generator(label, doc, human)
        if generator is None:
            notes.append(f'a run with set-level scores {sorted(keys)} names no generator; label it '
                         f'GENERATOR=results.json to rank it')
            continue
        for key in keys:
            if generator in set_level.setdefault(key, {}):
                raise ValueError(f'two runs give {key} for generator {generator!r}; label each run '
                                 f'GENERATOR=results.json')
            set_level[key][generator] = float(doc['metrics'][key])
    per_generator_rows = []
    for key, values in [*metric_by_model.items(), *set_level.items()]:
        direction = directions.get(key, Direction.UNKNOWN)
        sign = -1.0 if direction == Direction.LOWER else 1.0
        models = sorted(m for m in values if m in human_by_model)
        if len(models) < 2:
            if values:
                notes.append(f'{key}: {len(models)} generator(s) with human ratings; a ranking needs 2 or more')
            continue
        metric_rank = sorted(models, key=lambda m: -sign * values[m])
        for aspect in aspects:
            people = {m: float(np.nanmean(_ratings(human_by_model[m], aspect, keep_zero)))
                      if np.isfinite(_ratings(human_by_model[m], aspect, keep_zero)).any() else math.nan
                      for m in models}
            xs = [sign * values[m] for m in models]
            ys = [people[m] for m in models]
            row = dict(score=key, aspect=aspect, direction=direction, negated=direction == Direction.LOWER,
                       level='set' if key in set_level else 'per-video mean', n=int(np.isfinite(ys).sum()),
                       ranking_metric=metric_rank,
                       ranking_people=sorted((m for m in models if np.isfinite(people[m])), key=lambda m: -people[m]),
                       values={m: dict(metric=values[m], people=None if math.isnan(people[m]) else people[m])
                               for m in models})
            for stat, fn in (('spearman', spearman), ('kendall', kendall), ('pearson', pearson)):
                value = fn(xs, ys)
                row[stat] = None if math.isnan(value) else value
            per_generator_rows.append(row)
    if not per_video_rows and not per_generator_rows:
        raise ValueError('nothing to compare: no per-video score has human ratings and no generator could be '
                         'ranked' + (f' ({"; ".join(notes)})' if notes else ''))
    return dict(
        settings=dict(n_boot=n_boot, seed=seed, level=level, ci='percentile bootstrap over videos',
                      kendall='tau-b', not_applicable_zero=[] if keep_zero else list(NOT_APPLICABLE_ZERO)),
        aspects=aspects,
        scores={k: dict(direction=directions.get(k, Direction.UNKNOWN),
                        text=Direction.TEXT[directions.get(k, Direction.UNKNOWN)])
                for k in [*per_video_keys, *sorted(set_level)]},
        per_video=per_video_rows,
        per_generator=per_generator_rows,
        notes=notes,
    )


# ---------------------------------------------------------------------------------------------- outputs
CSV_COLUMNS = ('level', 'score', 'aspect', 'direction', 'negated', 'n', 'spearman', 'spearman_low',
               'spearman_high', 'kendall', 'kendall_low', 'kendall_high', 'pearson', 'pearson_low', 'pearson_high',
               'ranking_metric', 'ranking_people')


def _csv_row(level: str, row: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = dict(level=level)
    for col in CSV_COLUMNS[1:]:
        stat, _, side = col.rpartition('_')
        if side in ('low', 'high') and stat in STATISTICS:
            ci = row.get(f'{stat}_ci')
            out[col] = '' if not ci else ci[0 if side == 'low' else 1]
        elif col.startswith('ranking_'):
            out[col] = ' > '.join(row.get(col) or [])
        else:
            value = row.get(col)
            out[col] = '' if value is None else value
    return out


def write_csv(result: Mapping[str, Any], path: str) -> None:
    """One CSV row per (level, score, aspect): statistics, their intervals and, per generator, the rankings."""
    from aigve.utils.atomic import atomic_open

    with atomic_open(path, 'w') as f:
        writer = csv.DictWriter(f, fieldnames=list(CSV_COLUMNS), lineterminator='\n')
        writer.writeheader()
        for row in result['per_video']:
            writer.writerow(_csv_row('video', row))
        for row in result['per_generator']:
            writer.writerow(_csv_row('generator', row))


def heatmap_matrix(result: Mapping[str, Any], stat: str = 'spearman') -> tuple[list[str], list[str], np.ndarray]:
    """``(row labels, aspects, values)``: per-video correlations, or per-generator ones for set-level scores."""
    aspects = list(result['aspects'])
    rows: dict[str, dict[str, float]] = {}
    for row in result['per_video']:
        rows.setdefault(row['score'], {})[row['aspect']] = row[stat]
    for row in result['per_generator']:
        if row['level'] == 'set':
            rows.setdefault(f"{row['score']} (per generator)", {})[row['aspect']] = row[stat]
    labels = list(rows)
    values = np.array([[math.nan if rows[k].get(a) is None else rows[k][a] for a in aspects] for k in labels],
                      dtype=np.float64).reshape(len(labels), len(aspects))
    return labels, aspects, values


def plot_heatmap(result: Mapping[str, Any], path: str | None = None, stat: str = 'spearman') -> bytes:
    """Draw the score x aspect heatmap of ``stat`` as PNG bytes (and write it to ``path`` when given)."""
    import io

    import matplotlib
    matplotlib.use('Agg', force=False)
    from matplotlib.figure import Figure

    labels, aspects, values = heatmap_matrix(result, stat)
    directions = result.get('scores', {})
    ylabels = [k + (' (-)' if directions.get(k, {}).get('direction') == Direction.LOWER else '') for k in labels]
    label_width = 0.07 * max((len(lb) for lb in ylabels), default=4)  # inches for the row labels
    fig = Figure(figsize=(2.2 + label_width + 0.75 * max(len(aspects), 1), 1.8 + 0.45 * max(len(labels), 1)),
                 dpi=100)
    ax = fig.add_subplot()
    image = ax.imshow(np.ma.masked_invalid(values), cmap='RdBu', vmin=-1, vmax=1, aspect='auto')
    ax.set_xticks(range(len(aspects)), aspects, rotation=45, ha='right', fontsize=8)
    ax.set_yticks(range(len(labels)), ylabels, fontsize=8)
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            text = '-' if math.isnan(values[i, j]) else f'{values[i, j]:.2f}'
            ax.text(j, i, text, ha='center', va='center', fontsize=7)
    fig.colorbar(image, ax=ax, label=stat)
    ax.set_title(f'{stat} with human ratings ((-): lower is better, negated)', fontsize=9)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format='png')
    data = buf.getvalue()
    if path is not None:
        from aigve.utils.atomic import atomic_open
        with atomic_open(path, 'wb') as f:
            f.write(data)
    return data


def format_correlation(value: float | None, ci: Sequence[float] | None = None) -> str:
    """``'+0.512 [+0.40, +0.61]'``; ``'-'`` for an undefined value."""
    if value is None:
        return '-'
    return f'{value:+.3f}' + (f' [{ci[0]:+.2f}, {ci[1]:+.2f}]' if ci else '')


def format_agreement(result: Mapping[str, Any], table: Callable[[list, list], str]) -> str:
    """The console view: one line per (score, aspect) with the three statistics, then the generator rankings."""
    parts = []
    if result['per_video']:
        rows = [[r['score'] + (' (negated)' if r['negated'] else ''), r['aspect'], r['n'],
                 *(format_correlation(r[s], r[f'{s}_ci']) for s in STATISTICS)] for r in result['per_video']]
        parts.append('per video\n' + table(rows, ['score', 'aspect', 'n', *STATISTICS]))
    if result['per_generator']:
        rows = [[r['score'] + (' (negated)' if r['negated'] else ''), r['aspect'], r['n'],
                 *(format_correlation(r[s]) for s in STATISTICS), ' > '.join(r['ranking_metric']),
                 ' > '.join(r['ranking_people'])]
                for r in result['per_generator']]
        parts.append('per generator\n' + table(rows, ['score', 'aspect', 'n', *STATISTICS, 'metric ranking',
                                                       'people ranking']))
    for key, info in result.get('scores', {}).items():
        if info['direction'] != Direction.HIGHER:
            parts.append(f'{key}: {info["text"]}')
    parts.extend(f'note: {n}' for n in result.get('notes', []))
    return '\n\n'.join(parts)
