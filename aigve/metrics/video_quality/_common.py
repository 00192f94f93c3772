"""Small shared steps of the video-quality models: input checks, normalisation, resizing, batching."""
from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from aigve.utils.lazy_video import LazyVideo, in_batches, take_frames
from aigve.utils.weights import ResolvedWeights, resolve_weights

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
KINETICS_MEAN = (0.45, 0.45, 0.45)
KINETICS_STD = (0.225, 0.225, 0.225)
CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)


def normalise(frames: torch.Tensor, mean: Sequence[float], std: Sequence[float]) -> torch.Tensor:
    """uint8 or [0, 1] float ``(..., 3, H, W)`` -> ``(x / 255 - mean) / std`` in float32."""
    x = frames.float()
    if frames.dtype == torch.uint8:
        x = x / 255.0
    m = torch.tensor(mean, dtype=x.dtype, device=x.device).view(3, 1, 1)
    s = torch.tensor(std, dtype=x.dtype, device=x.device).view(3, 1, 1)
    return (x - m) / s


def resize(frames: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Bilinear, antialiased resize of float ``(N, 3, H, W)`` to ``size = (h, w)`` (PIL-like)."""
    if tuple(frames.shape[-2:]) == tuple(size):
        return frames
    return F.interpolate(frames, size=size, mode='bilinear', align_corners=False, antialias=True)


def short_side_size(height: int, width: int, short: int) -> tuple[int, int]:
    """Output size of torchvision's ``Resize(short)``: short side to ``short``, long side scaled (floor)."""
    if height <= width:
        return short, int(short * width / height)
    return int(short * height / width), short


def center_crop(frames: torch.Tensor, size: int) -> torch.Tensor:
    """torchvision-style centre crop of ``(N, 3, H, W)`` to ``size x size`` (needs H, W >= size)."""
    h, w = frames.shape[-2:]
    if h < size or w < size:
        raise ValueError(f'frames must be at least {size}x{size} to crop, but got {h}x{w}')
    top, left = int(round((h - size) / 2.0)), int(round((w - size) / 2.0))
    return frames[..., top:top + size, left:left + size]


def slowfast_clip_features(extractor: nn.Module, video: torch.Tensor | LazyVideo, clips: Sequence[Sequence[int]],
                           size: int, batch_size: int, device: torch.device | str) -> torch.Tensor:
    """SlowFast features ``(len(clips), 2304)`` of clips given as frame indices of ``video``.

    Each frame used by any clip is decoded (only those of a lazy video), Kinetics-normalised and resized to
    ``size x size`` once; the clips go through ``extractor.forward_features`` ``batch_size`` at a time.
    """
    from aigve.models.slowfast import pack_pathways

    used = sorted({i for clip in clips for i in clip})
    small = resize(normalise(take_frames(video, used).to(device), KINETICS_MEAN, KINETICS_STD), (size, size))
    position = {frame: k for k, frame in enumerate(used)}
    clip_frames = small[torch.tensor([[position[i] for i in clip] for clip in clips], device=small.device)]

    def run(chunk: torch.Tensor) -> torch.Tensor:
        return extractor.forward_features(pack_pathways(chunk.permute(0, 2, 1, 3, 4))).float()

    return in_batches(clip_frames, batch_size, run)


def check_positive_int(value: int, name: str) -> int:
    """Raise unless ``value`` is a positive int."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f'`{name}` must be a positive int, but got {value!r}')
    return value


def load_state_dict_file(path: str, prefix: str = 'module.') -> dict[str, torch.Tensor]:
    """Load a checkpoint file to a plain state dict (unwrapping ``model_state``/``state_dict``, ``module.``)."""
    from aigve.models.slowfast import extract_state_dict

    return extract_state_dict(torch.load(path, map_location='cpu', weights_only=True), prefix)


def load_quality_head(net: torch.nn.Module, weights_name: str, model_path: str | None, pretrained: bool,
                      metric: str) -> tuple[torch.nn.Module, ResolvedWeights | None]:
    """Load the released checkpoint ``weights_name`` into ``net`` strictly (or keep random weights).

    Returns:
        ``(net, resolved)``: ``resolved`` is the checkpoint's record for ``record_weights``, None when
        ``pretrained=False`` (random weights, which is logged).
    """
    if not pretrained:
        from mmengine.logging import print_log
        print_log(f'{metric}: pretrained=False, the network has random weights', logger='current')
        return net, None
    resolved = resolve_weights(weights_name, model_path)
    net.load_state_dict(load_state_dict_file(str(resolved.path)), strict=True)
    return net, resolved
