"""HFVLMBackend on tiny random Qwen2-VL and BLIP-VQA models built here (plumbing, not answers)."""
from __future__ import annotations

import pytest
import torch

pytest.importorskip('transformers')
pytest.importorskip('torchvision')

from helpers.tiny_vlm import (
    build_tiny_blip_vqa,
    build_tiny_instructblip,
    build_tiny_llava_onevision,
    build_tiny_qwen2_vl,
)

from aigve.models.judges import JudgeFailure, JudgeReply, JudgeRequest, build_backend
from aigve.models.judges.local_hf import HFVLMBackend


@pytest.fixture(scope='module')
def qwen_dir(tmp_path_factory):
    return build_tiny_qwen2_vl(tmp_path_factory.mktemp('qwen2vl'))


@pytest.fixture(scope='module')
def blip_dir(tmp_path_factory):
    return build_tiny_blip_vqa(tmp_path_factory.mktemp('blipvqa'))


@pytest.fixture(scope='module')
def qwen(qwen_dir):
    return HFVLMBackend(str(qwen_dir), device='cpu', max_new_tokens=4, batch_size=2)


@pytest.fixture(scope='module')
def blip(blip_dir):
    return HFVLMBackend(str(blip_dir), device='cpu', max_new_tokens=4)


def frames(n, h=40, w=60, seed=0):
    g = torch.Generator().manual_seed(seed)
    return list(torch.randint(0, 256, (n, 3, h, w), dtype=torch.uint8, generator=g))


def test_loads_through_the_resolver_and_describes_itself(qwen, qwen_dir):
    assert qwen.kind == 'chat' and qwen.resolved is not None and qwen.resolved.source == 'model_path'
    d = qwen.describe()
    assert d['backend'] == 'hf' and d['weights_sha256'] == qwen.resolved.sha256 and d['dtype'] == 'float32'
    assert qwen.yes_ids and qwen.no_ids and not set(qwen.yes_ids) & set(qwen.no_ids)


def test_generate_multi_image_and_batching(qwen):
    f = frames(3)
    reqs = [JudgeRequest('Describe the frames.', images=f), JudgeRequest('hi', images=[f[0]]),
            JudgeRequest('one more question', images=[f[1]], max_tokens=2)]
    outs = qwen.generate(reqs)  # batch_size 2: two batches, left padded
    assert all(isinstance(o, JudgeReply) or isinstance(o, JudgeFailure) for o in outs) and len(outs) == 3
    replies = [o for o in outs if isinstance(o, JudgeReply)]
    assert replies, [o.reason for o in outs]
    assert outs[0].tokens_in > outs[1].tokens_in  # three frames take more prompt tokens than one
    assert all(0 < o.tokens_out <= 4 for o in replies)


def test_yes_no_probability_matches_a_forward_pass(qwen):
    f = frames(2)
    reqs = [JudgeRequest('Is there a dog?', images=[f[0]]), JudgeRequest('Is the sky in the frame blue?', images=f)]
    outs = qwen.yes_no(reqs)
    assert all(isinstance(o, JudgeReply) and 0.0 <= o.yes_prob <= 1.0 for o in outs)
    # batched (left padded) equals one at a time, and equals softmax over the yes/no logits of a plain forward
    alone = [qwen.yes_no([r])[0].yes_prob for r in reqs]
    assert [o.yes_prob for o in outs] == pytest.approx(alone, abs=1e-4)
    inputs = qwen._inputs(reqs[:1])
    with torch.no_grad():
        logits = qwen.model(**inputs).logits[0, -1]
    yes, no = torch.logsumexp(logits[qwen.yes_ids], 0), torch.logsumexp(logits[qwen.no_ids], 0)
    assert outs[0].yes_prob == pytest.approx(float(torch.softmax(torch.stack([yes, no]), 0)[0]), abs=1e-5)
    # non-degenerate: different questions give different probabilities
    assert abs(outs[0].yes_prob - outs[1].yes_prob) > 1e-6


def test_llava_onevision_chat_model(tmp_path):
    llava = HFVLMBackend(str(build_tiny_llava_onevision(tmp_path / 'llava')), device='cpu', max_new_tokens=3)
    assert llava.kind == 'chat'
    f = frames(2)
    reqs = [JudgeRequest('Is there a dog?', images=[f[0]]), JudgeRequest('Two frames: same scene?', images=f)]
    outs = llava.yes_no(reqs)
    assert all(isinstance(o, JudgeReply) and 0.0 <= o.yes_prob <= 1.0 for o in outs)
    assert [o.yes_prob for o in outs] == pytest.approx([llava.yes_no([r])[0].yes_prob for r in reqs], abs=1e-4)
    [gen] = llava.generate(reqs[1:])
    assert isinstance(gen, (JudgeReply, JudgeFailure))


def test_instructblip_without_chat_template(tmp_path):
    iblip = HFVLMBackend(str(build_tiny_instructblip(tmp_path / 'iblip')), device='cpu', max_new_tokens=3)
    assert iblip.kind == 'plain'
    f = frames(2)
    reqs = [JudgeRequest('is it a dog?', images=[f[0]]), JudgeRequest('a longer question here?', images=[f[1]])]
    outs = iblip.yes_no(reqs)
    assert all(isinstance(o, JudgeReply) and 0.0 <= o.yes_prob <= 1.0 for o in outs)
    assert [o.yes_prob for o in outs] == pytest.approx([iblip.yes_no([r])[0].yes_prob for r in reqs], abs=1e-4)
    gen = iblip.generate(reqs)
    assert all(isinstance(o, JudgeReply) and o.tokens_out <= 3 for o in gen if not isinstance(o, JudgeFailure))
    [bad] = iblip.generate([JudgeRequest('two?', images=f)])
    assert isinstance(bad, JudgeFailure) and 'one image' in bad.reason


def test_blip_vqa_through_its_own_class(blip):
    assert blip.kind == 'blip_vqa' and type(blip.model).__name__ == 'BlipForQuestionAnswering'
    f = frames(2)
    outs = blip.yes_no([JudgeRequest('is it a dog?', images=[f[0]]), JudgeRequest('is it red?', images=[f[1]])])
    assert all(isinstance(o, JudgeReply) and 0.0 <= o.yes_prob <= 1.0 for o in outs)
    [gen] = blip.generate([JudgeRequest('what is it?', images=[f[0]])])
    assert isinstance(gen, JudgeReply) and gen.text
    [bad] = blip.yes_no([JudgeRequest('two frames?', images=f)])  # BLIP-VQA takes one image: a counted failure
    assert isinstance(bad, JudgeFailure) and 'one image' in bad.reason


def test_built_from_config_and_offline_error(qwen_dir, monkeypatch):
    b = build_backend(dict(type='hf', model=str(qwen_dir), device='cpu', max_new_tokens=2))
    assert isinstance(b, HFVLMBackend)
    injected = HFVLMBackend('my-notebook-model', preloaded=(b.model, b.processor), device='cpu')
    assert injected.kind == 'chat' and injected.resolved is None and injected.describe()['model'] == 'my-notebook-model'
    monkeypatch.setenv('HF_HUB_OFFLINE', '1')
    with pytest.raises(FileNotFoundError, match='download'):
        HFVLMBackend('someone/not-a-cached-vlm', device='cpu')
    with pytest.raises(ValueError, match='kind'):
        HFVLMBackend(str(qwen_dir), kind='seq2seq')
