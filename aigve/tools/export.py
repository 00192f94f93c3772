"""Results documents as tables: read and check ``results.json``, build a pandas DataFrame, export CSV/Parquet.

One row per video: ``video``, one column per score (``<prefix>/<name>``, as in the results), ``failure`` (the
reasons it was not scored, joined with ``'; '``; empty for a scored video), and, when known, its annotation
``meta`` as ``meta.<key>`` columns (human ratings and groupings for AIGVE-Bench). Run-level facts (``metrics``,
``num_videos``, ``provenance``, ``path``) are in ``DataFrame.attrs``. pandas is imported when a table is built.
"""
from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = ['ResultsError', 'read_results', 'read_annotation_meta', 'to_frame', 'load', 'export', 'FORMATS',
           'split_label', 'run_dataset_paths']

FORMATS = ('csv', 'parquet')


class ResultsError(ValueError):
    """A file that is not an aigve results document."""


def _read_json(p: Path, name: str, what: str, fix: str = '') -> Any:
    if not p.is_file():
        raise FileNotFoundError(f'{name} not found: {p}' + (f';{fix}' if fix else ''))
    try:
        return json.loads(p.read_text(encoding='utf-8'))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ResultsError(f'{p}: not {what}: {e}') from e


def read_results(path: str | os.PathLike) -> dict[str, Any]:
    """Read a results document (``results.json``, or a run folder holding one) and check its shape.

    Raises:
        FileNotFoundError: No such file.
        ResultsError: Not JSON, or not an object with ``metrics`` and ``per_video``.
    """
    p = Path(path)
    if p.is_dir():
        p = p / 'results.json'
    doc = _read_json(p, 'results file', 'a results document', ' pass the results.json of a run (or its work dir)')
    if not isinstance(doc, dict) or not isinstance(doc.get('metrics'), dict) \
            or not isinstance(doc.get('per_video', []), list):
        raise ResultsError(f"{p}: not a results document: expected an object with 'metrics' and 'per_video' "
                           f'(see docs/results_format.md)')
    doc.setdefault('per_video', [])
    doc.setdefault('failures', [])
    doc.setdefault('provenance', {})
    doc['_path'] = str(p)
    return doc


def read_annotation_meta(path: str | os.PathLike) -> dict[str, dict[str, Any]]:
    """``video_path_pd`` -> every other key of its entry (``id``, ratings, groupings) of an annotation JSON.

    Raises:
        FileNotFoundError: No such file.
        ResultsError: Not an annotation file (an object with a ``data_list`` of entries with ``video_path_pd``).
    """
    p = Path(path)
    ann = _read_json(p, 'annotation file', 'an annotation file')
    entries = ann.get('data_list') if isinstance(ann, dict) else None
    if not isinstance(entries, list) or not all(isinstance(e, dict) and e.get('video_path_pd') for e in entries):
        raise ResultsError(f"{p}: not an annotation file: expected a 'data_list' of entries with 'video_path_pd'")
    skip = {'video_path_pd', 'video_path_gt', 'prompt_gt'}
    return {e['video_path_pd']: {k: v for k, v in e.items() if k not in skip} for e in entries}


def _pandas() -> Any:
    try:
        import pandas
    except ImportError as e:
        raise ImportError('results as a table need the `pandas` package; install it with: pip install pandas') from e
    return pandas


def _rows(doc: Mapping[str, Any], meta: Mapping[str, Mapping[str, Any]] | None) -> list[dict[str, Any]]:
    rows: dict[str, dict[str, Any]] = {}
    for record in doc.get('per_video') or []:
        row = rows.setdefault(record['video'], dict(video=record['video']))
        row.update({k: v for k, v in record.items() if k not in ('video', 'meta')})
        for k, v in (record.get('meta') or {}).items():
            row[f'meta.{k}'] = v
    reasons: dict[str, list[str]] = {}
    for failure in doc.get('failures') or []:
        rows.setdefault(failure['video'], dict(video=failure['video']))
        reasons.setdefault(failure['video'], []).append(str(failure.get('reason', '')))
        for k, v in (failure.get('meta') or {}).items():
            rows[failure['video']].setdefault(f'meta.{k}', v)
    for video, row in rows.items():
        row['failure'] = '; '.join(reasons.get(video, [])) or None
        for k, v in ((meta or {}).get(video) or {}).items():
            row.setdefault(f'meta.{k}', v)
    return list(rows.values())


def to_frame(doc: Mapping[str, Any], meta: Mapping[str, Mapping[str, Any]] | None = None) -> Any:
    """The per-video table of one results document (see the module docstring) as a pandas DataFrame.

    Args:
        doc: A results document (:func:`read_results`).
        meta: Video -> annotation keys to add as ``meta.<key>`` columns (:func:`read_annotation_meta`).
            Defaults to None.
    """
    pd = _pandas()
    rows = _rows(doc, meta)
    scores = sorted({k for r in rows for k in r if '/' in k and not k.startswith('meta.')})
    metas = sorted({k for r in rows for k in r if k.startswith('meta.')})
    frame = pd.DataFrame(rows, columns=['video', *scores, 'failure', *metas])
    for key in scores:
        frame[key] = pd.to_numeric(frame[key], errors='coerce').astype('float64')
    frame.attrs.update(metrics=dict(doc.get('metrics') or {}), num_videos=dict(doc.get('num_videos') or {}),
                       provenance=dict(doc.get('provenance') or {}), path=doc.get('_path'))
    return frame


def load(path: str | os.PathLike | Sequence[str | os.PathLike], ann_file: str | os.PathLike | None = None) -> Any:
    """Load one results document (or several, with a ``run`` column naming each file) as a DataFrame.

    Args:
        path: A ``results.json`` (or its run folder), or a list of them.
        ann_file: Annotation JSON whose entries' keys (human ratings, groupings) become ``meta.<key>`` columns.
            Defaults to None.
    """
    meta = read_annotation_meta(ann_file) if ann_file is not None else None
    if isinstance(path, (str, os.PathLike)):
        return to_frame(read_results(path), meta)
    pd = _pandas()
    frames = []
    for p in path:
        frame = to_frame(read_results(p), meta)
        frame.insert(0, 'run', str(p))
        frames.append(frame)
    if not frames:
        raise ValueError('`path` must name at least one results file, but got an empty list')
    out = pd.concat(frames, ignore_index=True)
    out.attrs.update(runs=[f.attrs for f in frames])
    return out


def export(frame: Any, out: str | os.PathLike, fmt: str) -> Path:
    """Write ``frame`` as CSV (lists joined with ``'; '``) or Parquet (needs pyarrow); atomic.

    Raises:
        ValueError: Unknown ``fmt``.
        ImportError: Parquet without pyarrow installed.
    """
    from aigve.utils.atomic import atomic_open

    if fmt not in FORMATS:
        raise ValueError(f'`format` must be one of {list(FORMATS)}, but got {fmt!r}')
    out = Path(out)
    if fmt == 'csv':
        flat = frame.copy()
        for col in flat.columns:
            if flat[col].dtype == object:
                flat[col] = flat[col].map(lambda v: '; '.join(map(str, v)) if isinstance(v, (list, tuple)) else v)
        with atomic_open(out, 'w') as f:
            flat.to_csv(f, index=False, lineterminator='\n')
        return out
    import importlib.util

    if importlib.util.find_spec('pyarrow') is None:
        raise ImportError('exporting Parquet needs the `pyarrow` package; install it with: pip install pyarrow '
                          '(or export --format csv)')
    frame = frame.copy()
    frame.attrs = {}  # pyarrow stores attrs as JSON metadata; provenance may not be JSON-typed everywhere
    with atomic_open(out, 'wb') as f:
        frame.to_parquet(f, index=False)
    return out


def split_label(arg: str) -> tuple[str | None, str]:
    """``'sora=work_dirs/sora/results.json'`` -> ``('sora', path)``; a plain path -> ``(None, path)``.

    A label is text before the first ``=`` without a path separator, and only when the text after it exists
    or the whole argument does not (so a file really named ``a=b.json`` still works).
    """
    label, sep, rest = arg.partition('=')
    if sep and label and '/' not in label and os.sep not in label and (os.path.exists(rest)
                                                                       or not os.path.exists(arg)):
        return label, rest
    return None, arg


def run_dataset_paths(results: str | os.PathLike) -> dict[str, Path | None]:
    """The annotation file and video folder of the run that wrote ``results``, from the config it dumped.

    MMEngine's Runner dumps the resolved config (``--cfg-options`` applied) into the work dir beside
    ``results.json``; its ``val_dataloader.dataset`` names ``data_root``, ``ann_file`` and ``data_prefix``. A
    ``data_root`` of None is the downloaded AIGVE-Bench. Anything missing or unreadable gives None (the caller
    asks for ``--ann-file``/``--video-root`` then).

    Returns:
        ``dict(ann_file=Path | None, video_root=Path | None)``.
    """
    found: dict[str, Path | None] = dict(ann_file=None, video_root=None)
    p = Path(results)
    folder = p if p.is_dir() else p.parent
    configs = sorted(folder.glob('*.py'))
    if len(configs) != 1:
        return found
    try:
        from mmengine.config import Config

        dataset = Config.fromfile(str(configs[0])).get('val_dataloader', {}).get('dataset', {})
    except Exception:  # a config that does not load here (a custom import): no discovery, not an error
        return found
    root = dataset.get('data_root', '')
    if root is None and dataset.get('type') == 'AIGVEBenchDataset':
        from aigve.utils.aigve_bench import downloaded_root
        root = downloaded_root()
    if root is None or str(root).startswith('pkg://'):
        return found
    ann = dataset.get('ann_file')
    if ann:
        ann_path = Path(ann) if Path(ann).is_absolute() else Path(root) / ann
        found['ann_file'] = ann_path if ann_path.is_file() else None
    prefix = (dataset.get('data_prefix') or {}).get('video', '')
    videos = Path(root) / prefix
    found['video_root'] = videos if videos.is_dir() else None
    return found
