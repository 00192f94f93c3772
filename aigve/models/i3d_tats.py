"""A faster inference copy of cd-fvd's / TATS' ``InceptionI3d`` (same weights, same numbers).

cd-fvd 0.1.1 (``cdfvd/third_party/i3d/pytorch_i3d.py``, itself from piergiaj/pytorch-i3d, Apache-2.0)
builds the I3D of the TATS FVD checkpoint ``i3d_pretrained_400.pt``. Its forward pads every conv and pool
input with a separate ``F.pad`` ("same" padding computed from the input size), runs BatchNorm as its own
pass and calls three 1x1x1 convolutions on the same input in each Inception block.

:class:`FusedI3D` is built *from* a loaded ``InceptionI3d`` and computes the same function faster:

* BatchNorm folded into the convolution weights (eval mode; exact up to float rounding);
* "same" padding passed to the convolution / pool itself when it is symmetric (``F.pad`` only when the
  split is uneven; uneven max-pool padding uses ``ceil_mode`` instead). Max pools pad with ``-inf``
  instead of 0, which is identical here because every pool input follows a ReLU (values >= 0);
* the three 1x1x1 convolutions of a block that read the same input merged into one;
* ``channels_last_3d`` memory format (oneDNN's fast layout for 3-D convolutions on CPU), in-place ReLU.

The output equals ``InceptionI3d.forward`` (400 logits averaged over time) to about 1e-6 relative; the
tests check it.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ['FusedI3D', 'same_padding']


def same_padding(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """TensorFlow "SAME" padding ``(front, back)`` of one dimension, as pytorch-i3d computes it."""
    pad = max(kernel - stride, 0) if size % stride == 0 else max(kernel - size % stride, 0)
    return pad // 2, pad - pad // 2


def _pad_args(x: torch.Tensor, kernel: tuple[int, ...], stride: tuple[int, ...]) -> tuple[tuple, tuple | None]:
    """Symmetric padding for the op, and an extra ``F.pad`` tuple when some split is uneven."""
    pads = [same_padding(s, k, st) for s, k, st in zip(x.shape[2:], kernel, stride)]
    if all(f == b for f, b in pads):
        return tuple(f for f, _ in pads), None
    flat: list[int] = []
    for f, b in reversed(pads):  # F.pad lists the last dimension first
        flat += [f, b]
    return (0, 0, 0), tuple(flat)


class _ConvUnit(nn.Module):
    """Conv3d with folded BatchNorm, "same" padding and optional ReLU."""

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor, stride: tuple[int, ...], relu: bool) -> None:
        super().__init__()
        self.weight = nn.Parameter(weight.contiguous(memory_format=torch.channels_last_3d), requires_grad=False)
        self.bias = nn.Parameter(bias, requires_grad=False)
        self.kernel = tuple(weight.shape[2:])
        self.stride = tuple(stride)
        self.relu = relu

    @classmethod
    def from_unit(cls, unit: nn.Module) -> _ConvUnit:
        """Fold a pytorch-i3d ``Unit3D`` (conv [+ BN] [+ ReLU]) into one conv."""
        conv = unit.conv3d
        weight = conv.weight.detach().clone()
        bias = conv.bias.detach().clone() if conv.bias is not None else torch.zeros(weight.shape[0])
        if getattr(unit, '_use_batch_norm', False):
            bn = unit.bn
            scale = bn.weight.detach() / torch.sqrt(bn.running_var.detach() + bn.eps)
            weight = weight * scale.view(-1, 1, 1, 1, 1)
            bias = (bias - bn.running_mean.detach()) * scale + bn.bias.detach()
        act = unit._activation_fn
        if act is not None and act is not F.relu:
            raise ValueError(f'FusedI3D supports ReLU units only, but got activation {act!r}')
        return cls(weight, bias, conv.stride, relu=act is not None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        padding, extra = _pad_args(x, self.kernel, self.stride)
        if extra is not None:
            x = F.pad(x, extra)
        x = F.conv3d(x, self.weight, self.bias, self.stride, padding)
        return F.relu_(x) if self.relu else x


class _MaxPoolSame(nn.Module):
    """Max pool with "same" padding; inputs are >= 0, so ``-inf`` and zero padding agree."""

    def __init__(self, kernel: tuple[int, ...], stride: tuple[int, ...]) -> None:
        super().__init__()
        self.kernel, self.stride = tuple(kernel), tuple(stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        padding, extra = _pad_args(x, self.kernel, self.stride)
        if extra is not None:
            front = tuple(same_padding(s, k, st)[0] for s, k, st in zip(x.shape[2:], self.kernel, self.stride))
            if all(_ceil_pool_size(s, k, st, f) == -(-s // st)
                   for s, k, st, f in zip(x.shape[2:], self.kernel, self.stride, front)):
                # the windows start where TF's do; ceil_mode keeps the last, partial one (no padded copy)
                return F.max_pool3d(x, self.kernel, self.stride, front, ceil_mode=True)
            x = F.pad(x, extra)
        return F.max_pool3d(x, self.kernel, self.stride, padding)


def _ceil_pool_size(size: int, kernel: int, stride: int, pad: int) -> int:
    """Output length of ``max_pool`` with ``ceil_mode=True`` (PyTorch's rule)."""
    out = -(-(size + 2 * pad - kernel) // stride) + 1
    if (out - 1) * stride >= size + pad:
        out -= 1
    return out


class _FusedInception(nn.Module):
    """Inception block: one merged 1x1x1 conv feeds branches 0, 1 and 2; branch 3 pools first."""

    def __init__(self, block: nn.Module) -> None:
        super().__init__()
        units = [_ConvUnit.from_unit(u) for u in (block.b0, block.b1a, block.b2a)]
        self.split = [u.weight.shape[0] for u in units]
        self.head = _ConvUnit(torch.cat([u.weight for u in units]), torch.cat([u.bias for u in units]),
                              (1, 1, 1), relu=True)
        self.b1b = _ConvUnit.from_unit(block.b1b)
        self.b2b = _ConvUnit.from_unit(block.b2b)
        self.pool = _MaxPoolSame(block.b3a.kernel_size, block.b3a.stride)
        self.b3b = _ConvUnit.from_unit(block.b3b)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b0, b1, b2 = torch.split(self.head(x), self.split, dim=1)
        return torch.cat([b0, self.b1b(b1), self.b2b(b2), self.b3b(self.pool(x))], dim=1)


class FusedI3D(nn.Module):
    """Inference-only I3D equal to a loaded pytorch-i3d ``InceptionI3d`` (see the module docstring).

    Inputs:
        ``(B, 3, T, H, W)`` float in ``[-1, 1]`` (cd-fvd: 224x224, ``T >= 9`` for the 2x7x7 final pool).

    Outputs:
        ``(B, num_classes)`` logits averaged over the remaining time steps, as ``InceptionI3d.forward``.

    Args:
        model: A ``cdfvd.third_party.i3d.pytorch_i3d.InceptionI3d`` with its weights loaded.
    """

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        for name in model.VALID_ENDPOINTS:
            if name not in model.end_points:
                continue
            module = model._modules[name]
            if hasattr(module, 'conv3d'):
                layers.append(_ConvUnit.from_unit(module))
            elif isinstance(module, nn.MaxPool3d):
                layers.append(_MaxPoolSame(module.kernel_size, module.stride))
            else:
                layers.append(_FusedInception(module))
        self.layers = nn.Sequential(*layers)
        if model.logits is None:
            raise ValueError('`model` must be built up to its Logits endpoint')
        self.avg_kernel = tuple(model.avg_pool.kernel_size)
        self.logits = _ConvUnit.from_unit(model.logits)
        self.num_classes = int(self.logits.weight.shape[0])
        self.eval().requires_grad_(False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        per_pass = torch.get_num_threads()
        if x.device.type == 'cpu' and x.shape[0] > per_pass:
            # on CPU, one clip per thread at a time is fastest: measured on 2 cores, 0.16 s/clip in passes of
            # 2 clips vs 0.19 in passes of 8 (activations of 8 clips do not stay in cache) and 0.28 for 1
            return torch.cat([self._forward(part) for part in x.split(per_pass)])
        return self._forward(x)

    def _forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.layers(x.contiguous(memory_format=torch.channels_last_3d))
        x = F.avg_pool3d(x, self.avg_kernel, stride=1)
        x = self.logits(x)  # dropout is the identity in eval mode
        return x.squeeze(3).squeeze(3).mean(dim=2)  # as InceptionI3d: spatial squeeze, mean over time
