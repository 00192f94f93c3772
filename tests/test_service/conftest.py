"""Fixtures of the service tests (helpers live in service_helpers.py)."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from helpers.videos import synthetic_frames, write_video
from service_helpers import REPO


@pytest.fixture(scope='session')
def video_set(tmp_path_factory) -> dict:
    """Data root with generated/reference pairs, an annotation file, and paths outside the root."""
    base = tmp_path_factory.mktemp('service-data')
    root = base / 'root'
    clips = root / 'clips'
    clips.mkdir(parents=True)
    for i, (name, ref) in enumerate([('a_synthetic.mp4', 'a.mp4'), ('b-generated.mov', 'b.mov'),
                                     ('c_synthetic.mp4', 'c.mp4')]):
        frames = synthetic_frames(8, 32, 32, seed=i, noise=10 * i)
        write_video(clips / name, frames, fps=8)
        write_video(clips / ref, synthetic_frames(8, 32, 32, seed=i + 10), fps=8)
    ann = dict(metainfo=dict(name='svc'), data_list=[
        dict(video_path_pd='clips/a_synthetic.mp4', video_path_gt='clips/a.mp4'),
        dict(video_path_pd='clips/b-generated.mov', video_path_gt='clips/b.mov'),
        dict(video_path_pd='clips/c_synthetic.mp4', video_path_gt='clips/c.mp4')])
    (root / 'ann.json').write_text(json.dumps(ann))
    outside = base / 'outside'
    outside.mkdir()
    write_video(outside / 'x_synthetic.mp4', synthetic_frames(8, 32, 32), fps=8)
    (outside / 'ann.json').write_text(json.dumps(dict(data_list=[dict(video_path_pd='x_synthetic.mp4')])))
    (root / 'escape').symlink_to(outside, target_is_directory=True)
    (root / 'escape_ann.json').symlink_to(outside / 'ann.json')
    # an annotation inside the root whose video escapes through '..'
    (root / 'sneaky.json').write_text(json.dumps(dict(data_list=[dict(video_path_pd='../outside/x_synthetic.mp4')])))
    return dict(base=base, root=root, clips=clips, outside=outside)


@pytest.fixture(scope='session')
def cli_reference(video_set) -> subprocess.Popen:
    """The CLI run (``aigve run configs/temporal_flickering.py``) on the annotation, started in the background."""
    work = video_set['base'] / 'cli_run'
    cmd = [sys.executable, '-m', 'aigve.cli', 'run', str(REPO / 'configs' / 'temporal_flickering.py'),
           '--work-dir', str(work), '--cfg-options', f"data_root={video_set['root']}", 'ann_file=ann.json']
    proc = subprocess.Popen(cmd, cwd=REPO, env=dict(os.environ, PYTHONPATH=str(REPO)), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    proc.results_path = work / 'results.json'  # type: ignore[attr-defined]
    return proc


