"""``VideoScore``: TIGER-Lab's five-aspect regression judge (Idefics2-8B), loaded strictly from their checkpoints."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from mmengine.logging import print_log

from aigve.core.base_metric import BaseVideoMetric, Unscorable
from aigve.registry import METRICS
from aigve.utils.device import resolve_dtype
from aigve.utils.frames import select_frames
from aigve.utils.lazy_video import materialize, subset

from .functional import ASPECTS, PROMPT_SHA256, build_prompt

#: version -> (manifest name of the checkpoint, frames the authors feed it)
VERSIONS = {'v1.1': ('videoscore-v1.1', 48), 'v1': ('videoscore-v1', 16)}


def _pil_frames(video: torch.Tensor) -> list:
    from PIL import Image

    return [Image.fromarray(frame.permute(1, 2, 0).contiguous().numpy()) for frame in video]


@METRICS.register_module()
class VideoScore(BaseVideoMetric):
    """VideoScore (He et al., EMNLP 2024): five regression scores from a fine-tuned Idefics2-8B.

    Inputs:
        Generated videos ``(T, C, H, W)`` uint8 RGB and their prompts. Frames: all of them when ``T`` is at most
        ``num_frames``, else ``np.arange(0, T, T / num_frames).astype(int)`` (the authors' rule, on the decoded
        frame count). Each frame is one ``<image>`` of the authors' prompt (:mod:`.functional`), processed by
        the checkpoint's ``Idefics2Processor`` (no image splitting; 64 tokens per frame).

    Per-video scores, in the checkpoints' order: ``visual_quality``, ``temporal_consistency``,
    ``dynamic_degree``, ``text_to_video_alignment``, ``factual_consistency``; nominal range [1, 4], unclipped
    (regression outputs; ``clip_scores=True`` clips to [1, 4]). Aggregates: the mean of each aspect over
    videos.

    Args:
        version: ``'v1.1'`` (``TIGER-Lab/VideoScore-v1.1``, 48 frames) or ``'v1'`` (``TIGER-Lab/VideoScore``,
            16 frames). Defaults to ``'v1.1'``.
        model_name_or_path: Another checkpoint (hub id or ``save_pretrained`` folder) of the same layout.
            Defaults to None (the version's pinned checkpoint).
        model_path: A local folder holding the version's checkpoint. Defaults to None.
        revision: Hub revision, overriding the manifest's pin. Defaults to None.
        num_frames: Most frames per video. Defaults to None (the version's: 48 or 16).
        videos_per_batch: Videos per forward pass (padded together). Defaults to 1.
        dtype: ``'auto'`` (bf16 on CUDA as the authors ran it, fp32 on CPU), ``'float32'``, ``'bfloat16'`` or
            ``'float16'``. Defaults to ``'auto'``.
        clip_scores: Clip each score to [1, 4]. Defaults to False.
        device: Defaults to ``'auto'``.
        prefix: Defaults to ``'videoscore'``.
    """

    default_prefix = 'videoscore'
    higher_is_better = True
    score_range = (1.0, 4.0)
    needs_prompt = True

    def __init__(self, version: str = 'v1.1', model_name_or_path: str | None = None, model_path: str | None = None,
                 revision: str | None = None, num_frames: int | None = None, videos_per_batch: int = 1,
                 dtype: str = 'auto', clip_scores: bool = False, device: str = 'auto',
                 collect_device: str = 'cpu', prefix: str | None = None) -> None:
        super().__init__(device=device, collect_device=collect_device, prefix=prefix)
        if version not in VERSIONS:
            raise ValueError(f'`version` must be one of {sorted(VERSIONS)}, but got {version!r}')
        for name, value in (('num_frames', num_frames), ('videos_per_batch', videos_per_batch)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                raise ValueError(f'`{name}` must be a positive int, but got {value!r}; check `val_evaluator`')
        self.dtype = resolve_dtype(dtype, self.device)
        checkpoint, default_frames = VERSIONS[version]
        self.num_frames = num_frames or default_frames
        self.videos_per_batch = videos_per_batch
        self.clip_scores = clip_scores

        from aigve.models.videoscore import load_videoscore

        model, processor, resolved = load_videoscore(model_name_or_path or checkpoint, revision=revision,
                                                     model_path=model_path, dtype=self.dtype)
        self.model = model.to(self.device)
        self.processor = self._pil_processor(processor)
        self.record_weights(resolved)
        self.protocol.update(version=version, checkpoint=resolved.name, revision=resolved.revision,
                             num_frames=self.num_frames, frame_rule='np.arange(0, T, T / num_frames)',
                             prompt_sha256=PROMPT_SHA256, dtype=str(self.dtype).removeprefix('torch.'),
                             image_processor=type(self.processor.image_processor).__name__,
                             clipped=clip_scores)
        print_log(f'VideoScore: {resolved.name} on {self.device} in {self.protocol["dtype"]}', logger='current')

    @staticmethod
    def _pil_processor(processor: Any) -> Any:
        """The checkpoint's processor with the PIL image backend (closest to the authors' numerics)."""
        from transformers.models.idefics2 import Idefics2ImageProcessorPil, Idefics2Processor

        image_processor = processor.image_processor
        if isinstance(image_processor, Idefics2ImageProcessorPil):
            return processor
        settings = {k: getattr(image_processor, k) for k in (
            'do_convert_rgb', 'do_resize', 'size', 'resample', 'do_rescale', 'rescale_factor', 'do_normalize',
            'image_mean', 'image_std', 'do_pad', 'do_image_splitting') if hasattr(image_processor, k)}
        return Idefics2Processor(image_processor=Idefics2ImageProcessorPil(**settings),
                                 tokenizer=processor.tokenizer, image_seq_len=processor.image_seq_len)

    def score_batch(self, videos: Sequence[torch.Tensor], samples: Sequence[dict]) -> list:
        verdicts: list[Any] = [None] * len(videos)
        ready: list[tuple[int, str, list]] = []
        for i, (video, sample) in enumerate(zip(videos, samples)):
            prompt = sample.get('prompt')
            if not prompt:
                verdicts[i] = Unscorable('needs a text prompt (prompt_gt in the annotation)')
                continue
            total = int(video.shape[0])
            if total < 1:
                verdicts[i] = Unscorable('the video has no frames')
                continue
            frames = materialize(subset(video, select_frames(total, num_frames=self.num_frames, strategy='arange')))
            ready.append((i, build_prompt(prompt, int(frames.shape[0])), _pil_frames(frames)))
        for start in range(0, len(ready), self.videos_per_batch):
            chunk = ready[start:start + self.videos_per_batch]
            for (i, _, _), row in zip(chunk, self.regress([t for _, t, _ in chunk], [f for _, _, f in chunk])):
                values = row.clamp(1.0, 4.0) if self.clip_scores else row
                verdicts[i] = dict(zip(ASPECTS, values.tolist()))
        return verdicts

    def regress(self, texts: list[str], frames: list[list]) -> torch.Tensor:
        """The five raw outputs for each (prompt text, frames) pair, ``(len(texts), 5)`` float32 on the CPU."""
        inputs = self.processor(text=texts, images=frames, padding=True, return_tensors='pt')
        inputs = {k: v.to(self.device) for k, v in inputs.items()}
        inputs['pixel_values'] = inputs['pixel_values'].to(self.dtype)
        keep = ('input_ids', 'attention_mask', 'pixel_values', 'pixel_attention_mask')
        return self.model(**{k: inputs[k] for k in keep if k in inputs}).float().cpu()
