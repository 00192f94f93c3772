"""Video feature extractors of FVD, behind one interface: :class:`VideoBackbone`.

=============  ==========================================  =====  ============  =========================
name           network and weights                         dim    covariance    preprocessing
=============  ==========================================  =====  ============  =========================
``i3d``        StyleGAN-V ``i3d_torchscript.pt`` (TF-Hub    400    N (ddof 0)    shorter side -> 224
               I3D of the original FVD code)                                     bilinear, centre crop,
                                                                                 [-1, 1]
``i3d_tats``   cd-fvd / TATS ``InceptionI3d`` +             400    N (ddof 0)    cd-fvd: [optional loader
               ``i3d_pretrained_400.pt`` (400 logits)                            step] -> 224x224
                                                                                 bilinear, [-1, 1]
``videomae``   cd-fvd VideoMAE-v2 ViT-g/14 SSv2             1408   N (ddof 0)    cd-fvd: [optional loader
               ``forward_features``                                              step] -> 224x224, [0, 1]
``r3d18``      torchvision R3D-18 Kinetics-400,             512    N-1 (ddof 1)  torchvision's preset:
               penultimate layer                                                 128x171, crop 112, mean/std
=============  ==========================================  =====  ============  =========================

cd-fvd's "loader step" (``resolution`` set) is its ``video_folder`` preprocessing
(``cdfvd/utils/data_utils.py: preprocess``): shorter side to ``resolution`` (bilinear, antialiased), centre
crop, then back to uint8 by truncation (``(x * 255).byte()`` in ``cdfvd.fvd.compute_*_stats``). With
``resolution=None`` frames go to the model's resize as given, which is cd-fvd's ``compute_fvd`` /
``add_*_stats`` path for in-memory arrays.

``r3d18`` numbers are **not comparable** with I3D FVDs (different network, features and resolution).
"""
from __future__ import annotations

import math
import os
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    'BACKBONES',
    'VideoBackbone',
    'build_video_backbone',
    'cdfvd_loader_step',
    'resize_short_side_crop'
]

#: name -> (weights manifest key, feature dim, covariance ddof, comparable-with label)
BACKBONES: dict[str, dict[str, Any]] = {
    'i3d': dict(weights='fvd-i3d-torchscript', dim=400, ddof=0, family='I3D (StyleGAN-V / original FVD)'),
    'i3d_tats': dict(weights='fvd-i3d-tats', dim=400, ddof=0, family='I3D (TATS / cd-fvd)'),
    'videomae': dict(weights='fvd-videomae', dim=1408, ddof=0, family='VideoMAE-v2 (cd-fvd)'),
    'r3d18': dict(weights='fvd-r3d18', dim=512, ddof=1,
                  family='R3D-18 (torchvision; NOT comparable with I3D or VideoMAE FVDs)'),
}


# ------------------------------------------------------------------------------------ preprocessing
def resize_short_side_crop(frames: torch.Tensor, size: int, antialias: bool = False) -> torch.Tensor:
    """Resize the shorter side to ``size`` (bilinear, ``align_corners=False``), then centre-crop a square.

    The longer side becomes ``ceil(long * size / short)`` (cd-fvd's rule). Skipped when the frames already
    are ``size x size``.

    Inputs:
        ``(N, C, H, W)`` float frames.
    """
    h, w = frames.shape[-2:]
    if (h, w) == (size, size):
        return frames
    scale = size / min(h, w)
    target = (size, math.ceil(w * scale)) if h <= w else (math.ceil(h * scale), size)
    frames = F.interpolate(frames, size=target, mode='bilinear', align_corners=False, antialias=antialias)
    top, left = (frames.shape[-2] - size) // 2, (frames.shape[-1] - size) // 2
    return frames[..., top:top + size, left:left + size]


def cdfvd_loader_step(clips: torch.Tensor, resolution: int) -> torch.Tensor:
    """cd-fvd's ``video_folder`` preprocessing, back to uint8 as its ``compute_*_stats`` does.

    Inputs:
        ``(B, T, C, H, W)`` uint8. Returns ``(B, T, C, resolution, resolution)`` uint8.
    """
    b, t, c, h, w = clips.shape
    x = clips.reshape(b * t, c, h, w).float() / 255.
    x = resize_short_side_crop(x, resolution, antialias=True) if (h, w) != (resolution, resolution) else x
    # cd-fvd: batch['video'] * 255 -> .byte() (truncation toward zero; values are in [0, 255])
    return (x * 255).to(torch.uint8).reshape(b, t, c, resolution, resolution)


# ------------------------------------------------------------------------------------------ backbone
class VideoBackbone(nn.Module):
    """A video feature extractor: ``uint8 clips -> (B, dim) features``, with its spec.

    Inputs of :meth:`forward`:
        ``(B, T, C, H, W)`` uint8 RGB clips (T = the clip length the metric chose).

    Args:
        name: One of :data:`BACKBONES`.
        model: Module mapping the preprocessed batch to ``(B, dim)`` features.
        weights_sha256: sha256 of the loaded checkpoint (None for an injected module). Defaults to None.
        resolution: cd-fvd's loader resolution (``i3d_tats``/``videomae`` only). Defaults to None.
    """

    def __init__(self, name: str, model: nn.Module, weights_sha256: str | None = None,
                 resolution: int | None = None) -> None:
        super().__init__()
        if name not in BACKBONES:
            raise ValueError(f'`backbone` must be one of {sorted(BACKBONES)}, but got {name!r}')
        self.name = name
        self.model = model.eval().requires_grad_(False)
        self.weights_sha256 = weights_sha256
        self.resolution = resolution
        info = BACKBONES[name]
        self.weights_name: str = info['weights']
        self.ddof: int = info['ddof']
        self.family: str = info['family']
        self.dim: int = info['dim']
        if name == 'r3d18':
            from torchvision.models.video import R3D_18_Weights
            self._r3d_transform = R3D_18_Weights.KINETICS400_V1.transforms()

    @property
    def device(self) -> torch.device:
        for p in self.model.parameters():
            return p.device
        for b in self.model.buffers():
            return b.device
        return torch.device('cpu')

    def spec(self) -> dict[str, Any]:
        """What a feature means: extractor, weights hash, preprocessing (stored with reference stats)."""
        pre = {
            'i3d': 'shorter side to 224 (bilinear, align_corners=False, no antialias), centre crop 224, '
                   '2*x/255-1; (B,C,T,H,W); called with rescale=False, resize=False, return_features=True',
            'i3d_tats': 'cd-fvd preprocess_i3d: 224x224 bilinear (align_corners=False), 2*x/255-1',
            'videomae': 'cd-fvd preprocess_videomae: x/255, 224x224 bilinear (align_corners=False)',
            'r3d18': 'torchvision R3D_18_Weights.KINETICS400_V1 transforms: resize 128x171 (bilinear, no '
                     'antialias), centre crop 112, mean/std normalisation',
        }[self.name]
        if self.resolution is not None:
            pre = (f'cd-fvd loader: shorter side to {self.resolution} (bilinear, antialias), centre crop, '
                   f'uint8 by truncation; then ' + pre)
        return dict(extractor=self.name, weights=self.weights_name, weights_sha256=self.weights_sha256,
                    feature_dim=self.dim, resolution=self.resolution, preprocessing=pre)

    def preprocess(self, clips: torch.Tensor) -> torch.Tensor:
        """uint8 ``(B, T, C, H, W)`` -> the network's input on its device."""
        if clips.dim() != 5 or clips.shape[2] != 3 or clips.dtype != torch.uint8:
            raise ValueError(f'`clips` must be a (B, T, 3, H, W) uint8 tensor, but got {tuple(clips.shape)} '
                             f'{clips.dtype}')
        clips = clips.to(self.device)
        if self.name == 'r3d18':
            return self._r3d_transform(clips)
        if self.resolution is not None:
            clips = cdfvd_loader_step(clips, self.resolution)
        b, t, c, h, w = clips.shape
        # channels-last frames: the (B, C, T, H, W) result is then channels_last_3d (the layout the 3-D
        # convolutions want) without a copy, and bilinear resizing is 2-3x faster; the values are bit-identical
        x = clips.reshape(b * t, c, h, w).contiguous(memory_format=torch.channels_last).float()
        if self.name == 'i3d':
            x = resize_short_side_crop(x, 224).mul(2 / 255).sub_(1)
        elif self.name == 'i3d_tats':
            x = F.interpolate(x, size=(224, 224), mode='bilinear', align_corners=False)
            x = x.mul_(2.).div_(255.).sub_(1)  # same operation order as cd-fvd's preprocess_i3d: 2. * x / 255. - 1
        else:  # videomae
            x = F.interpolate(x.div_(255), size=(224, 224), mode='bilinear', align_corners=False)
        return x.view(b, t, c, 224, 224).permute(0, 2, 1, 3, 4)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """Preprocessed input -> ``(B, dim)`` features."""
        out = self.model.forward_features(x) if self.name == 'videomae' else self.model(x)
        return out.flatten(1)

    def forward(self, clips: torch.Tensor) -> torch.Tensor:
        """uint8 clips -> ``(B, dim)`` float features."""
        return self.forward_features(self.preprocess(clips))


# ------------------------------------------------------------------------------------------- builders
def _load_i3d_tats(path: str, fused: bool) -> nn.Module:
    from cdfvd.third_party.i3d.utils import load_i3d_model  # cd-fvd's own loader (strict state dict)

    model = load_i3d_model(torch.device('cpu'), path)
    if not fused:
        return model
    from aigve.models.i3d_tats import FusedI3D
    return FusedI3D(model)


def _load_videomae(path: str) -> nn.Module:
    from cdfvd.third_party.VideoMAEv2 import utils as videomae_utils  # cd-fvd's builder and loader

    return videomae_utils.load_videomae_model(torch.device('cpu'), path)


def _load_r3d18(path: str) -> nn.Module:
    from torchvision.models.video import r3d_18

    model = r3d_18(weights=None)
    model.load_state_dict(torch.load(path, map_location='cpu', weights_only=True), strict=True)
    model.fc = nn.Identity()  # penultimate 512-d features
    return model


def build_video_backbone(name: str,
                         model_path: str | os.PathLike | None = None,
                         model: nn.Module | None = None,
                         resolution: int | None = None,
                         check_hash: bool = True,
                         fused: bool = True,
                         device: str | torch.device = 'cpu') -> VideoBackbone:
    """Build the FVD backbone ``name`` with its weights (or around an injected ``model``).

    Args:
        name: ``'i3d'``, ``'i3d_tats'``, ``'videomae'`` or ``'r3d18'``.
        model_path: Checkpoint file or folder; None resolves it through the aigve cache / download.
            Defaults to None.
        model: A ready module (preprocessed input -> features); skips weight loading. For ``i3d_tats`` a
            cd-fvd ``InceptionI3d`` is wrapped in :class:`~aigve.models.i3d_tats.FusedI3D` when ``fused``.
            Defaults to None.
        resolution: cd-fvd's loader resolution (``i3d_tats``/``videomae``). Defaults to None.
        check_hash: Passed to :func:`~aigve.utils.weights.resolve_weights`. Defaults to True.
        fused: Run ``i3d_tats`` through :class:`~aigve.models.i3d_tats.FusedI3D` (same numbers, faster).
            Defaults to True.
        device: Device. Defaults to ``'cpu'``.

    Raises:
        ValueError: Unknown ``name``, or ``resolution`` given for a backbone that has none.
        ImportError: ``cd-fvd`` missing for ``i3d_tats``/``videomae``.
    """
    if name not in BACKBONES:
        raise ValueError(f'`backbone` must be one of {sorted(BACKBONES)}, but got {name!r}; '
                         'check `val_evaluator` in your config')
    if resolution is not None and name not in ('i3d_tats', 'videomae'):
        raise ValueError(f'`resolution` applies to the cd-fvd backbones only, but got resolution={resolution} '
                         f'with backbone={name!r}')
    if resolution is not None and (not isinstance(resolution, int) or resolution < 1):
        raise ValueError(f'`resolution` must be a positive int or None, but got {resolution!r}')
    if name in ('i3d_tats', 'videomae'):
        from aigve.utils.imports import is_available
        if not is_available('cdfvd'):
            raise ImportError(f'FVD backbone {name!r} requires `cd-fvd`; install it with: pip install cd-fvd')
    sha256 = None
    if model is None:
        if name == 'i3d':
            from aigve.models.i3d import load_i3d_torchscript
            model, sha256 = load_i3d_torchscript(model_path, check_hash=check_hash)
        else:
            from aigve.utils.weights import resolve_weights
            resolved = resolve_weights(BACKBONES[name]['weights'], model_path, check_hash=check_hash)
            sha256 = resolved.sha256
            loader = {'i3d_tats': lambda p: _load_i3d_tats(p, fused), 'videomae': _load_videomae,
                      'r3d18': _load_r3d18}[name]
            model = loader(str(resolved.path))
    elif name == 'i3d_tats' and fused and type(model).__name__ == 'InceptionI3d':
        from aigve.models.i3d_tats import FusedI3D
        model = FusedI3D(model)
    elif name == 'i3d' and isinstance(model, torch.jit.ScriptModule):
        from aigve.models.i3d import TorchScriptI3D
        model = TorchScriptI3D(model)
    backbone = VideoBackbone(name, model, weights_sha256=sha256, resolution=resolution)
    if name == 'videomae':
        backbone.dim = int(getattr(model, 'embed_dim', backbone.dim))
    return backbone.to(device)
