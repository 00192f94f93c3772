"""``HumanAction``: VBench's UMT Kinetics-400 check that the video shows the prompt's action."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from aigve.core.base_metric import BaseVideoMetric, Unscorable
from aigve.registry import METRICS
from aigve.utils.lazy_video import in_batches, take_frames

from .._clip_models import check_positive_ints, clip_verdicts, model_or_load
from ..auxiliary import auxiliary_value
from .functional import clip_indices, is_correct, kinetics400_names, label_from_filename, umt_transform


def action_label(sample: dict, names: Sequence[str]) -> str | Unscorable:
    """The action a sample should show: ``auxiliary_info.human_action.action``, else VBench's file-name rule.

    ``auxiliary_info`` may also give the action as a plain string (``{"human_action": "riding a bike"}``).
    A label that is not one of the classifier's names cannot be matched by VBench's rule either, so it is
    :class:`Unscorable` (VBench would count such a video as wrong).

    Examples:
        >>> names = ('riding a bike', 'marching')
        >>> action_label(dict(video='A person is marching-2.mp4', meta={}), names)
        'marching'
        >>> action_label(dict(video='x.mp4', meta=dict(auxiliary_info={'human_action': {'action': 'Riding a bike'}})),
        ...              names)
        'riding a bike'
    """
    info = ((sample.get('meta') or {}).get('auxiliary_info') or {}).get('human_action')
    if isinstance(info, str):
        label, source = info, 'auxiliary_info.human_action'
    else:
        value = auxiliary_value(sample, 'human_action', 'action')
        if isinstance(value, Unscorable):
            label, source = label_from_filename(str(sample.get('video', ''))), 'the file name'
        else:
            label, source = str(value), 'auxiliary_info.human_action.action'
    label = label.strip().lower()
    if label not in names:
        return Unscorable(f'the action {label!r} (from {source}) is not a Kinetics-400 class of the UMT classifier; '
                          'give it as auxiliary_info.human_action.action in the annotation, or name the file '
                          '"A person is <action>-<i>.mp4" as VBench does')
    return label


@METRICS.register_module()
class HumanAction(BaseVideoMetric):
    r"""VBench human action: does UMT ViT-L/16 (Kinetics-400) recognise the prompt's action in the video?

    .. math::
        \text{human\_action} = \big[\, y \in \{\text{name}_k : k \in \operatorname{top5}(\sigma(z)),\
        \operatorname{round}(\sigma(z_k), 4) \ge 0.85\} \,\big]

    with ``z`` UMT's 400 logits on 16 "middle" frames (short side 256 by OpenCV bilinear, centre crop 224,
    ImageNet normalisation) and ``y`` the action.

    Inputs:
        Generated videos ``(T, 3, H, W)`` uint8 RGB, any size and length (16 frames chosen inside with
        VBench's ``'middle'`` rule, padded with the last one). The action comes from the annotation's
        ``auxiliary_info`` (``{"human_action": {"action": "riding a bike"}}``, kept in
        ``sample['meta']['auxiliary_info']``), else from the file name as VBench reads it
        (``"A person is riding a bike-0.mp4"`` -> ``"riding a bike"``). A video whose action is not one of
        the 400 class names is listed as a failure.

    Per-video scores: ``human_action`` 1.0 (recognised) or 0.0. The aggregate is the accuracy over videos, as
    VBench computes it.

    Args:
        model_path: ``l16_ptk710_ftk710_ftk400_f16_res224.pth`` or a folder holding it. Defaults to None
            (cache, then download; manifest entry ``umt-l16-k400``).
        model: A ready ``VideoMAEForVideoClassification`` (tests, notebooks). Defaults to None.
        categories: A ``name<TAB>index`` class file. Defaults to None (VBench's, shipped in ``aigve/data/vbench``).
        num_frames: Frames per clip; must match the model. Defaults to 16.
        top_k: Classes looked at. Defaults to 5.
        threshold: Least (rounded) sigmoid probability of a kept class. Defaults to 0.85.
        resize: Short side before the crop. Defaults to 256.
        crop: Centre crop side (the model's input). Defaults to 224.
        video_batch_size: Clips per forward pass. Defaults to 4.
        device: See :class:`~aigve.core.base_metric.BaseVideoMetric`. Defaults to ``'auto'``.
        collect_device: Defaults to ``'cpu'``.
        prefix: Defaults to ``'human_action'``.

    Examples:
        >>> metric = HumanAction(model_path='/path/to/l16_ptk710_ftk710_ftk400_f16_res224.pth')  # doctest: +SKIP
        >>> metric.evaluate_videos([video_uint8_tchw])  # doctest: +SKIP
    """

    default_prefix = 'human_action'
    higher_is_better = True
    score_range = (0.0, 1.0)
    streams_frames = True  # only the 16 sampled frames of a lazy video are decoded

    def __init__(self,
                 model_path: str | None = None,
                 model: nn.Module | None = None,
                 categories: str | None = None,
                 num_frames: int = 16,
                 top_k: int = 5,
                 threshold: float = 0.85,
                 resize: int = 256,
                 crop: int = 224,
                 video_batch_size: int = 4,
                 device: str = 'auto',
                 collect_device: str = 'cpu',
                 prefix: str | None = None) -> None:
        super().__init__(device=device, collect_device=collect_device, prefix=prefix)
        check_positive_ints(num_frames=num_frames, top_k=top_k, resize=resize, crop=crop,
                            video_batch_size=video_batch_size)
        if not isinstance(threshold, (int, float)) or isinstance(threshold, bool) or not 0 <= threshold <= 1:
            raise ValueError(f'`threshold` must be a number in [0, 1], but got {threshold!r}')
        if crop > resize:
            raise ValueError(f'`crop` ({crop}) must not exceed `resize` ({resize})')
        from aigve.models.umt import load_umt

        model = model_or_load(self, model, lambda: load_umt(model_path), 'VideoMAEForVideoClassification')
        self.names = kinetics400_names(categories)
        config = getattr(model, 'config', None)
        expected = dict(num_labels=len(self.names), num_frames=num_frames, image_size=crop)
        for attr, value in expected.items():
            if config is not None and getattr(config, attr, value) != value:
                raise ValueError(f'HumanAction: the model has {attr}={getattr(config, attr)}, but the metric needs '
                                 f'{value} (categories, num_frames and crop must match the model)')
        self.model = model.eval().requires_grad_(False).to(self.device)
        self.num_frames = num_frames
        self.top_k = top_k
        self.threshold = float(threshold)
        self.resize = resize
        self.crop = crop
        self.video_batch_size = video_batch_size
        self.protocol.update(model='UMT ViT-L/16 K400 (as VideoMAEForVideoClassification)' if self.weights
                             else 'injected model', num_frames=num_frames, frame_sampling="VBench 'middle', padded",
                             transform=f'OpenCV INTER_LINEAR short side {resize}, centre crop {crop}, ImageNet norm',
                             top_k=top_k, threshold=self.threshold, label='auxiliary_info.human_action.action, '
                             'else VBench file-name rule')

    def probabilities(self, clips: list[torch.Tensor]) -> torch.Tensor:
        """Sigmoid class probabilities ``(N, num_labels)`` (float32, CPU) of ``(T, 3, S, S)`` clips."""
        if not clips:
            return torch.empty(0, len(self.names))
        return in_batches(clips, self.video_batch_size, lambda batch: torch.sigmoid(
            self.model(pixel_values=batch.to(self.device)).logits.float()).cpu())

    def score_batch(self, videos: Sequence[Any], samples: Sequence[dict]) -> list[dict[str, float] | Unscorable]:
        """1.0 when a kept top-5 class is the video's action, else 0.0; clips of the batch share passes."""
        verdicts, kept, labels = clip_verdicts(videos, samples, lambda s: action_label(s, self.names))
        clips = [umt_transform(take_frames(videos[i], clip_indices(int(videos[i].shape[0]), self.num_frames)),
                               self.resize, self.crop) for i in kept]
        for i, label, probs in zip(kept, labels, self.probabilities(clips)):
            verdicts[i] = dict(human_action=1.0 if is_correct(probs, label, self.names, self.top_k, self.threshold)
                               else 0.0)
        return verdicts
