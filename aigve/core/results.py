"""The results contract: one JSON document per run, written atomically.

```
{"metrics": {"<prefix>/<name>": float, ...},
 "per_video": [{"video": "<path as in the annotation>", "<prefix>/<name>": float, ...}, ...],
 "num_videos": {"scored": int, "failed": int},
 "failures": [{"video": "<path>", "reason": "<one line>"}, ...],
 "provenance": {...}}
```
"""
from __future__ import annotations

import datetime
import platform
import sys
from collections.abc import Iterable, Sequence
from typing import Any


def merge_per_video(record_lists: Iterable[Sequence[dict]]) -> list[dict]:
    """Merge the per-video records of several metrics into one record per video, in first-seen order."""
    merged: dict[str, dict] = {}
    for records in record_lists:
        for record in records:
            merged.setdefault(record['video'], {'video': record['video']}).update(record)
    return list(merged.values())


#: Distributions whose version can change a number: the frameworks, the metric back ends, the decoders.
VERSIONED_LIBRARIES = ('aigve', 'torch', 'torchvision', 'transformers', 'cd-fvd', 'decord', 'av')


def library_versions() -> dict[str, str | None]:
    """Installed version of each of :data:`VERSIONED_LIBRARIES` (None when not installed).

    Installed rather than imported: the key of a resumed run must not depend on which modules happen to be
    loaded when it is computed (decoders are imported in the dataloader workers).
    """
    from importlib import metadata

    versions: dict[str, str | None] = {}
    for name in VERSIONED_LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def provenance(*, device: str, config: str | None, weights: dict[str, str], protocol: dict[str, Any],
               started: datetime.datetime, seconds: float, world_size: int,
               precision: str = 'fp32') -> dict[str, Any]:
    """Describe how the numbers were made: versions, device, precision, config, weights hashes, timing."""
    import mmengine
    import torch

    import aigve
    return dict(
        aigve=aigve.__version__,
        torch=torch.__version__,
        mmengine=mmengine.__version__,
        python=platform.python_version(),
        platform=sys.platform,
        device=device,
        precision=precision,
        libraries=library_versions(),
        world_size=world_size,
        config=config,
        weights=weights,
        protocol=protocol,
        started=started.isoformat(timespec='seconds'),
        seconds=round(seconds, 3),
    )


def build_results(metrics: dict[str, float], per_video: list[dict], failures: list[dict], num_scored: int,
                  provenance: dict[str, Any]) -> dict[str, Any]:
    """Assemble the results document (see the module docstring)."""
    return dict(
        metrics={k: float(v) for k, v in metrics.items()},
        per_video=per_video,
        num_videos=dict(scored=int(num_scored), failed=len({f['video'] for f in failures})),
        failures=failures,
        provenance=provenance,
    )
