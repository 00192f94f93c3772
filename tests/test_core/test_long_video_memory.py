"""A long video is streamed in chunks: peak memory does not grow with its length (subprocesses, ru_maxrss)."""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from helpers.videos import write_video
from test_core.test_run import REPO

CHILD = '''
import sys
from aigve.datasets.transforms import DecodeFrames, OpenVideo, PackVideoInputs, SampleFrames
from aigve.metrics.vbench import TemporalFlickering
path, max_bytes = sys.argv[1], (None if sys.argv[2] == 'None' else int(sys.argv[2]))
results = dict(video_path=path, video=path)
for step in (OpenVideo(), SampleFrames(), DecodeFrames(max_bytes=max_bytes), PackVideoInputs()):
    results = step(results)
metric = TemporalFlickering(device='cpu')
metric.process(dict(inputs=[results['inputs']]), [results['data_samples']])
from helpers.memory import peak_rss_mib  # VmHWM: a large parent (pytest after many tests) does not count
print(metric.results[0]['scores']['mae'], peak_rss_mib())
'''


def peak(path, max_bytes) -> tuple[float, float]:
    env = {'PYTHONPATH': os.pathsep.join([str(REPO), str(REPO / 'tests')]), 'OMP_NUM_THREADS': '1', 'PATH': '/usr/bin'}
    out = subprocess.run([sys.executable, '-c', CHILD, str(path), str(max_bytes)], capture_output=True, text=True,
                         check=True, env=env)
    mae, rss = map(float, out.stdout.split())
    return mae, rss


@pytest.fixture(scope='module')
def videos(tmp_path_factory):
    root = tmp_path_factory.mktemp('long')
    rng = np.random.default_rng(0)
    base = rng.integers(0, 256, (8, 128, 128, 3), dtype=np.uint8)
    return {n: write_video(root / f'{n}.mp4', np.tile(base, (n // 8, 1, 1, 1)), fps=24) for n in (96, 480)}


def test_peak_memory_does_not_grow_with_video_length(videos):
    budget = 2 * 2**20  # 2 MiB: chunks of 21 frames of 128x128
    mae_short, chunked_short = peak(videos[96], budget)
    mae_long, chunked_long = peak(videos[480], budget)
    _, whole_short = peak(videos[96], None)
    mae_whole, whole_long = peak(videos[480], None)
    assert mae_long == pytest.approx(mae_whole, rel=1e-12) and mae_short > 1
    # 384 more frames of 128x128 are 18.9 MB decoded (and ~10x that in the int16/float64 differences when the
    # video is held whole): holding it whole must show, streaming must not (20% of the whole-video growth)
    assert whole_long - whole_short > 50
    assert chunked_long - chunked_short < 0.2 * (whole_long - whole_short)
