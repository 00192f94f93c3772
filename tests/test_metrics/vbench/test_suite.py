"""VBench's Quality / Semantic / Total (``aigve/metrics/vbench/suite_metric.py``) and the run-level summary."""
from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.videos import synthetic_frames, write_lossless

from aigve.metrics.vbench.suite_metric import (
    NORMALIZATION,
    QUALITY_DIMENSIONS,
    SEMANTIC_DIMENSIONS,
    VBenchScores,
    vbench_scores,
)

REPO = Path(__file__).resolve().parents[3]


def cal_final_score_transcribed(upload: dict) -> tuple[float, float, float]:
    """A direct transcription of VBench's scripts/cal_final_score.py + constant.py (keys with spaces, missing
    dimensions counted as 0), as the reference for the formula."""
    norm = {'subject consistency': (0.1462, 1.0), 'background consistency': (0.2615, 1.0),
            'temporal flickering': (0.6293, 1.0), 'motion smoothness': (0.706, 0.9975), 'dynamic degree': (0.0, 1.0),
            'aesthetic quality': (0.0, 1.0), 'imaging quality': (0.0, 1.0), 'object class': (0.0, 1.0),
            'multiple objects': (0.0, 1.0), 'human action': (0.0, 1.0), 'color': (0.0, 1.0),
            'spatial relationship': (0.0, 1.0), 'scene': (0.0, 0.8222), 'appearance style': (0.0009, 0.2855),
            'temporal style': (0.0, 0.364), 'overall consistency': (0.0, 0.364)}
    weight = {k: (0.5 if k == 'dynamic degree' else 1) for k in norm}
    quality = ['subject consistency', 'background consistency', 'temporal flickering', 'motion smoothness',
               'aesthetic quality', 'imaging quality', 'dynamic degree']
    semantic = ['object class', 'multiple objects', 'human action', 'color', 'spatial relationship', 'scene',
                'appearance style', 'temporal style', 'overall consistency']
    data = {k: upload.get(k, 0) for k in norm}
    n = {k: (data[k] - norm[k][0]) / (norm[k][1] - norm[k][0]) * weight[k] for k in norm}
    q = sum(n[k] for k in quality) / sum(weight[k] for k in quality)
    s = sum(n[k] for k in semantic) / sum(weight[k] for k in semantic)
    return q, s, (q * 4 + s * 1) / 5


def test_max_gives_one_and_min_gives_zero():
    top, _ = vbench_scores({d: high for d, (low, high) in NORMALIZATION.items()})
    bottom, missing = vbench_scores({d: low for d, (low, high) in NORMALIZATION.items()})
    assert top == pytest.approx(dict(quality_score=1.0, semantic_score=1.0, total_score=1.0), abs=1e-12)
    assert bottom == pytest.approx(dict(quality_score=0.0, semantic_score=0.0, total_score=0.0), abs=1e-12)
    assert missing == {}


def test_matches_vbench_cal_final_score_on_random_aggregates():
    rng = random.Random(0)
    for _ in range(20):
        raw = {d: rng.uniform(0, 1) for d in NORMALIZATION}
        scores, _ = vbench_scores(raw)
        q, s, t = cal_final_score_transcribed({d.replace('_', ' '): v for d, v in raw.items()})
        assert scores['quality_score'] == pytest.approx(q, rel=1e-12)
        assert scores['semantic_score'] == pytest.approx(s, rel=1e-12)
        assert scores['total_score'] == pytest.approx(t, rel=1e-12)


def test_dynamic_degree_weighs_half():
    raw = {d: NORMALIZATION[d][0] for d in QUALITY_DIMENSIONS}
    raw['dynamic_degree'] = 1.0
    scores, _ = vbench_scores(raw)
    assert scores['quality_score'] == pytest.approx(0.5 / 6.5)


def test_scores_only_when_every_member_is_there():
    raw = {d: 0.9 for d in QUALITY_DIMENSIONS}
    scores, missing = vbench_scores(raw)
    assert set(scores) == {'quality_score'}
    assert missing['semantic_score'] == list(SEMANTIC_DIMENSIONS)
    assert missing['total_score'] == list(SEMANTIC_DIMENSIONS)
    scores, missing = vbench_scores({k: v for k, v in raw.items() if k != 'imaging_quality'})
    assert scores == {} and missing['quality_score'] == ['imaging_quality']


def test_summary_reads_prefixed_aggregates_and_keys_override():
    metric = VBenchScores(keys=dict(temporal_flickering='flicker/temporal_flickering'))
    metrics = {f'{d}/{d}': NORMALIZATION[d][1] for d in QUALITY_DIMENSIONS if d != 'temporal_flickering'}
    metrics['flicker/temporal_flickering'] = 1.0
    assert metric.summary(metrics) == {'vbench/quality_score': pytest.approx(1.0)}
    assert metric.protocol['missing']['semantic_score'] == list(SEMANTIC_DIMENSIONS)
    with pytest.raises(ValueError, match='unknown VBench dimensions'):
        VBenchScores(keys=dict(flicker='x'))


def test_a_run_says_which_dimensions_are_missing(tmp_path):
    (tmp_path / 'v').mkdir()
    write_lossless(tmp_path / 'v/a.mkv', synthetic_frames(4, 16, 16))
    (tmp_path / 'ann.json').write_text(json.dumps(dict(data_list=[dict(video_path_pd='v/a.mkv')])))
    config = tmp_path / 'cfg.py'
    config.write_text(
        f"_base_ = ['{REPO}/configs/_base_/default_runtime.py', '{REPO}/configs/_base_/datasets/toy.py']\n"
        "val_dataloader = dict(num_workers=0, dataset=dict(pipeline=_base_.generated_pipeline))\n"
        "val_evaluator = [dict(type='TemporalFlickering', device='cpu'), dict(type='VBenchScores')]\n")
    proc = subprocess.run([sys.executable, '-m', 'aigve.cli', 'run', str(config), '--work-dir', str(tmp_path / 'wd'),
                           '--cfg-options', f'data_root={tmp_path}', 'ann_file=ann.json'],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300,
                          env={**os.environ, 'PYTHONPATH': str(REPO)})
    assert proc.returncode == 0, proc.stderr[-2000:]
    results = json.loads((tmp_path / 'wd/results.json').read_text())
    assert 'temporal_flickering/temporal_flickering' in results['metrics']
    assert not any(k.startswith('vbench/') for k in results['metrics'])
    missing = results['provenance']['protocol']['vbench']['missing']
    assert 'temporal_flickering' not in missing['quality_score'] and 'subject_consistency' in missing['quality_score']
    assert results['num_videos'] == dict(scored=1, failed=0)
