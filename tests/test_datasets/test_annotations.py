"""The annotation format: older-toolkit files load; wrong keys give one clear error naming the entry."""
import json

import pytest

from aigve.datasets import BaseVideoDataset
from aigve.datasets.base_video_dataset import AnnotationError, resolve_data_root


def write_ann(tmp_path, data_list, metainfo=None):
    path = tmp_path / 'ann.json'
    path.write_text(json.dumps(dict(metainfo=metainfo or {'name': 't'}, data_list=data_list)))
    return path


def test_older_toolkit_entries_load_with_paths_joined(tmp_path):
    ann = write_ann(tmp_path, [
        dict(prompt_gt='a cat', video_path_pd='a cat-0.mp4', video_path_gt='ref/a cat.mp4'),
        dict(video_path_pd='b.mp4'),
    ])
    ds = BaseVideoDataset(ann_file=str(ann), data_root=str(tmp_path), data_prefix=dict(video='gen'))
    first, second = ds.get_data_info(0), ds.get_data_info(1)
    assert first['video'] == 'a cat-0.mp4'  # as written in the annotation: the key of results
    assert first['video_path'] == str(tmp_path / 'gen' / 'a cat-0.mp4')
    assert first['ref_video_path'] == str(tmp_path / 'ref' / 'a cat.mp4')
    assert first['prompt'] == 'a cat'
    assert second['prompt'] is None and second['ref_video_path'] is None
    assert ds.metainfo['name'] == 't'


def test_unknown_key_names_the_entry_and_expected_keys(tmp_path):
    ann = write_ann(tmp_path, [dict(video_path_pd='a.mp4'), dict(video_path_pd='b.mp4', prompt='typo')])
    with pytest.raises(AnnotationError, match=r"data_list\[1\] has unknown keys \['prompt'\]; expected keys"):
        BaseVideoDataset(ann_file=str(ann), data_root=str(tmp_path))


def test_missing_required_key(tmp_path):
    ann = write_ann(tmp_path, [dict(prompt_gt='x')])
    with pytest.raises(AnnotationError, match=r"data_list\[0\] lacks \['video_path_pd'\]"):
        BaseVideoDataset(ann_file=str(ann), data_root=str(tmp_path))


def test_extra_keys_are_kept_in_meta(tmp_path):
    ann = write_ann(tmp_path, [dict(id=3, video_path_pd='a.mp4', overall=4, model='m')])
    ds = BaseVideoDataset(ann_file=str(ann), data_root=str(tmp_path), extra_keys=['overall', 'model'])
    assert ds.get_data_info(0)['meta'] == dict(id=3, overall=4, model='m')


@pytest.mark.parametrize('content, match', [
    ('{not json', 'not valid JSON'),
    ('[]', "'data_list'"),
    ('{"data_list": []}', 'empty'),
])
def test_malformed_files(tmp_path, content, match):
    path = tmp_path / 'ann.json'
    path.write_text(content)
    with pytest.raises(AnnotationError, match=match):
        BaseVideoDataset(ann_file=str(path), data_root=str(tmp_path))


def test_missing_annotation_file_says_how_to_fix(tmp_path):
    with pytest.raises(FileNotFoundError, match='data_root'):
        BaseVideoDataset(ann_file='nope.json', data_root=str(tmp_path))


def test_package_data_root():
    assert resolve_data_root('pkg://aigve/data/toy').endswith('aigve/data/toy')
    assert resolve_data_root('/x/y') == '/x/y'


@pytest.mark.parametrize('content', [
    '{"data_list": [{"video_path_pd": "a.mp4", "prompt_gt": "\u2018hi\u2019"}]}'.encode('cp1252'),  # byte 0x91
    b'\x00\x00\x00\x18ftypmp42' + bytes(range(256)),  # a video passed as the annotation
])
def test_non_utf8_annotation_names_the_file_and_says_it_is_not_a_json_annotation(tmp_path, content):
    path = tmp_path / 'ann.json'
    path.write_bytes(content)
    with pytest.raises(AnnotationError) as err:  # before: "'utf-8' codec can't decode byte 0x91 ..." only
        BaseVideoDataset(ann_file=str(path), data_root=str(tmp_path))
    msg = str(err.value)
    assert msg.startswith(f'{path}: not a JSON annotation: not UTF-8 text (byte 0x') and 'codec' not in msg
    if content[:1] == b'{':
        assert f'byte 0x91 at offset {content.index(0x91)})' in msg
