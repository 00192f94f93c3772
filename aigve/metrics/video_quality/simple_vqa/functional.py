"""SimpleVQA: the frame/clip sampling and pooling around the network.

Paper: Wei Sun, Xiongkuo Min, Wei Lu, Guangtao Zhai, "A Deep Learning based No-reference Quality Assessment
Model for UGC Videos", ACM MM 2022 (arXiv 2204.14047). Repository: https://github.com/sunwei925/SimpleVQA
(Apache-2.0): ``model/UGC_BVQA_model.py`` (``resnet50``) and ``test_demo.py`` (sampling, preprocessing,
``slowfast``). The network (:class:`~.network.SimpleVQANet`) is in :mod:`.network`.

Per second ``i`` of the video (``fps`` rounded to an integer, ``n = floor(T / fps)`` seconds):

* key frame ``i * fps`` -> Resize(520) -> CenterCrop(448) -> ImageNet normalisation -> ResNet-50; global
  mean and unbiased std of ``layer2``, ``layer3``, ``layer4`` (2 x (512 + 1024 + 2048) = 7168 dims);
* the 32 frames from ``i * fps`` (past the end: the last frame repeated) -> 224x224 -> mean 0.45 / std
  0.225 -> SlowFast-R50 -> 2304 dims;
* ``quality`` = Linear(9472, 128) -> Linear(128, 1) on the concatenation; the video score is the mean
  over seconds. Both lists are padded to at least 8 seconds by repeating the last entry (the original
  frame extractor's ``video_length_min = 8``; training used exactly 8 seconds).
"""
from __future__ import annotations

__all__ = ['SPATIAL_FEATURE_DIM', 'key_frame_indices', 'motion_clip_indices', 'seconds_in_video']

#: 2 x (512 + 1024 + 2048).
SPATIAL_FEATURE_DIM = 7168


def seconds_in_video(num_frames: int, fps: int) -> int:
    """Whole seconds ``floor(num_frames / fps)``, at least 1 (a video shorter than a second keeps frame 0).

    Examples:
        >>> seconds_in_video(250, 25), seconds_in_video(10, 25)
        (10, 1)
    """
    if num_frames < 1 or fps < 1:
        raise ValueError(f'`num_frames` and `fps` must be >= 1, but got {num_frames} and {fps}')
    return max(1, num_frames // fps)


def key_frame_indices(num_frames: int, fps: int, min_seconds: int = 8) -> list[int]:
    """Key frame ``i * fps`` for every second, padded to ``min_seconds`` with the last one.

    Examples:
        >>> key_frame_indices(100, 25, 6)
        [0, 25, 50, 75, 75, 75]
    """
    seconds = seconds_in_video(num_frames, fps)
    idx = [i * fps for i in range(seconds)]
    return idx + [idx[-1]] * max(0, min_seconds - len(idx))


def motion_clip_indices(num_frames: int, fps: int, clip_len: int = 32, min_seconds: int = 8) -> list[list[int]]:
    """Frame indices of the clip of every second: ``clip_len`` frames from ``i * fps``, the last frame of
    the video repeated past its end; padded to ``min_seconds`` clips with the last clip.

    Examples:
        >>> motion_clip_indices(5, 2, clip_len=4, min_seconds=3)
        [[0, 1, 2, 3], [2, 3, 4, 4], [2, 3, 4, 4]]
    """
    seconds = seconds_in_video(num_frames, fps)
    clips = [[min(i * fps + j, num_frames - 1) for j in range(clip_len)] for i in range(seconds)]
    return clips + [clips[-1]] * max(0, min_seconds - len(clips))
