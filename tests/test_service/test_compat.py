"""Issue 16: the older client's wire format against our service (``/run``, ``/run_upload``, ``/healthz``).

Requests are sent with ``requests`` as the older client (``scripts/call_aigve_api.py`` of the AIGVE fork) sends
them: multipart ``videos=@...`` with its form fields (booleans as ``True``/``False``), a JSON body on ``/run``.
Artifacts are saved the way that client saves them: from ``json`` (an object), else ``text`` (a string), else a
string ``content``; an artifact with none of these is skipped.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests
from helpers.env import environ
from service_helpers import REPO, Server

from aigve.client import save_artifacts

#: the form fields the older client sends on /run_upload (its defaults)
OLD_UPLOAD_FORM = dict(compute=True, categories='distribution_based', generated_suffixes='synthetic,generated',
                       fps=25.0, pad=False, max_seconds=8.0, cdfvd_resolution=224, cdfvd_sequence_length=16,
                       cdfvd_all_flavors=True)


@pytest.fixture(scope='module')
def out_root(tmp_path_factory, video_set) -> Path:
    root = tmp_path_factory.mktemp('compat-out') / 'out'
    root.mkdir()
    (root / 'escape').symlink_to(video_set['outside'], target_is_directory=True)
    return root


def start(tmp_path_factory, name: str, roots: list[Path], *args: str, **env: str):
    data = tmp_path_factory.mktemp(name) / 'data'
    data.mkdir()
    with environ(**env):
        srv = Server(data, roots, *args)
    srv.wait_ready()
    return srv


@pytest.fixture(scope='module')
def server(tmp_path_factory, video_set, out_root):
    srv = start(tmp_path_factory, 'svc-compat', [video_set['root']], '--max-workers', '2',
                AIGVE_SERVICE_OUTPUT_ROOTS=str(out_root))
    yield srv
    srv.stop()


@pytest.fixture(scope='module')
def impatient(tmp_path_factory, video_set):
    """A service that stops waiting at once, with no output roots."""
    srv = start(tmp_path_factory, 'svc-compat-short', [video_set['root']], AIGVE_SERVICE_COMPAT_WAIT_SECONDS='0',
                AIGVE_SERVICE_COMPAT_UPLOAD_WAIT_SECONDS='0')
    yield srv
    srv.stop()


def save_like_old_client(result: dict, folder: Path) -> list[Path]:
    """What the older client does with ``artifacts``: our client's saver, whose rule is tested below."""
    return save_artifacts(result, folder)


def test_artifacts_are_saved_in_the_older_clients_order(tmp_path):
    """json (an object or list) first, then text, then a string content; anything else is skipped."""
    result = dict(artifacts=[dict(name='a.json', json={'x': 1}, text='no', content='no'),
                             dict(name='b.txt', text='hello', content='no'), dict(name='c.txt', content='raw'),
                             dict(name='d.json', content={'object': 'content is not saved'}),
                             dict(name='../e.json', json=[1])])
    saved = {p.name: p.read_text() for p in save_like_old_client(result, tmp_path)}
    assert saved == {'a.json': json.dumps({'x': 1}, indent=2), 'b.txt': 'hello', 'c.txt': 'raw', 'e.json': '[\n  1\n]'}


def upload(url: str, paths: list[Path], **form) -> requests.Response:
    files = [('videos', (p.name, open(p, 'rb'), 'application/octet-stream')) for p in paths]
    try:
        return requests.post(f'{url}/run_upload', data=form, files=files, timeout=600)
    finally:
        for _, (_, f, _) in files:
            f.close()


def test_old_upload_saves_result_files_under_legacy_names(server, video_set, tmp_path):
    clips = video_set['clips']
    paths = [clips / 'a.mp4', clips / 'a_synthetic.mp4', clips / 'b.mov', clips / 'b-generated.mov']
    r = upload(server.url, paths, **OLD_UPLOAD_FORM, metrics='TemporalFlickering')
    assert r.status_code == 200, r.text
    result = r.json()
    assert result['returncode'] == 0 and isinstance(result['returncode'], int), result['stderr']
    saved = {p.name: p for p in save_like_old_client(result, tmp_path / 'results')}
    assert {'results.json', 'temporal_flickering_results.json', 'annotation.json'} <= set(saved)
    results = json.loads(saved['results.json'].read_text())
    legacy = json.loads(saved['temporal_flickering_results.json'].read_text())
    main = 'temporal_flickering/temporal_flickering'
    assert legacy['temporal_flickering_Mean_Score'] == results['metrics'][main]
    rows = {r['Generated video_name']: r for r in legacy['video_results']}
    assert set(rows) == {'a_synthetic.mp4', 'b-generated.mov'}
    assert rows['a_synthetic.mp4']['Real video_name'] == 'a.mp4'
    by_video = {v['video']: v[main] for v in results['per_video']}
    assert all(rows[v]['temporal_flickering_Score'] == by_video[v] for v in rows)
    assert legacy['provenance']['aigve'] == results['provenance']['aigve']
    for art in result['artifacts']:  # both shapes: json (older client) and content (ours)
        assert art['json'] == art['content'] and art['name'] and art['path']
    # the cdfvd fields the older client always sends are noted, not dropped silently (no use_cdfvd on upload)
    assert any('cdfvd_resolution' in n and 'use_cdfvd' in n for n in result['notes'])
    assert result['processing_summary']['script_success'] is True
    assert result['processing_summary']['videos_processed'] == 2


def test_old_json_run_with_stage_dataset_and_out_json(server, video_set, out_root, tmp_path):
    body = dict(input_dir=str(video_set['clips']), stage_dataset=str(out_root / 'staged'), compute=True,
                metrics='TemporalFlickering', max_seconds=8, fps=25, generated_suffixes='synthetic,generated')
    r = requests.post(f'{server.url}/run', json=body, timeout=600)
    assert r.status_code == 200, r.text
    result = r.json()
    assert result['returncode'] == 0, result['stderr']
    staged = out_root / 'staged'
    ann = json.loads((staged / 'annotations' / 'evaluate.json').read_text())
    assert len(ann['data_list']) == 3 and all((staged / e['video_path_pd']).is_file() for e in ann['data_list'])
    names = {a['name'] for a in result['artifacts']}
    assert {'evaluate.json', 'stage_info.txt', 'temporal_flickering_results.json'} <= names
    info = next(a for a in result['artifacts'] if a['name'] == 'stage_info.txt')
    assert info['text'] == f'staged_dataset: {staged}'
    saved = {p.name for p in save_like_old_client(result, tmp_path / 'res')}
    assert 'stage_info.txt' in saved
    # the same folder again: nothing overwritten, the second job stages into its own sub-folder
    again = requests.post(f'{server.url}/run', json=body, timeout=600).json()
    assert again['returncode'] == 0
    assert (staged / again['job_id'] / 'annotations' / 'evaluate.json').is_file()
    # out_json (pairing only) inside the root; an existing file is never overwritten
    out = out_root / 'anns' / 'annotations.json'
    r = requests.post(f'{server.url}/run', json=dict(input_dir=str(video_set['clips']), out_json=str(out)))
    assert r.status_code == 200 and r.json()['returncode'] == 0
    assert len(json.loads(out.read_text())['data_list']) == 3
    r = requests.post(f'{server.url}/run', json=dict(input_dir=str(video_set['clips']), out_json=str(out)))
    assert r.status_code == 409 and 'never overwrites' in r.json()['detail']


@pytest.mark.parametrize('field', ['out_json', 'stage_dataset'])
def test_writes_outside_the_output_root_are_refused(server, video_set, out_root, field):
    target = {'out_json': 'a.json', 'stage_dataset': 'staged'}[field]
    for path in (video_set['outside'] / target, out_root / 'escape' / target, out_root / '..' / target):
        r = requests.post(f'{server.url}/run', json={'input_dir': str(video_set['clips']), field: str(path)})
        assert r.status_code == 403 and 'outside the output roots' in r.json()['detail'], (path, r.text)
    assert not (video_set['outside'] / target).exists()
    files = [video_set['clips'] / 'a.mp4', video_set['clips'] / 'a_synthetic.mp4']
    if field == 'stage_dataset':
        r = upload(server.url, files, metrics='TemporalFlickering', stage_dataset=str(video_set['outside'] / 'st'))
        assert r.status_code == 403


def test_short_wait_gives_int_returncode_with_job_url(impatient, video_set):
    files = [video_set['clips'] / 'a.mp4', video_set['clips'] / 'a_synthetic.mp4']
    result = upload(impatient.url, files, **OLD_UPLOAD_FORM, metrics='TemporalFlickering').json()
    assert result['returncode'] == 124
    job_id = result['job_id']
    assert f'{impatient.url}/jobs/{job_id}' in result['stderr']
    r = requests.post(f'{impatient.url}/run', json=dict(input_dir=str(video_set['clips']), compute=True,
                                                        metrics='TemporalFlickering')).json()
    assert r['returncode'] == 124 and r['job_id'] in r['stderr']
    assert impatient.wait_job(job_id)['state'] == 'succeeded'  # the job went on
    # no output roots configured: the older write fields are refused, not ignored
    r = requests.post(f'{impatient.url}/run', json=dict(input_dir=str(video_set['clips']), out_json='/tmp/x.json'))
    assert r.status_code == 403 and 'AIGVE_SERVICE_OUTPUT_ROOTS' in r.json()['detail']


def test_healthz_has_the_older_keys(server):
    h = requests.get(f'{server.url}/healthz').json()
    for key in ('status', 'python', 'cwd', 'script_exists', 'torch', 'cuda_available', 'cuda_version',
                'device_count', 'torch_error'):
        assert key in h, key
    assert h['cwd'] == str(server.data_dir.resolve()) and h['script_exists'] is True
    assert h['torch'] and h['torch_error'] is None and h['python'].startswith('3.')
    if not h['cuda_available']:
        assert h['cuda_version'] is None and h['device_count'] == 0
    assert 'torch_cuda_build' in h['versions']


def test_list_metrics_prints_the_older_text_and_gives_cards(server):
    r = requests.post(f'{server.url}/run', json=dict(list_metrics=True)).json()
    assert r['returncode'] == 0
    assert r['stdout'].splitlines()[:2] == ['Available categories:', '  - distribution_based: fid, is, fvd']
    assert 'TemporalFlickering' in {c['name'] for c in r['cards']}


def test_old_model_fields_and_categories(server, video_set):
    r = requests.post(f'{server.url}/run', json=dict(input_dir=str(video_set['clips']), compute=True,
                                                     categories='distribution_based', wait=False,
                                                     fvd_model='/etc/passwd'))
    assert r.status_code == 403 and 'fvd_model' in r.json()['detail']  # a server path outside the data roots
    r = requests.post(f'{server.url}/run', json=dict(input_dir=str(video_set['clips']), compute=True, wait=False,
                                                     categories='distribution_based')).json()
    assert r['returncode'] == 124 and r['job']['metrics'] == ['FID', 'IS', 'FVD']  # the older set, no KID
    assert set(r['cdfvd_results']) == {'videomae', 'i3d'}  # /run computes CD-FVD by default, as before
    assert len(r['jobs']) == 3 and all(j['id'] in r['stderr'] for j in r['jobs'])
    off = requests.post(f'{server.url}/run', json=dict(input_dir=str(video_set['clips']), compute=True, wait=False,
                                                       metrics='TemporalFlickering', use_cdfvd=False)).json()
    assert 'cdfvd_results' not in off and len(off['jobs']) == 1
    for job in r['jobs'] + off['jobs']:
        requests.delete(f"{server.url}/jobs/{job['id']}")


def test_our_client_with_the_older_flags(server, video_set, out_root, tmp_path, capsys):
    import importlib.util

    spec = importlib.util.spec_from_file_location('call_aigve_api', REPO / 'scripts' / 'call_aigve_api.py')
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    save = tmp_path / 'results'
    clips = video_set['clips']
    rc = script.main(['--base-url', server.url, '--upload-files', str(clips / 'a.mp4'), str(clips / 'a_synthetic.mp4'),
                      '--metrics', 'TemporalFlickering', '--max-seconds', '8', '--fps', '25', '--cpu',
                      '--cdfvd-resolution', '128', '--cdfvd-sequence-length', '16', '--save-dir', str(save)])
    assert rc == 0, capsys.readouterr()
    assert {'results.json', 'temporal_flickering_results.json', 'annotation.json'} <= {p.name for p in save.iterdir()}
    save2 = tmp_path / 'results2'
    rc = script.main(['--base-url', server.url, '--input-dir', str(clips), '--stage-dataset',
                      str(out_root / 'client-staged'), '--metrics', 'TemporalFlickering', '--no-help',
                      '--cdfvd-single-flavor', '--save-dir', str(save2)])
    assert rc == 0, capsys.readouterr()
    names = {p.name for p in save2.iterdir()}
    assert {'results.json', 'evaluate.json', 'stage_info.txt', 'cdfvd_results.json'} <= names
    cdfvd = json.loads((save2 / 'cdfvd_results.json').read_text())
    assert set(cdfvd) == {'videomae'} and 'error' in cdfvd['videomae']  # no cd-fvd weights here: stated


def test_max_len_and_pad_become_the_frame_pipeline(tmp_path):
    from aigve.service.compat import legacy_options
    from aigve.tools.metric_names import registered_cards
    from aigve.tools.run_config import metric_entry, write_run_config

    notes: list[str] = []
    opts = legacy_options(dict(metrics='temporal_flickering', max_len=64, pad=True), registered_cards(), notes)
    assert (opts.num_frames, opts.frame_strategy, opts.pad) == (64, 'first', 'repeat_last')
    assert any('repeating the last frame' in n for n in notes)
    config = write_run_config(tmp_path / 'c.py', data_root='/d', ann_file='/d/a.json', with_reference=False,
                              metrics=[metric_entry(n) for n in opts.metrics], num_frames=opts.num_frames,
                              strategy=opts.frame_strategy, pad=opts.pad)
    sample = json.loads(config.with_name('c.data.json').read_text())['val_dataloader']['dataset']['pipeline'][1]
    assert sample == dict(type='SampleFrames', strategy='first', num_frames=64, pad='repeat_last')
    notes = []
    assert legacy_options(dict(metrics='temporal_flickering', max_seconds=2.0, pad=True), registered_cards(),
                          notes).pad is None
    assert any('ignored `pad`' in n for n in notes)


def test_default_waits_answer_before_the_older_clients_timeouts(monkeypatch):
    from aigve.service.settings import ServiceSettings

    for key in ('AIGVE_SERVICE_COMPAT_WAIT_SECONDS', 'AIGVE_SERVICE_COMPAT_UPLOAD_WAIT_SECONDS'):
        monkeypatch.delenv(key, raising=False)
    s = ServiceSettings.from_env({})
    assert 3000 < s.compat_wait_seconds < 3600 and 6000 < s.compat_upload_wait_seconds < 7200  # requests timeouts
    assert ServiceSettings.from_env({'AIGVE_SERVICE_OUTPUT_ROOTS': '/a:/b'}).output_roots == ('/a', '/b')
