"""A user's own package registers a metric and runs through main_aigve.py with no change to aigve."""
import json
import subprocess
import sys
import textwrap


def test_custom_imports_registers_a_user_metric(tmp_path, repo_root):
    pkg = tmp_path / 'my_pkg'
    pkg.mkdir()
    (pkg / '__init__.py').write_text('')
    (pkg / 'metrics.py').write_text(textwrap.dedent('''
        from aigve.core import BaseVideoMetric
        from aigve.registry import METRICS

        @METRICS.register_module()
        class MeanBrightness(BaseVideoMetric):
            """Mean pixel value in [0, 1]."""
            default_prefix = 'mean_brightness'
            score_range = (0.0, 1.0)

            def score_batch(self, videos, samples):
                return [dict(mean_brightness=float(v.float().mean() / 255)) for v in videos]
    '''))
    config = tmp_path / 'my_config.py'
    config.write_text(textwrap.dedent(f'''
        _base_ = ['{repo_root}/configs/_base_/default_runtime.py', '{repo_root}/configs/_base_/datasets/toy.py']
        custom_imports = dict(imports=['my_pkg.metrics'], allow_failed_imports=False)
        val_evaluator = dict(type='MeanBrightness', device='cpu')
        test_evaluator = val_evaluator
        val_dataloader = dict(num_workers=0)
    '''))
    out = tmp_path / 'out.json'
    env_path = f'{tmp_path}:{repo_root}'
    proc = subprocess.run(
        [sys.executable, str(repo_root / 'main_aigve.py'), str(config), '--work-dir', str(tmp_path / 'wd'),
         '--out', str(out)], cwd=tmp_path, env={**__import__('os').environ, 'PYTHONPATH': env_path},
        capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    results = json.loads(out.read_text())
    value = results['metrics']['mean_brightness/mean_brightness']
    assert 0.0 < value < 1.0
    assert results['num_videos']['scored'] == len(results['per_video']) > 0
