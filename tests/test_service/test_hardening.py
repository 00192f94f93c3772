"""Issue 11 (security): no config templating of request values, paths re-checked at launch, chunked 413,
open docs, ``extra_args`` refused on both older endpoints, results files with the usual mode."""
from __future__ import annotations

import json
import os
import stat

import httpx
import pytest
from service_helpers import Server

SECRET_VAR = 'AIGVE_H6_TEST_SECRET'
SECRET = 's3cr3t-value-that-must-not-leak'
TOKEN = 'h6-token'
PLACEHOLDERS = [f'{{{{${SECRET_VAR}:x}}}}', f'{{{{ ${SECRET_VAR} }}}}', f'x{{{{${SECRET_VAR}}}}}y', '{{ fileDirname }}',
                '{{ fileBasename }}', '{{fileBasenameNoExtension}}', '{{_base_.x}}', '{{ _base_.val_cfg }}']


@pytest.fixture(scope='module')
def server(tmp_path_factory, video_set):
    old = os.environ.get(SECRET_VAR)
    os.environ[SECRET_VAR] = SECRET
    data = tmp_path_factory.mktemp('svc-h6') / 'data'
    data.mkdir()
    try:
        srv = Server(data, [video_set['root']], '--max-workers', '2', '--max-file-mb', '1', '--max-request-mb', '2',
                     token=TOKEN)
    finally:
        if old is None:
            os.environ.pop(SECRET_VAR, None)
        else:
            os.environ[SECRET_VAR] = old
    try:
        srv.wait_ready()
        yield srv
    finally:
        srv.stop()


def _video(video_set, name='a_synthetic.mp4'):
    return [('videos', (name, (video_set['clips'] / name).read_bytes(), 'video/mp4'))]


def _no_secret(*texts: str) -> None:
    for text in texts:
        assert SECRET not in text


def test_placeholders_refused_in_every_option_field(server, video_set):
    c, root = server.client, video_set['root']
    clips = str(root / 'clips')
    ann = root / 'h6_placeholder_ann.json'
    for value in PLACEHOLDERS:
        opts = {'TemporalFlickering': {'prefix': value}}
        nested = {'TemporalFlickering': {'prefix': 'ok', 'extra': {'k': [value]}}}
        responses = [
            c.post('/jobs', json=dict(input_dir=clips, metrics=['TemporalFlickering'], metric_options=opts)),
            c.post('/jobs', json=dict(input_dir=clips, metrics=['TemporalFlickering'], metric_options=nested)),
            c.post('/jobs', json=dict(input_dir=clips, metrics=['TemporalFlickering'],
                                      prompts={'a_synthetic.mp4': value})),
            c.post('/jobs/upload', data=dict(metrics='TemporalFlickering', metric_options=json.dumps(opts)),
                   files=_video(video_set)),
            c.post('/jobs/upload', data=dict(metrics='TemporalFlickering',
                                             prompts=json.dumps({'a_synthetic.mp4': value})),
                   files=_video(video_set)),
            c.post('/run', json=dict(input_dir=clips, compute=True, metrics='TemporalFlickering',
                                     metric_options=opts, wait=False)),
            c.post('/run_upload', data=dict(metrics='TemporalFlickering', metric_options=json.dumps(opts),
                                            wait='false'), files=_video(video_set)),
        ]
        ann.write_text(json.dumps(dict(data_list=[dict(video_path_pd='clips/a_synthetic.mp4', prompt_gt=value)])))
        responses.append(c.post('/jobs', json=dict(ann_file=str(ann), metrics=['TemporalFlickering'])))
        for i, r in enumerate(responses):
            assert r.status_code == 422, (value, i, r.text)
            assert 'placeholder' in r.json()['detail'] or '"{{"' in r.json()['detail'], (value, i, r.text)
            _no_secret(r.text)
    assert c.get('/jobs').json()['jobs'] == []  # nothing was created


def test_python_looking_values_are_plain_data(server, video_set, tmp_path):
    marker = tmp_path / 'pwned'
    prefix = f"__import__('os').system('touch {marker}')"
    opts = {'TemporalFlickering': {'prefix': prefix}}
    r = server.client.post('/jobs/upload', data=dict(metrics='TemporalFlickering', metric_options=json.dumps(opts)),
                           files=_video(video_set))
    assert r.status_code == 202, r.text
    job = server.wait_job(r.json()['id'])
    assert job['state'] == 'succeeded', job
    results = server.client.get(f'/jobs/{job["id"]}/results').text
    log = server.client.get(f'/jobs/{job["id"]}/log').text
    assert prefix in results  # the string is a name, nothing ran
    assert not marker.exists()
    _no_secret(results, log, json.dumps(job))
    config = (server.data_dir / 'jobs' / job['id'] / 'inputs' / 'job_config.py').read_text()
    assert prefix not in config and 'aigve_data_file' in config  # the config text holds no request value


def test_chunked_upload_over_the_limit_is_413(server, video_set):
    boundary = 'h6boundary'

    def body():
        yield (f'--{boundary}\r\nContent-Disposition: form-data; name="metrics"\r\n\r\nTemporalFlickering\r\n'
               f'--{boundary}\r\nContent-Disposition: form-data; name="videos"; filename="big.mp4"\r\n'
               'Content-Type: video/mp4\r\n\r\n').encode()
        for _ in range(40):
            yield os.urandom(2**17)  # 5 MB in all, no Content-Length
        yield f'\r\n--{boundary}--\r\n'.encode()

    for path in ('/jobs/upload', '/run_upload'):
        r = server.client.post(path, content=body(),
                               headers={'Content-Type': f'multipart/form-data; boundary={boundary}'})
        assert r.status_code == 413, (path, r.text)
        assert 'limit of 2 MB' in r.json()['detail']


def test_docs_open_api_token_protected(server):
    with httpx.Client(base_url=server.url, timeout=30) as anon:
        assert anon.get('/healthz').status_code == 200
        for path in ('/docs', '/redoc', '/openapi.json'):  # documented as open (docs/service.md says why)
            assert anon.get(path).status_code == 200
        assert TOKEN not in anon.get('/openapi.json').text
        for path in ('/metrics', '/jobs', '/help'):
            assert anon.get(path).status_code == 401


def test_run_upload_refuses_extra_args(server, video_set):
    for extra in ('--cfg-options x=1', ''):
        r = server.client.post('/run_upload', data=dict(metrics='TemporalFlickering', extra_args=extra, wait='false'),
                               files=_video(video_set))
        assert r.status_code == 422 and '`extra_args` is not accepted' in r.json()['detail'], r.text


def test_worker_rechecks_paths_before_launch(tmp_path):
    """A symlink swapped to point outside the roots after submission: the job fails, nothing is read."""
    from aigve.service.settings import ServiceSettings
    from aigve.service.workers import WorkerManager
    from aigve.tools.run_config import metric_entry, write_run_config

    root, outside = tmp_path / 'root', tmp_path / 'outside'
    (root / 'real').mkdir(parents=True)
    outside.mkdir()
    (root / 'real' / 'v.mp4').write_bytes(b'x')
    (outside / 'v.mp4').write_bytes(b'secret')
    (root / 'clips').symlink_to(root / 'real', target_is_directory=True)
    work = tmp_path / 'job'
    ann = work / 'inputs' / 'annotation.json'
    ann.parent.mkdir(parents=True)
    ann.write_text(json.dumps(dict(data_list=[dict(video_path_pd='clips/v.mp4')])))
    config = write_run_config(work / 'inputs' / 'job_config.py', data_root=str(root), ann_file=str(ann),
                              metrics=[metric_entry('TemporalFlickering')], with_reference=False)
    job = dict(id='j1', kind='paths', work_dir=str(work), config=str(config), runs=0)

    class Store:
        updates: list = []

        def update(self, job_id, **fields):
            self.updates.append(fields)

    settings = ServiceSettings(data_dir=str(tmp_path / 'svc'), data_roots=[str(root)])
    manager = WorkerManager(settings, Store())  # type: ignore[arg-type]
    assert manager.check_paths(job) is None
    (root / 'clips').unlink()
    (root / 'clips').symlink_to(outside, target_is_directory=True)  # swapped after submission
    problem = manager.check_paths(job)
    assert problem and 'data_list[0].video_path_pd' in problem and 'outside the data roots' in problem
    manager._launch(job)
    assert Store.updates[-1]['state'] == 'failed' and 'outside the data roots' in Store.updates[-1]['error']
    assert not manager._running
    # an upload job may read its own folder only
    job_up = dict(job, kind='upload')
    assert 'outside the data roots' in manager.check_paths(job_up)


def test_results_files_get_the_umask_mode(tmp_path):
    from aigve.utils.atomic import write_json_atomic

    old = os.umask(0o022)
    try:
        write_json_atomic(tmp_path / 'results.json', dict(a=1))
        assert stat.S_IMODE((tmp_path / 'results.json').stat().st_mode) == 0o644
        os.umask(0o027)
        write_json_atomic(tmp_path / 'r2.json', dict(a=1))
        assert stat.S_IMODE((tmp_path / 'r2.json').stat().st_mode) == 0o640
    finally:
        os.umask(old)


def test_data_config_is_never_templated(tmp_path, monkeypatch):
    from aigve.core.evaluate import load_config
    from aigve.tools.run_config import metric_entry, write_run_config

    monkeypatch.setenv(SECRET_VAR, SECRET)
    for value in PLACEHOLDERS:
        with pytest.raises(ValueError, match='placeholder'):
            metric_entry('TemporalFlickering', dict(prefix=value))
        with pytest.raises(ValueError, match='placeholder|"{{"'):
            write_run_config(tmp_path / 'c.py', data_root=f'/d/{value}', ann_file='/d/a.json',
                             metrics=[metric_entry('TemporalFlickering')])
    path = write_run_config(tmp_path / 'c.py', data_root='/d', ann_file='/d/a.json',
                            metrics=[metric_entry('TemporalFlickering', dict(prefix="__import__('os')"))],
                            with_reference=False)
    assert load_config(path).val_evaluator == [dict(type='TemporalFlickering', prefix="__import__('os')")]
    data = tmp_path / 'c.data.json'  # a data file edited by hand: still refused, never substituted
    doc = json.loads(data.read_text())
    doc['val_evaluator'][0]['prefix'] = f'{{{{${SECRET_VAR}:x}}}}'
    data.write_text(json.dumps(doc))
    with pytest.raises(ValueError, match='must not contain') as e:
        load_config(path)
    assert SECRET not in str(e.value)


def test_open_video_rechecks_roots_when_it_opens(tmp_path):
    """The child's ``OpenVideo`` refuses a video whose symlink was swapped to leave the roots after the launch."""
    from helpers.videos import synthetic_frames, write_video

    from aigve.datasets.transforms.video_transforms import OpenVideo
    from aigve.tools.run_config import pipeline

    root, outside = tmp_path / 'root', tmp_path / 'outside'
    (root / 'real').mkdir(parents=True)
    outside.mkdir()
    write_video(root / 'real' / 'v.mp4', synthetic_frames(4, 16, 16), fps=4)
    write_video(outside / 'v.mp4', synthetic_frames(4, 16, 16, seed=3), fps=4)
    (root / 'clips').symlink_to(root / 'real', target_is_directory=True)
    spec = pipeline(False, allowed_roots=[str(root)])[0]
    assert spec['allowed_roots'] == [str(root)]
    op = OpenVideo(with_reference=False, allowed_roots=spec['allowed_roots'])
    assert op(dict(video_path=str(root / 'clips' / 'v.mp4')))['num_frames'] == 4
    (root / 'clips').unlink()
    (root / 'clips').symlink_to(outside, target_is_directory=True)
    with pytest.raises(PermissionError, match='outside the allowed roots'):
        op(dict(video_path=str(root / 'clips' / 'v.mp4')))


@pytest.mark.parametrize('options', [
    {'VIEScore': {'backend': {'type': 'openai', 'base_url': 'http://127.0.0.1:9/v1', 'api_key_env': 'SECRET'}}},
    {'TemporalFlickering': {'extra': {'api_key_env': 'AIGVE_SERVICE_TOKEN'}}},
    {'CLIPSim': {'model_name_or_path': '/etc'}},
    {'CLIPSim': {'model_path': '/root/.ssh/id_rsa'}},
    {'FID': {'save_ref_stats': '/tmp/overwrite.npz'}},
    {'FID': {'ref_stats_file': '/etc/passwd'}},
    {'TIFA': {'questions_file': '/etc/shadow'}},
    {'TemporalFlickering': {'raft_model_path': '/x.pth'}},
    {'CLIPSim': {'revision': 'some-branch'}},
])
def test_request_options_may_not_pick_server_files_or_judge_backends(server, video_set, options):
    """A request's metric options choose no server-side file, weight, cache or judge endpoint (a client-chosen
    ``base_url`` + ``api_key_env`` would send the server's secret to the client's server): 403 on every endpoint."""
    c, clips = server.client, str(video_set['root'] / 'clips')
    metrics = list(options)
    responses = [
        c.post('/jobs', json=dict(input_dir=clips, metrics=metrics, metric_options=options)),
        c.post('/jobs/upload', data=dict(metrics=','.join(metrics), metric_options=json.dumps(options)),
               files=_video(video_set)),
        c.post('/run', json=dict(input_dir=clips, metrics=','.join(metrics), metric_options=options, compute=True)),
    ]
    for r in responses:
        assert r.status_code == 403 and 'may not be set by a request' in r.text, r.text


def test_request_options_still_set_plain_settings(server, video_set):
    r = server.client.post('/jobs', json=dict(input_dir=str(video_set['root'] / 'clips'),
                                              metrics=['TemporalFlickering'],
                                              metric_options={'TemporalFlickering': {'prefix': 'tf'}}))
    assert r.status_code == 202, r.text
