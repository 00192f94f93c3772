"""``KID``: Kernel Inception Distance over video frames."""
from __future__ import annotations

import torch

from aigve.registry import METRICS

from ..base import FeatureBank, InceptionFrameMetric
from ..functional import kid


@METRICS.register_module()
class KID(InceptionFrameMetric):
    """Kernel Inception Distance: unbiased polynomial-kernel MMD² over random subsets (torch-fidelity's way).

    .. math::
        \\mathrm{KID} = \\frac{1}{S}\\sum_{s}\\widehat{\\mathrm{MMD}}^2_u(X_s, Y_s),\\quad
        k(x, y) = (\\gamma\\,x^\\top y + c_0)^{d}

    on the FID Inception's 2048-d pool features of every (or ``num_frames``) frame(s). Unbiased, so
    slightly negative values are possible for close sets. By default the frames enter the network as in
    torch-fidelity (TF1 bilinear resize, ``(x-128)/128``), so the value equals torch-fidelity's KID.

    Memory: the features of every frame are kept (float32, 8 KiB per frame; 100 k frames = 800 MB), because
    the subsets are drawn from all of them.

    Inputs:
        Generated and reference videos ``(T, 3, H, W)`` uint8 RGB, as for :class:`FID`.

    Args:
        subsets: Number of subsets. Defaults to 100.
        subset_size: Frames per subset and side; larger than either set is an error. Defaults to 1000.
        degree: Kernel degree. Defaults to 3.
        gamma: Kernel scale; None = 1/d. Defaults to None.
        coef0: Kernel offset. Defaults to 1.
        seed: Subset seed; 2020 is torch-fidelity's default. Defaults to 2020.
        input_protocol: ``'torch-fidelity'`` or ``'pytorch-fid'`` (see
            :class:`~aigve.metrics.distribution.base.InceptionFrameMetric`). Defaults to ``'torch-fidelity'``,
            the implementation KID is usually computed with (torch-fidelity, torchmetrics).
        model_path, model, num_frames, check_hash, ref_stats_file, save_ref_stats, batch_size, device,
            collect_device: see :class:`~aigve.metrics.distribution.FID`.
        prefix: Defaults to ``'kid'``.

    Raises:
        ValueError: From ``evaluate`` when ``subset_size`` exceeds a side's number of frames.
        RuntimeError: From ``evaluate`` when a side has fewer than 2 frames.
    """

    default_prefix = 'kid'
    higher_is_better = False
    score_range = (None, None)
    accumulator = FeatureBank
    feature_key = 'pool'

    def __init__(self, subsets: int = 100, subset_size: int = 1000, degree: int = 3, gamma: float | None = None,
                 coef0: float = 1.0, seed: int = 2020, model_path: str | None = None,
                 model: torch.nn.Module | None = None, num_frames: int | None = None,
                 check_hash: bool = True, ref_stats_file: str | None = None, save_ref_stats: str | None = None,
                 batch_size: int = 32, use_cache: bool = True, device: str = 'auto', collect_device: str = 'cpu',
                 prefix: str | None = None, input_protocol: str = 'torch-fidelity') -> None:
        for arg, value, low in (('subsets', subsets, 1), ('subset_size', subset_size, 2)):
            if not isinstance(value, int) or isinstance(value, bool) or value < low:
                raise ValueError(f'`{arg}` must be an int >= {low}, but got {value!r}')
        super().__init__(model_path=model_path, model=model, num_frames=num_frames,
                         check_hash=check_hash, ref_stats_file=ref_stats_file, save_ref_stats=save_ref_stats,
                         batch_size=batch_size, use_cache=use_cache, device=device, collect_device=collect_device,
                         prefix=prefix, input_protocol=input_protocol)
        self.subsets, self.subset_size, self.seed = subsets, subset_size, seed
        self.kernel = dict(degree=degree, gamma=gamma, coef0=coef0)
        if ref_stats_file is not None:
            self._ref_state_from_file()

    def compute_from(self, generated: FeatureBank, reference: FeatureBank) -> dict[str, float]:
        self.check_counts(generated, reference)
        mean, std = kid(reference.features(), generated.features(), subsets=self.subsets,
                        subset_size=self.subset_size, seed=self.seed, **self.kernel)
        self.protocol = dict(**self.frame_protocol(), subsets=self.subsets, subset_size=self.subset_size,
                             kernel=dict(self.kernel, type='polynomial'), estimator='unbiased MMD^2',
                             seed=self.seed, n_reference=reference.count, n_generated=generated.count,
                             ref_stats_file=self.ref_stats_file)
        return dict(kid=mean, kid_std=std)
