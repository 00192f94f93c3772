"""One self-contained HTML report of one or several runs: cards, aggregates, plots, best/worst videos.

The page loads nothing from anywhere: styles are inline, every plot and thumbnail is a PNG in a ``data:`` URI,
and there is no script. Sections, in order:

* runs: each results file with its label (generator), video counts and start time;
* comparison (two runs or more): a table of every aggregate per run and a bar chart per score;
* per score: the metric's card (direction, range, level, summary) and aggregate per run, a histogram of the
  per-video scores, and the best and worst ``k`` videos with a strip of ``frames`` thumbnails each (decoded
  with :mod:`aigve.utils.video_io`; a video that cannot be found or read says why instead);
* agreement with people (when the videos carry human ratings): the heatmap of :mod:`aigve.tools.agreement`
  and its per-video table;
* failures with their reasons; provenance of every run.

Text from the results (paths, reasons, prompts) is HTML-escaped.
"""
from __future__ import annotations

import base64
import datetime
import html
import io
import json
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from aigve import __version__
from aigve.tools import agreement as agreement_mod
from aigve.tools.export import run_dataset_paths
from aigve.utils.aigve_bench import ASPECTS

__all__ = ['build_report', 'report_for_results', 'png_data_uri', 'thumbnail_strip', 'find_video', 'run_label']

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2em auto;max-width:1100px;color:#222;
padding:0 1em}
h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}h3{margin-top:1.4em}
table{border-collapse:collapse;margin:.6em 0;font-size:.9em}td,th{border:1px solid #ddd;padding:.25em .5em;
text-align:left;vertical-align:top}th{background:#f4f4f4}td.num{text-align:right;font-variant-numeric:tabular-nums}
.card{background:#f8f8fb;border:1px solid #e0e0ea;border-radius:6px;padding:.6em 1em;margin:.6em 0}
.muted{color:#777}.strip{height:56px;display:block}pre{background:#f6f6f6;padding:.8em;overflow:auto;font-size:.8em}
img.plot{max-width:100%;height:auto}
"""


def png_data_uri(data: bytes) -> str:
    """``data:image/png;base64,...`` of PNG bytes."""
    return 'data:image/png;base64,' + base64.b64encode(data).decode('ascii')


def _fig_png(fig: Any) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format='png')
    return buf.getvalue()


def _figure(width: float, height: float) -> Any:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=100)


def histogram_png(values: Sequence[float], title: str) -> bytes:
    """A histogram of per-video scores, as PNG bytes."""
    fig = _figure(5.0, 2.6)
    ax = fig.add_subplot()
    vals = np.asarray([v for v in values if math.isfinite(v)], dtype=np.float64)
    ax.hist(vals, bins=min(30, max(5, int(np.sqrt(vals.size)) + 1)), color='#4c72b0', edgecolor='white')
    ax.set_title(title, fontsize=9)
    ax.set_xlabel('score', fontsize=8)
    ax.set_ylabel('videos', fontsize=8)
    ax.tick_params(labelsize=7)
    fig.tight_layout()
    return _fig_png(fig)


def bars_png(values: Mapping[str, Mapping[str, float]]) -> bytes:
    """One bar chart per score key comparing runs: ``{score: {run label: aggregate}}``, as PNG bytes."""
    keys = list(values)
    cols = min(3, len(keys))
    rows = math.ceil(len(keys) / cols)
    fig = _figure(3.6 * cols, 2.6 * rows)
    for i, key in enumerate(keys):
        ax = fig.add_subplot(rows, cols, i + 1)
        labels = list(values[key])
        ax.bar(range(len(labels)), [values[key][lb] for lb in labels], color='#55a868')
        ax.set_xticks(range(len(labels)), labels, rotation=30, ha='right', fontsize=7)
        ax.set_title(key, fontsize=8)
        ax.tick_params(labelsize=7)
    fig.tight_layout()
    return _fig_png(fig)


def find_video(video: str, roots: Sequence[str | os.PathLike]) -> Path | None:
    """The file of ``video`` (a path as written in the annotation): under each of ``roots``, else as given."""
    for root in roots:
        candidate = Path(root) / video
        if candidate.exists():
            return candidate
    candidate = Path(video)
    return candidate if candidate.exists() else None


def thumbnail_strip(path: str | os.PathLike, frames: int = 5, height: int = 56) -> bytes:
    """``frames`` frames spread over the video, scaled to ``height`` pixels and laid side by side, as PNG.

    Raises:
        aigve.utils.video_io.VideoReadError: The video cannot be read.
    """
    from PIL import Image

    from aigve.utils.frames import select_frames
    from aigve.utils.video_io import open_video

    with open_video(path) as reader:
        indices = select_frames(reader.num_frames, num_frames=min(frames, reader.num_frames), strategy='uniform')
        decoded = reader.get_frames(indices)
    width = max(1, round(decoded.shape[2] * height / decoded.shape[1]))
    tiles = [Image.fromarray(f).resize((width, height), Image.Resampling.BILINEAR) for f in decoded]
    strip = Image.new('RGB', (width * len(tiles) + 2 * (len(tiles) - 1), height), (255, 255, 255))
    for i, tile in enumerate(tiles):
        strip.paste(tile, (i * (width + 2), 0))
    buf = io.BytesIO()
    strip.save(buf, format='PNG')
    return buf.getvalue()


def run_label(path: str, doc: Mapping[str, Any], label: str | None, human: Mapping[str, Mapping[str, Any]]) -> str:
    """A run's name in the report: its label, else its generator, else its folder's name."""
    generator = agreement_mod.run_generator(label, doc, human)
    return generator or Path(path).resolve().parent.name or Path(path).name


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _num(value: Any) -> str:
    if value is None:
        return '<td class="num">-</td>'
    if isinstance(value, float):
        return f'<td class="num">{value:.6g}</td>'
    return f'<td class="num">{_e(value)}</td>'


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    head = ''.join(f'<th>{_e(h)}</th>' for h in headers)
    body = ''.join('<tr>' + ''.join(rows_i) + '</tr>' for rows_i in rows)
    return f'<table><tr>{head}</tr>{body}</table>'


def _img(data: bytes, alt: str, cls: str = 'plot') -> str:
    return f'<img class="{cls}" alt="{_e(alt)}" src="{png_data_uri(data)}">'


def _card_html(key: str, card: Mapping[str, Any] | None) -> str:
    if not card:
        return (f'<div class="card"><b>{_e(key)}</b> <span class="muted">(no registered metric has this prefix)'
                '</span></div>')
    low, high = (card.get('score_range') or [None, None])
    rng = f"[{'-inf' if low is None else low}, {'inf' if high is None else high}]"
    prefix, _, name = key.partition('/')
    headline = name == prefix
    direction = ('higher is better' if card.get('higher_is_better', True) else 'lower is better') if headline \
        else 'not the headline score: direction not stated'
    bits = [f"<b>{_e(card.get('name', key))}</b> &middot; {_e(key)}",
            f'direction: {_e(direction)}', f'range: {_e(rng)}' if headline else '',
            'set-level' if card.get('set_level') else 'per video',
            'needs reference' if card.get('needs_reference') else '',
            'needs prompt' if card.get('needs_prompt') else '',
            'experimental' if card.get('experimental') else '']
    summary = f"<div class=\"muted\">{_e(card['summary'])}</div>" if card.get('summary') else ''
    return '<div class="card">' + ' &middot; '.join(b for b in bits if b) + summary + '</div>'


def _extremes(scored: list[tuple[str, float]], k: int, higher: bool) -> tuple[list, list]:
    order = sorted(scored, key=lambda item: item[1], reverse=higher)
    return order[:k], order[::-1][:k]


def build_report(runs: Sequence[tuple[str, str | None, Mapping[str, Any]]], *,
                 cards: Sequence[Mapping[str, Any]] = (), human: Mapping[str, Mapping[str, Any]] | None = None,
                 video_roots: Sequence[str | os.PathLike] = (), k: int = 3, frames: int = 5,
                 agreement_options: Mapping[str, Any] | None = None, title: str = 'aigve report') -> str:
    """The HTML page of ``runs`` (``(path, label or None, results document)``).

    Args:
        runs: The results documents, with their file paths and optional labels (generator names).
        cards: Metric cards (``aigve.tools.metric_names.registered_cards()``), matched by prefix. Defaults to ().
        human: Video -> annotation entry (human ratings, ``model``) for results without ``meta``. Defaults to None.
        video_roots: Folders the per-video paths are relative to (the dataset's video folder); each run's own
            video folder (from the config it dumped beside its results) comes first, the results file's
            folder and the path as written last. Defaults to ().
        k: Best and worst videos shown per score. Defaults to 3.
        frames: Thumbnails per video. Defaults to 5.
        agreement_options: Keyword arguments of :func:`aigve.tools.agreement.agreement` (``n_boot``, ``seed``,
            ``aspects``, ``directions``...). Defaults to None.
        title: Page title. Defaults to ``'aigve report'``.

    Returns:
        The page, one self-contained HTML document.
    """
    import matplotlib
    matplotlib.use('Agg', force=False)

    if not runs:
        raise ValueError('`runs` must hold at least one results document')
    human = human or {}
    by_prefix = {c.get('prefix'): c for c in cards if c.get('prefix')}
    labels = [run_label(path, doc, label, human) for path, label, doc in runs]
    # each run's own video folder first (from the config it dumped): two runs may share file names
    run_roots = {path: [r] if (r := run_dataset_paths(path)['video_root']) else [] for path, _, _ in runs}
    seen: dict[str, int] = {}
    for i, lb in enumerate(labels):  # two runs of one generator stay apart
        seen[lb] = seen.get(lb, 0) + 1
        if seen[lb] > 1:
            labels[i] = f'{lb} ({seen[lb]})'
    out = [f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{_e(title)}</title>'
           f'<meta name="viewport" content="width=device-width, initial-scale=1"><style>{CSS}</style></head><body>',
           f'<h1>{_e(title)}</h1><p class="muted">aigve {_e(__version__)}, generated '
           f'{_e(datetime.datetime.now().isoformat(timespec="seconds"))}</p>']
    # ------------------------------------------------------------------------------------------------ runs
    rows = []
    for (path, _, doc), lb in zip(runs, labels):
        n = doc.get('num_videos') or {}
        rows.append([f'<td>{_e(lb)}</td>', f'<td>{_e(path)}</td>', _num(n.get('scored')), _num(n.get('failed')),
                     f"<td>{_e((doc.get('provenance') or {}).get('started', '-'))}</td>"])
    out.append('<h2 id="runs">Runs</h2>' + _table(['run', 'results file', 'scored', 'failed', 'started'], rows))
    keys = sorted({k for _, _, doc in runs for k in (doc.get('metrics') or {})})
    # ------------------------------------------------------------------------------------------ comparison
    if len(runs) > 1:
        rows = [[f'<td>{_e(key)}</td>', *(_num((doc.get('metrics') or {}).get(key)) for _, _, doc in runs)]
                for key in keys]
        out.append('<h2 id="comparison">Comparison</h2>' + _table(['score', *labels], rows))
        shared = {key: {lb: float(doc['metrics'][key]) for (_, _, doc), lb in zip(runs, labels)
                        if key in (doc.get('metrics') or {})} for key in keys}
        shared = {key: v for key, v in shared.items() if len(v) > 1}
        if shared:
            out.append(_img(bars_png(shared), 'aggregates per run'))
    # ------------------------------------------------------------------------------------------ per score
    out.append('<h2 id="scores">Scores</h2>')
    for key in keys:
        card = by_prefix.get(key.partition('/')[0])
        out.append(f'<h3>{_e(key)}</h3>' + _card_html(key, card))
        rows = [[f'<td>{_e(lb)}</td>', _num((doc.get('metrics') or {}).get(key))]
                for (_, _, doc), lb in zip(runs, labels) if key in (doc.get('metrics') or {})]
        out.append(_table(['run', 'aggregate'], rows))
        known = bool(card) and key.partition('/')[2] == key.partition('/')[0]
        higher = bool(card.get('higher_is_better', True)) if known else True
        for (path, _, doc), lb in zip(runs, labels):
            scored = [(r['video'], float(r[key])) for r in doc.get('per_video') or []
                      if isinstance(r.get(key), (int, float)) and math.isfinite(r[key])]
            if not scored:
                continue
            out.append(f'<p><b>{_e(lb)}</b>: {len(scored)} videos</p>')
            out.append(_img(histogram_png([s for _, s in scored], f'{key}: {lb}'), f'histogram of {key} ({lb})'))
            roots = [*run_roots[path], *video_roots, Path(path).resolve().parent]
            best, worst = _extremes(scored, k, higher)
            names = (('best', f'{"higher" if higher else "lower"} is better'), ('worst', '')) if known else \
                (('highest', 'direction not stated'), ('lowest', ''))
            for (name, why), chosen in zip(names, (best, worst)):
                rows = [[f'<td>{_e(v)}</td>', _num(s), f'<td>{_thumbs(v, roots, frames)}</td>'] for v, s in chosen]
                out.append(f'<p>{name} {len(chosen)}{f" ({why})" if why else ""}</p>'
                           + _table(['video', 'score', 'frames'], rows))
    # ----------------------------------------------------------------------------------------- agreement
    out.append(_agreement_html([(lb, doc) for (_, _, doc), lb in zip(runs, labels)], human, agreement_options))
    # ------------------------------------------------------------------------------------------ failures
    out.append('<h2 id="failures">Failures</h2>')
    rows = [[f'<td>{_e(lb)}</td>', f"<td>{_e(f['video'])}</td>", f"<td>{_e(f.get('reason', ''))}</td>"]
            for (_, _, doc), lb in zip(runs, labels) for f in doc.get('failures') or []]
    out.append(_table(['run', 'video', 'reason'], rows) if rows else '<p>none: every video was scored</p>')
    # ---------------------------------------------------------------------------------------- provenance
    out.append('<h2 id="provenance">Provenance</h2>')
    for (_, _, doc), lb in zip(runs, labels):
        out.append(f'<h3>{_e(lb)}</h3><pre>{_e(json.dumps(doc.get("provenance") or {}, indent=2, default=str))}</pre>')
    out.append('</body></html>')
    return '\n'.join(out)


def _thumbs(video: str, roots: Sequence[str | os.PathLike], frames: int) -> str:
    from aigve.utils.video_io import VideoReadError

    path = find_video(video, roots)
    if path is None:
        return '<span class="muted">no thumbnails: video not found (pass --video-root)</span>'
    try:
        return _img(thumbnail_strip(path, frames), f'frames of {video}', cls='strip')
    except (VideoReadError, OSError, ValueError) as e:
        return f'<span class="muted">no thumbnails: {_e(str(e).splitlines()[0])}</span>'


def _agreement_html(runs: Sequence[tuple[str, Mapping[str, Any]]], human: Mapping[str, Mapping[str, Any]],
                    options: Mapping[str, Any] | None) -> str:
    has_ratings = any(a in m for m in [*human.values(), *(r.get('meta') or {} for _, doc in runs
                                                          for r in doc.get('per_video') or [])] for a in ASPECTS)
    if not has_ratings:
        return ''
    head = '<h2 id="agreement">Agreement with people</h2>'
    try:
        return head + _agreement_part(agreement_mod.agreement(runs, human=human, **dict(options or {})))
    except ValueError as e:
        if 'two values' not in str(e):
            return f'{head}<p class="muted">not computed: {_e(e)}</p>'
    # runs that scored the same videos (two settings of one metric): one agreement per run
    parts = [head]
    for label, doc in runs:
        try:
            result = agreement_mod.agreement([(label, doc)], human=human, **dict(options or {}))
        except ValueError as e:
            parts.append(f'<h3>{_e(label)}</h3><p class="muted">not computed: {_e(e)}</p>')
            continue
        parts.append(f'<h3>{_e(label)}</h3>' + _agreement_part(result, alt=f'agreement heatmap ({label})'))
    return '\n'.join(parts)


def _agreement_part(result: Mapping[str, Any], alt: str = 'agreement heatmap') -> str:
    parts = [f"<p class=\"muted\">Spearman correlation with each human aspect; 95% intervals: "
             f"{_e(result['settings']['ci'])}, {result['settings']['n_boot']} resamples, seed "
             f"{result['settings']['seed']}. (-): lower is better, negated.</p>"]
    if result['per_video'] or any(r['level'] == 'set' for r in result['per_generator']):
        parts.append(_img(agreement_mod.plot_heatmap(result), alt))
    rows = [[f"<td>{_e(r['score'])}{' (negated)' if r['negated'] else ''}</td>", f"<td>{_e(r['aspect'])}</td>",
             _num(r['n']), *(f'<td class="num">{_e(agreement_mod.format_correlation(r[s], r[s + "_ci"]))}</td>'
                             for s in agreement_mod.STATISTICS)] for r in result['per_video']]
    if rows:
        parts.append(_table(['score', 'aspect', 'n', *agreement_mod.STATISTICS], rows))
    rows = [[f"<td>{_e(r['score'])}</td>", f"<td>{_e(r['aspect'])}</td>", _num(r['n']), _num(r['spearman']),
             f"<td>{_e(' > '.join(r['ranking_metric']))}</td>", f"<td>{_e(' > '.join(r['ranking_people']))}</td>"]
            for r in result['per_generator']]
    if rows:
        parts.append('<h3>Generators</h3>' + _table(['score', 'aspect', 'generators', 'spearman', 'by the metric',
                                                     'by people'], rows))
    parts.extend(f'<p class="muted">note: {_e(n)}</p>' for n in result['notes'])
    return '\n'.join(parts)


def report_for_results(results: str | os.PathLike, *, cards: Sequence[Mapping[str, Any]] = (),
                       video_roots: Sequence[str | os.PathLike] = (), ann_file: str | os.PathLike | None = None,
                       title: str = 'aigve report') -> str:
    """The report page of one results file (the service's ``/jobs/{id}/results?format=html``).

    ``ann_file`` (when it exists) gives the videos' annotation keys, so human ratings in it reach the
    agreement section; ``video_roots`` are where the thumbnails' videos are looked for.
    """
    from aigve.tools.export import read_annotation_meta, read_results

    doc = read_results(results)
    human = read_annotation_meta(ann_file) if ann_file is not None and Path(ann_file).is_file() else {}
    return build_report([(doc['_path'], None, doc)], cards=cards, human=human, video_roots=video_roots,
                        agreement_options=dict(n_boot=200), title=title)
