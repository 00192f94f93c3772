"""The research-standard FVD I3D: StyleGAN-V's TorchScript export ``i3d_torchscript.pt``.

StyleGAN-V (universome/stylegan-v, ``src/metrics/frechet_video_distance.py``) ships the Kinetics-400 I3D of
the original TensorFlow FVD code (google-research ``frechet_video_distance``, TF-Hub ``i3d-kinetics-400``)
as a TorchScript file. Its ``forward(videos, rescale, resize, return_features)`` takes ``(B, C, T, H, W)``
videos; with ``return_features=True`` it returns the 400-d pre-softmax features that FVD uses.

aigve does its own preprocessing (shorter side to 224, centre crop, ``[-1, 1]``) and calls the module with
``rescale=False, resize=False, return_features=True``.
"""
from __future__ import annotations

import os
from typing import TYPE_CHECKING

import torch
from mmengine.logging import print_log
from torch import nn

if TYPE_CHECKING:
    from aigve.utils.weights import ResolvedWeights

__all__ = ['TorchScriptI3D', 'load_i3d_torchscript']


class TorchScriptI3D(nn.Module):
    """Call wrapper of the StyleGAN-V TorchScript I3D (or any module with the same signature).

    Inputs:
        ``(B, 3, T, H, W)`` float in ``[-1, 1]``, already resized (224x224 for the real model).

    Outputs:
        ``(B, 400)`` features (``return_features=True``).

    Args:
        detector: The loaded TorchScript module (``torch.jit.load``), or a stand-in with the signature
            ``forward(x, rescale: bool, resize: bool, return_features: bool)``.
    """

    def __init__(self, detector: nn.Module) -> None:
        super().__init__()
        self.detector = detector

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.detector(x, rescale=False, resize=False, return_features=True)
        if not isinstance(out, torch.Tensor) or out.dim() != 2 or out.shape[0] != x.shape[0]:
            shape = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
            raise RuntimeError(f'the I3D TorchScript module must return (B, features), but got {shape}')
        return out


def load_i3d_torchscript(model_path: str | os.PathLike | None = None, check_hash: bool = True,
                         device: str | torch.device = 'cpu') -> tuple[TorchScriptI3D, ResolvedWeights]:
    """Load ``i3d_torchscript.pt`` (explicit path, aigve cache, or a download) with ``torch.jit.load``.

    Args:
        model_path: The file, or a folder holding ``i3d_torchscript.pt``. Defaults to None (cache / download).
        check_hash: Refuse a ``model_path`` whose sha256 differs from a pinned one. Defaults to True.
        device: Where to load it. Defaults to ``'cpu'``.

    Returns:
        tuple: ``(TorchScriptI3D in eval mode, ResolvedWeights of the file)``.

    Raises:
        FileNotFoundError, aigve.utils.weights.WeightsNotFoundError: See
            :func:`aigve.utils.weights.resolve_weights`.
        RuntimeError: If the file is not a TorchScript archive.
    """
    from aigve.utils.weights import resolve_weights

    resolved = resolve_weights('fvd-i3d-torchscript', model_path, check_hash=check_hash)
    try:
        detector = torch.jit.load(str(resolved.path), map_location=device)
    except RuntimeError as e:
        raise RuntimeError(f'FVD: {resolved.path} is not a TorchScript archive (expected StyleGAN-V\'s '
                           f'i3d_torchscript.pt): {e}') from e
    print_log(f'FVD: loaded I3D TorchScript from {resolved.path}', logger='current')
    return TorchScriptI3D(detector).eval().requires_grad_(False), resolved
