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


#: the dtype names a config may give a model's weights and activations
DTYPES = dict(float32=torch.float32, bfloat16=torch.bfloat16, float16=torch.float16)


def resolve_dtype(dtype: str, device: torch.device) -> torch.dtype:
    """The torch dtype of ``dtype``: ``'auto'`` is bf16 on CUDA (as the large judges were run) and fp32 elsewhere.

    Raises:
        ValueError: For a name that is neither ``'auto'`` nor one of :data:`DTYPES`.

    Examples:
        >>> resolve_dtype('auto', torch.device('cpu')), resolve_dtype('float16', torch.device('cpu'))
        (torch.float32, torch.float16)
    """
    if dtype == 'auto':
        return torch.bfloat16 if device.type == 'cuda' else torch.float32
    if dtype not in DTYPES:
        raise ValueError(f"`dtype` must be 'auto' or one of {sorted(DTYPES)}, but got {dtype!r}")
    return DTYPES[dtype]
