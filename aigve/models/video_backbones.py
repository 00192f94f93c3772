"""Video feature extractors of FVD: one :class:`VideoBackbone` subclass per backbone, registered in ``MODELS``.

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

A backbone of your own: subclass :class:`VideoBackbone`, set its class attributes, implement
:meth:`VideoBackbone.load` (or :meth:`~VideoBackbone.load_model` with a ``weights_name`` in the weights
manifest) and, if the default per-frame resize does not fit, :meth:`~VideoBackbone.frame_transform` or
:meth:`~VideoBackbone.transform`; register it with ``@MODELS.register_module(name=...)`` and load its module
through the config's ``custom_imports``. ``FVD(backbone=<name>)`` then builds it from the registry.
"""
from __future__ import annotations

import difflib
import math
import os
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from aigve.registry import MODELS

__all__ = [
    'I3DBackbone',
    'I3DTatsBackbone',
    'R3D18Backbone',
    'VideoBackbone',
    'VideoMAEBackbone',
    'cdfvd_loader_step',
    'get_video_backbone',
    'registered_video_backbones',
    'resize_short_side_crop',
]

#: Why the I3D backbones need clips of at least 9 frames.
_I3D_MIN_FRAMES_REASON = 'their last pool spans 2 time steps after 8x temporal downsampling'


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


# ------------------------------------------------------------------------------------------ base class
class VideoBackbone(nn.Module):
    """A video feature extractor: ``uint8 clips -> (B, dim) features``, with its spec and its weights.

    A subclass sets the class attributes below and implements :meth:`load` (or :meth:`load_model`); the
    preprocessing defaults to a per-frame :meth:`frame_transform` (shorter side to
    :attr:`input_resolution`, centre crop, ``x / 255``), laid out as ``(B, C, T, H, W)``.

    Inputs of :meth:`forward`:
        ``(B, T, C, H, W)`` uint8 RGB clips (T = the clip length the metric chose).

    Args:
        model: Module mapping the preprocessed batch to ``(B, dim)`` features.
        weights: The checkpoint record of the loaded weights (None for an injected module or random
            weights). Defaults to None.
    """

    #: registry key (also the ``extractor`` of the spec and ``backbone`` of the protocol)
    name: ClassVar[str] = ''
    #: weights manifest key (``aigve weights list``); None when the backbone resolves no manifest entry
    weights_name: ClassVar[str | None] = None
    #: feature dimension
    feature_dim: ClassVar[int] = 0
    #: covariance convention of the Fréchet distance: 0 = N, 1 = N-1
    ddof: ClassVar[int] = 0
    #: what FVDs of this backbone are (the protocol's ``family``)
    family: ClassVar[str] = ''
    #: what its FVDs can be compared with (the protocol's ``comparable``); empty = the family
    comparable: ClassVar[str] = ''
    #: side of the square frames the network reads
    input_resolution: ClassVar[int] = 224
    #: the preprocessing, in words (part of the spec: feature caches and reference statistics key on it)
    preprocessing: ClassVar[str] = 'shorter side to input_resolution (bilinear), centre crop, x/255'
    #: shortest clip the network accepts, and why
    min_frames: ClassVar[int] = 1
    min_frames_reason: ClassVar[str] = ''
    #: options :meth:`build` accepts besides the common ones (e.g. ``('resolution',)``)
    options: ClassVar[tuple[str, ...]] = ()
    #: optional packages needed: (import name, pip name)
    requires: ClassVar[tuple[tuple[str, str], ...]] = ()

    def __init__(self, model: nn.Module, weights: Any = None) -> None:
        super().__init__()
        self.model = model.eval().requires_grad_(False)
        self.weights = weights
        #: cd-fvd's loader resolution (None: frames go to the network's resize as given)
        self.resolution: int | None = None
        #: feature dimension of this instance (a subclass may read it off the model)
        self.dim: int = self.feature_dim

    # ------------------------------------------------------------------------------------- building
    @classmethod
    def build(cls, model_path: str | os.PathLike | None = None, model: nn.Module | None = None,
              check_hash: bool = True, device: str | torch.device = 'cpu',
              **options: Any) -> tuple[VideoBackbone, Any]:
        """Build this backbone with its weights (or around an injected ``model``).

        Args:
            model_path: Checkpoint file or folder; None resolves it through the aigve cache / download.
                Defaults to None.
            model: A ready module (preprocessed input -> features); skips weight loading (passed through
                :meth:`wrap`). Defaults to None.
            check_hash: Passed to :func:`~aigve.utils.weights.resolve_weights`. Defaults to True.
            device: Device. Defaults to ``'cpu'``.
            **options: The backbone's own options (:attr:`options`).

        Returns:
            tuple: ``(backbone on device, ResolvedWeights or None)`` (None for an injected module).

        Raises:
            TypeError: If the class sets no :attr:`name`, or ``options`` holds one it does not take.
            ImportError: If an optional package of :attr:`requires` is missing.
        """
        if not cls.name:
            raise TypeError(f'{cls.__name__}.name must be set to its registry key, but got {cls.name!r}')
        unknown = sorted(set(options) - set(cls.options))
        if unknown:
            raise TypeError(f'backbone {cls.name!r} takes the options {list(cls.options)}, but got {unknown}')
        cls.check_options(**options)
        from aigve.utils.imports import is_available

        for module, pip_name in cls.requires:
            if not is_available(module):
                raise ImportError(f'FVD backbone {cls.name!r} requires `{pip_name}`; install it with: '
                                  f'pip install {pip_name}')
        if model is None:
            model, resolved = cls.load(model_path, check_hash=check_hash, **options)
        else:
            model, resolved = cls.wrap(model, **options), None
        return cls(model, weights=resolved, **options).to(device), resolved

    @classmethod
    def check_options(cls, **options: Any) -> None:
        """Check the backbone's own options before any weights are loaded (raise ``ValueError``)."""

    @classmethod
    def load(cls, model_path: str | os.PathLike | None = None, check_hash: bool = True,
             **options: Any) -> tuple[nn.Module, Any]:
        """Resolve :attr:`weights_name` and load the network from the file: ``(module, ResolvedWeights)``."""
        if cls.weights_name is None:
            raise NotImplementedError(f'{cls.__name__} has no `weights_name`: override `load`')
        from aigve.utils.weights import resolve_weights

        resolved = resolve_weights(cls.weights_name, model_path, check_hash=check_hash)
        return cls.load_model(str(resolved.path), **options), resolved

    @classmethod
    def load_model(cls, path: str, **options: Any) -> nn.Module:
        """The network with the weights of the file (or folder) ``path``."""
        raise NotImplementedError(f'{cls.__name__} must implement `load_model` (or `load`)')

    @classmethod
    def wrap(cls, model: nn.Module, **options: Any) -> nn.Module:
        """An injected module as the backbone runs it (unchanged by default)."""
        return model

    @classmethod
    def check_num_frames(cls, num_frames: int) -> None:
        """Raise ``ValueError`` for a clip shorter than :attr:`min_frames`."""
        if num_frames < cls.min_frames:
            why = f' ({cls.min_frames_reason})' if cls.min_frames_reason else ''
            raise ValueError(f'`num_frames` must be at least {cls.min_frames} for backbone {cls.name!r}{why}, '
                             f'but got {num_frames}')

    # ------------------------------------------------------------------------------------- features
    @property
    def device(self) -> torch.device:
        for p in self.model.parameters():
            return p.device
        for b in self.model.buffers():
            return b.device
        return torch.device('cpu')

    @property
    def weights_sha256(self) -> str | None:
        """sha256 of the loaded checkpoint (None for an injected module)."""
        return None if self.weights is None else self.weights.sha256

    def describe_preprocessing(self) -> str:
        """The preprocessing in words (the spec's ``preprocessing``)."""
        return self.preprocessing

    def spec(self) -> dict[str, Any]:
        """What a feature means: extractor, weights hash, preprocessing (stored with reference stats)."""
        return dict(extractor=self.name, weights=self.weights_name, weights_sha256=self.weights_sha256,
                    feature_dim=self.dim, resolution=self.resolution, preprocessing=self.describe_preprocessing())

    def preprocess(self, clips: torch.Tensor) -> torch.Tensor:
        """uint8 ``(B, T, C, H, W)`` -> the network's input on its device."""
        if clips.dim() != 5 or clips.shape[2] != 3 or clips.dtype != torch.uint8:
            raise ValueError(f'`clips` must be a (B, T, 3, H, W) uint8 tensor, but got {tuple(clips.shape)} '
                             f'{clips.dtype}')
        return self.transform(clips.to(self.device))

    def transform(self, clips: torch.Tensor) -> torch.Tensor:
        """uint8 ``(B, T, C, H, W)`` on the device -> ``(B, C, T, s, s)`` through :meth:`frame_transform`."""
        b, t, c, h, w = clips.shape
        # channels-last frames: the (B, C, T, H, W) result is then channels_last_3d (the layout the 3-D
        # convolutions want) without a copy, and bilinear resizing is 2-3x faster; the values are bit-identical
        x = clips.reshape(b * t, c, h, w).contiguous(memory_format=torch.channels_last).float()
        x = self.frame_transform(x)
        s = self.input_resolution
        return x.view(b, t, c, s, s).permute(0, 2, 1, 3, 4)

    def frame_transform(self, frames: torch.Tensor) -> torch.Tensor:
        """float ``(N, C, H, W)`` in ``[0, 255]`` -> ``(N, C, s, s)`` network frames."""
        return resize_short_side_crop(frames, self.input_resolution).div_(255)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """Preprocessed input -> ``(B, dim)`` features."""
        return self.model(x).flatten(1)

    def forward(self, clips: torch.Tensor) -> torch.Tensor:
        """uint8 clips -> ``(B, dim)`` float features."""
        return self.forward_features(self.preprocess(clips))


# ------------------------------------------------------------------------------------------ backbones
@MODELS.register_module(name='i3d')
class I3DBackbone(VideoBackbone):
    """StyleGAN-V's TorchScript I3D (the research-standard FVD); an injected TorchScript module is wrapped
    in :class:`~aigve.models.i3d.TorchScriptI3D`."""

    name = 'i3d'
    weights_name = 'fvd-i3d-torchscript'
    feature_dim = 400
    ddof = 0
    family = 'I3D (StyleGAN-V / original FVD)'
    comparable = family
    input_resolution = 224
    preprocessing = ('shorter side to 224 (bilinear, align_corners=False, no antialias), centre crop 224, '
                     '2*x/255-1; (B,C,T,H,W); called with rescale=False, resize=False, return_features=True')
    min_frames = 9
    min_frames_reason = _I3D_MIN_FRAMES_REASON

    @classmethod
    def load(cls, model_path: str | os.PathLike | None = None, check_hash: bool = True,
             **options: Any) -> tuple[nn.Module, Any]:
        from aigve.models.i3d import load_i3d_torchscript

        return load_i3d_torchscript(model_path, check_hash=check_hash)

    @classmethod
    def wrap(cls, model: nn.Module, **options: Any) -> nn.Module:
        if isinstance(model, torch.jit.ScriptModule):
            from aigve.models.i3d import TorchScriptI3D
            return TorchScriptI3D(model)
        return model

    def frame_transform(self, frames: torch.Tensor) -> torch.Tensor:
        return resize_short_side_crop(frames, 224).mul(2 / 255).sub_(1)


class CDFVDBackbone(VideoBackbone):
    """The cd-fvd backbones: cd-fvd's networks and loaders, and its optional loader step (``resolution``).

    Args:
        model: See :class:`VideoBackbone`.
        weights: See :class:`VideoBackbone`.
        resolution: cd-fvd's loader resolution (shorter side, centre crop, uint8); None feeds frames as
            given (cd-fvd's in-memory ``compute_fvd`` path). Defaults to None.
    """

    options = ('resolution',)
    requires = (('cdfvd', 'cd-fvd'),)

    def __init__(self, model: nn.Module, weights: Any = None, resolution: int | None = None) -> None:
        self.check_options(resolution=resolution)
        super().__init__(model, weights)
        self.resolution = resolution

    @classmethod
    def check_options(cls, resolution: int | None = None, **options: Any) -> None:
        if resolution is not None and (not isinstance(resolution, int) or isinstance(resolution, bool)
                                       or resolution < 1):
            raise ValueError(f'`resolution` must be a positive int or None, but got {resolution!r}')

    def describe_preprocessing(self) -> str:
        if self.resolution is None:
            return self.preprocessing
        return (f'cd-fvd loader: shorter side to {self.resolution} (bilinear, antialias), centre crop, uint8 by '
                f'truncation; then ' + self.preprocessing)

    def transform(self, clips: torch.Tensor) -> torch.Tensor:
        if self.resolution is not None:
            clips = cdfvd_loader_step(clips, self.resolution)
        return super().transform(clips)


@MODELS.register_module(name='i3d_tats')
class I3DTatsBackbone(CDFVDBackbone):
    """cd-fvd's / TATS' ``InceptionI3d`` (400 logits), run through :class:`~aigve.models.i3d_tats.FusedI3D`
    (same numbers, faster) unless ``fused=False``; an injected ``InceptionI3d`` is fused likewise.

    Args:
        model, weights, resolution: See :class:`CDFVDBackbone`.
        fused: Whether the network is (to be) fused; recorded only. Defaults to True.
    """

    name = 'i3d_tats'
    weights_name = 'fvd-i3d-tats'
    feature_dim = 400
    ddof = 0
    family = 'I3D (TATS / cd-fvd)'
    comparable = family
    input_resolution = 224
    preprocessing = 'cd-fvd preprocess_i3d: 224x224 bilinear (align_corners=False), 2*x/255-1'
    min_frames = 9
    min_frames_reason = _I3D_MIN_FRAMES_REASON
    options = ('resolution', 'fused')

    def __init__(self, model: nn.Module, weights: Any = None, resolution: int | None = None,
                 fused: bool = True) -> None:
        super().__init__(model, weights, resolution)
        self.fused = fused

    @classmethod
    def load_model(cls, path: str, fused: bool = True, **options: Any) -> nn.Module:
        from cdfvd.third_party.i3d.utils import load_i3d_model  # cd-fvd's own loader (strict state dict)

        return cls.wrap(load_i3d_model(torch.device('cpu'), path), fused=fused)

    @classmethod
    def wrap(cls, model: nn.Module, fused: bool = True, **options: Any) -> nn.Module:
        if fused and type(model).__name__ == 'InceptionI3d':
            from aigve.models.i3d_tats import FusedI3D
            return FusedI3D(model)
        return model

    def frame_transform(self, frames: torch.Tensor) -> torch.Tensor:
        x = F.interpolate(frames, size=(224, 224), mode='bilinear', align_corners=False)
        return x.mul_(2.).div_(255.).sub_(1)  # same operation order as cd-fvd's preprocess_i3d: 2. * x / 255. - 1


@MODELS.register_module(name='videomae')
class VideoMAEBackbone(CDFVDBackbone):
    """cd-fvd's VideoMAE-v2 ViT-g/14 (SSv2), ``forward_features``; the feature dimension is the model's
    ``embed_dim``."""

    name = 'videomae'
    weights_name = 'fvd-videomae'
    feature_dim = 1408
    ddof = 0
    family = 'VideoMAE-v2 (cd-fvd)'
    comparable = family
    input_resolution = 224
    preprocessing = 'cd-fvd preprocess_videomae: x/255, 224x224 bilinear (align_corners=False)'

    def __init__(self, model: nn.Module, weights: Any = None, resolution: int | None = None) -> None:
        super().__init__(model, weights, resolution)
        self.dim = int(getattr(model, 'embed_dim', self.feature_dim))

    @classmethod
    def load_model(cls, path: str, **options: Any) -> nn.Module:
        from cdfvd.third_party.VideoMAEv2 import utils as videomae_utils  # cd-fvd's builder and loader

        return videomae_utils.load_videomae_model(torch.device('cpu'), path)

    def frame_transform(self, frames: torch.Tensor) -> torch.Tensor:
        return F.interpolate(frames.div_(255), size=(224, 224), mode='bilinear', align_corners=False)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.model.forward_features(x).flatten(1)


@MODELS.register_module(name='r3d18')
class R3D18Backbone(VideoBackbone):
    """torchvision's R3D-18 (Kinetics-400), 512-d penultimate features, with torchvision's own preset."""

    name = 'r3d18'
    weights_name = 'fvd-r3d18'
    feature_dim = 512
    ddof = 1
    family = 'R3D-18 (torchvision; NOT comparable with I3D or VideoMAE FVDs)'
    comparable = 'not comparable with I3D FVDs'
    input_resolution = 112
    preprocessing = ('torchvision R3D_18_Weights.KINETICS400_V1 transforms: resize 128x171 (bilinear, no '
                     'antialias), centre crop 112, mean/std normalisation')

    def __init__(self, model: nn.Module, weights: Any = None) -> None:
        super().__init__(model, weights)
        from torchvision.models.video import R3D_18_Weights
        self._r3d_transform = R3D_18_Weights.KINETICS400_V1.transforms()

    @classmethod
    def load_model(cls, path: str, **options: Any) -> nn.Module:
        from torchvision.models.video import r3d_18

        model = r3d_18(weights=None)
        model.load_state_dict(torch.load(path, map_location='cpu', weights_only=True), strict=True)
        model.fc = nn.Identity()  # penultimate 512-d features
        return model

    def transform(self, clips: torch.Tensor) -> torch.Tensor:
        return self._r3d_transform(clips)


# ------------------------------------------------------------------------------------------ lookup
def registered_video_backbones() -> dict[str, type[VideoBackbone]]:
    """Registry key -> class of every :class:`VideoBackbone` in ``aigve.registry.MODELS`` (yours included)."""
    return {key: cls for key, cls in MODELS.module_dict.items()
            if isinstance(cls, type) and issubclass(cls, VideoBackbone)}


def get_video_backbone(name: str) -> type[VideoBackbone]:
    """The :class:`VideoBackbone` subclass registered in ``MODELS`` as ``name``.

    Raises:
        ValueError: If ``name`` is not registered, or is registered but not a video backbone; the message
            lists the registered backbones and the closest names.
    """
    cls = MODELS.get(name) if isinstance(name, str) else None
    if isinstance(cls, type) and issubclass(cls, VideoBackbone):
        return cls
    known = sorted(registered_video_backbones())
    close = difflib.get_close_matches(str(name), known, n=2, cutoff=0.5)
    hint = f" (did you mean {' or '.join(map(repr, close))}?)" if close else ''
    got = repr(name) if cls is None else f'{name!r} (registered, but {cls!r} is not a VideoBackbone)'
    raise ValueError(f'`backbone` must be one of the registered video backbones {known}{hint}, but got {got}; '
                     'a backbone of your own is a VideoBackbone subclass registered with '
                     '@MODELS.register_module() and loaded through the config\'s custom_imports')
