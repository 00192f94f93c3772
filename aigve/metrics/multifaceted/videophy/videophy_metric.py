"""``VideoPhy`` (VideoCon-Physics) and ``VideoPhy2`` (VideoPhy-2 AutoEval): physics judges on mPLUG-Owl-video."""
from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from mmengine.logging import print_log

from aigve.core.base_metric import BaseVideoMetric, Unscorable
from aigve.registry import METRICS
from aigve.utils.device import resolve_dtype
from aigve.utils.frames import select_frames
from aigve.utils.lazy_video import materialize, subset

from .functional import (
    PROMPT_PC_V1,
    PROMPT_PC_V2,
    PROMPT_RULE_V2,
    PROMPT_SA_V1,
    PROMPT_SA_V2,
    PROMPT_SHA256_PREFIXES,
    V1_DELIMITERS,
    V2_DELIMITERS,
    entailment,
    fill,
    parse_rating,
    tokenize_prompt,
)

#: CLIP's normalisation (the checkpoints' ``preprocessor_config.json`` values when it gives none)
CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)


class _MplugOwlJudge(BaseVideoMetric):
    """Loading, frames and prompt plumbing shared by :class:`VideoPhy` and :class:`VideoPhy2`."""

    default_checkpoint = ''
    needs_prompt = True

    def __init__(self, model_name_or_path: str | None = None, model_path: str | None = None,
                 revision: str | None = None, num_frames: int = 32, videos_per_batch: int = 4, dtype: str = 'auto',
                 device: str = 'auto', collect_device: str = 'cpu', prefix: str | None = None) -> None:
        super().__init__(device=device, collect_device=collect_device, prefix=prefix)
        for name, value in (('num_frames', num_frames), ('videos_per_batch', videos_per_batch)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f'`{name}` must be a positive int, but got {value!r}; check `val_evaluator`')
        self.dtype = resolve_dtype(dtype, self.device)
        self.num_frames = num_frames
        self.videos_per_batch = videos_per_batch

        from transformers import AutoTokenizer

        from aigve.models.mplug_owl_video import load_mplug_owl_video
        from aigve.utils.weights import resolve_weights

        resolved = resolve_weights(model_name_or_path or self.default_checkpoint, model_path=model_path,
                                   revision=revision)
        folder = Path(resolved.path)
        self.model = load_mplug_owl_video(folder, dtype=self.dtype).to(self.device)
        self.tokenizer = AutoTokenizer.from_pretrained(str(folder))
        self.size, self.mean, self.std = self._preprocessing(folder)
        self.record_weights(resolved)
        self.protocol.update(checkpoint=resolved.name, revision=resolved.revision, num_frames=num_frames,
                             frame_rule='int(seg/2) + round(seg*k), seg=(T-1)/num_frames', resize=self.size,
                             dtype=str(self.dtype).removeprefix('torch.'))
        print_log(f'{type(self).__name__}: {resolved.name} on {self.device} in {self.protocol["dtype"]}',
                  logger='current')

    @staticmethod
    def _preprocessing(folder: Path) -> tuple[int, tuple, tuple]:
        path = folder / 'preprocessor_config.json'
        cfg = json.loads(path.read_text(encoding='utf-8')) if path.is_file() else {}
        size = cfg.get('crop_size') or cfg.get('resolution') or cfg.get('size') or 224
        if isinstance(size, dict):
            size = size.get('height') or size.get('shortest_edge') or 224
        return int(size), tuple(cfg.get('image_mean', CLIP_MEAN)), tuple(cfg.get('image_std', CLIP_STD))

    def pixel_values(self, video: Any) -> torch.Tensor:
        """``(1, 3, num_frames, size, size)``: the frames at mPLUG-Owl-video's offsets, resized, normalised.

        Upstream has decord resize while decoding (``VideoReader(height=224, width=224)``, aspect not kept); here
        the decoded frames are resized to the square with antialiased bilinear interpolation (a deviation).
        """
        frames = materialize(subset(video, select_frames(int(video.shape[0]), num_frames=self.num_frames,
                                                         strategy='segments')))
        x = F.interpolate(frames.float().to(self.device) / 255.0, size=(self.size, self.size), mode='bilinear',
                          align_corners=False, antialias=True)
        mean = torch.tensor(self.mean, device=self.device).view(1, 3, 1, 1)
        std = torch.tensor(self.std, device=self.device).view(1, 3, 1, 1)
        return ((x - mean) / std).transpose(0, 1).unsqueeze(0).to(self.dtype)

    def encode(self, text: str) -> list[int]:
        return self.tokenizer(text, add_special_tokens=False)['input_ids']

    def prompt_ids(self, prompt: str, delimiters: Sequence[str]) -> list[int]:
        return tokenize_prompt(prompt, self.encode, self.tokenizer.bos_token_id, delimiters)

    def padded(self, rows: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
        """Right-padded ids and their attention mask (a causal model: padding after a row changes nothing in it)."""
        length = max(len(r) for r in rows)
        pad = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else 0
        ids = torch.full((len(rows), length), pad, dtype=torch.long)
        mask = torch.zeros((len(rows), length), dtype=torch.long)
        for i, row in enumerate(rows):
            ids[i, :len(row)] = torch.tensor(row)
            mask[i, :len(row)] = 1
        return ids.to(self.device), mask.to(self.device)

    def prompts_of(self, sample: dict) -> dict[str, str] | Unscorable:
        raise NotImplementedError

    def score_batch(self, videos: Sequence[Any], samples: Sequence[dict]) -> list:
        verdicts: list[Any] = [None] * len(videos)
        ready = []
        for i, (video, sample) in enumerate(zip(videos, samples)):
            prompts = self.prompts_of(sample)
            if isinstance(prompts, Unscorable):
                verdicts[i] = prompts
            elif int(video.shape[0]) < 1:
                verdicts[i] = Unscorable('the video has no frames')
            else:
                ready.append((i, video, prompts))
        for start in range(0, len(ready), self.videos_per_batch):
            chunk = ready[start:start + self.videos_per_batch]
            tokens = self.model.video_tokens(torch.cat([self.pixel_values(v) for _, v, _ in chunk]))
            for (i, _, _), verdict in zip(chunk, self.judge(tokens, [p for _, _, p in chunk])):
                verdicts[i] = verdict
        return verdicts

    def judge(self, video_tokens: torch.Tensor, prompts: list[dict[str, str]]) -> list:
        raise NotImplementedError


@METRICS.register_module()
class VideoPhy(_MplugOwlJudge):
    """VideoPhy (Bansal et al., 2024): VideoCon-Physics' semantic adherence and physical commonsense scores.

    Inputs:
        Generated videos ``(T, C, H, W)`` uint8 RGB and their prompts (the caption of the SA question). 32 frames
        at mPLUG-Owl-video's offsets, resized to 224 x 224, CLIP-normalised; one pass of the vision tower per video
        serves both questions.

    Per-video scores: ``sa`` and ``pc`` = ``P(Yes) / (P(Yes) + P(No))`` at the last prompt token, in [0, 1];
    ``sa_pass``, ``pc_pass`` (1 when above ``threshold``) and ``joint`` (both). Aggregates: their means, i.e. the
    mean scores and the fractions of videos above the threshold (the paper reports those fractions).

    Args:
        threshold: A score above it passes. Defaults to 0.5 (``P(Yes) > P(No)``; the authors' code does not say).
        model_name_or_path: Hub id or folder of the checkpoint. Defaults to the manifest's ``videophy-1``
            (``videophysics/videocon_physics``).
        model_path, revision, num_frames, videos_per_batch, dtype, device, prefix: See :class:`VideoPhy2`.
    """

    default_prefix = 'videophy'
    default_checkpoint = 'videophy-1'
    higher_is_better = True
    score_range = (0.0, 1.0)

    def __init__(self, threshold: float = 0.5, model_name_or_path: str | None = None, model_path: str | None = None,
                 **kwargs: Any) -> None:
        if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not 0 <= threshold <= 1:
            raise ValueError(f'`threshold` must be a number in [0, 1], but got {threshold!r}')
        super().__init__(model_name_or_path=model_name_or_path, model_path=model_path, **kwargs)
        self.threshold = float(threshold)
        self.yes_id = self.encode('Yes')[0]
        self.no_id = self.encode('No')[0]
        self.protocol.update(threshold=self.threshold, score='P(Yes) / (P(Yes) + P(No)) at the last prompt token',
                             prompt_sha256_prefixes={k: PROMPT_SHA256_PREFIXES[k] for k in ('PROMPT_SA_V1',
                                                                                           'PROMPT_PC_V1')})

    def prompts_of(self, sample: dict) -> dict[str, str] | Unscorable:
        caption = sample.get('prompt')
        if not caption:
            return Unscorable('needs a text prompt (prompt_gt in the annotation) for the semantic-adherence question')
        return dict(sa=fill(PROMPT_SA_V1, caption=caption), pc=PROMPT_PC_V1)

    def judge(self, video_tokens: torch.Tensor, prompts: list[dict[str, str]]) -> list:
        rows, owners, tasks = [], [], []
        for j, p in enumerate(prompts):
            for task in ('sa', 'pc'):
                rows.append(self.prompt_ids(p[task], V1_DELIMITERS))
                owners.append(j)
                tasks.append(task)
        ids, mask = self.padded(rows)
        logits = self.model.logits(ids, mask, video_tokens[torch.tensor(owners, device=video_tokens.device)])
        last = mask.sum(dim=1) - 1
        probs = logits[torch.arange(len(rows), device=logits.device), last].float().softmax(dim=-1)
        out: list[dict[str, float]] = [{} for _ in prompts]
        for k, (j, task) in enumerate(zip(owners, tasks)):
            out[j][task] = entailment(float(probs[k, self.yes_id]), float(probs[k, self.no_id]))
        for scores in out:
            scores['sa_pass'] = float(scores['sa'] > self.threshold)
            scores['pc_pass'] = float(scores['pc'] > self.threshold)
            scores['joint'] = scores['sa_pass'] * scores['pc_pass']
        return out


@METRICS.register_module()
class VideoPhy2(_MplugOwlJudge):
    """VideoPhy-2 AutoEval (Bansal et al., 2025): generated 1-5 ratings of semantic adherence and physics.

    Inputs:
        As :class:`VideoPhy`. Each question is answered by greedy generation (upstream: ``do_sample=False``,
        ``max_length=256`` including the prompt) and the reply is read as upstream reads it
        (:func:`~.functional.parse_rating`); a reply with no rating is a counted failure of the video (upstream
        writes 0), never a guessed score. ``tasks`` may add ``'rule'``: the sample's ``meta['rule']`` (list the
        annotation key with the dataset's ``extra_keys=['rule']``) rated 0 (violated), 1 (followed) or 2 (cannot
        be grounded).

    Per-video scores: ``sa`` and ``pc`` in 1..5, ``joint`` = 1 when both are >= 4 (VideoPhy-2's rule), and
    ``rule`` when asked. Aggregates: means (``joint``: the fraction of videos).

    Args:
        tasks: Questions to ask. Defaults to ``('sa', 'pc')``.
        max_length: Prompt plus generated tokens, as upstream. Defaults to 256.
        model_name_or_path: Hub id or folder. Defaults to the manifest's ``videophy-2``
            (``videophysics/videophy_2_auto``).
        model_path: A local folder of the checkpoint. Defaults to None.
        revision: Hub revision. Defaults to None.
        num_frames: Frames per video. Defaults to 32 (upstream's ``--num_frames 32``).
        videos_per_batch: Videos per vision pass. Defaults to 4.
        dtype: ``'auto'`` (bf16 on CUDA as upstream, fp32 on CPU) or a dtype name. Defaults to ``'auto'``.
        device: Defaults to ``'auto'``.
        prefix: Defaults to ``'videophy2'``.
    """

    default_prefix = 'videophy2'
    default_checkpoint = 'videophy-2'
    higher_is_better = True
    score_range = (1.0, 5.0)
    journaled = True

    def __init__(self, tasks: Sequence[str] = ('sa', 'pc'), max_length: int = 256,
                 model_name_or_path: str | None = None, model_path: str | None = None, **kwargs: Any) -> None:
        tasks = tuple(tasks)
        if not tasks or any(t not in ('sa', 'pc', 'rule') for t in tasks) or len(set(tasks)) != len(tasks):
            raise ValueError(f"`tasks` must be distinct names among 'sa', 'pc', 'rule', but got {tasks!r}")
        if isinstance(max_length, bool) or not isinstance(max_length, int) or max_length < 1:
            raise ValueError(f'`max_length` must be a positive int, but got {max_length!r}')
        super().__init__(model_name_or_path=model_name_or_path, model_path=model_path, **kwargs)
        self.tasks = tasks
        self.max_length = max_length
        self.parse_failures = 0
        self.protocol.update(tasks=list(tasks), decoding=dict(do_sample=False, max_length=max_length),
                             prompt_sha256_prefixes={k: PROMPT_SHA256_PREFIXES[k] for k in (
                                 'PROMPT_SA_V2', 'PROMPT_PC_V2', 'PROMPT_RULE_V2')})

    def prompts_of(self, sample: dict) -> dict[str, str] | Unscorable:
        prompts = {}
        for task in self.tasks:
            if task == 'sa':
                if not sample.get('prompt'):
                    return Unscorable('needs a text prompt (prompt_gt in the annotation) for the SA question')
                prompts[task] = fill(PROMPT_SA_V2, caption=sample['prompt'])
            elif task == 'pc':
                prompts[task] = PROMPT_PC_V2
            else:
                rule = (sample.get('meta') or {}).get('rule')
                if not rule:
                    return Unscorable("needs meta['rule'] for the rule question (extra_keys=['rule'] in the dataset)")
                prompts[task] = fill(PROMPT_RULE_V2, rule=str(rule))
        return prompts

    def judge(self, video_tokens: torch.Tensor, prompts: list[dict[str, str]]) -> list:
        out: list[Any] = [{} for _ in prompts]
        for j, p in enumerate(prompts):
            for task in self.tasks:
                ids, mask = self.padded([self.prompt_ids(p[task], V2_DELIMITERS)])
                new = self.model.generate(ids, mask, video_tokens[j:j + 1], do_sample=False,
                                          max_new_tokens=max(1, self.max_length - ids.shape[1]),
                                          pad_token_id=self.tokenizer.pad_token_id,
                                          eos_token_id=self.tokenizer.eos_token_id)
                reply = self.tokenizer.decode(new[0].tolist(), skip_special_tokens=True)
                rating = parse_rating(reply)
                if rating is None:
                    self.parse_failures += 1
                    out[j] = Unscorable(f'{task}: no rating in the reply {reply.strip()[:80]!r}')
                    break
                out[j][task] = float(rating)
            if isinstance(out[j], dict) and 'sa' in out[j] and 'pc' in out[j]:
                out[j]['joint'] = float(out[j]['sa'] >= 4 and out[j]['pc'] >= 4)
        self.protocol['parse_failures'] = self.parse_failures
        return out
