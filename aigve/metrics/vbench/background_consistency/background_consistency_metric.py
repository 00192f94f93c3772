"""``BackgroundConsistency``: VBench's CLIP frame-to-frame and frame-to-first consistency, frame-weighted."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aigve.registry import METRICS

from ...text_video.hf_common import merge_verdicts
from .._common import FrameWeightedMetric, VBenchCLIPMetric, consistency_record


@METRICS.register_module()
class BackgroundConsistency(FrameWeightedMetric, VBenchCLIPMetric):
    r"""VBench background consistency: CLIP ViT-B/32 image-feature similarity to the previous and the first frame.

    .. math::
        s_i = \tfrac12\left(\max(0, \cos(f_{i-1}, f_i)) + \max(0, \cos(f_0, f_i))\right),\quad
        \text{video} = \frac{1}{T-1}\sum_{i=1}^{T-1} s_i,\quad
        \text{aggregate} = \frac{\sum_v \sum_i s_{v,i}}{\sum_v (T_v - 1)}

    ``f_i`` is CLIP's projected image embedding (``get_image_features``) of frame ``i`` after VBench's tensor
    ``clip_transform`` (short side 224, bicubic, no antialias, on float frames; centre crop; CLIP
    normalisation).

    Inputs:
        Generated videos ``(T, 3, H, W)`` uint8 RGB, any size, ``T >= 2``; every frame the pipeline gives is
        used (VBench reads all frames). A video with fewer than 2 frames is listed as a failure.

    Per-video scores: ``background_consistency`` in [0, 1] and ``num_pairs`` (``T - 1``). The aggregate is
    frame-weighted, as VBench computes it (in one process and across processes alike); ``num_pairs`` is
    reported summed.

    The arguments are those of :class:`~aigve.metrics.vbench._common.VBenchCLIPMetric`; the model defaults to
    ``'openai/clip-vit-base-patch32'``.

    Examples:
        >>> metric = BackgroundConsistency(model_path='/path/to/clip-vit-base-patch32')  # doctest: +SKIP
        >>> metric.score(video_uint8_tchw)  # doctest: +SKIP
        {'background_consistency': 0.97, 'num_pairs': 15.0}
    """

    default_prefix = 'background_consistency'
    higher_is_better = True
    score_range = (0.0, 1.0)
    default_model = 'openai/clip-vit-base-patch32'
    min_frames = 2
    weight_key = 'num_pairs'

    def score_batch(self, videos: Sequence[Any], samples: Sequence[dict]) -> list:
        """Score each video; all frames of the batch share image-encoder passes."""
        kept, frames, verdicts = self.prepare_videos(videos, samples, need_prompt=False)
        features = self.frame_embeddings(frames)
        return merge_verdicts(verdicts, kept, [consistency_record(f, 'background_consistency') for f in features])
