"""Uploads and annotations the service refuses: still images posing as videos (415), non-UTF-8 annotations (422)."""
from __future__ import annotations

import io

import pytest
from helpers.videos import synthetic_frames, write_video
from service_helpers import Server

from aigve.service.jobs import read_annotation
from aigve.service.security import RequestRefused, check_video_file


def _image_bytes(fmt: str) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.fromarray(synthetic_frames(1, 32, 32)[0]).save(out, format=fmt)
    return out.getvalue()


@pytest.mark.parametrize('fmt, shown', [('PNG', 'PNG'), ('JPEG', 'JPEG'), ('WEBP', 'WebP'), ('BMP', 'BMP')])
def test_check_video_file_refuses_a_still_image_with_any_extension(tmp_path, fmt, shown):
    path = tmp_path / 'stored.mp4'
    path.write_bytes(_image_bytes(fmt))
    with pytest.raises(RequestRefused) as err:  # before: accepted as a one-frame video
        check_video_file(path, 'clip.mp4')
    assert err.value.status == 415
    assert err.value.message.startswith(f"'clip.mp4' is not a video (it is a {shown} image)")


def test_check_video_file_accepts_gif(tmp_path):
    path = write_video(tmp_path / 'anim.gif', synthetic_frames(4, 32, 32), fps=8, codec='gif')
    assert check_video_file(path, 'anim.gif')['num_frames'] == 4


def test_non_utf8_annotation_is_422_naming_the_file(tmp_path):
    path = tmp_path / 'cp1252.json'
    path.write_bytes('{"data_list": [{"video_path_pd": "a.mp4", "prompt_gt": "\u2018x\u2019"}]}'.encode('cp1252'))
    with pytest.raises(RequestRefused) as err:  # before: "`ann_file` is not valid JSON: 'utf-8' codec can't ..."
        read_annotation(path, 'ann_file')
    assert err.value.status == 422
    assert err.value.message.startswith("`ann_file` 'cp1252.json' is not a JSON annotation: not UTF-8 text "
                                        f"(byte 0x91 at offset {path.read_bytes().index(0x91)})")


@pytest.fixture(scope='module')
def server(tmp_path_factory):
    data = tmp_path_factory.mktemp('svc-images') / 'data'
    data.mkdir()
    srv = Server(data, [])
    srv.wait_ready()
    yield srv
    srv.stop()


def test_upload_of_a_png_named_mp4_is_415(server):
    for fmt, shown in (('PNG', 'PNG'), ('JPEG', 'JPEG')):
        files = [('videos', ('photo.mp4', _image_bytes(fmt), 'video/mp4'))]
        r = server.client.post('/jobs/upload', data=dict(metrics='TemporalFlickering'), files=files)
        assert r.status_code == 415, r.text  # before: 202, a job over a one-frame "video"
        assert f"'photo.mp4' is not a video (it is a {shown} image)" in r.json()['detail'], r.text
    assert not list((server.data_dir / 'jobs').iterdir())  # refused uploads leave nothing behind
