#!/usr/bin/env python
"""Generate the toy dataset shipped in ``aigve/data/toy/`` (deterministic, seeded).

``python scripts/make_toy_dataset.py [--out DIR] [--seed 0]`` writes::

    DIR/videos/reference/0000.mp4 ... 0005.mp4   # clean synthetic scenes
    DIR/videos/generated/0000.mp4 ... 0005.mp4   # the same scenes, slightly "wrong"
    DIR/annotations/toy.json                     # prompts + relative paths (older-toolkit format)
    DIR/README.md                                # what the files are

Each video is 16 frames of 96x96 at 8 fps, H.264 (libx264 medium, yuv420p, crf 18) in mp4. The generated video
of a pair differs from its reference in one controlled way (noise, shifted motion, colour change,
flicker, blur, a different shape), so per-video and set-level metrics have something to measure. The
same seed and the same PyAV/x264 build give byte-identical files.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

NUM_FRAMES, SIZE, FPS = 16, 96, 8
# x264's assembly reads uninitialised memory in some presets: with PyAV 18 the same input gave different
# bytes depending on the environment (cwd, env vars) for 'veryfast' and slower presets (measured).
# asm=0 (plain C, the same algorithm) is deterministic and fast enough for 12 tiny clips.
CODEC_OPTIONS = {'crf': '18', 'preset': 'medium', 'threads': '1', 'x264-params': 'asm=0'}
DEFAULT_OUT = Path(__file__).resolve().parents[1] / 'aigve' / 'data' / 'toy'

_YY, _XX = np.mgrid[0:SIZE, 0:SIZE].astype(np.float32)


# ----------------------------------------------------------------------------- drawing primitives
def _vertical_gradient(top: tuple, bottom: tuple) -> np.ndarray:
    w = (_YY / (SIZE - 1))[..., None]
    return (1 - w) * np.array(top, np.float32) + w * np.array(bottom, np.float32)


def _disc(img: np.ndarray, cy: float, cx: float, r: float, colour: tuple) -> None:
    """Anti-aliased filled circle (1-pixel soft edge) painted in place."""
    alpha = np.clip(r + 0.5 - np.hypot(_YY - cy, _XX - cx), 0.0, 1.0)[..., None]
    img *= 1 - alpha
    img += alpha * np.array(colour, np.float32)


def _square(img: np.ndarray, cy: float, cx: float, half: float, colour: tuple) -> None:
    d = np.maximum(np.abs(_YY - cy), np.abs(_XX - cx))
    alpha = np.clip(half + 0.5 - d, 0.0, 1.0)[..., None]
    img *= 1 - alpha
    img += alpha * np.array(colour, np.float32)


def _triangle(img: np.ndarray, cy: float, cx: float, r: float, angle: float, colour: tuple) -> None:
    """Equilateral triangle of circumradius ``r`` rotated by ``angle`` radians (soft edges)."""
    inside = np.full(img.shape[:2], np.inf, np.float32)
    for k in range(3):  # signed distance to each edge; the edge normals point outwards
        theta = angle + 2 * np.pi * k / 3 + np.pi / 3
        nx, ny = np.cos(theta), np.sin(theta)
        inside = np.minimum(inside, r / 2 - ((_XX - cx) * nx + (_YY - cy) * ny))
    alpha = np.clip(inside + 0.5, 0.0, 1.0)[..., None]
    img *= 1 - alpha
    img += alpha * np.array(colour, np.float32)


def _box_blur(img: np.ndarray, k: int = 3) -> np.ndarray:
    pad = k // 2
    padded = np.pad(img, ((pad, pad), (pad, pad), (0, 0)), mode='edge')
    out = np.zeros_like(img)
    for dy in range(k):
        for dx in range(k):
            out += padded[dy:dy + SIZE, dx:dx + SIZE]
    return out / (k * k)


# ----------------------------------------------------------------------------- scenes
# A scene renders frame ``t`` (float RGB in [0, 255]) given a dict of knobs; the generated video of a
# pair uses the same scene with changed knobs and/or a post-effect.
def _ball(t: int, shift: float = 0.0, colour: tuple = (220, 30, 30)) -> np.ndarray:
    img = _vertical_gradient((150, 150, 150), (95, 95, 95))
    cx = 16 + (SIZE - 32) * t / (NUM_FRAMES - 1) + shift
    _disc(img, SIZE * 0.62, cx, 10, colour)
    return img


def _sliding_square(t: int, shift: float = 0.0, colour: tuple = (30, 60, 220)) -> np.ndarray:
    img = _vertical_gradient((250, 150, 60), (110, 40, 130))
    cy = 14 + (SIZE - 28) * t / (NUM_FRAMES - 1) + shift
    _square(img, cy, SIZE / 2, 10, colour)
    return img


def _sunrise(t: int, shift: float = 0.0, colour: tuple = (255, 220, 40)) -> np.ndarray:
    img = _vertical_gradient((70, 130, 230), (170, 210, 250))
    horizon = int(SIZE * 0.65)
    _disc(img, horizon + 8 - 40 * t / (NUM_FRAMES - 1) + shift, SIZE * 0.5, 12, colour)
    img[horizon:] = _vertical_gradient((60, 160, 60), (30, 100, 30))[horizon:]
    return img


def _orbit(t: int, shift: float = 0.0, colour: tuple = (245, 245, 245)) -> np.ndarray:
    img = np.full((SIZE, SIZE, 3), 12.0, np.float32)
    phase = 2 * np.pi * t / NUM_FRAMES + shift
    for sign in (1, -1):
        _disc(img, SIZE / 2 + sign * 22 * np.sin(phase), SIZE / 2 + sign * 22 * np.cos(phase), 8, colour)
    return img


def _stripes(t: int, shift: float = 0.0, colour: tuple = (1.0, 1.0, 1.0)) -> np.ndarray:
    u = (_XX + _YY - 3.0 * t - shift) / 12.0
    img = np.stack([128 + 110 * np.sin(u), 128 + 110 * np.sin(u + 2.1), 128 + 110 * np.sin(u + 4.2)], -1)
    return img * np.array(colour, np.float32)


def _spinner(t: int, shift: float = 0.0, colour: tuple = (30, 170, 60)) -> np.ndarray:
    img = np.full((SIZE, SIZE, 3), 240.0, np.float32)
    _triangle(img, SIZE / 2, SIZE / 2, 30, 2 * np.pi * t / NUM_FRAMES * 0.5 + shift, colour)
    return img


@dataclass(frozen=True)
class Pair:
    """One reference/generated pair: the scene, its prompt, and how the generated video deviates."""

    prompt: str
    scene: Callable[..., np.ndarray]
    generated_knobs: dict
    effect: str  # 'noise' | 'flicker' | 'blur' | 'none' (applied to the generated video only)
    change: str  # the deviation in words (README)


PAIRS = [
    Pair('a red ball rolls left to right on a grey floor', _ball, {}, 'noise',
         'Gaussian noise, sigma 10 grey levels'),
    Pair('a blue square slides down in front of an orange and purple sunset sky', _sliding_square,
         {'shift': 9.0}, 'none', 'shifted motion: the square is 9 px further down in every frame'),
    Pair('a yellow sun rises over a green field under a blue sky', _sunrise, {'colour': (255, 130, 30)},
         'none', 'colour change: an orange sun'),
    Pair('two white balls circle each other on a black background', _orbit, {}, 'flicker',
         'flicker: every other frame 45 grey levels brighter'),
    Pair('rainbow coloured diagonal stripes drift across the screen', _stripes,
         {'colour': (1.0, 0.85, 0.7), 'shift': 4.0}, 'blur', 'warmer colours, 4 px phase shift, 3x3 box blur'),
    Pair('a green triangle spins in the middle of a white background', _spinner,
         {'shift': 0.35, 'colour': (40, 140, 200)}, 'none', 'rotated 20 degrees ahead and coloured blue'),
]


def render(pair: Pair, generated: bool, rng: np.random.Generator) -> np.ndarray:
    """Render one video of ``pair`` as ``(T, H, W, 3)`` uint8 RGB."""
    knobs = pair.generated_knobs if generated else {}
    frames = np.stack([pair.scene(t, **knobs) for t in range(NUM_FRAMES)]).astype(np.float32)
    effect = pair.effect if generated else 'none'
    if effect == 'noise':
        frames += rng.normal(0.0, 10.0, size=frames.shape).astype(np.float32)
    elif effect == 'flicker':  # every other frame 45 grey levels brighter
        frames[1::2] += 45.0
    elif effect == 'blur':
        frames = np.stack([_box_blur(f) for f in frames])
    return np.clip(np.rint(frames), 0, 255).astype(np.uint8)


def encode_h264(path: Path, frames: np.ndarray, fps: int = FPS) -> None:
    """Write ``frames`` as H.264 (yuv420p) mp4 with PyAV's bundled libx264."""
    import av

    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), 'w') as container:
        stream = container.add_stream('libx264', rate=Fraction(fps), options=dict(CODEC_OPTIONS))
        stream.width, stream.height, stream.pix_fmt = frames.shape[2], frames.shape[1], 'yuv420p'
        for i, rgb in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(rgb, format='rgb24')
            frame.pts = i  # explicit timestamps: 1/fps apart
            container.mux(stream.encode(frame))
        container.mux(stream.encode())


def _readme(data_list: list[dict]) -> str:
    rows = '\n'.join(f'| {i:04d} | {p.prompt} | {p.change} |' for i, p in enumerate(PAIRS))
    return f"""# aigve toy dataset

Synthetic videos made by `scripts/make_toy_dataset.py` (do not edit by hand; rerun the script).
{len(data_list)} pairs, each {NUM_FRAMES} frames of {SIZE}x{SIZE} at {FPS} fps, H.264 mp4. Public domain (CC0).

- `videos/reference/NNNN.mp4`: the clean scene.
- `videos/generated/NNNN.mp4`: the same scene with one controlled deviation.
- `annotations/toy.json`: `metainfo` + `data_list` of `prompt_gt`, `video_path_pd` (generated),
  `video_path_gt` (reference), paths relative to this folder.

| id | prompt | generated video differs by |
|---|---|---|
{rows}
"""


def make_toy_dataset(out: str | Path = DEFAULT_OUT, seed: int = 0) -> dict:
    """Write the videos and ``annotations/toy.json`` under ``out``; return the annotation dict."""
    out = Path(out)
    rng = np.random.default_rng(seed)
    data_list = []
    for i, pair in enumerate(PAIRS):
        name = f'{i:04d}.mp4'
        encode_h264(out / 'videos' / 'reference' / name, render(pair, False, rng))
        encode_h264(out / 'videos' / 'generated' / name, render(pair, True, rng))
        data_list.append({
            'prompt_gt': pair.prompt,
            'video_path_pd': f'videos/generated/{name}',
            'video_path_gt': f'videos/reference/{name}',
        })
    ann = {
        'metainfo': {'name': 'aigve-toy', 'length': len(data_list), 'source': 'scripts/make_toy_dataset.py'},
        'data_list': data_list,
    }
    (out / 'README.md').write_text(_readme(data_list), encoding='utf-8')
    ann_path = out / 'annotations' / 'toy.json'
    ann_path.parent.mkdir(parents=True, exist_ok=True)
    ann_path.write_text(json.dumps(ann, indent=2) + '\n', encoding='utf-8')
    return ann


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out', type=Path, default=DEFAULT_OUT, help=f'output folder (default: {DEFAULT_OUT})')
    parser.add_argument('--seed', type=int, default=0, help='seed of the noise (default: 0)')
    args = parser.parse_args(argv)
    ann = make_toy_dataset(args.out, args.seed)
    total = sum(p.stat().st_size for p in args.out.rglob('*') if p.is_file())
    print(f'wrote {ann["metainfo"]["length"]} pairs to {args.out} ({total / 1024:.0f} KiB)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
