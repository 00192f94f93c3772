r"""VBench ``human_action`` pieces: UMT's frame transform, the Kinetics-400 names, labels, the top-5 rule.

Read from VBench ``vbench/human_action.py`` and ``vbench/third_party/umt/{datasets/video_transforms.py,
functional.py, datasets/volume_transforms.py}`` (github.com/Vchitect/VBench @45e79ec, Apache-2.0):

.. math::
    p = \sigma(\text{UMT}(x_{i_1..i_{16}})), \qquad
    \text{correct} = \big[\, y \in \{\text{name}_k : k \in \operatorname{top5}(p),\ \operatorname{round}(p_k, 4)
    \ge 0.85 \} \,\big]

per video; the aggregate is the fraction of correct videos.
"""
from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path

import torch

import aigve
from aigve.utils.frames import select_frames

from .._common import IMAGENET_MEAN, IMAGENET_STD

__all__ = ['KINETICS400_FILE', 'kinetics400_names', 'label_from_filename', 'clip_indices', 'umt_transform',
           'short_side_size', 'kept_labels', 'is_correct']

#: The class names of UMT's head with their indices (VBench's ``kinetics_400_categories.txt``).
KINETICS400_FILE = Path(aigve.__file__).resolve().parent / 'data' / 'vbench' / 'kinetics_400_categories.txt'


@functools.lru_cache(maxsize=4)
def kinetics400_names(path: str | None = None) -> tuple[str, ...]:
    """Class names by head index, lowercased (VBench's ``build_dict``), from ``name<TAB>index`` lines.

    Raises:
        ValueError: If a line is malformed or the indices are not ``0..N-1`` exactly once.

    Examples:
        >>> names = kinetics400_names()
        >>> len(names), names[0], names[399]
        (400, 'riding a bike', 'playing badminton')
    """
    text = Path(path or KINETICS400_FILE).read_text(encoding='utf-8')
    by_index: dict[int, str] = {}
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        parts = line.strip().split('\t')
        if len(parts) != 2 or not parts[1].isdigit():
            raise ValueError(f'{path or KINETICS400_FILE}:{n}: expected "name<TAB>index", but got {line!r}')
        by_index[int(parts[1])] = parts[0].lower()
    if sorted(by_index) != list(range(len(by_index))):
        raise ValueError(f'{path or KINETICS400_FILE}: the class indices must be 0..N-1, each once')
    return tuple(by_index[i] for i in range(len(by_index)))


def label_from_filename(path: str) -> str:
    """VBench's action label of a video file name ``{prompt}-{i}.mp4``.

    The base name, lowercased, before the first ``-``, after the last ``"person is "``, before the first ``_``.

    Examples:
        >>> label_from_filename('videos/A person is riding a bike-0.mp4')
        'riding a bike'
        >>> label_from_filename('A person is playing_guitar-3.mp4')
        'playing'
    """
    name = str(path).replace('\\', '/').split('/')[-1]
    return name.lower().split('-')[0].split('person is ')[-1].split('_')[0]


def clip_indices(total: int, num_frames: int = 16) -> list[int]:
    """VBench's ``load_video(..., num_frames=16)``: ``get_frame_indices(16, total, 'middle')``, padded.

    Examples:
        >>> clip_indices(100)
        [2, 8, 14, 21, 27, 33, 39, 46, 52, 58, 64, 71, 77, 83, 89, 96]
    """
    return select_frames(total, num_frames=num_frames, strategy='middle', pad='repeat_last')


def short_side_size(height: int, width: int, size: int = 256) -> tuple[int, int]:
    """``(new_h, new_w)`` of UMT's ``resize_clip``: the short side to ``size``, the other ``int()``-truncated.

    Examples:
        >>> short_side_size(320, 512)
        (256, 409)
        >>> short_side_size(512, 320)
        (409, 256)
    """
    if width < height:
        return int(size * height / width), size
    return size, int(size * width / height)


def umt_transform(frames: torch.Tensor, resize: int = 256, crop: int = 224) -> torch.Tensor:
    """VBench's UMT transform of ``(T, 3, H, W)`` uint8 frames -> ``(T, 3, crop, crop)`` float32.

    OpenCV ``INTER_LINEAR`` resize of the short side to ``resize`` (skipped when it already is), centre crop
    at ``(int(round((W - crop) / 2)), int(round((H - crop) / 2)))`` (Python's rounding), ``/255``, ImageNet
    mean/std, as ``Compose([Resize(256, 'bilinear'), CenterCrop(224), ClipToTensor(), Normalize(...)])``.

    Raises:
        ValueError: If ``frames`` is not ``(T, 3, H, W)`` uint8.

    Examples:
        >>> umt_transform(torch.zeros(2, 3, 60, 80, dtype=torch.uint8), resize=32, crop=28).shape
        torch.Size([2, 3, 28, 28])
    """
    import cv2
    import numpy as np

    if not isinstance(frames, torch.Tensor) or frames.ndim != 4 or frames.shape[1] != 3 or frames.dtype != torch.uint8:
        got = f'{tuple(frames.shape)} {frames.dtype}' if isinstance(frames, torch.Tensor) else type(frames).__name__
        raise ValueError(f'`frames` must be a (T, 3, H, W) uint8 tensor, but got {got}')
    images = frames.permute(0, 2, 3, 1).cpu().numpy()
    h, w = images.shape[1:3]
    if min(h, w) != resize:
        new_h, new_w = short_side_size(h, w, resize)
        images = np.stack([cv2.resize(np.ascontiguousarray(im), (new_w, new_h), interpolation=cv2.INTER_LINEAR)
                           for im in images])
        h, w = new_h, new_w
    x0, y0 = int(round((w - crop) / 2.0)), int(round((h - crop) / 2.0))
    images = images[:, y0:y0 + crop, x0:x0 + crop]
    x = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).float() / 255.0
    mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
    return (x - mean) / std


def kept_labels(probs: torch.Tensor, names: Sequence[str], top_k: int = 5, threshold: float = 0.85) -> list[str]:
    """Names of the ``top_k`` classes whose probability, rounded to 4 decimals as VBench does, is ``>= threshold``.

    Examples:
        >>> kept_labels(torch.tensor([0.9, 0.1, 0.849951, 0.2]), ['a', 'b', 'c', 'd'], top_k=3)
        ['a', 'c']
    """
    values, indices = torch.topk(probs.float(), min(top_k, probs.numel()))
    return [names[i] for v, i in zip(values.tolist(), indices.tolist()) if round(v, 4) >= threshold]


def is_correct(probs: torch.Tensor, label: str, names: Sequence[str], top_k: int = 5,
               threshold: float = 0.85) -> bool:
    """True when ``label`` is one of :func:`kept_labels` (VBench's per-video ``video_results``).

    Examples:
        >>> is_correct(torch.tensor([0.9, 0.95]), 'a', ['a', 'b'])
        True
    """
    return label in kept_labels(probs, names, top_k, threshold)
