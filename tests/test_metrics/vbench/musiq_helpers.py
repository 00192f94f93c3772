"""Tiny MUSIQ for tests: a small config, deterministic non-degenerate weights, fixed reference images."""
from __future__ import annotations

import torch

from aigve.models.musiq import MUSIQ

#: A small MUSIQ (the ResNet stem is MUSIQ's own; 2 blocks of width 32).
TINY = dict(hidden_size=32, mlp_dim=64, num_heads=2, num_layers=2)


def tiny_state(seed: int = 0) -> dict[str, torch.Tensor]:
    """Deterministic weights for :data:`TINY`, generated key by key (independent of module construction).

    Matrices and convolutions N(0, 1 / fan_in); norm scales 1 + N(0, 0.1^2); biases N(0, 0.1^2); the CLS
    token and the position / scale tables N(0, 1) (their default 0.02 scale would make every image look alike).
    """
    g = torch.Generator().manual_seed(seed)
    state = {}
    for key, value in MUSIQ(**TINY).state_dict().items():
        shape = value.shape
        noise = torch.randn(shape, generator=g)
        if key.endswith(('cls', 'position_emb', 'scale_emb')):
            state[key] = noise
        elif value.ndim > 1:
            state[key] = noise * (shape[0] / value.numel())**0.5
        elif key.endswith('weight'):
            state[key] = 1 + 0.1 * noise
        else:
            state[key] = 0.1 * noise
    return state


def tiny_musiq(seed: int = 0) -> MUSIQ:
    net = MUSIQ(**TINY)
    net.load_state_dict(tiny_state(seed), strict=True)
    return net.eval().requires_grad_(False)


def reference_images() -> list[torch.Tensor]:
    """Images in [0, 1] of sizes that exercise padding, masks and every scale (seeded)."""
    g = torch.Generator().manual_seed(1)
    sizes = [(2, 100, 150), (1, 288, 512), (1, 64, 64), (1, 333, 250)]
    return [torch.rand(b, 3, h, w, generator=g) for b, h, w in sizes]
