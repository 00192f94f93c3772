"""Device choice: CUDA when present, else CPU, unless the config names one."""
from __future__ import annotations

import torch


def resolve_device(device: str | torch.device | None = 'auto') -> torch.device:
    """Return the torch device for ``device`` ('auto', 'cpu', 'cuda', 'cuda:1', ...).

    Raises:
        ValueError: If a CUDA device is asked for on a machine without CUDA.
    """
    if device is None or device == 'auto':
        return torch.device('cuda' if torch.cuda.is_available() else 'cpu')
    dev = torch.device(device)
    if dev.type == 'cuda' and not torch.cuda.is_available():
        raise ValueError(
            f'`device` must be available, but got {device!r} on a machine without CUDA; '
            "set `device='auto'` or 'cpu' in `val_evaluator`")
    return dev
