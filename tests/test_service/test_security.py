"""Path, upload-name and token checks of the service (no server needed)."""
from __future__ import annotations

import pytest

from aigve.service.security import RequestRefused, resolve_inside_roots, sanitize_filename, token_matches, unique_name
from aigve.service.settings import ServiceSettings


def test_paths_must_resolve_inside_roots(tmp_path):
    root, outside = tmp_path / 'root', tmp_path / 'outside'
    (root / 'sub').mkdir(parents=True)
    outside.mkdir()
    (root / 'link').symlink_to(outside, target_is_directory=True)
    roots = (root.resolve(), )
    assert resolve_inside_roots(str(root / 'sub'), roots) == (root / 'sub').resolve()
    for bad in (str(root / 'sub' / '..' / '..' / 'outside'), str(root / 'link'), str(outside), '/etc/passwd'):
        with pytest.raises(RequestRefused, match='outside the data roots') as e:
            resolve_inside_roots(bad, roots, 'input_dir')
        assert e.value.status == 403
    with pytest.raises(RequestRefused, match='absolute') as e:
        resolve_inside_roots('sub', roots)
    assert e.value.status == 400
    with pytest.raises(RequestRefused, match='no data roots'):
        resolve_inside_roots(str(root), ())
    # a sibling whose name starts like the root is not inside it
    (tmp_path / 'root2').mkdir()
    with pytest.raises(RequestRefused):
        resolve_inside_roots(str(tmp_path / 'root2'), roots)


def test_sanitize_and_unique_names():
    assert sanitize_filename('../../etc/passwd') == 'passwd'
    assert sanitize_filename('..\\..\\a b$(rm -rf).MP4') == 'a_b_rm_-rf.MP4'
    assert sanitize_filename('.hidden.mp4') == 'hidden.mp4'
    assert sanitize_filename('', 2) == 'upload_2'
    assert len(sanitize_filename('x' * 500 + '.mp4')) == 120
    taken: set[str] = set()
    assert [unique_name(n, taken) for n in ('a.mp4', 'A.mp4', 'a.mp4')] == ['a.mp4', 'A-2.mp4', 'a-3.mp4']


def test_token_and_settings(monkeypatch):
    assert token_matches('Bearer s3cret', 's3cret') and token_matches('bearer s3cret', 's3cret')
    assert not token_matches('Bearer wrong', 's3cret') and not token_matches(None, 's3cret')
    assert not token_matches('Basic s3cret', 's3cret')
    s = ServiceSettings.from_env({'AIGVE_SERVICE_MAX_WORKERS': '3', 'AIGVE_SERVICE_DATA_ROOTS': '/a:/b',
                                  'AIGVE_SERVICE_AUTO_RESUME': 'true'}, token='t')
    assert (s.max_workers, s.data_roots, s.auto_resume, s.token) == (3, ('/a', '/b'), True, 't')
    with pytest.raises(ValueError, match='MAX_WORKERS'):
        ServiceSettings.from_env({'AIGVE_SERVICE_MAX_WORKERS': 'many'})
    with pytest.raises(ValueError, match='max_workers'):
        ServiceSettings(max_workers=0)
