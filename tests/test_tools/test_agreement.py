"""Agreement with people: exact answers, SciPy parity, interval coverage, direction, generators, outputs."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
import scipy.stats as st
from helpers.aigve_bench import ASPECTS, bench_entries, results_doc, write_results

from aigve.tools import agreement as ag


# -------------------------------------------------------------------------------------------- exact cases
@pytest.mark.parametrize('fn', [ag.spearman, ag.kendall, ag.pearson])
def test_perfect_agreement_is_one_and_reversed_is_minus_one(fn):
    x = [1.0, 2.0, 3.0, 4.0, 5.0]
    assert fn(x, [2 * v + 1 for v in x]) == pytest.approx(1.0)
    assert fn(x, [-v for v in x]) == pytest.approx(-1.0)


def test_monotone_but_not_linear_is_one_for_the_rank_statistics():
    x = np.arange(1, 9, dtype=float)
    y = np.exp(x)
    assert ag.spearman(x, y) == pytest.approx(1.0) and ag.kendall(x, y) == pytest.approx(1.0)
    assert ag.pearson(x, y) < 0.95


def test_ties_are_handled_as_scipy_does():
    x = [1, 2, 2, 3, 3, 3, 4]
    y = [1, 1, 2, 2, 3, 5, 5]
    assert ag.rankdata(x).tolist() == st.rankdata(x).tolist()
    assert ag.spearman(x, y) == pytest.approx(st.spearmanr(x, y).statistic, abs=1e-12)
    assert ag.kendall(x, y) == pytest.approx(st.kendalltau(x, y).statistic, abs=1e-12)  # tau-b
    assert ag.rankdata([[3, 1, 1], [2, 2, 2]]).tolist() == [[3.0, 1.5, 1.5], [2.0, 2.0, 2.0]]


def test_undefined_cases_are_nan_not_numbers():
    assert math.isnan(ag.spearman([1, 1, 1, 1], [1, 2, 3, 4]))  # constant side
    assert math.isnan(ag.kendall([1, 2], [1, 2]))  # fewer than 3 pairs
    assert math.isnan(ag.pearson([1, 2, 3], [5, 5, 5]))
    assert ag.bootstrap_ci([1, 2], [1, 2]) is None
    r = ag.correlate([1, 1, 1], [1, 2, 3])
    assert r['spearman'] is None and r['spearman_ci'] is None and r['n'] == 3


def test_missing_values_are_left_out_and_counted():
    r = ag.correlate([1, 2, float('nan'), 4, 5], [1, 2, 3, float('nan'), 5], n_boot=20)
    assert r['n'] == 3 and r['spearman'] == pytest.approx(1.0)


def test_lower_is_better_is_negated_and_said():
    r = ag.correlate([5, 4, 3, 2, 1], [1, 2, 3, 4, 5], negate=True, n_boot=50)
    assert r['negated'] is True and r['spearman'] == pytest.approx(1.0) and r['kendall'] == pytest.approx(1.0)


def test_bad_arguments():
    with pytest.raises(ValueError, match='same length'):
        ag.spearman([1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match='`level` must be between 0 and 1'):
        ag.bootstrap_ci([1, 2, 3], [1, 2, 3], level=95)
    with pytest.raises(ValueError, match='`stat` must be one of'):
        ag.bootstrap_ci([1, 2, 3, 4], [1, 2, 3, 4], stat='tau')


# ----------------------------------------------------------------------------------------- SciPy parity
@pytest.mark.parametrize('seed', range(5))
@pytest.mark.parametrize('n', [5, 37, 400])
def test_parity_with_scipy_on_random_data(seed, n):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    y = 0.5 * x + rng.normal(size=n)
    ratings = rng.integers(0, 6, size=n).astype(float)  # many ties, like 0-5 human ratings
    for a, b in ((x, y), (x, ratings), (np.round(x, 1), ratings)):
        assert ag.spearman(a, b) == pytest.approx(st.spearmanr(a, b).statistic, abs=1e-10)
        assert ag.kendall(a, b) == pytest.approx(st.kendalltau(a, b).statistic, abs=1e-10)
        assert ag.pearson(a, b) == pytest.approx(st.pearsonr(a, b).statistic, abs=1e-10)
    assert np.allclose(ag.rankdata(ratings), st.rankdata(ratings))


def test_vectorised_bootstrap_matches_one_by_one():
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=30), rng.integers(0, 6, 30).astype(float)
    idx = np.random.default_rng(0).integers(0, 30, size=(20, 30))
    for stat, fn in (('spearman', st.spearmanr), ('pearson', st.pearsonr)):
        expected = [fn(x[i], y[i]).statistic for i in idx]
        assert np.allclose(ag._resampled(stat, x, y, idx), expected, atol=1e-10, equal_nan=True)


def test_bootstrap_is_seeded():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=50), rng.normal(size=50)
    assert ag.bootstrap_ci(x, y, seed=7) == ag.bootstrap_ci(x, y, seed=7)
    assert ag.bootstrap_ci(x, y, seed=7) != ag.bootstrap_ci(x, y, seed=8)


def test_interval_coverage_on_a_simulated_case():
    """Bivariate normal with rho = 0.5: the 95% percentile intervals hold the true value about 95% of the time."""
    rho, n, reps = 0.5, 100, 100
    true = {'pearson': rho, 'spearman': 6 / math.pi * math.asin(rho / 2), 'kendall': 2 / math.pi * math.asin(rho)}
    rng = np.random.default_rng(2026)
    hits = {k: 0 for k in true}
    cov = [[1, rho], [rho, 1]]
    for rep in range(reps):
        x, y = rng.multivariate_normal([0, 0], cov, size=n).T
        for stat in ('pearson', 'spearman'):
            low, high = ag.bootstrap_ci(x, y, stat, n_boot=200, seed=rep)
            hits[stat] += low <= true[stat] <= high
        if rep < 30:  # Kendall resamples one by one: fewer repetitions
            low, high = ag.bootstrap_ci(x, y, 'kendall', n_boot=150, seed=rep)
            hits['kendall'] += low <= true['kendall'] <= high
    assert 0.88 <= hits['pearson'] / reps <= 0.99
    assert 0.88 <= hits['spearman'] / reps <= 0.99
    assert 0.8 <= hits['kendall'] / 30 <= 1.0


# ------------------------------------------------------------------------------------ runs and ratings
def _bench(seed=0):
    entries = bench_entries(6, ('cogvideox', 'hunyuan', 'sora'), seed=seed)
    human = {e['video_path_pd']: {k: v for k, v in e.items() if k not in ('video_path_pd', 'prompt_gt')}
             for e in entries}
    return entries, human


def test_per_video_agreement_uses_ratings_from_meta_or_the_annotation():
    entries, human = _bench()
    # a score that follows `overall` exactly, one that is its opposite (lower is better)
    per_video = {e['video_path_pd']: {'good/good': 2.0 * e['overall'], 'bad/bad': -e['overall']} for e in entries}
    directions = {'good/good': 'higher', 'bad/bad': 'lower'}
    from_ann = ag.agreement([(None, results_doc(per_video))], human=human, directions=directions, n_boot=30)
    from_meta = ag.agreement([(None, results_doc(per_video, meta=human))], directions=directions, n_boot=30)
    assert from_ann['per_video'] == from_meta['per_video']
    rows = {(r['score'], r['aspect']): r for r in from_ann['per_video']}
    assert rows[('good/good', 'overall')]['spearman'] == pytest.approx(1.0)
    assert rows[('bad/bad', 'overall')]['spearman'] == pytest.approx(1.0)
    assert rows[('bad/bad', 'overall')]['negated'] is True
    assert rows[('good/good', 'overall')]['n'] == len(entries)
    assert from_ann['aspects'] == list(ASPECTS)
    assert from_ann['scores']['bad/bad']['text'] == 'lower is better (negated)'


def test_not_applicable_zero_ratings_are_left_out_unless_kept():
    entries, human = _bench()
    per_video = {e['video_path_pd']: {'m/m': float(i)} for i, e in enumerate(entries)}
    zeros = sum(e['action_quality'] == 0 for e in entries)
    assert zeros > 0
    default = ag.agreement([(None, results_doc(per_video))], human=human, aspects=['action_quality'], n_boot=20)
    kept = ag.agreement([(None, results_doc(per_video))], human=human, aspects=['action_quality'], n_boot=20,
                        keep_zero=True)
    assert default['per_video'][0]['n'] == len(entries) - zeros
    assert kept['per_video'][0]['n'] == len(entries)


def test_generators_are_ranked_per_video_mean_and_set_level():
    entries, human = _bench()
    people = {m: np.mean([e['overall'] for e in entries if e['model'] == m]) for m in ('cogvideox', 'hunyuan', 'sora')}
    order = sorted(people, key=people.get, reverse=True)
    # per-video metric whose per-generator mean follows people's mean exactly
    per_video = {e['video_path_pd']: {'m/m': people[e['model']]} for e in entries}
    # a set-level metric (FID-like, lower is better) per generator run, ordered like people
    fid_runs = [(m, results_doc({}, metrics={'fid/fid': 10.0 - people[m]})) for m in people]
    result = ag.agreement([(None, results_doc(per_video)), *fid_runs], human=human, aspects=['overall'],
                          directions={'m/m': 'higher', 'fid/fid': 'lower'}, n_boot=20)
    rows = {r['score']: r for r in result['per_generator']}
    assert rows['m/m']['ranking_metric'] == rows['m/m']['ranking_people'] == order
    assert rows['m/m']['spearman'] == pytest.approx(1.0) and rows['m/m']['level'] == 'per-video mean'
    assert rows['fid/fid']['level'] == 'set' and rows['fid/fid']['negated'] is True
    assert rows['fid/fid']['ranking_metric'] == order and rows['fid/fid']['spearman'] == pytest.approx(1.0)
    assert rows['fid/fid']['n'] == 3
    assert not [r for r in result['per_video'] if r['score'] == 'fid/fid']  # set-level: no per-video rows


def test_a_set_level_run_without_a_generator_is_a_note():
    entries, human = _bench()
    per_video = {e['video_path_pd']: {'m/m': float(e['overall'])} for e in entries}
    result = ag.agreement([(None, results_doc(per_video)), (None, results_doc({}, metrics={'fid/fid': 3.0}))],
                          human=human, aspects=['overall'], n_boot=10)
    assert any('names no generator' in n for n in result['notes'])


def test_errors_say_what_is_missing():
    with pytest.raises(ValueError, match='--ann-file'):
        ag.agreement([(None, results_doc({'a.mp4': {'m/m': 1.0}, 'b.mp4': {'m/m': 2.0}}))])
    entries, human = _bench()
    per_video = {e['video_path_pd']: {'m/m': 1.0} for e in entries}
    with pytest.raises(ValueError, match=r"no human ratings for \['beauty'\]"):
        ag.agreement([(None, results_doc(per_video))], human=human, aspects=['beauty'])
    a = results_doc({'cogvideox_0.mp4': {'m/m': 1.0}})
    b = results_doc({'cogvideox_0.mp4': {'m/m': 2.0}})
    with pytest.raises(ValueError, match='two values of m/m'):
        ag.agreement([(None, a), (None, b)], human=human)


def test_directions_from_cards():
    cards = [dict(prefix='fid', higher_is_better=False), dict(prefix='temporal_flickering', higher_is_better=True)]
    keys = ['fid/fid', 'temporal_flickering/temporal_flickering', 'temporal_flickering/mae', 'other/x']
    d = ag.score_directions(keys, cards, overrides={'temporal_flickering/mae': 'lower'})
    assert d == {'fid/fid': 'lower', 'temporal_flickering/temporal_flickering': 'higher',
                 'temporal_flickering/mae': 'lower', 'other/x': 'unknown'}
    assert ag.score_directions(['temporal_flickering/mae', 'temporal_flickering/temporal_flickering'],
                               cards)['temporal_flickering/mae'] == 'unknown'


# ------------------------------------------------------------------------------------------------- CLI
def test_cli_writes_json_csv_and_heatmap(tmp_path, capsys):
    from PIL import Image

    from aigve.cli import main

    entries, _ = _bench()
    ann = tmp_path / 'test.json'
    ann.write_text(json.dumps(dict(data_list=entries)))
    per_video = {e['video_path_pd']: {'temporal_flickering/temporal_flickering': e['overall'] / 5 + 0.001 * i}
                 for i, e in enumerate(entries)}
    res = write_results(tmp_path / 'run' / 'results.json', results_doc(per_video))
    fid = [write_results(tmp_path / m / 'results.json', results_doc({}, metrics={'fid/fid': float(k)}))
           for k, m in enumerate(('cogvideox', 'hunyuan', 'sora'))]
    out = tmp_path / 'agr'
    rc = main(['agreement', str(res), *(f'{m}={p}' for m, p in zip(('cogvideox', 'hunyuan', 'sora'), fid)),
               '--ann-file', str(ann), '--aspects', 'overall', 'physics', '--n-boot', '50', '--out-dir', str(out)])
    assert rc == 0
    printed = capsys.readouterr().out
    assert 'per video' in printed and 'per generator' in printed and 'fid/fid (negated)' in printed
    data = json.loads((out / 'agreement.json').read_text())
    assert data['aspects'] == ['overall', 'physics'] and data['settings']['n_boot'] == 50
    assert {r['score'] for r in data['per_generator']} == {'temporal_flickering/temporal_flickering', 'fid/fid'}
    lines = (out / 'agreement.csv').read_text().splitlines()
    assert lines[0].startswith('level,score,aspect,direction,negated,n,spearman,spearman_low')
    assert len(lines) == 1 + 2 + 2 * 2
    assert Image.open(out / 'agreement_heatmap.png').size[0] > 100
