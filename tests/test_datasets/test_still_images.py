"""A still image renamed ``.mp4`` is a failure "not a video (it is a PNG image)", in the dataset and in a run."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers.videos import synthetic_frames, write_frames_folder, write_video

from aigve.datasets import BaseVideoDataset
from aigve.datasets.transforms import OpenVideo

REPO = Path(__file__).resolve().parents[2]
STILLS = {'still_png.mp4': ('PNG', 'PNG'), 'still_jpeg.mp4': ('JPEG', 'JPEG')}


@pytest.fixture(scope='module')
def data_root(tmp_path_factory) -> Path:
    from PIL import Image

    root = tmp_path_factory.mktemp('stills')
    frames = synthetic_frames(6, 32, 32)
    write_video(root / 'moving.mp4', frames, fps=8)
    write_frames_folder(root / 'frames', frames[:3])  # a folder of images stays the way to pass images
    for name, (fmt, _) in STILLS.items():
        Image.fromarray(frames[0]).save(root / name, format=fmt)
    names = ['moving.mp4', 'frames', *STILLS]
    (root / 'ann.json').write_text(json.dumps(dict(data_list=[dict(video_path_pd=n) for n in names])))
    return root


def test_dataset_item_of_a_still_image_is_a_failure_naming_the_format(data_root):
    ds = BaseVideoDataset(ann_file='ann.json', data_root=str(data_root), pipeline=[OpenVideo()])
    assert ds[0]['video_reader'].num_frames == 6 and ds[1]['video_reader'].num_frames == 3
    for index, (name, (_, shown)) in enumerate(STILLS.items(), start=2):
        item = ds[index]
        assert item['inputs'] is None, item  # before: opened as a one-frame video
        assert item['data_samples']['failure'].startswith(f'{data_root / name}: not a video (it is a {shown} image)')


def test_run_lists_still_images_in_failures_with_the_reason(data_root, tmp_path):
    from aigve.core.evaluate import evaluate_config

    config = tmp_path / 'cfg.py'
    config.write_text(
        f"_base_ = ['{REPO}/configs/_base_/default_runtime.py', '{REPO}/configs/_base_/datasets/toy.py']\n"
        f"val_dataloader = dict(num_workers=0, dataset=dict(data_root='{data_root}', ann_file='ann.json',\n"
        f"                      pipeline=_base_.generated_pipeline))\n"
        f"val_evaluator = dict(type='TemporalFlickering', device='cpu')\n")
    results = evaluate_config(str(config), work_dir=str(tmp_path / 'wd'))
    assert results['num_videos'] == dict(scored=2, failed=2)
    failures = {f['video']: f['reason'] for f in results['failures']}
    assert set(failures) == set(STILLS)
    for name, (_, shown) in STILLS.items():
        assert f'not a video (it is a {shown} image)' in failures[name], failures  # not "needs at least 2 frames"
