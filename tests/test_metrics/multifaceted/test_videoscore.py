"""VideoScore (``aigve/metrics/multifaceted/videoscore``, ``aigve/models/videoscore.py``) with a tiny random network.

Known answers: the prompt's bytes (sha256 read from the authors' code), the authors' frame indices, the pooled
position with and without padding, strict loading; batch-size independence (tolerance 1e-4: padding changes
the attention kernels' summation order only). The authors' reference outputs need the 8B weights and a GPU:
``test_reference_example`` (marked slow and gpu) reproduces them when both are at hand.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import torch

pytest.importorskip('transformers')

from helpers.tiny_videoscore import build_tiny_videoscore

from aigve.metrics.multifaceted.videoscore import ASPECTS, PROMPT_SHA256, REGRESSION_PROMPT, VideoScore
from aigve.metrics.multifaceted.videoscore.functional import build_prompt
from aigve.models.videoscore import StrictLoadError, VideoScoreRegressor, last_real_token
from aigve.utils.frames import select_frames
from aigve.utils.hashing import text_sha256

DATA = Path(__file__).resolve().parents[2] / 'data' / 'multifaceted'


@pytest.fixture(scope='module')
def tiny(tmp_path_factory):
    return build_tiny_videoscore(tmp_path_factory.mktemp('videoscore') / 'ckpt')


@pytest.fixture(scope='module')
def metric(tiny):
    return VideoScore(model_name_or_path=str(tiny), device='cpu', videos_per_batch=3)


def _video(seed: int, frames: int = 6, h: int = 40, w: int = 60) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, (frames, 3, h, w), generator=g, dtype=torch.uint8)


def test_prompt_bytes_are_the_authors():
    assert text_sha256(REGRESSION_PROMPT) == PROMPT_SHA256
    assert PROMPT_SHA256 == '49b386d9ea3003760c983cc258cf4211faf858d58191f95fcfacdf68a8fed2c0'
    assert len(REGRESSION_PROMPT) == 1163 and REGRESSION_PROMPT.startswith('\nSuppose you are')
    assert 'performs in that sub-score, \n' in REGRESSION_PROMPT  # the trailing space is kept
    assert REGRESSION_PROMPT.endswith('all the frames of video are as follows:\n')
    text = build_prompt('a {red} "ball"', 3)
    assert text.endswith('the text prompt is "a {red} "ball"",\nall the frames of video are as follows:\n'
                         '<image> <image> <image> ')
    assert text.count('<image>') == 3


def test_frame_indices_are_the_authors():
    # v1 on the authors' 24-frame example (research notes): 16 of 24 frames
    assert select_frames(24, num_frames=16, strategy='arange') == [0, 1, 3, 4, 6, 7, 9, 10, 12, 13, 15, 16, 18, 19,
                                                                  21, 22]
    assert select_frames(24, num_frames=48, strategy='arange') == list(range(24))  # v1.1: every frame
    assert select_frames(100, num_frames=48, strategy='arange')[:5] == [0, 2, 4, 6, 8]


def test_pooling_position_with_and_without_padding():
    mask = torch.tensor([[1, 1, 1, 1], [1, 1, 0, 0], [0, 1, 1, 1]])
    assert last_real_token(mask).tolist() == [3, 1, 3]


def test_released_layout_key_table_and_strict_load(tiny, tmp_path):
    """Every key and shape of the released layout (Idefics2-8B + ``score``), built from the original definition
    on the meta device; the tiny checkpoint loads strictly and a wrong one is refused."""
    from transformers import Idefics2Config

    table = json.loads((DATA / 'videoscore_keys.json').read_text())
    config = json.loads((DATA / 'videoscore_idefics2_8b_config.json').read_text())
    config.pop('_comment')
    with torch.device('meta'):
        model = VideoScoreRegressor(Idefics2Config(**config))
    assert {k: list(v.shape) for k, v in model.state_dict().items()} == table
    assert table['score.weight'] == [5, 4096] and table['score.bias'] == [5]
    assert not any(k.startswith('lm_head') for k in table)

    from safetensors.torch import load_file, save_file

    from aigve.models.videoscore import load_videoscore

    load_videoscore(str(tiny))  # strict: no missing or unexpected key
    bad = tmp_path / 'bad'
    bad.mkdir()
    for f in tiny.iterdir():
        (bad / f.name).write_bytes(f.read_bytes())
    weights = load_file(bad / 'model.safetensors')
    weights['lm_head.weight'] = torch.zeros(2, 2)
    del weights['score.bias']
    save_file(weights, bad / 'model.safetensors', metadata={'format': 'pt'})
    with pytest.raises(StrictLoadError, match='score.bias'):
        load_videoscore(str(bad))


def test_five_scores_in_order_and_not_degenerate(metric):
    scores = [metric.score(_video(s), prompt='a cat on a mat') for s in range(3)]
    assert list(scores[0]) == list(ASPECTS)
    assert len({round(v, 4) for v in scores[0].values()}) == 5  # the aspects differ
    assert len({round(s['visual_quality'], 5) for s in scores}) == 3  # the videos differ
    other = metric.score(_video(0), prompt='a completely different prompt')
    assert other != scores[0]  # the prompt reaches the model


def test_batch_size_independent(tiny, metric):
    videos = [_video(0, 6, 40, 60), _video(1, 3, 56, 28), _video(2, 9, 30, 30)]
    prompts = ['a cat', 'a much longer prompt about a dog running', 'x']
    batched = metric.evaluate_videos(videos, prompts, batch_size=3)
    single = VideoScore(model_name_or_path=str(tiny), device='cpu', videos_per_batch=1)
    alone = single.evaluate_videos(videos, prompts, batch_size=1)
    assert batched.keys() == alone.keys()
    for k in batched:
        assert batched[k] == pytest.approx(alone[k], abs=1e-4)


def test_failures_and_options(tiny, metric):
    result = metric.evaluate_videos([_video(0), _video(1)], [None, 'a cat'])
    assert metric.failures and 'needs a text prompt' in metric.failures[0]['reason']
    assert set(result) == set(ASPECTS)
    clipped = VideoScore(model_name_or_path=str(tiny), device='cpu', clip_scores=True)
    values = clipped.score(_video(0), prompt='a cat').values()
    assert all(1.0 <= v <= 4.0 for v in values)
    assert metric.protocol['dtype'] == 'float32' and metric.protocol['prompt_sha256'] == PROMPT_SHA256
    assert metric.protocol['image_processor'] == 'Idefics2ImageProcessorPil'
    with pytest.raises(ValueError, match='version'):
        VideoScore(version='v2', model_name_or_path=str(tiny))


def test_offline_error_names_what_to_download(monkeypatch, tmp_path):
    monkeypatch.setenv('AIGVE_HOME', str(tmp_path))
    monkeypatch.setenv('HF_HUB_CACHE', str(tmp_path / 'hub'))
    with pytest.raises(Exception) as err:
        VideoScore(device='cpu')
    assert 'VideoScore-v1.1' in str(err.value)


@pytest.mark.slow
@pytest.mark.gpu
def test_reference_example():
    """The authors' ``examples/video1.mp4`` (set ``AIGVE_VIDEOSCORE_EXAMPLE`` to it) with the v1.1 weights gives
    their published outputs within 0.1 (bf16 on a GPU; users report up to 0.08 drift)."""
    path = os.environ.get('AIGVE_VIDEOSCORE_EXAMPLE')
    if not path or not torch.cuda.is_available():
        pytest.skip('needs AIGVE_VIDEOSCORE_EXAMPLE (the authors\' examples/video1.mp4), the weights and a GPU')
    from aigve.utils.video_io import read_video

    prompt = ('Near the Elephant Gate village, they approach the haunted house at night. Rajiv feels anxious, but '
              'Bhavesh encourages him. As they reach the house, a mysterious sound in the air adds to the suspense.')
    frames, _ = read_video(path)  # (N, H, W, 3) uint8
    video = torch.from_numpy(frames).permute(0, 3, 1, 2).contiguous()
    scores = VideoScore(device='cuda').score(video, prompt=prompt)
    assert list(scores.values()) == pytest.approx([2.328, 2.484, 2.562, 1.969, 2.594], abs=0.1)
