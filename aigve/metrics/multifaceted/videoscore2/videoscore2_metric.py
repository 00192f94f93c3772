"""``VideoScore2``: TIGER-Lab's generative three-aspect judge (Qwen2.5-VL-7B, think-then-score).

Paper: He et al., "VideoScore2: Think before You Score in Generative Video Evaluation", arXiv:2509.22799. Code:
github.com/TIGER-AI-Lab/VideoScore2 (``vs2_inference.py``, read at e6abe26; the model card runs the same script).
Weights: ``TIGER-Lab/VideoScore2`` (Apache-2.0), stock ``Qwen2_5_VLForConditionalGeneration``.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from mmengine.logging import print_log

from aigve.core.base_metric import BaseVideoMetric, Unscorable
from aigve.registry import METRICS
from aigve.utils.device import resolve_dtype
from aigve.utils.lazy_video import take_frames

from .functional import (
    ASPECTS,
    PROMPT_SHA256,
    ParseFailure,
    build_prompt,
    digit_steps,
    digit_token_ids,
    frame_indices,
    parse_scores,
    resize_shape,
    soft_score,
)

__all__ = ['VideoScore2', 'load_videoscore2', 'StrictLoadError']

#: manifest name of the released checkpoint
CHECKPOINT = 'videoscore2'
PARSE_FAILURE = 'unparseable output'
SOFT_FAILURE = 'soft score unavailable'


class StrictLoadError(RuntimeError):
    """A checkpoint whose keys differ from ``Qwen2_5_VLForConditionalGeneration``'s (missing or unexpected)."""


def load_videoscore2(source: str, *, revision: str | None = None, model_path: str | None = None,
                     dtype: torch.dtype = torch.float32) -> tuple[Any, Any, Any]:
    """Load a VideoScore2 checkpoint (manifest name, hub id or ``save_pretrained`` folder) strictly.

    Returns:
        ``(model, processor, resolved)``: the ``Qwen2_5_VLForConditionalGeneration`` in eval mode, the checkpoint's
        ``AutoProcessor`` (tokenizer, chat template, video processor) and the
        :class:`~aigve.utils.weights.ResolvedWeights` record.

    Raises:
        StrictLoadError: The checkpoint is not a Qwen2.5-VL one, or has missing or unexpected keys.
        WeightsNotFoundError: Offline and not cached (the message names what to download).
    """
    from transformers import AutoConfig, AutoProcessor, Qwen2_5_VLForConditionalGeneration

    from aigve.utils.weights import resolve_weights

    resolved = resolve_weights(source, model_path=model_path, revision=revision)
    config = AutoConfig.from_pretrained(str(resolved.path))
    if config.model_type != 'qwen2_5_vl':
        raise StrictLoadError(f'{resolved.path} is a {config.model_type!r} checkpoint; VideoScore2 is Qwen2.5-VL '
                              "(model_type 'qwen2_5_vl')")
    model, info = Qwen2_5_VLForConditionalGeneration.from_pretrained(str(resolved.path), dtype=dtype,
                                                                     output_loading_info=True)
    bad = {k: v for k, v in info.items() if k in ('missing_keys', 'unexpected_keys', 'mismatched_keys') and v}
    if bad:
        detail = '; '.join(f'{k}: {sorted(map(str, v))[:5]}' for k, v in bad.items())
        raise StrictLoadError(f'{resolved.path} does not load strictly into Qwen2_5_VLForConditionalGeneration '
                              f'({detail})')
    processor = AutoProcessor.from_pretrained(str(resolved.path))
    return model.eval().requires_grad_(False), processor, resolved


@METRICS.register_module()
class VideoScore2(BaseVideoMetric):
    """VideoScore2 (He et al., 2025): visual quality, text alignment and physical consistency from a Qwen2.5-VL judge.

    The model reasons (usually inside ``<think>``) and then states three integer scores from 1 to 5. The
    per-video value of an aspect is, by default, the authors' *soft* score read at the generation step that emitted
    the digit:

    .. math::

        s^{*} \\cdot \\frac{p(s^{*})}{\\sum_{s=1}^{5} p(s)}, \\qquad s^{*} = \\arg\\max_{s \\in 1..5} p(s)

    with ``p(s)`` the softmax probability of digit token ``s`` in the scores ``generate`` reports for that step
    (after temperature, as upstream). ``score='hard'`` reports the parsed integer instead.

    Inputs:
        Generated videos ``(T, C, H, W)`` uint8 RGB, their prompts and their frame rate (``fps`` of the sample;
        ``fallback_fps`` when the dataset gives none). Frames: qwen-vl-utils' rule at ``fps`` 2.0 (``n = T / fps_video
        * 2`` clamped to [4, 768] and even, ``linspace(0, T - 1, n).round()``), resized as qwen-vl-utils does
        (``smart_resize`` to multiples of 28, at most 768 x 28 x 28 pixels, bicubic with antialias), then the
        checkpoint's video processor (no second resize); the authors' prompt (:mod:`.functional`) after the
        video in one user turn of the checkpoint's chat template.

    Per-video scores: ``visual_quality``, ``text_to_video_alignment``, ``physical_consistency`` (soft: [0.2, 5];
    hard: 1-5). Aggregates: the mean of each over the scored videos. An answer without a readable 1-5 score for
    every aspect is a counted failure (``Unscorable`` with the reason; ``protocol['parse_failures']``), never a
    guess.

    Args:
        model_name_or_path: Another checkpoint (hub id or ``save_pretrained`` folder) of the same layout.
            Defaults to None (``TIGER-Lab/VideoScore2`` from the manifest).
        model_path: A local folder holding the released checkpoint. Defaults to None.
        revision: Hub revision, overriding the manifest's. Defaults to None.
        fps: Frames per second sampled from each video (the authors: 2.0). Defaults to 2.0.
        fallback_fps: Frame rate assumed for a video whose rate is unknown; None makes such a video a failure.
            Defaults to None.
        do_sample: Sample as the authors do; False decodes greedily (deterministic, a deviation). Defaults to True.
        temperature: Sampling temperature (the authors: 0.7). Defaults to 0.7.
        max_new_tokens: Generation budget (the authors: 1024). Defaults to 1024.
        seed: Seed set before every video's generation (so a video's result does not depend on its position);
            None leaves the global generator as it is (not reproducible). Defaults to 0.
        score: ``'soft'`` (the authors' soft score) or ``'hard'`` (the parsed integer). Defaults to ``'soft'``.
        dtype: ``'auto'`` (bf16 on CUDA, as the authors' GPU runs, fp32 on CPU), ``'float32'``, ``'bfloat16'`` or
            ``'float16'``. Defaults to ``'auto'``.
        device: Defaults to ``'auto'``.
        prefix: Defaults to ``'videoscore2'``.

    Raises:
        ValueError: A bad argument.
        StrictLoadError: The checkpoint does not load strictly.
        WeightsNotFoundError: Offline and the checkpoint is not cached.

    Examples:
        >>> from aigve.metrics.multifaceted.videoscore2.functional import parse_scores
        >>> parse_scores('<think>Sharp frames.</think>visual quality: 4; text-to-video alignment: 3/5, '
        ...              'physical/common-sense consistency: 4').scores['text_to_video_alignment']
        3
    """

    default_prefix = 'videoscore2'
    higher_is_better = True
    score_range = (0.2, 5.0)  # soft: s* x p(s*) / sum p >= 1 x 1/5; hard: 1-5
    needs_prompt = True
    streams_frames = True  # only the sampled frames are decoded

    def __init__(self, model_name_or_path: str | None = None, model_path: str | None = None,
                 revision: str | None = None, fps: float = 2.0, fallback_fps: float | None = None,
                 do_sample: bool = True, temperature: float = 0.7, max_new_tokens: int = 1024,
                 seed: int | None = 0, score: str = 'soft', dtype: str = 'auto', device: str = 'auto',
                 collect_device: str = 'cpu', prefix: str | None = None) -> None:
        super().__init__(device=device, collect_device=collect_device, prefix=prefix)
        for name, value in (('fps', fps), ('fallback_fps', fallback_fps), ('temperature', temperature)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0):
                raise ValueError(f'`{name}` must be a positive number, but got {value!r}; check `val_evaluator`')
        if isinstance(max_new_tokens, bool) or not isinstance(max_new_tokens, int) or max_new_tokens < 1:
            raise ValueError(f'`max_new_tokens` must be a positive int, but got {max_new_tokens!r}')
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise ValueError(f'`seed` must be an int or None, but got {seed!r}')
        if score not in ('soft', 'hard'):
            raise ValueError(f"`score` must be 'soft' or 'hard', but got {score!r}")
        self.dtype = resolve_dtype(dtype, self.device)
        self.fps, self.fallback_fps = float(fps), fallback_fps
        self.do_sample, self.temperature, self.max_new_tokens = bool(do_sample), float(temperature), max_new_tokens
        self.seed, self.score_kind = seed, score
        #: video -> the model's full answer of the last run (for reading its reasoning or a parse failure)
        self.generations: dict[str, str] = {}

        model, processor, resolved = load_videoscore2(model_name_or_path or CHECKPOINT, revision=revision,
                                                      model_path=model_path, dtype=self.dtype)
        self.model = model.to(self.device)
        self.processor = processor
        self.tokenizer = processor.tokenizer
        self.digit_ids = digit_token_ids(lambda s: self.tokenizer.encode(s, add_special_tokens=False))
        self.record_weights(resolved)
        generation = self.model.generation_config
        self.protocol.update(
            checkpoint=resolved.name, revision=resolved.revision, dtype=str(self.dtype).removeprefix('torch.'),
            prompt_sha256=PROMPT_SHA256, fps=self.fps, fallback_fps=fallback_fps,
            frame_rule='qwen-vl-utils: n = T / video_fps * fps in [4, 768], even; linspace(0, T - 1, n).round(); '
                       'smart_resize (28 px, <= 768*28*28 px), bicubic antialias',
            sampling=dict(do_sample=self.do_sample, temperature=self.temperature if self.do_sample else None,
                          max_new_tokens=max_new_tokens, seed=seed, seed_scope='reset before every video',
                          checkpoint_generation_config={k: getattr(generation, k, None) for k in (
                              'top_k', 'top_p', 'repetition_penalty')}),
            score=score, soft_score='s* x p(s*) / sum_{s=1..5} p(s) at the digit step, s* = argmax p(s)',
            parse_failures=0, soft_score_failures=0)
        print_log(f'VideoScore2: {resolved.name} on {self.device} in {self.protocol["dtype"]}, '
                  f'do_sample={self.do_sample}, seed={seed}', logger='current')

    # ------------------------------------------------------------------------------------------------ inputs
    def video_inputs(self, video: Any, video_fps: float) -> torch.Tensor:
        """The frames the model sees: ``(n, 3, h, w)`` float (0-255) after qwen-vl-utils' sampling and resize."""
        from torchvision.transforms import InterpolationMode
        from torchvision.transforms.functional import resize

        total = int(video.shape[0])
        frames = take_frames(video, frame_indices(total, video_fps, self.fps))
        height, width = resize_shape(int(frames.shape[-2]), int(frames.shape[-1]), int(frames.shape[0]))
        return resize(frames, [height, width], interpolation=InterpolationMode.BICUBIC, antialias=True).float()

    def chat_text(self, t2v_prompt: str, video_name: str = 'video') -> str:
        """The checkpoint's chat template over one user turn: the video, then the authors' prompt."""
        messages = [{'role': 'user', 'content': [
            {'type': 'video', 'video': video_name, 'fps': self.fps},
            {'type': 'text', 'text': build_prompt(t2v_prompt)},
        ]}]
        return self.processor.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)

    def model_inputs(self, text: str, frames: torch.Tensor) -> dict:
        """Processor outputs on the device; the video's time step is ``temporal_patch_size / fps`` as upstream."""
        from transformers.video_utils import VideoMetadata

        n = int(frames.shape[0])
        metadata = VideoMetadata(total_num_frames=n, fps=self.fps, frames_indices=list(range(n)))
        inputs = self.processor(text=[text], videos=[frames], video_metadata=[metadata], do_resize=False,
                                do_sample_frames=False, cap_pixels_per_frame=False, padding=True,
                                return_tensors='pt')
        inputs = {k: v.to(self.device) if torch.is_tensor(v) else v for k, v in inputs.items()}
        inputs['pixel_values_videos'] = inputs['pixel_values_videos'].to(self.dtype)
        return inputs

    # ------------------------------------------------------------------------------------------- generation
    def generate(self, inputs: dict) -> tuple[list[int], tuple]:
        """Generated token ids and the per-step scores of one request, under :attr:`seed`."""
        kwargs: dict[str, Any] = dict(max_new_tokens=self.max_new_tokens, do_sample=self.do_sample,
                                      output_scores=True, return_dict_in_generate=True)
        if self.do_sample:
            kwargs['temperature'] = self.temperature
        devices = [] if self.device.type != 'cuda' else [
            self.device.index if self.device.index is not None else torch.cuda.current_device()]
        with torch.random.fork_rng(devices=devices):
            if self.seed is not None:
                torch.manual_seed(self.seed)
            out = self.model.generate(**inputs, **kwargs)
        start = inputs['input_ids'].shape[1]
        return out.sequences[0, start:].tolist(), out.scores

    def read_scores(self, gen_ids: list[int], step_scores: tuple) -> dict[str, float] | Unscorable:
        """Parse the answer and compute the requested kind of score (or say why not)."""
        text = self.tokenizer.decode(gen_ids, skip_special_tokens=False)
        parsed = parse_scores(text)
        if isinstance(parsed, ParseFailure):
            stopped = ' (stopped at max_new_tokens)' if len(gen_ids) >= self.max_new_tokens else ''
            return Unscorable(f'{PARSE_FAILURE}{stopped}: {parsed.reason}')
        if self.score_kind == 'hard':
            return {a: float(parsed.scores[a]) for a in ASPECTS}
        if not self.digit_ids:
            return Unscorable(f'{SOFT_FAILURE}: no digit 1-5 is a single token of this tokenizer')
        steps = digit_steps(parsed.offsets, len(gen_ids),
                            lambda n: self.tokenizer.decode(gen_ids[:n], skip_special_tokens=False), text)
        missing = [a for a in ASPECTS if steps[a] is None]
        if missing:
            return Unscorable(f'{SOFT_FAILURE}: the digit of {", ".join(missing)} is not a token of its own')
        soft = {a: soft_score(step_scores[steps[a]][0], self.digit_ids) for a in ASPECTS}
        zero = [a for a, v in soft.items() if v is None]
        if zero:
            return Unscorable(f'{SOFT_FAILURE}: no digit 1-5 has any probability at the step of {", ".join(zero)}')
        return soft

    def score_batch(self, videos: Sequence[Any], samples: Sequence[dict]) -> list:
        verdicts: list[Any] = []
        for video, sample in zip(videos, samples):
            verdicts.append(self._score_one(video, sample))
        return verdicts

    def _score_one(self, video: Any, sample: dict) -> dict[str, float] | Unscorable:
        prompt = sample.get('prompt')
        if not prompt:
            return Unscorable('needs a text prompt (prompt_gt in the annotation)')
        video_fps = sample.get('fps') or self.fallback_fps
        if not video_fps:
            return Unscorable(f'needs the video\'s frame rate to sample {self.fps:g} frames per second '
                              '(set `fallback_fps` when the dataset gives none)')
        try:
            frames = self.video_inputs(video, float(video_fps))
        except ValueError as e:
            return Unscorable(str(e))
        name = str(sample.get('video', 'video'))
        gen_ids, step_scores = self.generate(self.model_inputs(self.chat_text(prompt, name), frames))
        self.generations[name] = self.tokenizer.decode(gen_ids, skip_special_tokens=True)
        return self.read_scores(gen_ids, step_scores)

    def compute_metrics(self, results: list) -> dict[str, float]:
        """Means over the scored videos; the parse and soft-score failures are counted in ``protocol``."""
        reasons = [r['failure'] for r in results if 'failure' in r]
        self.protocol['parse_failures'] = sum(r.startswith(PARSE_FAILURE) for r in reasons)
        self.protocol['soft_score_failures'] = sum(r.startswith(SOFT_FAILURE) for r in reasons)
        return super().compute_metrics(results)
