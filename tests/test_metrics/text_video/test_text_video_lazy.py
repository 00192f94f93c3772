"""Text-video metrics on lazy (chunk-decoded) videos give the same numbers as on whole videos."""
from __future__ import annotations

import pytest
from helpers.videos import lazy_copy

from aigve.metrics.text_video import BLIPSim, CLIPSim, CLIPTemp


@pytest.mark.parametrize('cls, model', [(CLIPSim, 'tiny_clip_dir'), (CLIPTemp, 'tiny_clip_dir'),
                                        (BLIPSim, 'tiny_blip_dir')])
def test_lazy_equals_whole(cls, model, request, tmp_path, make_video):
    metric = cls(model_path=str(request.getfixturevalue(model)), frame_batch_size=4, device='cpu')
    videos = [make_video(7, seed=1), make_video(5, seed=2)]
    lazies = [lazy_copy(v, tmp_path, f'v{i}', chunk_frames=3) for i, v in enumerate(videos)]
    prompts = ['a red ball', 'a cat on a mat']
    whole = metric.evaluate_videos(videos, prompts=prompts)
    streamed = metric.evaluate_videos(lazies, prompts=prompts)
    assert streamed == whole  # same frames in the same encoder batches: bit-identical
    num = cls(model_path=str(request.getfixturevalue(model)), num_frames=3, device='cpu')
    assert num.evaluate_videos(lazies, prompts=prompts) == num.evaluate_videos(videos, prompts=prompts)
