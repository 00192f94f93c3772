"""All aigve metrics. Importing this registers them; heavy libraries load only when a metric is built.

Every ``*_metric.py`` module below this package is imported here, so a new metric registers itself by
existing: no list of metrics to extend. Each registered aigve metric class is also an attribute of this
package (``from aigve.metrics import FVD``).
"""
from __future__ import annotations

import importlib
import pkgutil

from aigve.registry import METRICS


def _import_metric_modules() -> list[str]:
    """Import every ``*_metric`` module of this package; return the names of the metrics they register."""
    def fail(name: str) -> None:  # a metric package that does not import is an error, never skipped
        raise

    for info in pkgutil.walk_packages(__path__, prefix=f'{__name__}.', onerror=fail):
        if info.name.rsplit('.', 1)[-1].endswith('_metric'):
            importlib.import_module(info.name)
    return sorted(name for name, cls in METRICS.module_dict.items() if cls.__module__.startswith(f'{__name__}.'))


__all__ = _import_metric_modules()
globals().update({name: METRICS.module_dict[name] for name in __all__})
