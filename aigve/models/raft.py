"""RAFT optical flow (Teed & Deng, ECCV 2020) as torchvision builds it, weights through the aigve resolver.

VBench's ``dynamic_degree`` and its static-video filter run the authors' RAFT (``raft-things.pth``, 20
iterations, ``test_mode``). torchvision's ``raft_large`` is the same architecture and its ``C_T_V1`` weights are
ported from that original Chairs + Things training; the checkpoint (``raft_large_C_T_V1-22a6c225.pth``, the
torchvision ``state_dict`` of ``raft_large()``) loads here with ``strict=True`` from the manifest entry
``raft-large-c-t-v1``, never through torchvision's own downloader. torchvision code and weights: BSD-3-Clause.

The original RAFT maps ``0-255`` inputs to ``[-1, 1]`` inside its ``forward`` (``2 * (x / 255) - 1``);
torchvision's expects ``[-1, 1]`` already, so :func:`raft_flow` does that mapping. Inputs are padded as the
authors' ``InputPadder`` does in its ``'sintel'`` mode (replicate, split evenly, to multiples of 8).
"""
from __future__ import annotations

import os

import torch
import torch.nn.functional as F
from torch import nn

from aigve.utils.weights import ResolvedWeights, resolve_weights

__all__ = ['MIN_SIDE', 'RAFT_WEIGHTS', 'build_raft_large', 'load_raft_large', 'pad_sintel', 'raft_flow',
           'sintel_padding']

#: Manifest name of torchvision's RAFT-large C_T_V1 weights.
RAFT_WEIGHTS = 'raft-large-c-t-v1'
#: torchvision's RAFT needs padded frames of at least 128 pixels a side (its correlation pyramid's 4 levels).
MIN_SIDE = 128


def build_raft_large() -> nn.Module:
    """torchvision's ``raft_large`` architecture with random weights (nothing downloaded)."""
    from torchvision.models.optical_flow import raft_large

    return raft_large(weights=None, progress=False)


def load_raft_large(model_path: str | os.PathLike | None = None,
                    check_hash: bool = True) -> tuple[nn.Module, ResolvedWeights]:
    """RAFT-large with the C_T_V1 weights, loaded strictly, in eval mode without gradients.

    Args:
        model_path: The checkpoint file (or a folder holding ``raft_large_C_T_V1-22a6c225.pth``). Defaults to
            None (the aigve cache, then a download unless offline).
        check_hash: Refuse a ``model_path`` whose sha256 does not start with ``22a6c225``. Defaults to True.

    Returns:
        ``(model, resolved)``: the module and the record of the file it came from.

    Raises:
        WeightsNotFoundError: The file is not cached and cannot be downloaded (the message names the command
            that fetches it).
        RuntimeError: The file's keys or shapes differ from ``raft_large`` (strict loading).
    """
    resolved = resolve_weights(RAFT_WEIGHTS, model_path, check_hash=check_hash)
    model = build_raft_large()
    state = torch.load(resolved.path, map_location='cpu', weights_only=True)
    model.load_state_dict(state, strict=True)
    return model.eval().requires_grad_(False), resolved


def sintel_padding(height: int, width: int, multiple: int = 8) -> tuple[int, int, int, int]:
    """``(left, right, top, bottom)`` padding of RAFT's ``InputPadder(mode='sintel')``.

    Examples:
        >>> sintel_padding(320, 512)
        (0, 0, 0, 0)
        >>> sintel_padding(250, 333)
        (1, 2, 3, 3)
    """
    pad_h = (((height // multiple) + 1) * multiple - height) % multiple
    pad_w = (((width // multiple) + 1) * multiple - width) % multiple
    return pad_w // 2, pad_w - pad_w // 2, pad_h // 2, pad_h - pad_h // 2


def pad_sintel(frames: torch.Tensor, multiple: int = 8) -> torch.Tensor:
    """Replicate-pad float ``(N, C, H, W)`` frames to multiples of ``multiple``, split as ``InputPadder`` does."""
    pad = sintel_padding(int(frames.shape[-2]), int(frames.shape[-1]), multiple)
    return F.pad(frames, pad, mode='replicate') if any(pad) else frames


def raft_flow(model: nn.Module, image1: torch.Tensor, image2: torch.Tensor,
              num_flow_updates: int = 20) -> torch.Tensor:
    """The last flow estimate from ``image1`` to ``image2``, on the padded frames.

    Inputs:
        ``image1``, ``image2``: ``(N, 3, H, W)`` uint8 or float frames in 0-255, any size (they are padded to
        multiples of 8 here).

    Args:
        model: A torchvision RAFT (``raft_large`` for VBench; any RAFT-like module with the same call).
        image1: First frames.
        image2: Second frames.
        num_flow_updates: Refinement iterations (VBench: 20). Defaults to 20.

    Returns:
        ``(N, 2, H', W')`` float32 flow at the padded size ``H' x W'``.
    """
    x1 = pad_sintel(image1.float())
    x2 = pad_sintel(image2.float())
    x1 = 2 * (x1 / 255.0) - 1.0  # the original RAFT's own input mapping
    x2 = 2 * (x2 / 255.0) - 1.0
    return model(x1.contiguous(), x2.contiguous(), num_flow_updates=num_flow_updates)[-1]
