"""What the VBench dimensions share: VBench's frame transforms, its consistency formula, frame-weighted means.

Read from VBench's ``vbench/utils.py`` and the dimension modules (github.com/Vchitect/VBench, Apache-2.0):

* :func:`clip_transform`: VBench's tensor ``clip_transform(n_px)``: resize the short side to ``n_px`` (bicubic,
  ``antialias=False``) on the float 0-255 frames (VBench's ``load_video`` returns float32, so nothing is
  rounded or clamped), centre crop ``n_px``, ``/255``, CLIP mean/std.
* :func:`dino_transform`: VBench's ``dino_transform(n_px)``: short side to ``n_px`` (bilinear,
  ``antialias=False``), **no crop**, ``/255``, ImageNet mean/std.
* :func:`clip_transform_image`: VBench's ``clip_transform_Image`` (the PIL path ``appearance_style`` uses).
* :func:`consistency_scores`: ``s_i = (max(0, cos(f_{i-1}, f_i)) + max(0, cos(f_0, f_i))) / 2`` for
  ``i >= 1`` (``subject_consistency``, ``background_consistency``).
* :class:`FrameWeightedMetric`: a per-video metric whose aggregate is weighted by a per-video frame count,
  as VBench's single-process aggregates ``sum_v sum_i s_i / sum_v (T_v - 1)`` are.
* :func:`embed_videos`: frames of all videos of a batch through one encoder, in bounded chunks.
* :class:`VBenchCLIPMetric`: CLIP loaded as the text-video metrics load it, frames preprocessed as VBench does.
"""
from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from aigve.core.base_metric import BaseVideoMetric, Unscorable
from aigve.metrics.text_video.hf_common import CLIPFeatureMetric, encode_in_batches
from aigve.utils.frames import check_video

#: CLIP's normalisation (OpenAI ``clip``), as VBench's ``clip_transform`` writes it.
CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)
#: ImageNet normalisation, as VBench's ``dino_transform`` writes it.
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def _check_frames(frames: torch.Tensor, name: str = 'frames') -> None:
    if not isinstance(frames, torch.Tensor) or frames.ndim != 4 or frames.shape[1] != 3:
        shape = tuple(frames.shape) if isinstance(frames, torch.Tensor) else type(frames).__name__
        raise ValueError(f'`{name}` must be a (T, 3, H, W) tensor of 0-255 values, but got {shape}')


def _normalize(x: torch.Tensor, mean: Sequence[float], std: Sequence[float]) -> torch.Tensor:
    m = torch.tensor(mean, dtype=x.dtype, device=x.device).view(1, 3, 1, 1)
    s = torch.tensor(std, dtype=x.dtype, device=x.device).view(1, 3, 1, 1)
    return (x - m) / s


def resize_short_side(frames: torch.Tensor, size: int, mode: str) -> torch.Tensor:
    """torchvision ``Resize(size, antialias=False)`` of float frames: short side to ``size``, long side truncated.

    torchvision computes the long side as ``int(size * long / short)`` and returns the input unchanged when the
    short side already is ``size``; both are kept here (through torchvision itself).
    """
    from torchvision.transforms import InterpolationMode
    from torchvision.transforms.functional import resize

    interp = {'bicubic': InterpolationMode.BICUBIC, 'bilinear': InterpolationMode.BILINEAR}[mode]
    return resize(frames, [size], interpolation=interp, antialias=False)


def clip_transform(frames: torch.Tensor, size: int = 224) -> torch.Tensor:
    """VBench's tensor ``clip_transform(size)`` of ``(T, 3, H, W)`` frames (uint8 or float in 0-255).

    Resize (short side ``size``, bicubic, no antialias, float, no clamping) -> centre crop ``size`` ->
    ``/255`` -> CLIP mean/std. uint8 frames are converted to float first, as VBench's ``load_video`` hands
    float32 frames to this transform in ``background_consistency`` and ``aesthetic_quality``; a VBench path
    that resizes uint8 tensors (torchvision then rounds and clamps) needs its own step.

    Returns:
        ``(T, 3, size, size)`` float32 (float64 input stays float64).

    Examples:
        >>> clip_transform(torch.zeros(2, 3, 20, 30, dtype=torch.uint8), size=8).shape
        torch.Size([2, 3, 8, 8])
    """
    from torchvision.transforms.functional import center_crop

    _check_frames(frames)
    x = frames if frames.is_floating_point() else frames.float()
    x = center_crop(resize_short_side(x, size, 'bicubic'), [size, size])
    return _normalize(x / 255.0, CLIP_MEAN, CLIP_STD)


def dino_transform(frames: torch.Tensor, size: int = 224) -> torch.Tensor:
    """VBench's ``dino_transform(size)``: short side ``size`` (bilinear, no antialias), no crop, ImageNet norm.

    Returns:
        ``(T, 3, H', W')`` float32 with ``min(H', W') == size`` (the aspect ratio is kept).

    Examples:
        >>> dino_transform(torch.zeros(1, 3, 20, 30, dtype=torch.uint8), size=8).shape
        torch.Size([1, 3, 8, 12])
    """
    _check_frames(frames)
    x = frames if frames.is_floating_point() else frames.float()
    return _normalize(resize_short_side(x, size, 'bilinear') / 255.0, IMAGENET_MEAN, IMAGENET_STD)


def clip_transform_image(frames: torch.Tensor, size: int = 224) -> torch.Tensor:
    """VBench's ``clip_transform_Image(size)``: each frame as a PIL image, PIL bicubic resize, crop, ToTensor.

    torchvision applies PIL's own resampling to PIL images (``antialias`` has no effect there), which is what
    VBench's ``appearance_style`` gets from ``ToPILImage`` frames.

    Args:
        frames: ``(T, 3, H, W)`` uint8 frames (PIL needs 8-bit images).
        size: Output side. Defaults to 224.

    Returns:
        ``(T, 3, size, size)`` float32.
    """
    from torchvision.transforms import InterpolationMode
    from torchvision.transforms.functional import center_crop, pil_to_tensor, resize, to_pil_image

    _check_frames(frames)
    if frames.dtype != torch.uint8:
        raise ValueError(f'`frames` must be uint8 for the PIL transform, but got {frames.dtype}')
    out = []
    for frame in frames.cpu():
        image = center_crop(resize(to_pil_image(frame), [size], interpolation=InterpolationMode.BICUBIC),
                            [size, size])
        out.append(pil_to_tensor(image))
    x = torch.stack(out).float().div(255.0).to(frames.device)
    return _normalize(x, CLIP_MEAN, CLIP_STD)


def consistency_scores(features: torch.Tensor) -> torch.Tensor:
    """VBench's per-frame consistency ``s_i`` for ``i = 1..T-1`` of ``(T, D)`` frame features.

    .. math::
        s_i = \\tfrac12 \\left(\\max(0, \\cos(f_{i-1}, f_i)) + \\max(0, \\cos(f_0, f_i))\\right)

    Computed in float64 (VBench takes ``F.cosine_similarity`` of L2-normalised features).

    Returns:
        ``(T - 1,)`` float64; empty for a single frame.

    Raises:
        ValueError: If ``features`` is not 2-D.

    Examples:
        >>> consistency_scores(torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])).tolist()
        [1.0, 0.0]
    """
    if not isinstance(features, torch.Tensor) or features.ndim != 2:
        raise ValueError(f'`features` must be a (T, D) tensor, but got '
                         f'{tuple(features.shape) if isinstance(features, torch.Tensor) else type(features).__name__}')
    f = F.normalize(features.double(), dim=-1, p=2)
    if f.shape[0] < 2:
        return f.new_zeros(0)
    prev = (f[1:] * f[:-1]).sum(-1).clamp_min(0.0)
    first = (f[1:] * f[:1]).sum(-1).clamp_min(0.0)
    return (prev + first) / 2


def frame_weighted_mean(values: Sequence[float], weights: Sequence[float]) -> float:
    """``sum_v w_v x_v / sum_v w_v``: the mean over frames when ``x_v`` is a per-video frame mean.

    Raises:
        ValueError: If the lengths differ or the weights sum to zero.

    Examples:
        >>> frame_weighted_mean([1.0, 0.0], [3, 1])
        0.75
    """
    if len(values) != len(weights):
        raise ValueError(f'`values` and `weights` must have the same length, but got {len(values)} and {len(weights)}')
    total = float(sum(weights))
    if total <= 0:
        raise ValueError(f'the weights must sum to a positive number, but got {total}')
    return float(sum(float(v) * float(w) for v, w in zip(values, weights)) / total)


class FrameWeightedMetric(BaseVideoMetric):
    """A per-video metric whose aggregate is weighted by the number of frames each video contributes.

    ``score_batch`` returns, per video, its scores (per-video means over frames or frame pairs) and the count
    under :attr:`weight_key` (e.g. ``num_pairs = T - 1``). Per-video records carry that count, failures are
    handled exactly as :class:`~aigve.core.base_metric.BaseVideoMetric` does, and every other score is
    aggregated as ``sum_v w_v x_v / sum_v w_v`` (= VBench's ``sum_v sum_i s_i / sum_v (T_v - 1)``); the count
    itself is reported summed (``<weight_key>`` = total frames or pairs scored).
    """

    #: the per-video score that holds the video's weight (a frame or frame-pair count)
    weight_key: str = 'num_frames'

    def compute_metrics(self, results: list) -> dict[str, float]:
        """Frame-weighted mean of every score; fills ``per_video`` and ``failures`` as the base class does."""
        super().compute_metrics(results)  # failures, per_video, and the error when nothing was scored
        scored = [r for r in results if 'failure' not in r]
        weights = [r['scores'][self.weight_key] for r in scored]
        out = {k: frame_weighted_mean([r['scores'][k] for r in scored], weights)
               for k in scored[0]['scores'] if k != self.weight_key}
        out[self.weight_key] = float(sum(weights))
        return out


def encode_by_size(frames: Sequence[torch.Tensor], encode: Callable[[torch.Tensor], torch.Tensor]) -> torch.Tensor:
    """``encode`` each run of equally sized ``(3, H, W)`` frames as one stacked batch; results concatenated in order."""
    outs, start = [], 0
    for _, run in itertools.groupby(frames, key=lambda f: tuple(f.shape)):
        count = len(list(run))
        outs.append(encode(torch.stack(list(frames[start:start + count]))))
        start += count
    return torch.cat(outs)


def embed_videos(videos: Sequence[Any], encode: Callable[[torch.Tensor], torch.Tensor],
                 batch_size: int) -> list[torch.Tensor]:
    """Run ``encode`` over the frames of all ``videos`` in batches of at most ``batch_size`` frames.

    Batches cross video boundaries (short videos share a pass; frames of different sizes are stacked apart);
    lazy videos are decoded chunk by chunk, so memory stays bounded by one batch and the features.

    Args:
        videos: ``(T_v, 3, H, W)`` uint8 tensors or :class:`~aigve.utils.lazy_video.LazyVideo` s.
        encode: Maps a stacked ``(B, 3, H, W)`` uint8 batch to ``(B, D)`` features (transform included).
        batch_size: Frames per call.

    Returns:
        One ``(T_v, D)`` float32 CPU tensor per video (``(0,)`` for a video with no frames).

    Examples:
        >>> vids = [torch.zeros(3, 3, 2, 2, dtype=torch.uint8), torch.ones(2, 3, 2, 2, dtype=torch.uint8)]
        >>> [f.shape[0] for f in embed_videos(vids, lambda x: x.float().flatten(1).mean(1, keepdim=True), 4)]
        [3, 2]
    """
    return encode_in_batches(videos, lambda frames, owners: encode_by_size(frames, encode).float().cpu(),
                             batch_size)


def scorable_videos(videos: Sequence[Any], min_frames: int) -> tuple[list[int], list[Unscorable | None]]:
    """Positions of the videos with at least ``min_frames`` frames, and per video None or why it is unscorable.

    Raises:
        TypeError, ValueError: If a video is not a ``(T, 3, H, W)`` uint8 tensor or lazy video.
    """
    kept, verdicts = [], []
    for i, video in enumerate(videos):
        verdict = None
        if video is None:
            verdict = Unscorable('the video could not be read')
        elif check_video(video, min_frames=0).shape[0] < min_frames:
            verdict = Unscorable(f'needs at least {min_frames} frame(s), got {video.shape[0]}')
        else:
            kept.append(i)
        verdicts.append(verdict)
    return kept, verdicts


def consistency_record(features: torch.Tensor, key: str) -> dict[str, float]:
    """Per-video record of a consistency dimension: ``{key: mean_i s_i, 'num_pairs': T - 1}``."""
    s = consistency_scores(features)
    return {key: float(s.mean()), 'num_pairs': float(s.numel())}


def check_positive_int(name: str, value: Any) -> int:
    """``value`` if it is a positive int (not a bool), else a ValueError naming ``name`` and the config."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f'`{name}` must be a positive int, but got {value!r}; check `val_evaluator` in your config')
    return value


class VBenchCLIPMetric(CLIPFeatureMetric):
    """CLIP loaded as the text-video metrics load it (resolver, transformers ``CLIPModel``), frames as VBench.

    Every frame the pipeline gives is used. Pixels come from VBench's tensor :func:`clip_transform` (or, with
    ``pil_transform = True``, its PIL :func:`clip_transform_image`) at the vision tower's input size, never from
    the transformers image processor (whose PIL resize antialiases).

    Args:
        model_path: Local folder (or hub id) of the ``CLIPModel`` saved with ``save_pretrained``; replaces
            ``model_name_or_path``. Defaults to None.
        model_name_or_path: Hub id, manifest name or folder, or a ready ``CLIPModel``. Defaults to the class's
            ``default_model``.
        processor: The processor (tokenizer) or where to load it. Defaults to None (the model's folder).
        revision: Hub revision. Defaults to None (the manifest's pin).
        frame_batch_size: Frames per image-encoder pass; frames of several videos share a pass. Defaults to 32.
        device: See :class:`~aigve.core.base_metric.BaseVideoMetric`. Defaults to ``'auto'``.
        collect_device: Defaults to ``'cpu'``.
        prefix: Defaults to the class's ``default_prefix``.
    """

    pil_transform: bool = False

    def __init__(self, model_path: str | None = None, model_name_or_path: str | nn.Module | None = None,
                 processor: str | Any | None = None, revision: str | None = None, frame_batch_size: int = 32,
                 device: str = 'auto', collect_device: str = 'cpu', prefix: str | None = None) -> None:
        super().__init__(model_name_or_path=model_name_or_path, processor=processor, model_path=model_path,
                         revision=revision, num_frames=None, frame_batch_size=frame_batch_size, device=device,
                         collect_device=collect_device, prefix=prefix)
        self.image_size = int(self.model.config.vision_config.image_size)
        kind = 'clip_transform_Image (PIL bicubic)' if self.pil_transform else \
            'clip_transform (bicubic, antialias=False, on float frames)'
        self.protocol.update(image_processor=f'VBench {kind} at {self.image_size}', frames='all given')

    def pixel_values(self, frames: list[torch.Tensor]) -> torch.Tensor:
        """VBench-preprocessed ``(B, 3, S, S)`` float32 pixels of uint8 frames, on the metric's device."""
        if self.pil_transform:
            return encode_by_size(frames, lambda x: clip_transform_image(x, self.image_size)).to(self.device)
        return encode_by_size(frames, lambda x: clip_transform(x.to(self.device), self.image_size))


__all__ = [
    'CLIP_MEAN',
    'CLIP_STD',
    'IMAGENET_MEAN',
    'IMAGENET_STD',
    'FrameWeightedMetric',
    'VBenchCLIPMetric',
    'check_positive_int',
    'clip_transform',
    'clip_transform_image',
    'consistency_scores',
    'dino_transform',
    'consistency_record',
    'embed_videos',
    'encode_by_size',
    'frame_weighted_mean',
    'resize_short_side',
    'scorable_videos',
]
