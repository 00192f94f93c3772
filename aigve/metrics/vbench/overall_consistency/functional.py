r"""VBench ``overall_consistency`` / ``temporal_style`` math: ViCLIP's frame transform, clip indices, the cosine.

Read from VBench ``vbench/overall_consistency.py``, ``vbench/temporal_style.py`` and ``vbench/utils.py``
(github.com/Vchitect/VBench @45e79ec, Apache-2.0):

.. math::
    s = \left\langle \frac{E_V(x)}{\lVert E_V(x) \rVert}, \frac{E_T(c)}{\lVert E_T(c) \rVert} \right\rangle

with ``E_V`` ViCLIP's video encoder on 8 "middle" frames and ``E_T`` its text encoder on the prompt. The
per-video value is the raw cosine (it can be negative, VBench issue #59); the aggregate is the mean over
videos.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from aigve.utils.frames import select_frames

from .._common import CLIP_MEAN, CLIP_STD, resize_short_side

__all__ = ['clip_indices', 'viclip_frame_transform', 'video_text_cosine']


def clip_indices(total: int, num_frames: int = 8) -> list[int]:
    """VBench's ``get_frame_indices(num_frames, total, 'middle')``, padded with the last index.

    Examples:
        >>> clip_indices(100)
        [5, 18, 30, 43, 55, 68, 80, 93]
        >>> clip_indices(3)
        [0, 1, 2, 2, 2, 2, 2, 2]
    """
    return select_frames(total, num_frames=num_frames, strategy='middle', pad='repeat_last')


def viclip_frame_transform(frames: torch.Tensor, size: int = 224) -> torch.Tensor:
    """VBench's ``clip_transform(size)`` applied, as in these two dimensions, to **uint8** frames.

    ``read_frames_decord_by_fps`` hands ``clip_transform`` uint8 frames, so torchvision's bicubic resize
    (short side ``size``, ``antialias=False``) rounds and clamps its result back to uint8 before the centre
    crop, ``/255`` and CLIP normalisation (unlike the float path of :func:`~aigve.metrics.vbench._common.
    clip_transform`, which the consistency dimensions use on VBench's float frames).

    Args:
        frames: ``(T, 3, H, W)`` uint8 RGB.
        size: Output side. Defaults to 224.

    Returns:
        ``(T, 3, size, size)`` float32.

    Raises:
        ValueError: If ``frames`` is not a ``(T, 3, H, W)`` uint8 tensor.

    Examples:
        >>> viclip_frame_transform(torch.zeros(8, 3, 20, 30, dtype=torch.uint8), size=14).shape
        torch.Size([8, 3, 14, 14])
    """
    from torchvision.transforms.functional import center_crop

    if not isinstance(frames, torch.Tensor) or frames.ndim != 4 or frames.shape[1] != 3 or frames.dtype != torch.uint8:
        got = (f'{tuple(frames.shape)} {frames.dtype}' if isinstance(frames, torch.Tensor) else type(frames).__name__)
        raise ValueError(f'`frames` must be a (T, 3, H, W) uint8 tensor, but got {got}')
    x = center_crop(resize_short_side(frames, size, 'bicubic'), [size, size]).float() / 255.0
    mean = torch.tensor(CLIP_MEAN, device=x.device).view(1, 3, 1, 1)
    std = torch.tensor(CLIP_STD, device=x.device).view(1, 3, 1, 1)
    return (x - mean) / std


def video_text_cosine(video_embeds: torch.Tensor, text_embeds: torch.Tensor) -> torch.Tensor:
    """Row-wise cosine of ``(B, D)`` video and text embeddings (each L2-normalised in float32, as VBench).

    Returns:
        ``(B,)`` float64 in [-1, 1].

    Raises:
        ValueError: If the shapes differ or are not 2-D.

    Examples:
        >>> s = video_text_cosine(torch.tensor([[2.0, 0.0], [1.0, 1.0]]), torch.tensor([[1.0, 0.0], [-1.0, -1.0]]))
        >>> [round(v, 6) for v in s.tolist()]
        [1.0, -1.0]
    """
    if video_embeds.ndim != 2 or video_embeds.shape != text_embeds.shape:
        raise ValueError(f'`video_embeds` and `text_embeds` must be (B, D) of the same shape, but got '
                         f'{tuple(video_embeds.shape)} and {tuple(text_embeds.shape)}')
    v = F.normalize(video_embeds.float(), dim=-1)
    t = F.normalize(text_embeds.float(), dim=-1)
    return (v.double() * t.double()).sum(-1).clamp(-1.0, 1.0)
