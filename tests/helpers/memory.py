"""Peak resident memory of this process, for the memory tests and the benches (``bench/`` imports it too)."""
from __future__ import annotations

import sys

__all__ = ['peak_rss_mib']


def peak_rss_mib() -> float:
    """Peak resident memory of this process in MiB.

    Linux's ``VmHWM``, not ``getrusage().ru_maxrss``: ``ru_maxrss`` survives fork + exec, so a child started by a
    large parent reports at least the parent's size. Elsewhere ``ru_maxrss`` (KiB on Linux/BSD, bytes on macOS).
    """
    try:
        with open('/proc/self/status') as status:
            return next(int(line.split()[1]) for line in status if line.startswith('VmHWM:')) / 1024
    except (OSError, StopIteration):
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak / 1024**2 if sys.platform == 'darwin' else peak / 1024
