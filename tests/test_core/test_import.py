"""`import aigve` is light: no torch, no network, well under a second."""
import subprocess
import sys

from test_core.test_run import REPO


def test_import_aigve_is_light():
    code = ('import sys, time; t = time.perf_counter(); import aigve, aigve.registry; '
            'print(time.perf_counter() - t, "torch" in sys.modules, "transformers" in sys.modules)')
    out = subprocess.run([sys.executable, '-c', code], cwd=REPO, capture_output=True, text=True, timeout=60)
    seconds, torch_loaded, transformers_loaded = out.stdout.split()
    assert torch_loaded == 'False' and transformers_loaded == 'False'
    assert float(seconds) < 1.0


def test_registry_imports_metric_modules_on_first_use():
    code = ('from mmengine.registry import init_default_scope; from aigve.registry import METRICS; '
            'init_default_scope("aigve"); print(METRICS.get("TemporalFlickering").__name__)')
    out = subprocess.run([sys.executable, '-c', code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert out.stdout.strip().endswith('TemporalFlickering'), out.stderr[-2000:]
