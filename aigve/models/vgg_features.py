"""VGG16 multi-scale mean/std features, as GSTVQA's feature extractor describes them.

Paper: Chen et al., "Learning Generalized Spatial-Temporal Deep Feature Representation for No-Reference
Video Quality Assessment", IEEE TCSVT 2021 (GSTVQA). Its repository (Baoliang93/GSTVQA) ships the
pre-extracted ``*_VGG16_cat_mean_features.npy`` / ``*_VGG16_cat_std_features.npy`` (1472 dims each =
64 + 128 + 256 + 512 + 512, the widths of VGG16's five stages) but not the extractor itself (a MEGA link).
This module takes each stage's last ReLU output (``relu1_2, relu2_2, relu3_3, relu4_3, relu5_3``, before
the max pool) and pools it globally with the mean and the unbiased standard deviation, as VSFA's
``CNNfeatures.py`` (the code GSTVQA says it builds on) does for ResNet-50. The stage taps are inferred
from the widths; see ``docs/metrics/gstvqa.md``.

The backbone is torchvision's ``vgg16`` ``features`` (ImageNet ``IMAGENET1K_V1``, file
``vgg16-397923af.pth``; only the ``features.*`` tensors are used).
"""
from __future__ import annotations

import torch
from torch import nn

from aigve.utils.weights import ResolvedWeights, resolve_weights

__all__ = ['VGG16_MULTISCALE_DIM', 'VGG16_STAGE_TAPS', 'VGG16MultiScale', 'global_std_pool', 'load_vgg16_multiscale']

#: Indices in ``torchvision.models.vgg16().features`` of the last ReLU of each stage.
VGG16_STAGE_TAPS = (3, 8, 15, 22, 29)
#: 64 + 128 + 256 + 512 + 512.
VGG16_MULTISCALE_DIM = 1472


def global_std_pool(x: torch.Tensor) -> torch.Tensor:
    """Unbiased standard deviation over the spatial positions: ``(N, C, H, W) -> (N, C)``."""
    return x.flatten(2).std(dim=2, unbiased=True)


class VGG16MultiScale(nn.Module):
    """VGG16 conv trunk returning per-image ``(mean, std)`` features, each ``(N, 1472)``.

    Inputs:
        ``(N, 3, H, W)`` float images normalised with the ImageNet mean/std, any size >= 16x16.

    Args:
        features: A ``torchvision.models.vgg16().features`` module (or one with the same layout).
            Defaults to None (a new one with random weights; load the checkpoint afterwards).
    """

    def __init__(self, features: nn.Sequential | None = None) -> None:
        super().__init__()
        if features is None:
            from torchvision.models.vgg import cfgs, make_layers
            features = make_layers(cfgs['D'])  # vgg16().features without building the 120M-parameter classifier
        self.features = features[:VGG16_STAGE_TAPS[-1] + 1]

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        means, stds = [], []
        for idx, layer in enumerate(self.features):
            x = layer(x)
            if idx in VGG16_STAGE_TAPS:
                means.append(x.mean(dim=(2, 3)))
                stds.append(global_std_pool(x))
        return torch.cat(means, dim=1), torch.cat(stds, dim=1)


def load_vgg16_multiscale(model_path: str | None = None) -> tuple[VGG16MultiScale, ResolvedWeights]:
    """Build :class:`VGG16MultiScale` with torchvision's ImageNet VGG16 (manifest ``'vgg16-imagenet'``).

    Only the ``features.*`` tensors of the checkpoint are loaded (strictly: every conv of the trunk must be
    present with its shape); the classifier tensors are ignored because GSTVQA never uses them.

    Args:
        model_path: ``vgg16-397923af.pth`` or a folder holding it. Defaults to None (cache/download).

    Returns:
        ``(model, resolved)``: the network in eval mode without gradients, on CPU, and the record of its
        checkpoint (pass it to ``BaseVideoMetric.record_weights``).
    """
    resolved = resolve_weights('vgg16-imagenet', model_path)
    state = torch.load(resolved.path, map_location='cpu', weights_only=True)
    model = VGG16MultiScale()
    trunk = {k: v for k, v in state.items() if k.startswith('features.')}
    model.load_state_dict(trunk, strict=True)
    return model.eval().requires_grad_(False), resolved
