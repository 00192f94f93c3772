"""``FID``: Fréchet Inception Distance over video frames."""
from __future__ import annotations

import torch

from aigve.registry import METRICS

from ..base import InceptionFrameMetric
from ..functional import GaussianStats, frechet_distance_from_stats


@METRICS.register_module()
class FID(InceptionFrameMetric):
    """Fréchet Inception Distance between the frames of the generated and of the reference videos.

    .. math::
        \\mathrm{FID} = \\lVert\\mu_r-\\mu_g\\rVert^2 + \\mathrm{tr}\\big(\\Sigma_r+\\Sigma_g
        - 2(\\Sigma_r\\Sigma_g)^{1/2}\\big)

    on the 2048-d pool features of the FID Inception (pytorch-fid's ``pt_inception-2015-12-05`` weights; by
    default pytorch-fid's input protocol: ``x/255``, bilinear 299x299, ``2x-1``), with unbiased covariances
    (N-1) as pytorch-fid and torchmetrics. Statistics are streamed (float64 sums), so memory does not grow
    with the number of frames.

    Inputs:
        Generated videos ``data_batch['inputs']`` and reference videos ``data_samples[i]['ref_video']``,
        each ``(T, 3, H, W)`` uint8 RGB; every frame (or ``num_frames`` uniformly sampled frames) is a
        sample. The two sets need not be paired.

    Args:
        model_path: Inception checkpoint file or folder. Defaults to None (cache / download).
        model: Injected module (uint8 frames -> dict with ``'pool'``). Defaults to None.
        num_frames: Frames per video; None = all. Defaults to None.
        check_hash: Check the checkpoint's sha256 prefix. Defaults to True.
        input_protocol: ``'pytorch-fid'`` or ``'torch-fidelity'`` (TF1 resize, ``(x-128)/128``, as
            torch-fidelity and torchmetrics): see :class:`~aigve.metrics.distribution.base.InceptionFrameMetric`.
            Defaults to ``'pytorch-fid'``, the implementation most published FIDs are compared with.
        ref_stats_file: Load reference statistics from this file. Defaults to None.
        save_ref_stats: Save reference statistics to this file. Defaults to None.
        batch_size: Frames per forward pass. Defaults to 32.
        device: Defaults to ``'auto'``.
        collect_device: Defaults to ``'cpu'``.
        prefix: Defaults to ``'fid'``.

    Raises:
        RuntimeError: From ``evaluate`` when a side has fewer than 2 frames.
    """

    default_prefix = 'fid'
    higher_is_better = False
    score_range = (0.0, None)
    accumulator = GaussianStats
    feature_key = 'pool'

    def __init__(self, model_path: str | None = None, model: torch.nn.Module | None = None,
                 num_frames: int | None = None, check_hash: bool = True, ref_stats_file: str | None = None,
                 save_ref_stats: str | None = None, batch_size: int = 32, use_cache: bool = True, device: str = 'auto',
                 collect_device: str = 'cpu', prefix: str | None = None, input_protocol: str = 'pytorch-fid') -> None:
        super().__init__(model_path=model_path, model=model, num_frames=num_frames,
                         check_hash=check_hash, ref_stats_file=ref_stats_file, save_ref_stats=save_ref_stats,
                         batch_size=batch_size, use_cache=use_cache, device=device, collect_device=collect_device,
                         prefix=prefix, input_protocol=input_protocol)
        if self.ref_stats_file is not None:
            self._ref_state_from_file()

    def compute_from(self, generated: GaussianStats, reference: GaussianStats) -> dict[str, float]:
        self.check_counts(generated, reference)
        value = frechet_distance_from_stats(reference, generated, ddof=1)
        self.protocol = dict(**self.frame_protocol(), n_reference=reference.count, n_generated=generated.count,
                             covariance='N-1 (ddof=1)', ref_stats_file=self.ref_stats_file)
        return dict(fid=value)
