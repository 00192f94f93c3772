"""Light-VQA: pure feature steps (key frames, motion clips, brightness, noise, brightness consistency).

Paper: Yunlong Dong, Xiaohong Liu, Yixuan Gao, Xunchu Zhou, Tao Tan, Guangtao Zhai, "Light-VQA: A
Multi-Dimensional Quality Assessment Model for Low-Light Video Enhancement", ACM MM 2023 (arXiv 2305.09512).
Code: github.com/wenzhouyidu/Light-VQA (no license file). Written anew from the facts of that code, stated
in ``docs/metrics/light_vqa.md``:

* key frames (``extract_key_frames.py``): 8 reads of a sequential decoder, one per loop step where
  ``i % floor(T / 8) == 0``; each read returns the *next* frame, so the frames used are 0..7;
* Swin input (``my_dataloader.VideoDataset_spatio_temporal_brightness``, ``test.py``): 512 x 960, ImageNet
  normalised;
* motion (``my_dataloader.VideoDataset_extract_temporal_feature``): clip ``i`` = 32 frames from
  ``i * fps`` (last frame repeated), ``int(T / fps)`` clips (10 when fps is 0), the last repeated up to 8;
  the model reads clips 0..7 (the first 8 s); frames 224 x 224, mean 0.45 / std 0.225;
* brightness and noise (``final_fusion_model.SwinTransformer.forward``): on the channel mean of the
  normalised key frame;
* brightness consistency (``brightness_consistency.py``): per-frame 144 block means of the grey frame at
  720 x 1280, variance over each eighth of the video, x10 (``my_dataloader``).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = [
    'BC_DIM', 'BRIGHT_NOISE_DIM', 'GREY_MEAN', 'GREY_STD', 'MOTION_DIM', 'NUM_CLIPS', 'SWIN_SIZE', 'BC_SIZE',
    'bright_noise_features', 'brightness_consistency', 'grey_block_means', 'key_frame_indices',
    'motion_clip_indices',
]

NUM_CLIPS = 8
#: Swin input (height, width) of the key frames.
SWIN_SIZE = (512, 960)
#: Grey-frame size of the brightness-consistency blocks.
BC_SIZE = (720, 1280)
#: 64 brightness + 64 noise values per key frame.
BRIGHT_NOISE_DIM = 128
#: 144 brightness-consistency values per clip.
BC_DIM = 144
#: SlowFast-R50 pooled width (slow 2048 + fast 256).
MOTION_DIM = 2304
#: ``transforms.Normalize(mean=[0.485], std=[0.229])`` of the grey frames.
GREY_MEAN, GREY_STD = 0.485, 0.229
#: PIL ``convert('L')`` weights (ITU-R 601-2).
_LUMA = (0.299, 0.587, 0.114)


def key_frame_indices(num_frames: int, mode: str = 'released', n: int = NUM_CLIPS) -> list[int]:
    """The 8 key frames.

    ``'released'``: what the released extraction reads (frames ``0..7``; the decoder advances one frame per
    read). ``'intended'``: ``i * floor(T / 8)``, what its loop condition aims at. Videos shorter than 8 frames
    (the original divides by zero) repeat their last frame.

    Examples:
        >>> key_frame_indices(100), key_frame_indices(100, 'intended'), key_frame_indices(3)
        ([0, 1, 2, 3, 4, 5, 6, 7], [0, 12, 24, 36, 48, 60, 72, 84], [0, 1, 2, 2, 2, 2, 2, 2])
    """
    if num_frames < 1:
        raise ValueError(f'`num_frames` must be >= 1, but got {num_frames}')
    if mode == 'released':
        step = 1
    elif mode == 'intended':
        step = max(1, num_frames // n)
    else:
        raise ValueError(f"`mode` must be 'released' or 'intended', but got {mode!r}")
    return [min(i * step, num_frames - 1) for i in range(n)]


def motion_clip_indices(num_frames: int, fps: int, clip_len: int = 32, n: int = NUM_CLIPS) -> list[list[int]]:
    """Frame indices of the per-second motion clips over the first ``n`` seconds.

    Clip ``i`` starts at ``i * fps`` and takes ``clip_len`` frames, the last available frame repeated past the
    end; there are ``int(T / fps)`` clips (10 when ``fps`` is 0), the last repeated up to ``n``, and the first
    ``n`` are used. A video shorter than one second (the original fails) gets one clip from frame 0.

    Examples:
        >>> [c[0] for c in motion_clip_indices(250, 25)], motion_clip_indices(3, 25, 4, 2)
        ([0, 25, 50, 75, 100, 125, 150, 175], [[0, 1, 2, 2], [0, 1, 2, 2]])
    """
    if num_frames < 1:
        raise ValueError(f'`num_frames` must be >= 1, but got {num_frames}')
    if fps < 0:
        raise ValueError(f'`fps` must be >= 0, but got {fps}')
    count = 10 if fps == 0 else num_frames // fps
    count = max(count, 1)
    clips = []
    for i in range(count):
        start = min(i * fps, num_frames - 1)
        clips.append([min(start + j, num_frames - 1) for j in range(clip_len)])
    clips += [clips[-1]] * max(0, n - count)
    return clips[:n]


def bright_noise_features(frames: torch.Tensor) -> torch.Tensor:
    """Brightness (64) and noise (64) features of ``(K, 3, 512, 960)`` normalised frames -> ``(K, 128)``.

    ``g`` = channel mean. Brightness: max over 16 x 15 blocks (a 32 x 64 grid), mean over the 32 rows, / 10.
    Noise: ``g`` read in raster order as 32 x 64 runs of 240 consecutive pixels, unbiased variance of each
    run, mean over the 32.
    """
    if frames.dim() != 4 or tuple(frames.shape[1:]) != (3, *SWIN_SIZE):
        raise ValueError(f'`frames` must be (K, 3, {SWIN_SIZE[0]}, {SWIN_SIZE[1]}), but got {tuple(frames.shape)}')
    grey = frames.mean(dim=1)
    bright = F.max_pool2d(grey.unsqueeze(1), (16, 15)).squeeze(1).mean(dim=1) / 10
    noise = grey.reshape(-1, 32, 64, 240).var(dim=-1, unbiased=True).mean(dim=1)
    return torch.cat([bright, noise], dim=1)


def grey_block_means(frames: torch.Tensor) -> torch.Tensor:
    """``(N, 3, 720, 1280)`` RGB in [0, 1] -> ``(N, 144)``: means of 144 raster runs of 6400 normalised grey values."""
    if frames.dim() != 4 or tuple(frames.shape[1:]) != (3, *BC_SIZE):
        raise ValueError(f'`frames` must be (N, 3, {BC_SIZE[0]}, {BC_SIZE[1]}), but got {tuple(frames.shape)}')
    w = frames.new_tensor(_LUMA).view(1, 3, 1, 1)
    grey = ((frames * w).sum(dim=1) - GREY_MEAN) / GREY_STD
    return grey.reshape(frames.shape[0], BC_DIM, -1).mean(dim=-1)


def brightness_consistency(block_means: torch.Tensor, n: int = NUM_CLIPS) -> torch.Tensor:
    """``(T, 144)`` per-frame block means -> ``(n, 144)``: x10 the unbiased variance over each ``n``-th of the video.

    The first ``n * floor(T / n)`` frames are cut into ``n`` consecutive groups. Groups of one frame (and
    videos shorter than ``n`` frames), where the original gives NaN or fails, give 0.
    """
    t = block_means.shape[0]
    per = t // n
    if per < 2:
        return block_means.new_zeros(n, block_means.shape[1])
    groups = block_means[:n * per].reshape(n, per, -1)
    return groups.var(dim=1, unbiased=True) * 10
