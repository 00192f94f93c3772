"""Runs of ``aigve run`` with a metric written by the test: a plugin package, its config, its annotation."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from helpers.videos import synthetic_frames, write_lossless

REPO = Path(__file__).resolve().parents[2]
#: what every plugin metrics module starts with
HEADER = 'from aigve.core import BaseVideoMetric\nfrom aigve.registry import METRICS\n'
#: the DataLoader of a plugin config: no worker processes, generated videos only
LOADER = "dict(num_workers=0, dataset=dict(pipeline=_base_.generated_pipeline))"


def plugin_config(tmp_path: Path, package: str, source: str, evaluator: str, loader: str = LOADER,
                  name: str = 'plugin_config.py') -> Path:
    """Write the package ``package`` (its ``metrics`` module: :data:`HEADER` + ``source``) and a config that imports
    it and evaluates ``evaluator`` (config text); return the config's path."""
    pkg = tmp_path / package
    pkg.mkdir(exist_ok=True)
    (pkg / '__init__.py').write_text('')
    (pkg / 'metrics.py').write_text(HEADER + textwrap.dedent(source))
    config = tmp_path / name
    config.write_text(textwrap.dedent(f'''
        _base_ = ['{REPO}/configs/_base_/default_runtime.py', '{REPO}/configs/_base_/datasets/toy.py']
        custom_imports = dict(imports=['{package}.metrics'], allow_failed_imports=False)
        val_evaluator = {evaluator}
        val_dataloader = {loader}
    '''))
    return config


def write_annotation(tmp_path: Path, frames: dict[str, int], prompts: dict[str, str] | None = None) -> Path:
    """Lossless videos ``v/<name>`` of the given frame counts and ``ann.json`` listing them (with prompts)."""
    (tmp_path / 'v').mkdir(exist_ok=True)
    for name, count in frames.items():
        write_lossless(tmp_path / 'v' / name, synthetic_frames(count, 16, 16))
    entries = [dict(video_path_pd=f'v/{n}', **({'prompt_gt': prompts[n]} if prompts else {})) for n in frames]
    path = tmp_path / 'ann.json'
    path.write_text(json.dumps(dict(data_list=entries)))
    return path


def run_aigve(tmp_path: Path, config: Path, *args: str) -> subprocess.CompletedProcess:
    """``aigve run config`` on ``tmp_path/ann.json`` into ``tmp_path/wd``, the plugin package importable."""
    cmd = [sys.executable, '-m', 'aigve.cli', 'run', str(config), '--work-dir', str(tmp_path / 'wd'), *args,
           '--cfg-options', f'data_root={tmp_path}', 'ann_file=ann.json']
    env = {**os.environ, 'PYTHONPATH': f'{tmp_path}{os.pathsep}{REPO}'}
    return subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=300, env=env)
