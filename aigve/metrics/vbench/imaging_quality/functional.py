"""VBench ``imaging_quality`` preprocessing and pooling (github.com/Vchitect/VBench ``vbench/imaging_quality.py``,
Apache-2.0), as pure functions.

VBench reads every frame as float 0-255, optionally resizes it (``imaging_quality_preprocessing_mode``, default
``'longer'``: if the longer side exceeds 512, scale it to 512, sides ``int(scale * side)``, torchvision
``Resize`` bilinear without antialias), divides by 255 and scores each frame with MUSIQ-SPAQ. The per-video
value is the mean frame score (0-100, as VBench's per-video JSON writes it); the dimension's aggregate is the
mean over videos divided by 100:

.. math::
    q_v = \\frac{1}{T_v} \\sum_t \\mathrm{MUSIQ}(x_{v,t}), \\qquad \\mathrm{imaging\\_quality} = \\frac{1}{100 V}
    \\sum_v q_v
"""
from __future__ import annotations

import torch

__all__ = ['PREPROCESS_MODES', 'preprocess', 'preprocessed_size']

#: VBench's ``imaging_quality_preprocessing_mode`` values.
PREPROCESS_MODES = ('longer', 'shorter', 'shorter_centercrop', 'None')


def preprocessed_size(height: int, width: int, mode: str = 'longer', size: int = 512) -> tuple[int, int]:
    """Frame size after VBench's ``transform(images, mode)``.

    Examples:
        >>> preprocessed_size(720, 1280), preprocessed_size(320, 512), preprocessed_size(1080, 1920, 'shorter')
        ((288, 512), (320, 512), (512, 910))
    """
    if mode not in PREPROCESS_MODES:
        raise ValueError(f'`mode` must be one of {PREPROCESS_MODES}, but got {mode!r}')
    side = max(height, width) if mode == 'longer' else min(height, width)
    if mode == 'None' or side <= size:
        return height, width
    scale = size / side
    h, w = int(scale * height), int(scale * width)
    return (min(h, size), min(w, size)) if mode == 'shorter_centercrop' else (h, w)


def preprocess(frames: torch.Tensor, mode: str = 'longer', size: int = 512) -> torch.Tensor:
    """VBench's ``transform``: ``(T, 3, H, W)`` frames in 0-255 -> float in ``[0, 1]`` at the size above.

    Raises:
        ValueError: On an unknown ``mode`` or frames that are not ``(T, 3, H, W)``.

    Examples:
        >>> preprocess(torch.full((1, 3, 600, 300), 255, dtype=torch.uint8)).shape
        torch.Size([1, 3, 512, 256])
    """
    from torchvision.transforms import InterpolationMode
    from torchvision.transforms.functional import center_crop, resize

    if not isinstance(frames, torch.Tensor) or frames.ndim != 4 or frames.shape[1] != 3:
        shape = tuple(frames.shape) if isinstance(frames, torch.Tensor) else type(frames).__name__
        raise ValueError(f'`frames` must be a (T, 3, H, W) tensor of 0-255 values, but got {shape}')
    x = frames if frames.is_floating_point() else frames.float()
    h, w = int(x.shape[-2]), int(x.shape[-1])
    target = preprocessed_size(h, w, mode, size)
    if mode != 'None' and (max(h, w) if mode == 'longer' else min(h, w)) > size:
        scale = size / (max(h, w) if mode == 'longer' else min(h, w))
        x = resize(x, [int(scale * h), int(scale * w)], interpolation=InterpolationMode.BILINEAR, antialias=False)
        if mode == 'shorter_centercrop':
            x = center_crop(x, [size, size])
    if tuple(x.shape[-2:]) != target:  # guards the size formula above against drift
        raise RuntimeError(f'preprocessed size {tuple(x.shape[-2:])} differs from {target}')
    return x / 255.0
