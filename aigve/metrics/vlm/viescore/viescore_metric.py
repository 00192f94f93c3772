"""``VIEScore`` (text-to-video): a vision-language model rates a video's frames for prompt following and quality."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aigve.core.base_metric import Unscorable
from aigve.metrics.vlm._common import Ask, JudgeMetric, JudgeUsage
from aigve.metrics.vlm.viescore.functional import PARSE_MODES, combine_calls, parse_scores
from aigve.metrics.vlm.viescore.prompts import TEMPLATE_SHA256, pq_prompt, sc_prompt
from aigve.models.judges.protocol import JudgeBackend, JudgeRequest
from aigve.registry import METRICS
from aigve.utils.frames import check_video, select_frames
from aigve.utils.lazy_video import take_frames
from aigve.utils.video_io import VideoReadError

__all__ = ['VIEScore']


@METRICS.register_module()
class VIEScore(JudgeMetric):
    """VIEScore (t2v): a VLM judge's semantic-consistency (SC) and perceptual-quality (PQ) scores, and their mean.

    Two requests per video (per group of frames): the SC request (upstream's t2v SC template with the text prompt)
    and the PQ request (naturalness, artifacts), each with the video's frames as images. Then

    .. math::
        SC = \\min(\\text{SC scores}),\\quad PQ = \\min(\\text{naturalness}, \\text{artifacts}),\\quad
        O = \\sqrt{SC \\cdot PQ}

    on the 0-10 scale (``normalize=True`` divides all three by 10). With ``frames_per_call`` the frames are split
    into groups that are judged separately and the per-group scores averaged (``frames_per_call=1`` is AIGVE's
    per-frame VIEScore). A reply that cannot be read is re-asked ``parse_retries`` times; a video whose calls still
    fail is a counted failure with the reason, never a guessed score.

    Inputs:
        ``videos``: ``(T, 3, H, W)`` uint8 RGB videos (all the frames the pipeline sampled, or ``num_frames`` of
        them spread uniformly); ``samples[i]['prompt']``: the text prompt (required).

    Per-video scores:
        ``sc``, ``pq``, ``overall`` in [0, 10] (higher is better).

    Aggregate:
        The mean of each over the scored videos; the calls, tokens and retries spent are in the results'
        provenance (``protocol.viescore.usage``), the backend in ``protocol.viescore.backend``.

    Args:
        backend: Judge backend config (``dict(type='openai', base_url=..., model=..., api_key_env=...)``, or
            ``dict(type='hf', model=...)``), or a built :class:`~aigve.models.judges.protocol.JudgeBackend`.
        num_frames: Frames sent per video, spread uniformly; ``None`` sends every frame it receives.
            Defaults to None.
        frames_per_call: Frames per SC/PQ request; ``None`` sends all of a video's frames in one request (upstream).
            Defaults to None.
        parse_mode: ``'tolerant'``, ``'strict'`` or ``'upstream'`` (see
            :func:`~aigve.metrics.vlm.viescore.functional.parse_scores`). Defaults to ``'tolerant'``.
        parse_retries: Re-asks of an unreadable reply. Defaults to 2.
        max_tokens: Generation budget per request (upstream sends 1400). Defaults to 1400.
        normalize: Report on 0-1 instead of 0-10. Defaults to False.
        device: Device of a local backend. Defaults to ``'auto'``.
        collect_device: See ``BaseMetric``. Defaults to ``'cpu'``.
        prefix: Result-key prefix. Defaults to ``'viescore'``.

    Raises:
        ValueError: A bad argument (a missing backend, an unknown parse mode, a non-positive frame count).

    Examples:
        >>> import torch
        >>> from aigve.models.judges.scripted import ScriptedBackend
        >>> judge = ScriptedBackend(replies={'naturalness': '{"score": [7, 9]}', 'Text Prompt:': '{"score": [8]}'})
        >>> metric = VIEScore(backend=judge)
        >>> video = torch.zeros(4, 3, 16, 16, dtype=torch.uint8)
        >>> {k: round(v, 4) for k, v in metric.score(video, prompt='a cat').items()}
        {'sc': 8.0, 'pq': 7.0, 'overall': 7.4833}
    """

    default_prefix = 'viescore'
    higher_is_better = True
    score_range = (0.0, 10.0)
    needs_prompt = True
    #: the number of scores each request asks for
    EXPECTED = dict(sc=1, pq=2)

    def __init__(self, backend: dict[str, Any] | JudgeBackend | None = None, num_frames: int | None = None,
                 frames_per_call: int | None = None, parse_mode: str = 'tolerant', parse_retries: int = 2,
                 max_tokens: int = 1400, normalize: bool = False, device: str = 'auto', collect_device: str = 'cpu',
                 prefix: str | None = None) -> None:
        for arg, value in (('num_frames', num_frames), ('frames_per_call', frames_per_call)):
            if value is not None and (not isinstance(value, int) or value < 1):
                raise ValueError(f'`{arg}` must be None or an int >= 1, but got {value!r}')
        if parse_mode not in PARSE_MODES:
            raise ValueError(f'`parse_mode` must be one of {PARSE_MODES}, but got {parse_mode!r}')
        if not isinstance(max_tokens, int) or max_tokens < 1:
            raise ValueError(f'`max_tokens` must be an int >= 1, but got {max_tokens!r}')
        super().__init__(backend=backend, parse_retries=parse_retries, device=device, collect_device=collect_device,
                         prefix=prefix)
        self.num_frames = num_frames
        self.frames_per_call = frames_per_call
        self.parse_mode = parse_mode
        self.max_tokens = max_tokens
        self.normalize = normalize
        self.protocol.update(task='t2v', templates=dict(TEMPLATE_SHA256), num_frames=num_frames,
                             frames_per_call=frames_per_call, parse_mode=parse_mode, parse_retries=parse_retries,
                             max_tokens=max_tokens, scale='0-1' if normalize else '0-10')

    def _frame_groups(self, video: Any) -> list[list[Any]]:
        check_video(video)
        total = int(video.shape[0])
        indices = (select_frames(total, num_frames=self.num_frames, strategy='uniform') if self.num_frames
                   else list(range(total)))
        frames = list(take_frames(video, indices))
        size = self.frames_per_call or len(frames)
        return [frames[i:i + size] for i in range(0, len(frames), size)]

    def _parser(self, aspect: str) -> Any:
        expected, mode = self.EXPECTED[aspect], self.parse_mode
        return lambda reply: parse_scores(reply.text, expected, mode)

    def judge_batch(self, videos: Sequence[Any],
                    samples: Sequence[dict]) -> list[tuple[dict[str, float] | Unscorable, JudgeUsage]]:
        """Ask SC and PQ for every video of the batch in one round (concurrent on an HTTP backend)."""
        usage = [JudgeUsage() for _ in videos]
        verdicts: list[dict[str, float] | Unscorable | None] = [None] * len(videos)
        asks: list[Ask] = []
        where: list[tuple[int, int, str]] = []  # (video, group, aspect) of each ask
        for i, (video, sample) in enumerate(zip(videos, samples)):
            prompt = sample.get('prompt') if isinstance(sample, dict) else None
            if not isinstance(prompt, str) or not prompt.strip():
                verdicts[i] = Unscorable('VIEScore needs the text prompt of the video, but it has none')
                continue
            try:
                groups = self._frame_groups(video)
            except (VideoReadError, ValueError) as e:  # undecodable, or no frames at all
                verdicts[i] = Unscorable(str(e))
                continue
            for g, frames in enumerate(groups):
                for aspect, text in (('sc', sc_prompt(prompt)), ('pq', pq_prompt())):
                    request = JudgeRequest(text, images=frames, max_tokens=self.max_tokens, tag=aspect)
                    asks.append(Ask(request, owner=i, parse=self._parser(aspect)))
                    where.append((i, g, aspect))
        answers = self.ask(asks, usage) if asks else []
        calls: dict[int, dict[int, dict[str, list[float]]]] = {}
        for (i, g, aspect), answer in zip(where, answers):
            if isinstance(verdicts[i], Unscorable):
                continue
            if not answer.ok:
                verdicts[i] = Unscorable(f'{aspect.upper()} request (frames group {g}) failed: {answer.failure}')
                continue
            calls.setdefault(i, {}).setdefault(g, {})[aspect] = answer.value
        for i, groups in calls.items():
            if verdicts[i] is None:
                scores = combine_calls([(groups[g]['sc'], groups[g]['pq']) for g in sorted(groups)])
                verdicts[i] = {k: v / 10 for k, v in scores.items()} if self.normalize else scores
        return [(v if v is not None else Unscorable('no frames'), u) for v, u in zip(verdicts, usage)]
