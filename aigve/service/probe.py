"""What this installation can run: registered metric cards, torch/CUDA facts.

The service asks this in a child process (``python -m aigve.service.probe``) at start-up, so the server
process itself never imports torch or the metrics. It prints one line, ``AIGVE_PROBE <json>``.
"""
from __future__ import annotations

import json
import sys
from typing import Any


def probe() -> dict[str, Any]:
    """Metric cards (with ``family``) and the torch/CUDA environment; errors are reported, not raised."""
    out: dict[str, Any] = dict(metrics=[], errors=[])
    try:
        import torch

        cuda = torch.cuda.is_available() and torch.cuda.device_count() > 0
        # ``cuda_version`` is the runtime's CUDA only when a GPU is usable (the older service's meaning);
        # the CUDA version the torch build was compiled for is ``cuda_build``, whatever the machine
        out.update(torch=torch.__version__, cuda_available=cuda, cuda_version=torch.version.cuda if cuda else None,
                   cuda_build=torch.version.cuda, device_count=torch.cuda.device_count() if cuda else 0,
                   device='cuda' if cuda else 'cpu')
    except Exception as e:  # a broken torch must still give an answer
        out['errors'].append(f'torch: {type(e).__name__}: {e}')
    try:
        import mmengine

        out['mmengine'] = mmengine.__version__
        from aigve.tools.metric_names import registered_cards

        out['metrics'] = registered_cards()
    except Exception as e:
        out['errors'].append(f'metrics: {type(e).__name__}: {e}')
    return out


MARKER = 'AIGVE_PROBE '


def parse_probe_output(text: str) -> dict[str, Any]:
    """The JSON object of the last ``AIGVE_PROBE`` line of ``text`` (other output is ignored)."""
    for line in reversed(text.splitlines()):
        if line.startswith(MARKER):
            return json.loads(line[len(MARKER):])
    raise ValueError('the probe printed no AIGVE_PROBE line')


if __name__ == '__main__':
    sys.stdout.write(MARKER + json.dumps(probe()) + '\n')
