"""``IS``: Inception Score of the generated frames."""
from __future__ import annotations

from typing import Any

import torch

from aigve.registry import METRICS

from ..base import FeatureBank, InceptionFrameMetric
from ..functional import inception_score


@METRICS.register_module()
class IS(InceptionFrameMetric):
    """Inception Score of the generated frames: mean and std over ``splits`` chunks (torch-fidelity's way).

    .. math::
        \\mathrm{IS} = \\exp\\Big(\\mathbb{E}_x\\,\\mathrm{KL}\\big(p(y|x)\\,\\|\\,p(y)\\big)\\Big)

    with :math:`p(y|x)` the softmax of the FID Inception's 1008 ``logits_unbiased`` (torch-fidelity's IS
    input), frames shuffled with ``np.random.RandomState(seed)`` before splitting. By default the frames
    enter the network as in torch-fidelity (the original TF graph's input: TF1 bilinear resize,
    ``(x-128)/128``), so the value equals torch-fidelity's IS on the same weights and frames.

    Memory: the logits of every frame are kept (float32, 1008 values = 4 KiB per frame; 1 M frames = 4 GB),
    because the seeded shuffle and the splits need all of them.

    Inputs:
        Generated videos ``(T, 3, H, W)`` uint8 RGB; every frame (or ``num_frames``) is a sample.

    Args:
        splits: Number of chunks. Defaults to 10.
        seed: Shuffle seed; 2020 is torch-fidelity's default. Defaults to 2020.
        input_protocol: ``'torch-fidelity'`` or ``'pytorch-fid'`` (see
            :class:`~aigve.metrics.distribution.base.InceptionFrameMetric`). Defaults to ``'torch-fidelity'``:
            IS is defined by the TF Inception pipeline, which torch-fidelity reproduces.
        model_path, model, num_frames, check_hash, batch_size, device, collect_device: see
            :class:`~aigve.metrics.distribution.FID`.
        prefix: Defaults to ``'is'``.

    Raises:
        RuntimeError: From ``evaluate`` when there are fewer frames than ``splits`` (or than 2).
    """

    default_prefix = 'is'
    higher_is_better = True
    score_range = (1.0, None)
    needs_reference = False
    accumulator = FeatureBank
    feature_key = 'logits_unbiased'

    def __init__(self, splits: int = 10, seed: int = 2020, model_path: str | None = None,
                 model: torch.nn.Module | None = None, num_frames: int | None = None,
                 check_hash: bool = True, batch_size: int = 32,
                 use_cache: bool = True, device: str = 'auto', collect_device: str = 'cpu',
                 prefix: str | None = None, input_protocol: str = 'torch-fidelity') -> None:
        if not isinstance(splits, int) or isinstance(splits, bool) or splits < 1:
            raise ValueError(f'`splits` must be a positive int, but got {splits!r}')
        super().__init__(model_path=model_path, model=model, num_frames=num_frames,
                         check_hash=check_hash, batch_size=batch_size, use_cache=use_cache, device=device,
                         collect_device=collect_device, prefix=prefix, input_protocol=input_protocol)
        self.splits, self.seed = splits, seed

    def compute_from(self, generated: FeatureBank, reference: Any) -> dict[str, float]:
        self.check_counts(generated, None, minimum=max(2, self.splits))
        mean, std = inception_score(generated.features(), splits=self.splits, seed=self.seed, from_logits=True)
        self.protocol = dict(**self.frame_protocol(), splits=self.splits, seed=self.seed,
                             n_generated=generated.count)
        return {'is': mean, 'is_std': std}
