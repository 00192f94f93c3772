"""FID Inception-v3: the TensorFlow ``inception-2015-12-05`` graph used by FID and IS, in PyTorch.

The architecture follows the PyTorch port of mseitzer/pytorch-fid (``src/pytorch_fid/inception.py``,
Apache-2.0), itself a port of the TF graph from http://download.tensorflow.org/models/image/imagenet/
inception-2015-12-05.tgz (Apache-2.0). It is torchvision's Inception-v3 with three differences:

* the 3x3 average pools inside the A, C and first E blocks ignore padded zeros
  (``count_include_pad=False``), as TensorFlow's average pool does;
* the last E block (``Mixed_7c``) pools with a 3x3 **max** pool instead of an average pool;
* the classifier has 1008 outputs and there is no auxiliary head.

Module names equal pytorch-fid's ``fid_inception_v3()`` (= torchvision's ``Inception3`` names), so its
checkpoint ``pt_inception-2015-12-05-6726825d.pth`` loads with ``strict=True``. torch-fidelity's
``weights-inception-2015-12-05-6726825d.pth`` uses the same names.

Two input protocols (:data:`INPUT_PROTOCOLS`, :meth:`FIDInception.preprocess`):

* ``'pytorch-fid'`` (mseitzer/pytorch-fid): uint8 ``[0, 255]`` -> float ``/255`` -> bilinear resize to
  299x299 (``F.interpolate``, ``align_corners=False``, half-pixel centres, no antialias) -> ``2x - 1``.
* ``'torch-fidelity'`` (toshas/torch-fidelity, whose extractor reproduces the original TF graph, and so
  torchmetrics' FID/IS/KID): the 0-255 values are resized with TensorFlow 1.x's bilinear rule
  (:func:`resize_bilinear_tf1`: source coordinate ``dst * in/out``, no half-pixel centres), then
  normalised with ``(x - 128) / 128`` (range ``[-1, 127/128]``).

At 299x299 input both resizes are the identity and only the normalisation differs; at other sizes both
differ, so the two protocols give features (and FID/IS/KID values) that agree only approximately.
"""
from __future__ import annotations

from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import nn
from torchvision.models.inception import BasicConv2d, InceptionA, InceptionB, InceptionC, InceptionD, InceptionE

from aigve.registry import MODELS
from aigve.utils.weights import ResolvedWeights, resolve_weights

__all__ = ['INPUT_PROTOCOLS', 'FIDInception', 'FIDInceptionA', 'FIDInceptionC', 'FIDInceptionE',
           'check_input_protocol', 'load_fid_inception', 'resize_bilinear_tf1']

#: Manifest entry of the checkpoint (``aigve.utils.manifest.WEIGHTS``: file name, URL, sha256 prefix).
WEIGHTS_NAME = 'fid-inception'

#: The input protocols of :meth:`FIDInception.preprocess`, with their description (part of feature specs).
INPUT_PROTOCOLS: dict[str, str] = {
    'pytorch-fid': 'pytorch-fid: x/255, bilinear 299x299 (align_corners=False), 2x-1',
    'torch-fidelity': 'torch-fidelity: x in [0, 255], TF1 bilinear 299x299 (align_corners=False, '
                      'no half-pixel centres), (x-128)/128',
}


def check_input_protocol(input_protocol: str) -> str:
    """Return ``input_protocol`` if it is a key of :data:`INPUT_PROTOCOLS`, else raise ``ValueError``."""
    if not isinstance(input_protocol, str) or input_protocol not in INPUT_PROTOCOLS:
        names = ' or '.join(repr(k) for k in INPUT_PROTOCOLS)
        raise ValueError(f'`input_protocol` must be {names}, but got {input_protocol!r}')
    return input_protocol


def _tf1_source_positions(in_size: int, out_size: int, dtype: torch.dtype,
                          device: torch.device) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Per output index along one axis: lower and upper source index and the weight of the upper one.

    TensorFlow 1.x (``resize_bilinear`` with ``align_corners=False``, ``half_pixel_centers=False``)
    scales by ``in / out`` computed in single precision and samples the source at ``dst * scale``
    (no half-pixel offset), clamping the upper neighbour to the last pixel.
    """
    scale = torch.tensor(in_size / out_size, dtype=torch.float32, device=device)
    pos = torch.arange(out_size, dtype=dtype, device=device) * scale
    lower = pos.long()  # pos >= 0: truncation is the floor
    upper = (lower + 1).clamp(max=in_size - 1)
    return lower, upper, pos - lower.to(dtype)


def resize_bilinear_tf1(images: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Bilinear resize as TensorFlow 1.x's ``tf.image.resize_bilinear`` (``align_corners=False``).

    The resize of the TF Inception graph that FID, IS and KID were defined with, and that torch-fidelity
    reproduces (``interpolate_bilinear_2d_like_tensorflow1x``). Unlike ``F.interpolate(mode='bilinear')``
    it has no half-pixel centres (output pixel ``j`` samples source coordinate ``j * in/out``) and no
    antialiasing: downsampling skips source pixels. Interpolation is rows first then columns, in the
    input's floating dtype (coordinates in float32, or float64 for float64 input).

    Args:
        images: ``(N, C, H, W)`` floating-point tensor (any value range).
        size: Output ``(height, width)``.

    Returns:
        torch.Tensor: ``(N, C, *size)``, same dtype and device.

    Raises:
        TypeError: If ``images`` is not a floating-point tensor.
        ValueError: If ``images`` is not 4-D or ``size`` is not two positive ints.

    Examples:
        >>> x = torch.arange(4.).view(1, 1, 1, 4)
        >>> resize_bilinear_tf1(x, (1, 8)).flatten().tolist()
        [0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.0]
    """
    if not isinstance(images, torch.Tensor) or not images.is_floating_point():
        got = images.dtype if isinstance(images, torch.Tensor) else type(images).__name__
        raise TypeError(f'`images` must be a floating-point torch.Tensor, but got {got}')
    if images.dim() != 4:
        raise ValueError(f'`images` must be a (N, C, H, W) tensor, but got shape {tuple(images.shape)}')
    if (not isinstance(size, (tuple, list)) or len(size) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in size)):
        raise ValueError(f'`size` must be two positive ints (height, width), but got {size!r}')
    pos_dtype = torch.float64 if images.dtype == torch.float64 else torch.float32
    (h_in, w_in), (h_out, w_out) = images.shape[-2:], size
    y0, y1, wy = _tf1_source_positions(h_in, h_out, pos_dtype, images.device)
    x0, x1, wx = _tf1_source_positions(w_in, w_out, pos_dtype, images.device)
    wx, wy = wx.to(images.dtype).view(1, 1, 1, w_out), wy.to(images.dtype).view(1, 1, h_out, 1)
    top, bottom = images.index_select(2, y0), images.index_select(2, y1)

    def along_x(rows: torch.Tensor) -> torch.Tensor:
        left, right = rows.index_select(3, x0), rows.index_select(3, x1)
        return left + (right - left) * wx

    top, bottom = along_x(top), along_x(bottom)
    return top + (bottom - top) * wy


def _tf_avg_pool(x: torch.Tensor) -> torch.Tensor:
    """3x3 stride-1 average pool that, like TensorFlow's, averages over valid (unpadded) pixels only."""
    return F.avg_pool2d(x, kernel_size=3, stride=1, padding=1, count_include_pad=False)


def _chain(x: torch.Tensor, *layers: nn.Module) -> torch.Tensor:
    for layer in layers:
        x = layer(x)
    return x


class FIDInceptionA(InceptionA):
    """torchvision ``InceptionA`` (same layers and names) with TensorFlow's average pool."""

    def _forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        return [
            self.branch1x1(x),
            _chain(x, self.branch5x5_1, self.branch5x5_2),
            _chain(x, self.branch3x3dbl_1, self.branch3x3dbl_2, self.branch3x3dbl_3),
            self.branch_pool(_tf_avg_pool(x)),
        ]


class FIDInceptionC(InceptionC):
    """torchvision ``InceptionC`` (same layers and names) with TensorFlow's average pool."""

    def _forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        return [
            self.branch1x1(x),
            _chain(x, self.branch7x7_1, self.branch7x7_2, self.branch7x7_3),
            _chain(x, self.branch7x7dbl_1, self.branch7x7dbl_2, self.branch7x7dbl_3, self.branch7x7dbl_4,
                   self.branch7x7dbl_5),
            self.branch_pool(_tf_avg_pool(x)),
        ]


class FIDInceptionE(InceptionE):
    """torchvision ``InceptionE`` (same layers and names) with the FID graph's pooling branch.

    Args:
        in_channels: Input channels.
        pool: ``'avg'`` (TensorFlow average pool, ``Mixed_7b``) or ``'max'`` (``Mixed_7c``).
    """

    def __init__(self, in_channels: int, pool: str) -> None:
        super().__init__(in_channels)
        if pool not in ('avg', 'max'):
            raise ValueError(f"`pool` must be 'avg' or 'max', but got {pool!r}")
        self.pool = pool

    def _forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        b3 = self.branch3x3_1(x)
        b3dbl = _chain(x, self.branch3x3dbl_1, self.branch3x3dbl_2)
        pooled = F.max_pool2d(x, kernel_size=3, stride=1, padding=1) if self.pool == 'max' else _tf_avg_pool(x)
        return [
            self.branch1x1(x),
            torch.cat([self.branch3x3_2a(b3), self.branch3x3_2b(b3)], 1),
            torch.cat([self.branch3x3dbl_3a(b3dbl), self.branch3x3dbl_3b(b3dbl)], 1),
            self.branch_pool(pooled),
        ]


@MODELS.register_module()
class FIDInception(nn.Module):
    """The FID Inception-v3 feature extractor (random weights until :meth:`load_checkpoint`).

    Use :func:`load_fid_inception` to get it with the real weights.

    Inputs:
        ``(N, 3, H, W)`` RGB images: uint8 in ``[0, 255]``, or float in ``[0, 1]``. Any ``H, W``
        (resized to 299x299 when ``resize_input``). Frames of a ``(T, C, H, W)`` video are a batch.

    Outputs of :meth:`forward` (float, the model's dtype):

    * ``pool``: ``(N, 2048)`` global average pool of ``Mixed_7c``: the FID/KID feature
      (pytorch-fid dims=2048, torch-fidelity ``'2048'``).
    * ``logits_unbiased``: ``(N, 1008)`` ``pool @ fc.weight.T`` without the bias: what torch-fidelity's
      IS uses (``'logits_unbiased'``), as the original TF IS code took the softmax MatMul input.
    * ``logits``: ``(N, 1008)`` the full ``fc`` output (with bias).

    Args:
        resize_input: Resize inputs to 299x299 (with the protocol's resize). Defaults to True.
        input_protocol: ``'pytorch-fid'`` or ``'torch-fidelity'`` (see the module docstring and
            :data:`INPUT_PROTOCOLS`): how :meth:`forward` scales and resizes. Defaults to ``'pytorch-fid'``.

    Examples:
        >>> import torch
        >>> net = FIDInception().eval()
        >>> out = net(torch.zeros(1, 3, 75, 75, dtype=torch.uint8))
        >>> tuple(out['pool'].shape), tuple(out['logits'].shape)
        ((1, 2048), (1, 1008))
    """

    INPUT_SIZE = 299
    FEATURE_DIMS: ClassVar[dict[str, int]] = {'pool': 2048, 'logits_unbiased': 1008, 'logits': 1008}

    def __init__(self, resize_input: bool = True, input_protocol: str = 'pytorch-fid') -> None:
        super().__init__()
        self.resize_input = resize_input
        self.input_protocol = check_input_protocol(input_protocol)
        self.Conv2d_1a_3x3 = BasicConv2d(3, 32, kernel_size=3, stride=2)
        self.Conv2d_2a_3x3 = BasicConv2d(32, 32, kernel_size=3)
        self.Conv2d_2b_3x3 = BasicConv2d(32, 64, kernel_size=3, padding=1)
        self.Conv2d_3b_1x1 = BasicConv2d(64, 80, kernel_size=1)
        self.Conv2d_4a_3x3 = BasicConv2d(80, 192, kernel_size=3)
        self.Mixed_5b = FIDInceptionA(192, pool_features=32)
        self.Mixed_5c = FIDInceptionA(256, pool_features=64)
        self.Mixed_5d = FIDInceptionA(288, pool_features=64)
        self.Mixed_6a = InceptionB(288)
        self.Mixed_6b = FIDInceptionC(768, channels_7x7=128)
        self.Mixed_6c = FIDInceptionC(768, channels_7x7=160)
        self.Mixed_6d = FIDInceptionC(768, channels_7x7=160)
        self.Mixed_6e = FIDInceptionC(768, channels_7x7=192)
        self.Mixed_7a = InceptionD(768)
        self.Mixed_7b = FIDInceptionE(1280, pool='avg')
        self.Mixed_7c = FIDInceptionE(2048, pool='max')
        self.fc = nn.Linear(2048, 1008)

    # ------------------------------------------------------------------------------ preprocessing
    def preprocess(self, images: torch.Tensor, input_protocol: str | None = None) -> torch.Tensor:
        """Scale to about ``[-1, 1]`` and resize to 299x299 as pytorch-fid or torch-fidelity does.

        ``'pytorch-fid'``: ``x/255``, ``F.interpolate`` bilinear, ``2x - 1``. ``'torch-fidelity'``: the
        0-255 values (float input is multiplied by 255) resized with :func:`resize_bilinear_tf1`, then
        ``(x - 128) / 128``, computed in at least float32 and cast to the model's dtype.

        Args:
            images: ``(N, 3, H, W)`` uint8 in ``[0, 255]`` or float in ``[0, 1]``.
            input_protocol: A key of :data:`INPUT_PROTOCOLS`; None uses the module's
                ``input_protocol``. Defaults to None.

        Returns:
            torch.Tensor: ``(N, 3, 299, 299)`` in the model's dtype and device.

        Raises:
            TypeError: If ``images`` is not a uint8 or float tensor.
            ValueError: On a wrong shape, float values outside ``[0, 1]``, or an unknown protocol.
        """
        protocol = self.input_protocol if input_protocol is None else check_input_protocol(input_protocol)
        if not isinstance(images, torch.Tensor):
            raise TypeError(f'`images` must be a torch.Tensor, but got {type(images).__name__}')
        if images.dim() != 4 or images.shape[1] != 3:
            raise ValueError(f'`images` must be a (N, 3, H, W) RGB tensor, but got shape {tuple(images.shape)}')
        param = self.fc.weight
        if images.dtype != torch.uint8 and not images.is_floating_point():
            raise TypeError(f'`images` must be uint8 or floating point, but got {images.dtype}')
        if protocol == 'torch-fidelity':
            return self._preprocess_torch_fidelity(images)
        if images.dtype == torch.uint8:
            x = images.to(device=param.device, dtype=param.dtype) / 255
        else:
            x = images.to(device=param.device, dtype=param.dtype)
            self._check_unit_range(x)
        if self.resize_input and tuple(x.shape[-2:]) != (self.INPUT_SIZE, self.INPUT_SIZE):
            # a same-size bilinear resize is the identity, so skipping it is exact
            x = F.interpolate(x, size=(self.INPUT_SIZE, self.INPUT_SIZE), mode='bilinear', align_corners=False)
        return 2 * x - 1

    @staticmethod
    def _check_unit_range(x: torch.Tensor) -> None:
        if x.numel() and (x.min() < 0 or x.max() > 1):
            raise ValueError(f'float `images` must be in [0, 1], but got values in '
                             f'[{x.min().item():.4g}, {x.max().item():.4g}]; pass uint8 for [0, 255]')

    def _preprocess_torch_fidelity(self, images: torch.Tensor) -> torch.Tensor:
        """torch-fidelity's ``FeatureExtractorInceptionV3.forward`` input steps, on 0-255 values."""
        param = self.fc.weight
        work = torch.promote_types(param.dtype, torch.float32)
        x = images.to(device=param.device, dtype=work)
        if images.is_floating_point():
            self._check_unit_range(x)
            x = x * 255
        if self.resize_input and tuple(x.shape[-2:]) != (self.INPUT_SIZE, self.INPUT_SIZE):
            x = resize_bilinear_tf1(x, (self.INPUT_SIZE, self.INPUT_SIZE))  # same-size: identity, skipped
        return ((x - 128) / 128).to(param.dtype)

    # ------------------------------------------------------------------------------------ network
    def forward_features(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Run the network on already preprocessed input (``[-1, 1]``, normally 299x299)."""
        x = _chain(x, self.Conv2d_1a_3x3, self.Conv2d_2a_3x3, self.Conv2d_2b_3x3)
        x = F.max_pool2d(x, kernel_size=3, stride=2)
        x = _chain(x, self.Conv2d_3b_1x1, self.Conv2d_4a_3x3)
        x = F.max_pool2d(x, kernel_size=3, stride=2)
        x = _chain(x, self.Mixed_5b, self.Mixed_5c, self.Mixed_5d, self.Mixed_6a, self.Mixed_6b, self.Mixed_6c,
                   self.Mixed_6d, self.Mixed_6e, self.Mixed_7a, self.Mixed_7b, self.Mixed_7c)
        pool = F.adaptive_avg_pool2d(x, output_size=(1, 1)).flatten(1)
        logits_unbiased = pool @ self.fc.weight.T
        return {'pool': pool, 'logits_unbiased': logits_unbiased, 'logits': logits_unbiased + self.fc.bias}

    def forward(self, images: torch.Tensor, input_protocol: str | None = None) -> dict[str, torch.Tensor]:
        """Preprocess ``images`` (see :meth:`preprocess`) and return ``pool``, ``logits_unbiased``, ``logits``."""
        return self.forward_features(self.preprocess(images, input_protocol))

    # -------------------------------------------------------------------------------- checkpoint
    def load_checkpoint(self, path: str) -> None:
        """Load a pytorch-fid format state dict with ``strict=True``.

        BatchNorm ``num_batches_tracked`` counters (unused in eval) may be absent from older files.

        Raises:
            RuntimeError: If keys or shapes do not match (the message lists them).
        """
        state = torch.load(path, map_location='cpu', weights_only=True)
        if not isinstance(state, dict):
            # a bad file, like a key mismatch from load_state_dict, is a RuntimeError, not a caller's TypeError
            raise RuntimeError(f'FID Inception checkpoint {path} must hold a state dict, but got '
                               f'{type(state).__name__}')
        state = dict(state)
        for key, value in self.state_dict().items():
            if key.endswith('num_batches_tracked') and key not in state:
                state[key] = torch.zeros_like(value)
        self.load_state_dict(state, strict=True)


def load_fid_inception(model_path: str | None = None,
                       device: str | torch.device = 'cpu',
                       check_hash: bool = True,
                       input_protocol: str = 'pytorch-fid') -> tuple[FIDInception, ResolvedWeights]:
    """Build the FID Inception with its pretrained weights, in eval mode without gradients.

    The checkpoint is the manifest entry ``'fid-inception'``, found by
    :func:`aigve.utils.weights.resolve_weights` (explicit path, then the aigve cache, then a download unless
    offline), which also logs where it was loaded from and checks the file's sha256.

    Args:
        model_path: A checkpoint file, or a directory holding the manifest's file name
            (``pt_inception-2015-12-05-6726825d.pth``). Defaults to None (cache / download).
        device: Device to put the model on. Defaults to ``'cpu'``.
        check_hash: Refuse a ``model_path`` whose sha256 differs from the published file's. Set False
            only to load other weights on purpose (tests use random ones). Defaults to True.
        input_protocol: The module's default input protocol (:data:`INPUT_PROTOCOLS`).
            Defaults to ``'pytorch-fid'``.

    Returns:
        ``(model, resolved)``: the network and the record of the checkpoint it loaded (name, path, sha256).

    Raises:
        FileNotFoundError: ``model_path`` is missing, or the weights are neither cached nor downloadable
            (the message names the places searched and the download command).
        ValueError: The file's hash does not match (``WeightsHashError``), or an unknown ``input_protocol``.
        RuntimeError: The file's keys or shapes are not the FID Inception's.
    """
    check_input_protocol(input_protocol)  # before any download
    resolved = resolve_weights(WEIGHTS_NAME, model_path, check_hash=check_hash)
    model = FIDInception(input_protocol=input_protocol)
    model.load_checkpoint(str(resolved.path))
    return model.to(device).eval().requires_grad_(False), resolved
