"""Hugging Face models through ``resolve_weights``: local folders, cached hub snapshots, offline misses.

No network anywhere: sockets and ``urlopen`` are blocked, and hub snapshots are laid out by hand.
"""
from __future__ import annotations

import hashlib
import importlib
import socket
import sys
import urllib.request

import pytest
from helpers.metrics import RecorderMetric

from aigve.utils import hf
from aigve.utils import weights as W
from aigve.utils.weights import ResolvedWeights, WeightsNotFoundError, resolve_weights

COMMIT = 'a' * 40
BLOB = 'b' * 64


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
    """Lay out a hub cache entry as huggingface_hub writes it: refs/<ref> -> snapshots/<commit>/ -> blobs/."""
    root = home / 'hf' / ('models--' + repo_id.replace('/', '--'))
    snap = root / 'snapshots' / COMMIT
    snap.mkdir(parents=True)
    (snap / 'config.json').write_text('{}')
    (root / 'blobs').mkdir()
    (root / 'blobs' / BLOB).write_bytes(b'weights')
    (snap / 'model.safetensors').symlink_to(root / 'blobs' / BLOB)
    (root / 'refs').mkdir()
    (root / 'refs' / ref).write_text(COMMIT)
    return snap


def test_local_folder_resolves_to_a_record(home, tmp_path, no_network):
    model_dir = tmp_path / 'my_clip'
    model_dir.mkdir()
    (model_dir / 'model.safetensors').write_bytes(b'weights')
    expected = ResolvedWeights(str(model_dir), model_dir, hashlib.sha256(b'weights').hexdigest(), 'model_path')
    assert resolve_weights(str(model_dir)) == expected
    assert resolve_weights(model_dir) == expected
    # a manifest HF model with model_path: the same folder, recorded under the manifest name
    assert resolve_weights('clip-vit-base-patch32', str(model_dir)).name == 'clip-vit-base-patch32'


def test_folder_without_weight_file_is_hashed_whole(home, tmp_path, no_network):
    proc = tmp_path / 'processor'
    proc.mkdir()
    (proc / 'tokenizer.json').write_text('{}')
    res = resolve_weights(str(proc))
    assert len(res.sha256) == 64 and res.revision is None


@pytest.mark.parametrize('bad', ['./no_such_dir', '/definitely/not/here', 'a/b/c'])
def test_missing_path_raises(home, no_network, bad):
    with pytest.raises(FileNotFoundError, match='not found'):
        resolve_weights(bad)


def test_file_instead_of_folder_raises(home, tmp_path, no_network):
    f = tmp_path / 'model.bin'
    f.write_bytes(b'x')
    with pytest.raises(FileNotFoundError, match='a file, not a folder'):
        resolve_weights(str(f))


@pytest.mark.parametrize('name,repo', [('blip-itm-base-coco', 'Salesforce/blip-itm-base-coco'),
                                       ('someone/tiny-model', 'someone/tiny-model')])
def test_offline_miss_message(home, no_network, name, repo):
    with pytest.raises(WeightsNotFoundError) as info:
        resolve_weights(name)
    msg = str(info.value)
    for needle in (repo, str(home / 'hf'), f'aigve weights download {name}', 'offline mode is on', 'AIGVE_HOME'):
        assert needle in msg, needle
    assert isinstance(info.value, FileNotFoundError)


def test_cached_snapshot_resolves_offline(home, no_network, monkeypatch):
    snap = _fake_snapshot(home, 'Salesforce/blip-itm-base-coco')
    logs = []
    monkeypatch.setattr(W, 'print_log', lambda msg, **kw: logs.append(msg))
    res = resolve_weights('blip-itm-base-coco')
    # the sha256 is the hub blob's name (the hub names blobs by their sha256), not a hash of the link
    assert res == ResolvedWeights('blip-itm-base-coco', snap, BLOB, 'cache', COMMIT)
    assert hf.hf_snapshot_commit(res.path) == COMMIT
    assert hf.hf_is_cached('blip-itm-base-coco')
    assert not hf.hf_is_cached('pickscore-v1')
    assert logs == [f'blip-itm-base-coco: loaded weights from {snap}']
    # a hub id of a manifest entry resolves the same snapshot, recorded under the id as given
    assert resolve_weights('Salesforce/blip-itm-base-coco').path == snap


def test_pinned_commit_is_used(home, no_network):
    """The manifest pins CLIP ViT-B/32 to a commit; a snapshot of another commit does not count."""
    _fake_snapshot(home, 'openai/clip-vit-base-patch32')
    assert not hf.hf_is_cached('clip-vit-base-patch32')
    with pytest.raises(WeightsNotFoundError, match='3d74acf9'):
        resolve_weights('clip-vit-base-patch32')
    assert hf.hf_is_cached('clip-vit-base-patch32', revision=COMMIT)
    assert resolve_weights('clip-vit-base-patch32', revision=COMMIT).revision == COMMIT


def test_single_file_entry_has_no_snapshot(home):
    with pytest.raises(ValueError, match='single-file checkpoint'):
        hf.hub_target('fvd-i3d-tats')


def test_folder_and_single_file_give_the_same_record(home, tmp_path, no_network, monkeypatch):
    """An HF folder and a single-file checkpoint resolve through one function to one record type."""
    from aigve.utils.manifest import WEIGHTS, WeightSpec

    monkeypatch.setitem(WEIGHTS, 'tiny', WeightSpec(name='tiny', filename='tiny.pt', metric='toy', license='MIT',
                                                    url='https://example.org/tiny.pt'))
    (tmp_path / 'tiny.pt').write_bytes(b'file')
    folder = tmp_path / 'hf_model'
    folder.mkdir()
    (folder / 'pytorch_model.bin').write_bytes(b'folder')
    single, model = resolve_weights('tiny', tmp_path / 'tiny.pt'), resolve_weights(str(folder))
    assert type(single) is type(model) is ResolvedWeights
    assert (single.sha256, model.sha256) == (hashlib.sha256(b'file').hexdigest(), hashlib.sha256(b'folder').hexdigest())
    metric = RecorderMetric(device='cpu')
    metric.record_weights(single)
    metric.record_weights(model)
    metric.record_weights(None)  # an injected module: nothing recorded
    assert metric.weights == [single, model]
    assert metric.weights_used == {'tiny': single.sha256, str(folder): model.sha256}


def test_works_without_huggingface_hub(home, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, 'huggingface_hub', None)  # import of it now raises ImportError
    for mod in ('aigve.utils.hf', 'aigve.utils.weights', 'aigve.cli.weights'):  # fresh imports must not need it
        monkeypatch.delitem(sys.modules, mod, raising=False)
    fresh = importlib.import_module('aigve.utils.weights')
    importlib.import_module('aigve.cli.weights')
    local = tmp_path / 'm'
    local.mkdir()
    assert fresh.resolve_weights(str(local)).path == local
    with pytest.raises(ImportError, match='pip install huggingface_hub'):
        fresh.resolve_weights('someone/tiny-model')
