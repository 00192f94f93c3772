"""Tiny, non-degenerate stand-ins for the VBench backbones of dimensions 1-4, and the videos they score.

* :func:`tiny_dino_state`: deterministic random weights (``torch.Generator`` seeded, keys in table order) for a
  tiny DINO ViT (:data:`TINY_DINO`), scaled so the CLS feature changes with the image (fan-in scaled weights,
  not DINO's std 0.02 init, under which every frame would give almost the same feature). The same function
  filled DINO's own ``VisionTransformer`` when ``tests/data/vbench/dino_reference.json`` was written.
* :func:`tiny_dino`: our :class:`~aigve.models.dino_vit.DinoVisionTransformer` with those weights.
* :func:`smooth_video`: a ``(T, 3, H, W)`` uint8 video of smooth random colour blobs.
* :func:`vbench_consistency_loop`: a transcription of the per-frame loop VBench's ``subject_consistency`` and
  ``background_consistency`` run on their backbones' outputs.
"""
from __future__ import annotations

import torch

#: A tiny DINO ViT: 4x4 grid of 8-pixel patches at 32x32, width 32, 2 blocks of 4 heads.
TINY_DINO = dict(img_size=32, patch_size=8, embed_dim=32, depth=2, num_heads=4)


def tiny_dino_state(shapes: dict[str, list[int]], seed: int = 0) -> dict[str, torch.Tensor]:
    """Random weights for a DINO ViT state dict of ``shapes`` (name -> shape), the same for any caller.

    Matrices and convolutions: N(0, 1/fan_in); biases N(0, 0.1^2); LayerNorm weights 1 + N(0, 0.1^2);
    ``cls_token`` and ``pos_embed`` N(0, 0.5^2).
    """
    g = torch.Generator().manual_seed(seed)
    state = {}
    for name, shape in shapes.items():
        noise = torch.randn(tuple(shape), generator=g, dtype=torch.float32)
        if name in ('cls_token', 'pos_embed'):
            value = 0.5 * noise
        elif name.endswith('.bias'):
            value = 0.1 * noise
        elif len(shape) == 1:  # LayerNorm weights
            value = 1.0 + 0.1 * noise
        else:
            fan_in = 1
            for s in shape[1:]:
                fan_in *= s
            value = noise / fan_in**0.5
        state[name] = value
    return state


def tiny_dino(seed: int = 0):
    """Our DINO ViT at :data:`TINY_DINO` with :func:`tiny_dino_state` weights, loaded strictly, eval mode."""
    from aigve.models.dino_vit import DinoVisionTransformer

    net = DinoVisionTransformer(**TINY_DINO)
    shapes = {k: list(v.shape) for k, v in net.state_dict().items()}
    net.load_state_dict(tiny_dino_state(shapes, seed), strict=True)
    return net.eval().requires_grad_(False)


def smooth_video(t: int = 6, h: int = 40, w: int = 48, seed: int = 0) -> torch.Tensor:
    """A ``(T, 3, H, W)`` uint8 video of smooth random colour blobs (frames differ from each other)."""
    g = torch.Generator().manual_seed(seed)
    small = torch.randint(0, 256, (t, 3, 4, 4), generator=g).float()
    return torch.nn.functional.interpolate(small, size=(h, w), mode='bilinear', align_corners=False).round().to(
        torch.uint8)


def vbench_consistency_loop(features_per_video):
    """VBench's consistency loop, transcribed: per frame, L2-normalise, then for i >= 1 add
    ``(max(0, cos(prev, cur).item()) + max(0, cos(first, cur).item())) / 2``.

    Returns:
        ``(sum of all s_i / number of pairs, [per-video sum / (T - 1)])``, as VBench's two return values.
    """
    import torch.nn.functional as F

    sim, cnt, per_video = 0.0, 0, []
    for feats in features_per_video:
        video_sim, first_image_features, former_image_features = 0.0, None, None
        for i in range(len(feats)):
            image_features = F.normalize(feats[i].unsqueeze(0), dim=-1, p=2)
            if i == 0:
                first_image_features = image_features
            else:
                sim_pre = max(0.0, F.cosine_similarity(former_image_features, image_features).item())
                sim_fir = max(0.0, F.cosine_similarity(first_image_features, image_features).item())
                video_sim += (sim_pre + sim_fir) / 2
                cnt += 1
            former_image_features = image_features
        per_video.append(video_sim / (len(feats) - 1))
        sim += video_sim
    return sim / cnt, per_video
