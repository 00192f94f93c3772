"""VBench prompt suite -> aigve annotations (``aigve/tools/vbench_annotations.py``), and the dataset reading them."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from aigve.tools.vbench_annotations import custom_annotation, prompt_from_filename, standard_annotations

REPO = Path(__file__).resolve().parents[2]
#: three entries in the shape of VBench_full_info.json (the real file has 946)
FULL_INFO = [
    {'prompt_en': 'In a still frame, a stop sign', 'dimension': ['temporal_flickering']},
    {'prompt_en': 'a bird and a cat', 'dimension': ['multiple_objects'],
     'auxiliary_info': {'multiple_objects': {'object': 'bird and cat'}}},
    {'prompt_en': 'A beautiful coastal beach in spring, waves lapping on sand, Van Gogh style',
     'dimension': ['appearance_style', 'subject_consistency'],
     'auxiliary_info': {'appearance_style': {'appearance_style': 'Van Gogh style'}}},
]


def test_prompt_from_filename_is_vbench_rule():
    assert prompt_from_filename('a cat-12.mp4') == 'a cat'
    assert prompt_from_filename('a cat.mp4') == 'a cat'
    assert prompt_from_filename('a-cat-x.mp4') == 'a-cat-x'


def test_standard_mode_one_annotation_per_dimension_and_missing_listed():
    names = [f"{e['prompt_en']}-{i}.mp4" for e in FULL_INFO for i in range(5)]
    names.remove('a bird and a cat-3.mp4')
    ann, missing = standard_annotations(FULL_INFO, names)
    assert sorted(ann) == ['appearance_style', 'multiple_objects', 'subject_consistency', 'temporal_flickering']
    assert missing == {'multiple_objects': ['a bird and a cat-3.mp4']}
    mo = ann['multiple_objects']['data_list']
    assert len(mo) == 5  # the missing one is listed: the run counts it as a failure
    assert mo[0] == dict(video_path_pd='a bird and a cat-0.mp4', prompt_gt='a bird and a cat', id='a bird and a cat-0',
                         auxiliary_info={'multiple_objects': {'object': 'bird and cat'}})
    assert 'auxiliary_info' not in ann['temporal_flickering']['data_list'][0]
    skipped, _ = standard_annotations(FULL_INFO, names, dimensions=['multiple_objects'], skip_missing=True)
    assert list(skipped) == ['multiple_objects'] and len(skipped['multiple_objects']['data_list']) == 4
    with pytest.raises(ValueError, match='no prompt for the dimensions'):
        standard_annotations(FULL_INFO, names, dimensions=['scene'])


def test_custom_mode_reads_prompts_from_file_names():
    doc = custom_annotation(['b-1.mp4', 'a dog runs-0.mp4', 'notes.txt', 'c.gif'])
    assert [e['prompt_gt'] for e in doc['data_list']] == ['a dog runs', 'b', 'c']


def test_command_line_writes_files_the_dataset_reads(tmp_path):
    from helpers.videos import synthetic_frames, write_video

    from aigve.datasets.base_video_dataset import BaseVideoDataset

    videos = tmp_path / 'videos'
    videos.mkdir()
    entry = FULL_INFO[2]
    for i in range(5):
        write_video(videos / f"{entry['prompt_en']}-{i}.mp4", synthetic_frames(3, 16, 16))
    info = tmp_path / 'VBench_full_info.json'
    info.write_text(json.dumps(FULL_INFO))
    proc = subprocess.run([sys.executable, str(REPO / 'scripts/vbench_annotations.py'), str(videos), '--full-info',
                           str(info), '--out-dir', str(tmp_path / 'ann'), '--dimensions', 'appearance_style'],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert 'vbench_appearance_style.json: 5 videos' in proc.stdout
    ds = BaseVideoDataset(ann_file=str(tmp_path / 'ann/vbench_appearance_style.json'), data_root=str(videos))
    meta = ds.get_data_info(0)['meta']
    assert meta['auxiliary_info'] == {'appearance_style': {'appearance_style': 'Van Gogh style'}}
    bad = subprocess.run([sys.executable, str(REPO / 'scripts/vbench_annotations.py'), str(tmp_path / 'nope'),
                          '--out-dir', str(tmp_path / 'o')], capture_output=True, text=True, timeout=120)
    assert bad.returncode != 0 and 'videos folder not found' in bad.stderr and 'Traceback' not in bad.stderr


def test_dataset_refuses_a_flat_auxiliary_info(tmp_path):
    from aigve.datasets.base_video_dataset import AnnotationError, BaseVideoDataset

    (tmp_path / 'a.json').write_text(json.dumps(dict(data_list=[
        dict(video_path_pd='x.mp4', auxiliary_info={'appearance_style': 'Van Gogh style'})])))
    with pytest.raises(AnnotationError, match='object of objects'):
        BaseVideoDataset(ann_file=str(tmp_path / 'a.json'), data_root=str(tmp_path))
