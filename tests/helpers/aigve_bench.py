"""A tiny AIGVE-Bench look-alike: annotation files as published (nine 0-5 ratings, groupings) and small videos.

``write_bench`` writes ``<root>/annotations/test.json`` and ``<root>/videos/<model>_<id>.mp4``;
``results_doc`` builds a results document (as ``aigve run`` writes one) from per-video scores.
"""
from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

ASPECTS = ('technical_quality', 'dynamic', 'consistency', 'physics', 'element_presentence', 'element_quality',
           'action_presentence', 'action_quality', 'overall')


def bench_entries(n_per_model: int = 4, models: Sequence[str] = ('cogvideox', 'sora'), seed: int = 0) -> list[dict]:
    """Annotation entries in the published shape, with seeded random ratings (action 0 = not applicable)."""
    rng = np.random.default_rng(seed)
    entries = []
    for m, model in enumerate(models):
        for i in range(n_per_model):
            vid = m * 100 + i
            ratings = {a: int(rng.integers(1, 6)) for a in ASPECTS}
            if i % 3 == 0:
                ratings.update(action_presentence=0, action_quality=0)
            entries.append(dict(id=vid, prompt_gt=f'prompt {vid}', **ratings, model=model, subject=['city'],
                                dynamic_type=['camera movement'], detailed_dynamic=['camera movement'],
                                category='global' if i % 3 == 0 else 'human', video_path_pd=f'{model}_{vid}.mp4'))
    return entries


def write_bench(root: str | Path, entries: Sequence[dict] | None = None, missing: Sequence[str] = (),
                frames: int = 4, ann_name: str = 'test.json') -> dict[str, Any]:
    """Write the annotation and the videos (except those named in ``missing``); returns paths and entries."""
    from helpers.videos import synthetic_frames, write_video

    root = Path(root)
    entries = list(entries if entries is not None else bench_entries())
    (root / 'annotations').mkdir(parents=True, exist_ok=True)
    (root / 'videos').mkdir(parents=True, exist_ok=True)
    ann = root / 'annotations' / ann_name
    ann.write_text(json.dumps(dict(metainfo=dict(length=len(entries), split='test'), data_list=entries)))
    for k, e in enumerate(entries):
        if e['video_path_pd'] not in missing:
            write_video(root / 'videos' / e['video_path_pd'], synthetic_frames(frames, 32, 32, seed=k))
    return dict(root=root, ann_file=ann, entries=entries, videos=root / 'videos')


def results_doc(per_video: Mapping[str, Mapping[str, float]], *, failures: Sequence[dict] = (),
                metrics: Mapping[str, float] | None = None, meta: Mapping[str, Mapping] | None = None) -> dict:
    """A results document: ``per_video`` is ``{video: {score key: value}}``; metrics default to the means."""
    records = []
    for video, scores in per_video.items():
        record = dict(video=video, **scores)
        if meta and video in meta:
            record['meta'] = dict(meta[video])
        records.append(record)
    keys = sorted({k for s in per_video.values() for k in s})
    metrics = dict(metrics) if metrics is not None else {
        k: float(np.mean([s[k] for s in per_video.values() if k in s])) for k in keys}
    return dict(metrics=metrics, per_video=records,
                num_videos=dict(scored=len(records), failed=len({f['video'] for f in failures})),
                failures=list(failures), provenance=dict(aigve='test', started='2026-12-02T00:00:00'))


def write_results(path: str | Path, doc: Mapping[str, Any]) -> Path:
    """Write a results document as JSON; returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc))
    return path
