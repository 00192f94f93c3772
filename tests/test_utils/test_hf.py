"""``resolve_hf_model``: local folders, cached hub snapshots, offline misses; no network anywhere."""
from __future__ import annotations

import importlib
import socket
import sys
import urllib.request

import pytest

from aigve.utils import hf
from aigve.utils.weights import WeightsNotFoundError

COMMIT = 'a' * 40


@pytest.fixture
def home(tmp_path, monkeypatch):
    root = tmp_path / 'aigve_home'
    monkeypatch.setenv('AIGVE_HOME', str(root))
    monkeypatch.setenv('HF_HUB_OFFLINE', '1')
    monkeypatch.delenv('AIGVE_OFFLINE', raising=False)
    return root


@pytest.fixture
def no_network(monkeypatch):

    class Blocked(socket.socket):

        def __init__(self, *args, **kwargs):
            raise AssertionError('network access attempted')

    monkeypatch.setattr(socket, 'socket', Blocked)
    monkeypatch.setattr(urllib.request, 'urlopen', Blocked)


def _fake_snapshot(home, repo_id: str, ref: str = 'main'):
    """Lay out a hub cache entry as huggingface_hub writes it: refs/<ref> -> snapshots/<commit>/."""
    root = home / 'hf' / ('models--' + repo_id.replace('/', '--'))
    snap = root / 'snapshots' / COMMIT
    snap.mkdir(parents=True)
    (snap / 'config.json').write_text('{}')
    (root / 'refs').mkdir()
    (root / 'refs' / ref).write_text(COMMIT)
    return snap


def test_local_dir_is_returned_as_is(home, tmp_path, no_network):
    model_dir = tmp_path / 'my_clip'
    model_dir.mkdir()
    assert hf.resolve_hf_model(str(model_dir)) == str(model_dir)
    assert hf.resolve_hf_model(model_dir) == str(model_dir)


@pytest.mark.parametrize('bad', ['./no_such_dir', '/definitely/not/here', 'a/b/c'])
def test_missing_path_raises(home, no_network, bad):
    with pytest.raises(FileNotFoundError, match='not found'):
        hf.resolve_hf_model(bad)


def test_file_instead_of_folder_raises(home, tmp_path, no_network):
    f = tmp_path / 'model.bin'
    f.write_bytes(b'x')
    with pytest.raises(FileNotFoundError, match='a file, not a folder'):
        hf.resolve_hf_model(str(f))


@pytest.mark.parametrize('name,repo', [('blip-itm-base-coco', 'Salesforce/blip-itm-base-coco'),
                                       ('someone/tiny-model', 'someone/tiny-model')])
def test_offline_miss_message(home, no_network, name, repo):
    with pytest.raises(WeightsNotFoundError) as info:
        hf.resolve_hf_model(name)
    msg = str(info.value)
    for needle in (repo, str(home / 'hf'), f'aigve weights download {name}', 'offline mode is on', 'AIGVE_HOME'):
        assert needle in msg, needle
    assert isinstance(info.value, FileNotFoundError)


def test_cached_snapshot_resolves_offline(home, no_network, monkeypatch):
    snap = _fake_snapshot(home, 'Salesforce/blip-itm-base-coco')
    logs = []
    monkeypatch.setattr(hf, 'print_log', lambda msg, **kw: logs.append(msg))
    path = hf.resolve_hf_model('blip-itm-base-coco')
    assert path == str(snap)
    assert hf.hf_snapshot_commit(path) == COMMIT
    assert hf.hf_is_cached('blip-itm-base-coco')
    assert not hf.hf_is_cached('pickscore-v1')
    assert logs == [f'blip-itm-base-coco: loaded weights from {snap}']


def test_pinned_commit_is_used(home, no_network):
    """The manifest pins CLIP ViT-B/32 to a commit; a snapshot of another commit does not count."""
    _fake_snapshot(home, 'openai/clip-vit-base-patch32')
    assert not hf.hf_is_cached('clip-vit-base-patch32')
    with pytest.raises(WeightsNotFoundError, match='3d74acf9'):
        hf.resolve_hf_model('clip-vit-base-patch32')
    assert hf.hf_is_cached('clip-vit-base-patch32', revision=COMMIT)


def test_single_file_entry_is_rejected(home):
    with pytest.raises(ValueError, match='resolve_weights'):
        hf.resolve_hf_model('fvd-i3d-tats')


def test_works_without_huggingface_hub(home, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, 'huggingface_hub', None)  # import of it now raises ImportError
    for mod in ('aigve.utils.hf', 'aigve.cli_weights'):  # fresh imports must not need huggingface_hub
        monkeypatch.delitem(sys.modules, mod, raising=False)
    fresh_hf = importlib.import_module('aigve.utils.hf')
    importlib.import_module('aigve.cli_weights')
    local = tmp_path / 'm'
    local.mkdir()
    assert fresh_hf.resolve_hf_model(str(local)) == str(local)
    with pytest.raises(ImportError, match='pip install huggingface_hub'):
        fresh_hf.resolve_hf_model('someone/tiny-model')
