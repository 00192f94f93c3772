"""Shared helpers of the text-video metrics: v4/v5 outputs, batching, weights, offline and missing-extra errors."""
from __future__ import annotations

import pytest
import torch
from transformers.modeling_outputs import BaseModelOutputWithPooling

from aigve.metrics.text_video import CLIPSim, hf_common


def test_feature_tensor_reads_v4_and_v5_outputs():
    x = torch.randn(2, 4)
    assert hf_common.feature_tensor(x) is x
    assert hf_common.feature_tensor(BaseModelOutputWithPooling(pooler_output=x)) is x
    with pytest.raises(TypeError, match='pooler_output'):
        hf_common.feature_tensor(object())


def test_encode_in_batches_splits_back_per_video():
    videos = [torch.full((n, 3, 2, 2), i, dtype=torch.uint8) for i, n in enumerate([3, 1, 4])]
    seen = []

    def encode(frames, owners):
        seen.append(list(owners))
        return torch.stack([f.float().mean().reshape(1) for f in frames])

    out = hf_common.encode_in_batches(videos, encode, batch_size=3)
    assert seen == [[0, 0, 0], [1, 2, 2], [2, 2]]
    assert [o.reshape(-1).tolist() for o in out] == [[0.0] * 3, [1.0], [2.0] * 4]


def test_prepare_videos_keeps_uniform_frames():
    """The text-video metrics keep ``num_frames`` segment centres (all frames when None or fewer)."""
    from types import SimpleNamespace

    video = torch.arange(10).reshape(10, 1, 1, 1).expand(10, 3, 1, 1).to(torch.uint8)

    def kept(num_frames):
        owner = SimpleNamespace(num_frames=num_frames, min_frames=1)
        _, frames, verdicts = hf_common.HFTextVideoMetric.prepare_videos(owner, [video], [{'prompt': 'a'}], True)
        assert verdicts == [None]
        return frames[0][:, 0, 0, 0].tolist()

    assert kept(None) == list(range(10))
    assert kept(20) == list(range(10))
    assert kept(5) == [1, 3, 5, 7, 9]


def test_hf_model_is_recorded_through_resolve_weights(tiny_clip_dir):
    from aigve.utils.hashing import file_sha256
    from aigve.utils.weights import ResolvedWeights

    m = CLIPSim(model_path=str(tiny_clip_dir), device='cpu')
    [resolved] = m.weights
    assert isinstance(resolved, ResolvedWeights)
    assert (resolved.name, resolved.path, resolved.source) == (str(tiny_clip_dir), tiny_clip_dir, 'model_path')
    assert resolved.sha256 == file_sha256(tiny_clip_dir / 'model.safetensors')
    assert m.weights_used == {str(tiny_clip_dir): resolved.sha256}  # provenance keeps its shape


def test_hub_id_offline_names_the_fix():
    from aigve.utils.weights import WeightsNotFoundError

    with pytest.raises(WeightsNotFoundError, match='download'):
        CLIPSim(device='cpu')  # default openai/clip-vit-base-patch32, not cached, offline


def test_missing_local_folder_fails_at_once(tmp_path):
    with pytest.raises(FileNotFoundError):
        CLIPSim(model_path=str(tmp_path / 'missing' / 'clip'), device='cpu')


def test_missing_transformers_gives_install_hint(monkeypatch, tiny_clip_dir):
    monkeypatch.setattr(hf_common, 'is_available', lambda name: name != 'transformers')
    with pytest.raises(ImportError, match=r'CLIPSim requires `transformers`.*aigve\[clip\]'):
        CLIPSim(model_path=str(tiny_clip_dir), device='cpu')


def test_text_length_limit_takes_the_smaller_limit():
    class Cfg:
        max_position_embeddings = 77

    class Tok:
        model_max_length = int(1e30)  # transformers' "no limit" sentinel is ignored

    assert hf_common.text_length_limit(Cfg(), Tok()) == 77
    Tok.model_max_length = 35
    assert hf_common.text_length_limit(Cfg(), Tok()) == 35
    with pytest.raises(ValueError, match='token limit'):
        hf_common.text_length_limit(None, object())
