import os
import time

import torch

from aigve.utils.feature_cache import FeatureCache


def test_round_trip_keys_and_disabled(tmp_path):
    cache = FeatureCache(tmp_path)
    key = cache.key('sha-of-video', [0, 1, 2], {'extractor': 'i3d', 'weights': 'abc'})
    assert key == cache.key('sha-of-video', [0, 1, 2], {'weights': 'abc', 'extractor': 'i3d'})
    assert key != cache.key('sha-of-video', [0, 1, 3], {'extractor': 'i3d', 'weights': 'abc'})
    assert cache.load(key) is None
    cache.save(key, {'feat': torch.arange(4.0)})
    assert torch.equal(cache.load(key)['feat'], torch.arange(4.0))
    assert (cache.hits, cache.misses) == (1, 1)
    off = FeatureCache(tmp_path, enabled=False)
    assert off.load(key) is None
    assert not list(tmp_path.glob('**/*.tmp'))


def test_damaged_file_is_a_miss(tmp_path):
    cache = FeatureCache(tmp_path)
    cache.save('ab' * 32, torch.ones(2))
    path = next(tmp_path.glob('*/*.pt'))
    path.write_bytes(b'garbage')
    assert cache.load('ab' * 32) is None and not path.exists()


def test_size_cap_evicts_least_recently_used(tmp_path):
    cache = FeatureCache(tmp_path, max_bytes=10**9)
    for i in range(3):
        cache.save(f'{i:02d}' + 'x' * 62, torch.zeros(1000))
        old = time.time() - 100 + i
        os.utime(cache._path(f'{i:02d}' + 'x' * 62), (old, old))
    one = cache._path('00' + 'x' * 62).stat().st_size
    cache.load('00' + 'x' * 62)  # touch: now the most recent
    cache.max_bytes = 2 * one
    assert cache.evict() == 1
    assert cache.load('01' + 'x' * 62) is None  # the least recently used went
    assert cache.load('00' + 'x' * 62) is not None
    cache.clear()
    assert cache.size_bytes() == 0


def test_saves_keep_the_cap_without_listing_the_cache_each_time(tmp_path, monkeypatch):
    probe = FeatureCache(tmp_path / 'probe')
    probe.save('p' * 64, torch.zeros(1000))
    one = probe.size_bytes()
    cache = FeatureCache(tmp_path / 'c', max_bytes=int(2.5 * one))
    scans = []
    files = FeatureCache.files
    monkeypatch.setattr(FeatureCache, 'files', lambda self: scans.append(1) or files(self))
    for i in range(6):
        cache.save(f'{i:02d}' + 'y' * 62, torch.zeros(1000))
        os.utime(cache._path(f'{i:02d}' + 'y' * 62), (time.time() - 100 + i,) * 2)
    assert len(scans) == 1 + 4  # one scan at the first save, one per eviction (saves 3 to 6): not one per save
    assert len(cache.files()) == 2 and cache.size_bytes() <= cache.max_bytes  # the two newest stay
    assert cache.load('05' + 'y' * 62) is not None and cache.load('00' + 'y' * 62) is None
