"""Non-degenerate random weights for tests (STYLE.md section 15).

Default initialisation leaves some backbones (FID Inception, I3D) with activations of std 1e-8 to 1e-2, so
a parity test on them would pass trivially. Kaiming-normal weights and identity batch norms keep features
of order 1.
"""
from __future__ import annotations

import torch
from torch import nn

CONVS = (nn.Conv1d, nn.Conv2d, nn.Conv3d)
NORMS = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)


def nondegenerate_(module: nn.Module, seed: int = 0, linear: bool = False, bias_std: float = 0.0) -> nn.Module:
    """In place: Kaiming-normal (fan-in, ReLU gain) convolutions (and linears if ``linear``), biases
    N(0, ``bias_std``), identity batch norms (running mean 0, var 1, weight 1, bias 0); returns it in eval mode."""
    g = torch.Generator().manual_seed(seed)
    kinds = CONVS + ((nn.Linear, ) if linear else ())
    with torch.no_grad():
        for m in module.modules():
            if isinstance(m, kinds):
                fan_in = m.weight[0].numel()
                m.weight.copy_(torch.randn(m.weight.shape, generator=g) * (2.0 / fan_in)**0.5)
                if m.bias is not None:
                    m.bias.copy_(torch.randn(m.bias.shape, generator=g) * bias_std)
            elif isinstance(m, NORMS):
                m.reset_running_stats()
                m.weight.fill_(1.0)
                m.bias.zero_()
    return module.eval()
