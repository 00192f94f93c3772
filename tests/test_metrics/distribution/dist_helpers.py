"""Tiny, non-degenerate random-weight backbones and videos for the distribution-metric tests."""
from __future__ import annotations

import torch
from helpers.init import nondegenerate_ as _nondegenerate
from torch import nn


def nondegenerate_(module: nn.Module, seed: int = 0) -> nn.Module:
    """Distribution tests: linears too, small random biases."""
    return _nondegenerate(module, seed, linear=True, bias_std=0.1)


def random_videos(n: int, frames: int = 10, size: int = 32, seed: int = 0, offset: int = 0) -> list[torch.Tensor]:
    """``n`` smooth-ish random uint8 videos ``(T, 3, size, size)``; ``offset`` shifts the brightness."""
    g = torch.Generator().manual_seed(seed)
    out = []
    for _ in range(n):
        low = torch.rand(frames, 3, 4, 4, generator=g)
        video = torch.nn.functional.interpolate(low, size=(size, size), mode='bilinear', align_corners=False)
        video = (video * 200 + offset + torch.rand(frames, 3, size, size, generator=g) * 40).clamp(0, 255)
        out.append(video.to(torch.uint8))
    return out


class _ScriptI3DStandIn(nn.Module):
    """Same call signature as StyleGAN-V's ``i3d_torchscript.pt``: forward(x, rescale, resize, return_features)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv3d(3, 16, kernel_size=(3, 7, 7), stride=(2, 4, 4))
        self.fc = nn.Linear(16, 24)

    def forward(self, x: torch.Tensor, rescale: bool = False, resize: bool = False,
                return_features: bool = False) -> torch.Tensor:
        if rescale or resize:
            raise RuntimeError('aigve must call the detector with rescale=False, resize=False')
        h = torch.relu(self.conv(x)).mean(dim=(2, 3, 4))
        feats = self.fc(h)
        return feats if return_features else torch.softmax(feats, dim=1)


class FrameSet(torch.utils.data.Dataset):
    """The frames of ``videos`` (uint8 ``(3, H, W)`` each, sizes may differ) as a torch-fidelity input."""

    def __init__(self, videos: list[torch.Tensor]) -> None:
        self.frames = [frame for video in videos for frame in video]

    def __len__(self) -> int:
        return len(self.frames)

    def __getitem__(self, i: int) -> torch.Tensor:
        return self.frames[i]


def torch_fidelity_metrics(fid_ckpt: str, *inputs: list[torch.Tensor], **options) -> dict:
    """``torch_fidelity.calculate_metrics`` with its own Inception on ``fid_ckpt``, frame by frame (any sizes)."""
    import torch_fidelity

    named = dict(zip(('input1', 'input2'), map(FrameSet, inputs)))
    return torch_fidelity.calculate_metrics(**named, feature_extractor_weights_path=fid_ckpt, cuda=False,
                                            batch_size=1, verbose=False, cache=False, save_cpu_ram=True,
                                            **options)
