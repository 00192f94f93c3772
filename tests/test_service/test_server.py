"""The service end to end: a real uvicorn server in a subprocess, jobs run by ``aigve run`` workers.

Results are compared with a CLI run on the same input: metrics, per-video values, counts and failures must be
identical (same runner, same decoder, same code: no tolerance needed; provenance and timing are not compared).
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from service_helpers import Server, cli_results

from aigve.client import AIGVEClient, ServiceError

COMPARED = ('metrics', 'per_video', 'num_videos', 'failures')


@pytest.fixture(scope='module')
def server(video_set, cli_reference, tmp_path_factory):
    data = tmp_path_factory.mktemp('svc-a') / 'data'
    data.mkdir()
    srv = Server(data, [video_set['root']], '--max-workers', '2', '--max-file-mb', '1')
    srv.wait_ready()
    yield srv
    srv.stop()


def _by_name(results: dict) -> dict:
    return {Path(r['video']).name: {k: v for k, v in r.items() if k != 'video'} for r in results['per_video']}


def test_path_and_upload_jobs_run_concurrently_and_match_cli(server, video_set, cli_reference):
    c = server.client
    path_job = c.post('/jobs', json=dict(ann_file=str(video_set['root'] / 'ann.json'),
                                         metrics=['TemporalFlickering'])).json()
    files = [('videos', (p.name, p.read_bytes(), 'video/mp4')) for p in sorted(video_set['clips'].iterdir())]
    upload_job = c.post('/jobs/upload', data=dict(metrics='temporal_flickering'), files=files).json()
    assert path_job['state'] == 'queued' and upload_job['progress']['total'] == 3
    # while both jobs run, /healthz answers quickly (jobs are processes, not event-loop work)
    both_running, latencies = False, []
    while True:
        t0 = time.perf_counter()
        assert c.get('/healthz').status_code == 200
        latencies.append(time.perf_counter() - t0)
        states = {c.get(f"/jobs/{j['id']}").json()['state'] for j in (path_job, upload_job)}
        both_running |= states == {'running'}
        if states <= {'succeeded', 'failed'}:
            break
        time.sleep(0.2)
    assert both_running, 'max_workers=2 should run the two jobs at once'
    assert max(latencies) < 1.0, f'/healthz took {max(latencies):.2f} s while jobs ran'

    reference = cli_results(cli_reference)
    done = server.wait_job(path_job['id'])
    assert done['state'] == 'succeeded', done['error']
    assert done['progress'] == dict(done=3, total=3, fraction=1.0)
    assert done['timing']['run_seconds'] > 0
    results = c.get(f"/jobs/{path_job['id']}/results").json()
    assert {k: results[k] for k in COMPARED} == {k: reference[k] for k in COMPARED}

    up = server.wait_job(upload_job['id'])
    assert up['state'] == 'succeeded', up['error']
    up_results = c.get(f"/jobs/{upload_job['id']}/results").json()
    assert up_results['metrics'] == reference['metrics']
    assert _by_name(up_results) == _by_name(reference)
    assert up_results['num_videos'] == reference['num_videos']


def test_cancel_running_and_queued(server, video_set):
    c = server.client
    body = dict(input_dir=str(video_set['clips']), metrics=['TemporalFlickering'])
    jobs = [c.post('/jobs', json=body).json() for _ in range(3)]
    server.wait_job(jobs[0]['id'], states=('running', ))
    queued = c.get(f"/jobs/{jobs[2]['id']}").json()
    assert queued['state'] == 'queued' and queued['queue_position'] >= 1
    cancelled = c.delete(f"/jobs/{jobs[2]['id']}").json()
    assert cancelled['state'] == 'cancelled'
    for job in jobs[:2]:
        c.delete(f"/jobs/{job['id']}")
    for job in jobs[:2]:
        final = server.wait_job(job['id'], timeout=30)
        assert final['state'] in ('cancelled', 'succeeded')  # a job may finish before the signal lands
    assert server.wait_job(jobs[0]['id'])['state'] == 'cancelled'
    assert c.get(f"/jobs/{jobs[0]['id']}/results").status_code == 409
    assert c.delete(f"/jobs/{jobs[0]['id']}").status_code == 409  # already finished


def _detail(response) -> str:
    detail = response.json()['detail']
    return detail if isinstance(detail, str) else json.dumps(detail)


def test_refusals(server, video_set, tmp_path):
    c, root = server.client, video_set['root']
    cases = [
        (dict(input_dir=f'{root}/clips/../../outside'), 403, 'outside the data roots'),     # traversal
        (dict(input_dir=str(root / 'escape')), 403, 'outside the data roots'),              # symlink escape
        (dict(ann_file=str(root / 'escape_ann.json')), 403, 'outside the data roots'),
        (dict(ann_file=str(root / 'sneaky.json')), 403, 'data_list[0].video_path_pd'),     # '..' in the annotation
        (dict(input_dir=str(video_set['outside'])), 403, 'outside the data roots'),         # outside the roots
        (dict(input_dir='clips'), 400, 'absolute'),
        (dict(input_dir=str(root / 'clips'), metrics=['TemporalFlicker']), 422, 'did you mean: TemporalFlickering'),
        (dict(input_dir=str(root / 'clips'), metrics=[]), 422, '`metrics`'),
        (dict(input_dir=str(root / 'clips'), metrics=['TemporalFlickering'], extra_args=['--x']), 422, 'extra'),
        (dict(input_dir=str(root / 'clips'), metrics=['TemporalFlickering'],
              metric_options={'TemporalFlickering': {'__class__': 1}}), 422, 'option names'),
        (dict(input_dir=str(root / 'clips'), config='../../etc/passwd'), 422, '`config`'),
    ]
    for body, status, text in cases:
        body.setdefault('metrics', ['TemporalFlickering'])
        r = c.post('/jobs', json=body)
        assert r.status_code == status, (body, r.text)
        assert text in _detail(r), (body, r.text)
    ok = [('videos', ('a.mp4', (video_set['clips'] / 'a.mp4').read_bytes(), 'video/mp4'))]
    big = [('videos', ('big.mp4', os.urandom(int(1.5 * 2**20)), 'video/mp4'))]
    r = c.post('/jobs/upload', data=dict(metrics='TemporalFlickering'), files=big)
    assert r.status_code == 413 and 'per-file limit' in _detail(r)
    r = c.post('/jobs/upload', data=dict(metrics='TemporalFlickering'),
               files=[('videos', ('notes.txt', b'hello', 'text/plain'))])
    assert r.status_code == 415 and 'only video files' in _detail(r)
    r = c.post('/jobs/upload', data=dict(metrics='TemporalFlickering'),
               files=[('videos', ('fake.mp4', b'not a video at all' * 100, 'video/mp4'))])
    assert r.status_code == 415 and 'not a readable video' in _detail(r)
    r = c.post('/jobs/upload', data=dict(metrics='nope'), files=ok)
    assert r.status_code == 422 and 'not registered' in _detail(r)
    assert c.get('/jobs/0123').status_code == 404
    # refused uploads leave nothing behind
    kept = {j['id'] for j in c.get('/jobs').json()['jobs']}
    assert {p.name for p in (server.data_dir / 'jobs').iterdir()} == kept


def test_metrics_help_and_legacy_run(server, video_set):
    c = server.client
    names = [m['name'] for m in c.get('/metrics').json()['metrics']]
    assert 'TemporalFlickering' in names
    help_ = c.get('/help').json()
    assert help_['returncode'] == 0 and '--input-dir' in help_['stdout'] and '/jobs/upload' in help_['stdout']
    r = c.post('/run', json=dict(input_dir=str(video_set['clips']), compute=False)).json()
    assert r['returncode'] == 0 and len(r['artifacts'][0]['content']['data_list']) == 3
    r = c.post('/run', json=dict(input_dir=str(video_set['clips']), compute=True, metrics='temporal_flickering',
                                 fvd_model='/weights/fvd.pth'), timeout=300).json()
    assert r['returncode'] == 0, r['stderr']
    assert r['cmd'].startswith('python -m aigve.cli run ')
    assert [a['name'] for a in r['artifacts']] == ['results.json', 'temporal_flickering_results.json',
                                                   'annotation.json', 'cdfvd_results.json']  # /run: CD-FVD too
    assert r['artifacts'][0]['content']['num_videos']['scored'] == 3
    assert any('fvd_model' in n for n in r['notes'])
    assert c.post('/run', json=dict(input_dir=str(video_set['clips']), compute=True, metrics='temporal_flickering',
                                    extra_args=['; rm -rf /'])).status_code == 422


def test_restart_mid_queue_auth_and_resume(video_set, cli_reference, tmp_path):
    data = tmp_path / 'data'
    data.mkdir()
    token = 's3cret-token'
    srv = Server(data, [video_set['root']], '--max-workers', '1', token=token)
    try:
        srv.wait_ready()
        anonymous = AIGVEClient(srv.url, token='')
        with pytest.raises(ServiceError) as e:
            anonymous.submit(input_dir=str(video_set['clips']), metrics=['TemporalFlickering'])
        assert e.value.status == 401
        assert anonymous.healthz()['auth'] is True  # liveness stays open
        with pytest.raises(ServiceError) as e:
            AIGVEClient(srv.url, token='wrong').jobs()
        assert e.value.status == 401
        client = AIGVEClient(srv.url, token=token)
        first = client.submit(ann_file=str(video_set['root'] / 'ann.json'), metrics=['TemporalFlickering'])
        second = client.submit(input_dir=str(video_set['clips']), metrics=['TemporalFlickering'])
        srv.wait_job(first['id'], states=('running', ))
        assert client.job(second['id'])['state'] == 'queued'
    finally:
        srv.stop()
    srv = Server(data, [video_set['root']], '--max-workers', '1', token=token)
    try:
        srv.wait_ready()
        client = AIGVEClient(srv.url, token=token)
        jobs = {j['id']: j for j in client.jobs()}
        assert set(jobs) == {first['id'], second['id']}  # the jobs survived the restart
        assert jobs[first['id']]['state'] == 'interrupted' and 'resume' in jobs[first['id']]['error']
        assert client.resume(first['id'])['state'] == 'queued'
        assert srv.wait_job(second['id'])['state'] == 'succeeded'
        assert srv.wait_job(first['id'])['state'] == 'succeeded'
        reference = cli_results(cli_reference)
        results = client.results(first['id'])
        assert {k: results[k] for k in COMPARED} == {k: reference[k] for k in COMPARED}
        assert client.job(first['id'])['runs'] == 2
    finally:
        srv.stop()


def test_client_script_upload_saves_results(server, video_set, tmp_path, capsys):
    import importlib.util

    spec = importlib.util.spec_from_file_location('call_aigve_api', Path(__file__).parents[2] / 'scripts' /
                                                  'call_aigve_api.py')
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    save = tmp_path / 'saved'
    rc = script.main(['--url', server.url, '--upload-files', str(video_set['clips'] / 'a.mp4'),
                      str(video_set['clips'] / 'a_synthetic.mp4'), '--metrics', 'TemporalFlickering',
                      '--save-dir', str(save), '--poll', '0.3'])
    assert rc == 0, capsys.readouterr().err
    saved = list(save.glob('*_results.json'))
    assert len(saved) == 1
    results = json.loads(saved[0].read_text())
    assert results['num_videos'] == dict(scored=1, failed=0)
    assert [r['video'] for r in results['per_video']] == ['a_synthetic.mp4']
    assert 'temporal_flickering/temporal_flickering' in capsys.readouterr().out
    assert script.main(['--url', server.url, '--upload-files', str(video_set['clips'] / 'a.mp4'),
                        '--metrics', 'NoSuchMetric', '--save-dir', str(save)]) == 1
