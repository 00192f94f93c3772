"""``FVD``: Fréchet Video Distance with a choice of backbone (I3D, cd-fvd's I3D / VideoMAE, R3D-18)."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from aigve.registry import METRICS
from aigve.utils.frames import check_video, select_frames

from ..base import SetLevelMetric
from ..functional import GaussianStats, frechet_distance_from_stats

CLIP_CHOICES = ('first', 'uniform')
#: FVD's backbone options and their defaults (only values set away from these are passed to the backbone)
BACKBONE_DEFAULTS = dict(resolution=None, fused=True)


@METRICS.register_module()
class FVD(SetLevelMetric):
    """Fréchet Video Distance between the generated and the reference videos (one clip per video).

    .. math::
        \\mathrm{FVD} = \\lVert\\mu_r-\\mu_g\\rVert^2 + \\mathrm{tr}\\big(\\Sigma_r+\\Sigma_g
        - 2(\\Sigma_r\\Sigma_g)^{1/2}\\big)

    over backbone features of one clip of ``num_frames`` frames per video. Backbones (see
    :mod:`aigve.models.video_backbones`): ``'i3d'`` (StyleGAN-V's TorchScript I3D, the research standard),
    ``'i3d_tats'`` and ``'videomae'`` (cd-fvd's models and preprocessing), ``'r3d18'`` (torchvision; its
    numbers are not comparable with I3D ones). The covariance convention follows the backbone's family
    (N for the I3D/VideoMAE ones as StyleGAN-V and cd-fvd, N-1 for R3D-18) and is recorded in ``protocol``.

    Inputs:
        ``data_batch['inputs']``: generated videos ``(T, 3, H, W)`` uint8 RGB, any size, ``T`` at least
        the clip span ``(num_frames - 1) * stride + 1`` unless ``pad``. ``data_samples[i]['ref_video']``: the
        reference videos (same layout) or None; the two sets need not be paired. Feed all frames
        (``SampleFrames(strategy='all')``) and let the metric pick the clip. A video too short for a clip
        is listed in ``failures`` and not counted.

    Args:
        backbone: Registry key of a :class:`~aigve.models.video_backbones.VideoBackbone` in ``MODELS``:
            ``'i3d'``, ``'i3d_tats'``, ``'videomae'``, ``'r3d18'``, or one of your own (registered from the
            config's ``custom_imports``). Defaults to ``'i3d'``.
        model_path: Checkpoint file or folder; None uses the aigve cache (downloads on first use when
            online). Defaults to None.
        model: Ready module (preprocessed clips -> features) instead of loading weights (tests,
            notebooks). Defaults to None.
        num_frames: Clip length. Defaults to 16.
        stride: Keep every ``stride``-th frame before choosing the clip. Defaults to 1.
        clip: ``'first'`` or ``'uniform'``. Defaults to ``'first'``.
        pad: Pad short videos (``'repeat_last'``, ``'loop'``) instead of refusing them. Defaults to None.
        resolution: cd-fvd's loader resolution for ``i3d_tats``/``videomae`` (shorter side, centre crop,
            uint8); None feeds frames as given (cd-fvd's in-memory ``compute_fvd`` path). Defaults to None.
        check_hash: Refuse a ``model_path`` whose sha256 differs from the manifest's. Defaults to True.
        fused: Run ``i3d_tats`` through the fused inference copy (same numbers, faster). Defaults to True.
        ``resolution`` and ``fused`` reach the backbone only when set away from their defaults, and a
        backbone that does not take one refuses it.
        ref_stats_file: Load the reference statistics from this file. Defaults to None.
        save_ref_stats: Save the reference statistics to this file. Defaults to None.
        batch_size: Clips per forward pass. Defaults to 8.
        device: Defaults to ``'auto'``.
        collect_device: Defaults to ``'cpu'``.
        prefix: Defaults to ``'fvd'``.

    Raises:
        ValueError: On invalid arguments.
        RuntimeError: From ``evaluate``, when a side has fewer than 2 clips.

    Examples:
        >>> # FVD(backbone='i3d') loads i3d_torchscript.pt; see docs/metrics/fvd.md for a runnable example
    """

    default_prefix = 'fvd'
    higher_is_better = False
    score_range = (0.0, None)
    accumulator = GaussianStats
    streams_frames = True  # decodes only the clip's frames of a lazy (too large to hold) video

    def __init__(self, backbone: str = 'i3d', model_path: str | None = None, model: nn.Module | None = None,
                 num_frames: int = 16, stride: int = 1, clip: str = 'first', pad: str | None = None,
                 resolution: int | None = None, check_hash: bool = True, fused: bool = True,
                 ref_stats_file: str | None = None, save_ref_stats: str | None = None, batch_size: int = 8,
                 use_cache: bool = True, device: str = 'auto', collect_device: str = 'cpu',
                 prefix: str | None = None) -> None:
        for arg, value in (('num_frames', num_frames), ('stride', stride)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f'`{arg}` must be a positive int, but got {value!r}')
        if clip not in CLIP_CHOICES:
            raise ValueError(f'`clip` must be one of {CLIP_CHOICES}, but got {clip!r}')
        if pad not in (None, 'repeat_last', 'loop'):
            raise ValueError(f"`pad` must be None, 'repeat_last' or 'loop', but got {pad!r}")
        from aigve.models.video_backbones import get_video_backbone, registered_video_backbones

        backbone_cls = get_video_backbone(backbone)
        backbone_cls.check_num_frames(num_frames)
        # only the options set away from their defaults reach the backbone, which refuses those it does not take
        options = {k: v for k, v in dict(resolution=resolution, fused=fused).items() if v != BACKBONE_DEFAULTS[k]}
        for key, value in options.items():
            if key not in backbone_cls.options:
                takers = [n for n, c in sorted(registered_video_backbones().items()) if key in c.options]
                raise ValueError(f'`{key}` applies to the backbones {takers} only, but got {key}={value!r} with '
                                 f'backbone={backbone!r}')
        super().__init__(ref_stats_file=ref_stats_file, save_ref_stats=save_ref_stats, batch_size=batch_size,
                         use_cache=use_cache, device=device, collect_device=collect_device, prefix=prefix)
        self.backbone, resolved = backbone_cls.build(model_path=model_path, model=model, check_hash=check_hash,
                                                     device=self.device, **options)
        self.record_weights(resolved)
        self.num_frames, self.stride, self.clip, self.pad = num_frames, stride, clip, pad
        if ref_stats_file is not None:
            self._ref_state_from_file()  # fail early on a spec mismatch

    def spec(self) -> dict[str, Any]:
        return dict(metric='FVD', **self.backbone.spec(), num_frames=self.num_frames, stride=self.stride,
                    clip=self.clip, pad=self.pad)

    def extract(self, videos: Sequence[torch.Tensor],
                names: Sequence[str]) -> tuple[torch.Tensor | None, list[dict[str, str]]]:
        """One clip per usable video -> ``(n, dim)`` features; too-short videos become failures."""
        from aigve.utils.lazy_video import take_frames

        clips, failures = [], []
        for video, name in zip(videos, names):
            check_video(video, f'video {name}', min_frames=0)
            idx = select_frames(int(video.shape[0]), num_frames=self.num_frames, strategy=self.clip,
                                stride=self.stride, pad=self.pad)
            if len(idx) < self.num_frames:
                span = (self.num_frames - 1) * self.stride + 1
                failures.append(dict(video=name, reason=f'fvd: {video.shape[0]} frames, but a clip of '
                                     f'{self.num_frames} frames at stride {self.stride} needs {span} (set pad='
                                     "'repeat_last' to pad)"))
                continue
            clips.append(take_frames(video, idx))
        self.log_failures(failures)
        if not clips:
            return None, failures
        feats = [self.backbone.forward_features(self._preprocess(clips[i:i + self.batch_size]))
                 for i in range(0, len(clips), self.batch_size)]
        return torch.cat(feats), failures

    def _preprocess(self, clips: list[torch.Tensor]) -> torch.Tensor:
        """``(T, C, H, W)`` uint8 clips -> one network input; one preprocessing call when the sizes agree."""
        if len({tuple(c.shape) for c in clips}) == 1:
            return self.backbone.preprocess(torch.stack(clips))
        return torch.cat([self.backbone.preprocess(c.unsqueeze(0)) for c in clips])

    def compute_from(self, generated: GaussianStats, reference: GaussianStats) -> dict[str, float]:
        self.check_counts(generated, reference)
        ddof = self.backbone.ddof
        value = frechet_distance_from_stats(reference, generated, ddof=ddof)
        bb = self.backbone
        self.protocol = dict(
            backbone=bb.name, family=bb.family, weights=bb.weights_name, weights_sha256=bb.weights_sha256,
            input_resolution=bb.input_resolution, cdfvd_resolution=bb.resolution,
            num_frames=self.num_frames, stride=self.stride, clip=self.clip, pad=self.pad,
            feature_dim=generated.dim, n_reference=reference.count, n_generated=generated.count,
            covariance=f"{'N' if ddof == 0 else 'N-1'} (ddof={ddof})",
            comparable=bb.comparable or bb.family, preprocessing=bb.describe_preprocessing(),
            ref_stats_file=self.ref_stats_file)
        return dict(fvd=value)
