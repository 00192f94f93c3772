"""torchrun with gloo on CPU: world size 1, 2 and 3 give identical per-video values, aggregates, failures."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from test_core.test_run import REPO, make_dataset


@pytest.fixture(scope='module')
def dataset(tmp_path_factory) -> Path:
    return make_dataset(tmp_path_factory.mktemp('dist'))  # 7 entries: an uneven split for 2 and 3 ranks


def run_world(dataset: Path, work_dir: Path, nproc: int) -> dict:
    cmd = [sys.executable, '-m', 'torch.distributed.run', f'--nproc_per_node={nproc}', '--master_port',
           str(29500 + nproc), str(REPO / 'main_aigve.py'), str(REPO / 'configs/temporal_flickering.py'),
           '--launcher', 'pytorch', '--work-dir', str(work_dir), '--cfg-options', f'data_root={dataset}',
           'ann_file=ann.json', 'val_dataloader.batch_size=2', 'val_dataloader.num_workers=0']
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300,
                          env={**os.environ, 'PYTHONPATH': str(REPO), 'OMP_NUM_THREADS': '1'})
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads((work_dir / 'results.json').read_text())
    assert results['provenance']['world_size'] == nproc
    results.pop('provenance')
    return results


def test_world_sizes_agree_exactly(dataset, tmp_path):
    single = run_world(dataset, tmp_path / 'w1', 1)
    assert single['num_videos'] == dict(scored=4, failed=3)
    for nproc in (2, 3):
        assert run_world(dataset, tmp_path / f'w{nproc}', nproc) == single  # nothing padded, dropped or reordered
