"""Weights manifest and resolver: local paths, cache, downloads from a local HTTP server, offline errors.

No test touches the internet: downloads come from a ``http.server`` on 127.0.0.1, and the cache/offline
tests block ``socket.socket`` and ``urllib.request.urlopen`` so any network attempt fails the test.
"""
from __future__ import annotations

import argparse
import hashlib
import http.server
import json
import os
import re
import socket
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import pytest

from aigve.cli import weights as cli_weights
from aigve.utils import hashing, paths
from aigve.utils import manifest as M
from aigve.utils import weights as W
from aigve.utils.manifest import WEIGHTS, UnknownWeightsError, WeightSpec
from aigve.utils.weights import ResolvedWeights, WeightsHashError, WeightsNotFoundError, resolve_weights

REPO = Path(__file__).resolve().parents[2]
PAYLOAD = bytes(range(256)) * 64  # 16 KiB fake checkpoint
PAYLOAD_SHA = hashlib.sha256(PAYLOAD).hexdigest()
OTHER = b'\x00' * 4096
OTHER_SHA = hashlib.sha256(OTHER).hexdigest()


# ------------------------------------------------------------------------------------------------ fixtures
@pytest.fixture
def home(tmp_path, monkeypatch):
    """A fresh AIGVE_HOME, online mode, and no proxy for 127.0.0.1."""
    root = tmp_path / 'aigve_home'
    monkeypatch.setenv('AIGVE_HOME', str(root))
    for var in ('AIGVE_OFFLINE', 'HF_HUB_OFFLINE', 'http_proxy', 'HTTP_PROXY', 'https_proxy', 'HTTPS_PROXY'):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv('no_proxy', '127.0.0.1,localhost')
    return root


class _Handler(http.server.BaseHTTPRequestHandler):
    routes: dict[str, tuple[int, dict[str, str], bytes]] = {}
    hits: list[str] = []

    def do_GET(self):  # http.server API
        self.hits.append(self.path)
        status, headers, body = self.routes.get(self.path, (404, {'Content-Type': 'text/plain'}, b'nope'))
        self.send_response(status)
        headers = {'Content-Length': str(len(body)), **headers}
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):  # keep pytest output clean
        pass


@pytest.fixture
def server():
    """Local HTTP server; returns (base_url, routes, hits)."""
    routes = {
        '/tiny.pt': (200, {'Content-Type': 'application/octet-stream'}, PAYLOAD),
        '/login.html': (200, {'Content-Type': 'text/html; charset=utf-8'}, b'<html><body>sign in</body></html>'),
        '/sneaky.pt': (200, {'Content-Type': 'application/octet-stream'}, b'\n<!DOCTYPE html><html>quota</html>'),
        '/truncated.pt': (200, {'Content-Type': 'application/octet-stream',
                                'Content-Length': str(len(PAYLOAD) + 100)}, PAYLOAD),
    }
    handler = type('Handler', (_Handler, ), {'routes': routes, 'hits': []})
    httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={'poll_interval': 0.05}, daemon=True)
    thread.start()
    yield f'http://127.0.0.1:{httpd.server_address[1]}', routes, handler.hits
    httpd.shutdown()
    httpd.server_close()


def _spec(url: str = 'http://127.0.0.1:9/tiny.pt', **kw) -> WeightSpec:
    base = dict(name='tiny', filename='tiny.pt', metric='toy', license='MIT', url=url)
    base.update(kw)
    return WeightSpec(**base)


@pytest.fixture
def tiny(monkeypatch):
    """Register a fake 'tiny' entry (removed after the test); returns a setter for its spec."""

    def put(spec: WeightSpec) -> WeightSpec:
        monkeypatch.setitem(WEIGHTS, spec.name, spec)
        return spec

    return put


@pytest.fixture
def no_network(monkeypatch):
    """Any new socket or urlopen call fails the test."""

    def boom(*args, **kwargs):
        raise AssertionError('network access attempted')

    monkeypatch.setattr(socket, 'socket', boom)
    monkeypatch.setattr(urllib.request, 'urlopen', boom)


@pytest.fixture
def logs(monkeypatch):
    messages: list[str] = []
    monkeypatch.setattr(W, 'print_log', lambda msg, **kw: messages.append(msg))
    return messages


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith('.tmp')) if folder.exists() else []


# ----------------------------------------------------------------------------------------- env and places
def test_aigve_home_chain(monkeypatch, tmp_path):
    monkeypatch.setenv('AIGVE_HOME', str(tmp_path / 'a'))
    monkeypatch.setenv('XDG_CACHE_HOME', str(tmp_path / 'x'))
    assert paths.aigve_home() == tmp_path / 'a'
    assert paths.hf_cache_dir() == tmp_path / 'a' / 'hf'
    assert paths.service_data_dir() == tmp_path / 'a' / 'service'
    monkeypatch.delenv('AIGVE_HOME')
    assert paths.aigve_home() == tmp_path / 'x' / 'aigve'
    monkeypatch.delenv('XDG_CACHE_HOME')
    monkeypatch.setenv('HOME', str(tmp_path / 'h'))
    assert paths.aigve_home() == tmp_path / 'h' / '.cache' / 'aigve'
    monkeypatch.setenv('AIGVE_HOME', '')  # empty counts as unset
    assert paths.aigve_home() == tmp_path / 'h' / '.cache' / 'aigve'


def test_service_settings_use_the_same_home(monkeypatch, tmp_path):
    from aigve.service.settings import ServiceSettings

    monkeypatch.setenv('AIGVE_HOME', str(tmp_path / 'a'))
    assert ServiceSettings().data_dir == str(tmp_path / 'a' / 'service')


def test_paths_module_needs_neither_torch_nor_mmengine():
    """The service process reads aigve_home() without importing the heavy parts."""
    code = ('import sys\n'
            'import aigve.utils.paths as p\n'
            'p.aigve_home(); p.is_offline(); p.hf_cache_dir(); p.service_data_dir()\n'
            'print(sorted(m for m in ("torch", "mmengine") if m in sys.modules))\n')
    env = {**os.environ, 'PYTHONPATH': str(REPO)}
    out = subprocess.run([sys.executable, '-c', code], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == '[]'


def test_checkpoint_path_layout(home):
    assert W.checkpoint_path('fvd-i3d-tats') == home / 'checkpoints' / 'fvd' / 'i3d_pretrained_400.pt'
    with pytest.raises(ValueError, match='Hugging Face model'):
        W.checkpoint_path('clip-vit-base-patch32')


@pytest.mark.parametrize('var', ['AIGVE_OFFLINE', 'HF_HUB_OFFLINE'])
@pytest.mark.parametrize('value,expected', [('1', True), ('true', True), ('YES', True), ('On', True),
                                            ('0', False), ('', False), ('false', False), ('off', False)])
def test_is_offline(monkeypatch, var, value, expected):
    monkeypatch.delenv('AIGVE_OFFLINE', raising=False)
    monkeypatch.delenv('HF_HUB_OFFLINE', raising=False)
    monkeypatch.setenv(var, value)
    assert paths.is_offline() is expected


# ------------------------------------------------------------------------------------------------ manifest
REQUIRED = ['fid-inception', 'fvd-i3d-torchscript', 'fvd-i3d-tats', 'fvd-videomae', 'fvd-r3d18',
            'clip-vit-base-patch32', 'blip-itm-base-coco', 'pickscore-v1', 'pickscore-processor']


def test_manifest_entries_are_consistent():
    assert set(REQUIRED) <= set(WEIGHTS)
    for name, spec in WEIGHTS.items():
        assert spec.name == name
        if spec.is_hf_model:
            assert re.fullmatch(r'[\w.-]+/[\w.-]+', spec.hf_repo), name
            continue
        if spec.download_url is None:
            assert spec.manual_source, name
        else:
            assert spec.download_url.startswith('https://'), name
        suffix = re.search(r'-([0-9a-f]{8,})\.\w+$', spec.filename)
        if suffix:  # torch-hub convention: the name carries the sha256 prefix, so the manifest must check it
            assert spec.sha256_prefix == suffix.group(1), name
    assert WEIGHTS['fvd-r3d18'].url == 'https://download.pytorch.org/models/r3d_18-b3b3357e.pth'
    assert WEIGHTS['pickscore-v1'].hf_repo == 'yuvalkirstain/PickScore_v1'


@pytest.mark.parametrize('kw,match', [
    (dict(url=None), 'url`, `hf_repo` or `manual_source`'),
    (dict(sha256='abc'), '64 lowercase hex'),
    (dict(sha256_prefix='XYZ'), 'lowercase hex'),
    (dict(sha256=PAYLOAD_SHA, sha256_prefix='ffff'), 'does not start with'),
    (dict(filename='a/b.pt'), 'bare file name'),
    (dict(size=0), 'positive int'),
    (dict(license=''), 'non-empty str'),
])
def test_weight_spec_validation(kw, match):
    with pytest.raises(ValueError, match=match):
        _spec(**kw)


def test_register_weights_refuses_duplicates(tiny):
    tiny(_spec())
    with pytest.raises(ValueError, match='already registered'):
        M.register_weights(_spec())
    with pytest.raises(TypeError, match='WeightSpec'):
        M.register_weights({'name': 'x'})


def test_unknown_name_suggests_close_matches():
    with pytest.raises(UnknownWeightsError, match='Did you mean: fvd-i3d-tats') as info:
        W.resolve_weights('fvd-i3d-tat')
    assert isinstance(info.value, KeyError) and isinstance(info.value, ValueError)
    assert not str(info.value).startswith('"')  # readable, not KeyError's repr


def test_unknown_bare_word_is_not_taken_for_a_hub_id(home, no_network):
    with pytest.raises(UnknownWeightsError, match='hub id'):
        W.resolve_weights('not-a-checkpoint')


def test_hf_model_entry_has_no_checkpoint_file(home, no_network, monkeypatch):
    with pytest.raises(ValueError, match='Hugging Face model'):
        W.checkpoint_path('clip-vit-base-patch32')
    monkeypatch.setenv('HF_HUB_OFFLINE', '1')
    with pytest.raises(WeightsNotFoundError, match='openai/clip-vit-base-patch32'):  # a hub snapshot, not a file
        W.resolve_weights('clip-vit-base-patch32')


# ------------------------------------------------------------------------------------------------ hashing
def test_file_sha256_is_memoised_by_size_and_mtime(home, tmp_path, monkeypatch):
    f = tmp_path / 'w.bin'
    f.write_bytes(PAYLOAD)
    calls = []
    real = hashing._stream_sha256
    monkeypatch.setattr(hashing, '_stream_sha256', lambda p: calls.append(p) or real(p))
    assert hashing.file_sha256(f, memo=True) == PAYLOAD_SHA
    assert hashing.file_sha256(f, memo=True) == PAYLOAD_SHA
    assert len(calls) == 1  # second call used the memo
    assert list((home / 'hashes').iterdir())
    f.write_bytes(OTHER)
    os.utime(f, ns=(1, 1))
    assert hashing.file_sha256(f, memo=True) == OTHER_SHA
    assert len(calls) == 2


def test_file_sha256_memo_and_no_memo_agree(home, tmp_path):
    f = tmp_path / 'w.bin'
    f.write_bytes(PAYLOAD)
    assert hashing.file_sha256(f) == hashing.file_sha256(f, memo=True) == hashing.file_sha256(f, memo=True)
    assert hashing.file_sha256(str(f)) == PAYLOAD_SHA == hashlib.sha256(PAYLOAD).hexdigest()
    assert not (home / 'hashes').exists() or len(list((home / 'hashes').iterdir())) == 1
    frames = tmp_path / 'frames'  # a frame folder: names and bytes of its files, never memoised
    frames.mkdir()
    (frames / 'a.png').write_bytes(OTHER)
    assert hashing.file_sha256(frames) == hashing.file_sha256(frames, memo=True)
    assert len(list((home / 'hashes').iterdir())) == 1


# --------------------------------------------------------------------------------------------- model_path
@pytest.mark.parametrize('as_dir', [False, True])
def test_model_path_file_or_dir(home, tmp_path, tiny, no_network, logs, as_dir):
    tiny(_spec(sha256=PAYLOAD_SHA))
    (tmp_path / 'tiny.pt').write_bytes(PAYLOAD)
    res = W.resolve_weights('tiny', model_path=tmp_path if as_dir else tmp_path / 'tiny.pt')
    assert res == ResolvedWeights('tiny', tmp_path / 'tiny.pt', PAYLOAD_SHA, 'model_path')
    assert logs == [f'tiny: loaded weights from {tmp_path / "tiny.pt"}']
    assert not (home / 'checkpoints').exists()  # nothing copied into the cache


def test_model_path_missing_never_falls_back(home, tmp_path, tiny, no_network):
    tiny(_spec())
    cached = W.checkpoint_path('tiny')
    cached.parent.mkdir(parents=True)
    cached.write_bytes(PAYLOAD)  # a valid cache must not hide the user's typo
    with pytest.raises(FileNotFoundError, match='does not fall back'):
        W.resolve_weights('tiny', model_path=tmp_path / 'typo.pt')
    with pytest.raises(FileNotFoundError, match=r'without the expected file tiny\.pt'):
        W.resolve_weights('tiny', model_path=tmp_path)


def test_model_path_hash_mismatch_refused(home, tmp_path, tiny, no_network):
    tiny(_spec(sha256=PAYLOAD_SHA))
    f = tmp_path / 'other.pt'
    f.write_bytes(OTHER)
    with pytest.raises(WeightsHashError, match='check_hash=False') as info:
        W.resolve_weights('tiny', model_path=f)
    assert OTHER_SHA in str(info.value) and PAYLOAD_SHA in str(info.value)
    assert W.resolve_weights('tiny', model_path=f, check_hash=False).sha256 == OTHER_SHA


# -------------------------------------------------------------------------------------------------- cache
def test_cache_hit_without_network_and_without_rehash(home, tiny, no_network, logs, monkeypatch):
    tiny(_spec(sha256_prefix=PAYLOAD_SHA[:8]))
    cached = W.checkpoint_path('tiny')
    cached.parent.mkdir(parents=True)
    cached.write_bytes(PAYLOAD)
    res = W.resolve_weights('tiny')
    assert (res.path, res.sha256, res.source) == (cached, PAYLOAD_SHA, 'cache')
    record = json.loads(W.sidecar_path(cached).read_text())
    assert record['sha256'] == PAYLOAD_SHA and record['origin'] == 'first-use'
    monkeypatch.setattr(W, 'file_sha256', lambda p, **kw: pytest.fail('re-hashed an unchanged file'))
    assert W.resolve_weights('tiny').sha256 == PAYLOAD_SHA
    assert logs == [f'tiny: loaded weights from {cached}'] * 2


def test_cache_mismatch_against_manifest_refused(home, tiny, no_network):
    tiny(_spec(sha256=PAYLOAD_SHA))
    cached = W.checkpoint_path('tiny')
    cached.parent.mkdir(parents=True)
    cached.write_bytes(OTHER)
    with pytest.raises(WeightsHashError) as info:
        W.resolve_weights('tiny')
    msg = str(info.value)
    assert f'delete {cached}' in msg and 'aigve weights download tiny' in msg and OTHER_SHA in msg


def test_cache_change_after_recording_refused(home, tiny, no_network):
    tiny(_spec())  # no pinned hash: the first use records it
    cached = W.checkpoint_path('tiny')
    cached.parent.mkdir(parents=True)
    cached.write_bytes(PAYLOAD)
    assert W.resolve_weights('tiny').sha256 == PAYLOAD_SHA
    cached.write_bytes(OTHER)
    os.utime(cached, ns=(1, 1))
    with pytest.raises(WeightsHashError, match='was recorded'):
        W.resolve_weights('tiny')


# ---------------------------------------------------------------------------------------------- download
def test_download_writes_atomically_and_records_hash(home, server, tiny, logs):
    base, _, hits = server
    tiny(_spec(url=f'{base}/tiny.pt', sha256_prefix=PAYLOAD_SHA[:8]))
    res = W.resolve_weights('tiny', progress=False)
    cached = W.checkpoint_path('tiny')
    assert (res.path, res.sha256, res.source) == (cached, PAYLOAD_SHA, 'download')
    assert cached.read_bytes() == PAYLOAD
    record = json.loads(W.sidecar_path(cached).read_text())
    assert record['sha256'] == PAYLOAD_SHA and record['origin'] == 'download' and record['url'].endswith('/tiny.pt')
    assert _leftovers(cached.parent) == []
    assert logs == [f'tiny: loaded weights from {cached}']
    assert W.resolve_weights('tiny').source == 'cache'
    assert hits == ['/tiny.pt']  # the second call did not download again


@pytest.mark.parametrize('kw', [dict(sha256=OTHER_SHA), dict(sha256_prefix='0badc0de'), dict(size=123)])
def test_download_mismatch_refused_and_nothing_lands(home, server, tiny, kw):
    base, _, _ = server
    tiny(_spec(url=f'{base}/tiny.pt', **kw))
    with pytest.raises(WeightsHashError, match='refused'):
        W.resolve_weights('tiny', progress=False)
    cached = W.checkpoint_path('tiny')
    assert not cached.exists() and not W.sidecar_path(cached).exists()
    assert _leftovers(cached.parent) == []


@pytest.mark.parametrize('route,match', [('/login.html', 'HTML page'), ('/sneaky.pt', 'HTML page'),
                                         ('/missing.pt', 'HTTP 404'), ('/truncated.pt', 'truncated|broke off')])
def test_bad_responses_refused(home, server, tiny, route, match):
    base, _, _ = server
    tiny(_spec(url=base + route))
    with pytest.raises(WeightsNotFoundError, match=match) as info:
        W.resolve_weights('tiny', progress=False)
    assert 'aigve weights download tiny' in str(info.value)
    cached = W.checkpoint_path('tiny')
    assert not cached.exists() and _leftovers(cached.parent) == []


def test_offline_miss_names_every_place_and_the_fix(home, tiny, no_network, monkeypatch):
    spec = tiny(_spec(url='https://example.org/tiny.pt', sha256=PAYLOAD_SHA))
    monkeypatch.setenv('AIGVE_OFFLINE', '1')
    with pytest.raises(WeightsNotFoundError) as info:
        W.resolve_weights('tiny')
    assert isinstance(info.value, FileNotFoundError)
    msg = str(info.value)
    for needle in ("'tiny'", 'model_path: not given', str(W.checkpoint_path('tiny')), spec.url, PAYLOAD_SHA,
                   'aigve weights download tiny', 'python scripts/download_weights.py tiny', 'AIGVE_HOME',
                   'AIGVE_OFFLINE', 'offline mode is on'):
        assert needle in msg, needle


def test_cached_run_in_subprocess_with_sockets_blocked(home):
    """The real manifest entry resolves from the cache in a fresh process that cannot open sockets."""
    cached = W.checkpoint_path('fvd-i3d-tats')
    cached.parent.mkdir(parents=True)
    cached.write_bytes(PAYLOAD)
    code = ('import socket\n'
            'class Blocked(socket.socket):\n'
            '    def __init__(self, *a, **k): raise RuntimeError("network access attempted")\n'
            'socket.socket = Blocked\n'
            'from aigve.utils.weights import resolve_weights\n'
            'r = resolve_weights("fvd-i3d-tats")\n'
            'print(r.source, r.sha256)\n')
    env = {**os.environ, 'AIGVE_HOME': str(home), 'PYTHONPATH': str(REPO)}
    out = subprocess.run([sys.executable, '-c', code], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[-1].split() == ['cache', PAYLOAD_SHA]
    assert f'fvd-i3d-tats: loaded weights from {cached}' in out.stdout  # mmengine's logger prints to stdout


# ---------------------------------------------------------------------------------------------------- CLI
def _run(argv: list[str]) -> tuple[int, str, str]:
    import io
    root = argparse.ArgumentParser(prog='aigve')
    cli_weights.add_weights_parser(root.add_subparsers(dest='command'))
    args = root.parse_args(argv)
    out, err = io.StringIO(), io.StringIO()
    return cli_weights.run_weights_command(args, out, err), out.getvalue(), err.getvalue()


def _cli_row(text: str, name: str) -> list[str]:
    return next(line.split() for line in text.splitlines() if line.startswith(name + ' '))


def test_cli_list_download_verify(home, server, tiny):
    base, _, _ = server
    tiny(_spec(url=f'{base}/tiny.pt', sha256=PAYLOAD_SHA))
    rc, out, _ = _run(['weights', 'list'])
    assert rc == 0 and _cli_row(out, 'tiny') == ['tiny', 'toy', 'tiny.pt', '?', 'MIT', 'no']
    assert 'fvd-i3d-tats' in out and 'hf:openai/clip-vit-base-patch32' in out

    rc, out, err = _run(['weights', 'download', 'tiny'])
    assert rc == 0, err
    assert f'sha256={PAYLOAD_SHA}' in out and W.checkpoint_path('tiny').read_bytes() == PAYLOAD
    rc, out, _ = _run(['weights', 'list'])
    assert _cli_row(out, 'tiny')[-3:] == ['KB', 'MIT', 'yes']

    rc, out, _ = _run(['weights', 'verify', 'tiny'])
    assert rc == 0 and _cli_row(out, 'tiny')[:2] == ['tiny', 'OK']

    cached = W.checkpoint_path('tiny')
    cached.write_bytes(OTHER)
    rc, out, err = _run(['weights', 'verify'])
    assert rc == 1 and _cli_row(out, 'tiny')[:2] == ['tiny', 'MISMATCH'] and OTHER_SHA in err
    assert _cli_row(out, 'fvd-i3d-tats')[:2] == ['fvd-i3d-tats', 'MISSING']  # not named: reported only

    rc, out, err = _run(['weights', 'download', 'tiny', '--force'])
    assert rc == 0, err
    assert _run(['weights', 'verify', 'tiny'])[0] == 0


def test_cli_errors(home, tiny, monkeypatch, no_network):
    tiny(_spec())
    assert _run(['weights', 'verify', 'tiny'])[0] == 1  # named and missing
    rc, _, err = _run(['weights', 'download', 'tiny-x'])
    assert rc == 2 and 'Did you mean: tiny' in err
    assert _run(['weights', 'download'])[0] == 2
    monkeypatch.setenv('HF_HUB_OFFLINE', '1')
    rc, _, err = _run(['weights', 'download', 'tiny', 'clip-vit-base-patch32'])
    assert rc == 1 and err.count('offline mode is on') == 2


def test_download_script(home, server, tiny, capsys):
    base, _, _ = server
    tiny(_spec(url=f'{base}/tiny.pt'))
    assert cli_weights.download_main(['tiny', '--timeout', '5']) == 0
    assert W.checkpoint_path('tiny').read_bytes() == PAYLOAD
    assert 'downloaded' in capsys.readouterr().out
    env = {**os.environ, 'AIGVE_HOME': str(home)}
    out = subprocess.run([sys.executable, str(REPO / 'scripts' / 'download_weights.py'), '--list'], env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert 'fvd-videomae' in out.stdout


def test_manual_only_checkpoint_names_where_to_get_it(tmp_path, monkeypatch):
    monkeypatch.setenv('AIGVE_HOME', str(tmp_path))
    monkeypatch.delenv('AIGVE_OFFLINE', raising=False)
    monkeypatch.delenv('HF_HUB_OFFLINE', raising=False)
    with pytest.raises(WeightsNotFoundError, match='no public download address') as err:
        resolve_weights('lightvqa-plus')
    assert 'model_path' in str(err.value)
