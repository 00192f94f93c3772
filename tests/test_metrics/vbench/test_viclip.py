"""ViCLIP module and tokenizer: the released checkpoint's key table, strict loading, parity with VBench's
definition on a tiny seeded model, OpenAI's tokenize rule at context 32 (EOT kept), the real BPE on hand cases."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch
from viclip_helpers import TINY_VICLIP, char_tokenizer, load_json, seeded_state, tiny_viclip

from aigve.models import viclip as viclip_module
from aigve.models.viclip import (
    VICLIP_CONTEXT_LENGTH,
    ViCLIP,
    ViCLIPTokenizer,
    extract_viclip_state_dict,
    load_viclip,
    openai_clip_clean,
)
from aigve.utils.imports import is_available
from aigve.utils.weights import WeightsNotFoundError


def test_key_table_of_the_released_checkpoint_matches_our_module() -> None:
    # every key and shape of ViClip-InternVid-10M-FLT.pth's "model", written from VBench's ViCLIP definition
    table = load_json('viclip_keys.json')
    with torch.device('meta'):
        model = ViCLIP()
    assert {k: list(v.shape) for k, v in model.state_dict().items()} == table
    assert table['vision_encoder.conv1.weight'] == [1024, 3, 1, 14, 14]
    assert table['vision_encoder.temporal_positional_embedding'] == [1, 8, 1024]
    assert table['vision_encoder.positional_embedding'] == [257, 1024]
    assert table['text_encoder.positional_embedding'] == [32, 768]
    assert table['vision_encoder.proj'] == [1024, 768] and table['text_encoder.text_projection'] == [768, 768]
    assert 'vision_encoder.conv1.bias' not in table and table['temp'] == []
    # strict load of a state dict with exactly these names and shapes (meta tensors: no 1.7 GB in memory)
    model.load_state_dict({k: torch.empty(s, device='meta') for k, s in table.items()}, strict=True, assign=True)


def test_loader_unwraps_model_key_and_loads_strictly(tmp_path, monkeypatch) -> None:
    ref = tiny_viclip()
    monkeypatch.setattr(viclip_module, 'ViCLIP', lambda: ViCLIP(**TINY_VICLIP))
    path = tmp_path / 'ViClip-InternVid-10M-FLT.pth'
    torch.save({'model': ref.state_dict(), 'epoch': 9}, path)
    model, resolved = load_viclip(str(path))
    assert resolved.source == 'model_path' and resolved.name == 'viclip-internvid-10m-flt'
    assert not any(p.requires_grad for p in model.parameters())
    for k, v in ref.state_dict().items():
        assert torch.equal(model.state_dict()[k], v)
    bad = ref.state_dict()
    bad['vision_encoder.extra'] = torch.zeros(1)
    torch.save({'model': bad}, path)
    with pytest.raises(RuntimeError, match='Unexpected key'):
        load_viclip(str(path), check_hash=False)
    with pytest.raises(TypeError, match='state dict'):
        extract_viclip_state_dict([1, 2])


def test_missing_weights_offline_names_the_download() -> None:
    with pytest.raises(WeightsNotFoundError, match='viclip-internvid-10m-flt'):
        load_viclip()


def test_parity_with_vbench_viclip_definition() -> None:
    """Same weights as VBench's VisionTransformer / CLIP_TEXT were given in the stored run; same outputs."""
    ref = load_json('viclip_tiny_reference.json')
    assert ref['config'] == TINY_VICLIP
    model = ViCLIP(**TINY_VICLIP).eval()
    model.load_state_dict(seeded_state({k: v.shape for k, v in model.state_dict().items()}), strict=True)
    x = torch.randn(2, 8, 3, 28, 28, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        video = model.encode_video(x)
        text = model.encode_text(torch.tensor(ref['text_ids']))
    expected_video, expected_text = torch.tensor(ref['video_embeds']), torch.tensor(ref['text_embeds'])
    assert expected_video.std() > 0.1 and expected_text.std() > 0.1  # non-degenerate
    # fp32, the same operations in another order (joint attention over 1 + 8 * 16 tokens): 1e-5
    torch.testing.assert_close(video, expected_video, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(text, expected_text, atol=1e-5, rtol=1e-5)


def test_vision_needs_eight_frames_or_one() -> None:
    model = tiny_viclip()
    with torch.no_grad():
        assert model.encode_video(torch.randn(1, 1, 3, 28, 28)).shape == (1, 16)
        with pytest.raises(ValueError, match='8 frames'):
            model.encode_video(torch.randn(1, 4, 3, 28, 28))
        with pytest.raises(ValueError, match=r'\(B, 32\)'):
            model.encode_text(torch.zeros(1, 16, dtype=torch.long))


def test_batch_size_independence_of_the_encoders() -> None:
    model = tiny_viclip()
    x = torch.randn(3, 8, 3, 28, 28)
    with torch.no_grad():
        together = model.encode_video(x)
        alone = torch.cat([model.encode_video(x[i:i + 1]) for i in range(3)])
    assert together.std() > 0.1
    torch.testing.assert_close(together, alone, atol=1e-5, rtol=1e-5)


def test_eot_pooling_ignores_padding_after_eot() -> None:
    model = tiny_viclip()
    ids = torch.zeros(2, 32, dtype=torch.long)
    ids[:, :4] = torch.tensor([98, 5, 6, 99])
    ids[1, 10:] = 7  # after EOT: masked by the causal mask, so the EOT embedding cannot change
    with torch.no_grad():
        out = model.encode_text(ids)
    torch.testing.assert_close(out[0], out[1])


# ------------------------------------------------------------------------------------------- tokenizer
@pytest.fixture(scope='module')
def char_tok(tmp_path_factory):
    return char_tokenizer(tmp_path_factory.mktemp('char_clip_tok'))[0]


def test_tokenizer_rule_sot_eot_zero_padding(char_tok) -> None:
    ids = char_tok(['ab', ''])
    assert ids.shape == (2, VICLIP_CONTEXT_LENGTH) and ids.dtype == torch.long
    sot, eot = char_tok.sot, char_tok.eot
    assert ids[0, 0] == sot and ids[0, 3] == eot and ids[0, 4:].eq(0).all()
    assert ids[1, :2].tolist() == [sot, eot] and ids[1, 2:].eq(0).all()
    assert int(ids[0].argmax()) == 3  # EOT is the largest id: the text encoder pools there


def test_tokenizer_truncates_to_32_keeping_eot(char_tok) -> None:
    long_text = 'abcdefghij' * 5  # 50 characters = 50 ids
    ids = char_tok(long_text)[0]
    assert ids.shape == (32, ) and ids[0] == char_tok.sot and ids[31] == char_tok.eot
    assert ids[1:31].tolist() == char_tok.encode(long_text)[:30]
    assert char_tok.num_tokens(long_text) == 52 and int(ids.argmax()) == 31


def test_openai_cleaning() -> None:
    assert openai_clip_clean('  A  Cat &amp;amp;\n\t Dog ') == 'a cat & dog'
    with pytest.raises(ValueError, match='context_length'):
        ViCLIPTokenizer(object(), context_length=1)


def _real_clip_tokenizer_dir() -> Path | None:
    """A local OpenAI CLIP tokenizer folder: $AIGVE_TEST_CLIP_TOKENIZER, or a hub snapshot in the HF cache."""
    env = os.environ.get('AIGVE_TEST_CLIP_TOKENIZER')
    if env and Path(env).is_dir():
        return Path(env)
    for root in (Path.home() / '.cache' / 'huggingface' / 'hub', ):
        for snap in (root / 'models--openai--clip-vit-large-patch14' / 'snapshots').glob('*'):
            if (snap / 'vocab.json').is_file() or (snap / 'tokenizer.json').is_file():
                return snap
    return None


def test_real_bpe_ids_equal_openai_rule_on_hand_cases() -> None:
    """Ids of VBench's own tokenizer (bpe_simple_vocab_16e6 + CLIP_TEXT.tokenize at 32), stored; ours must match."""
    folder = _real_clip_tokenizer_dir()
    if folder is None:
        pytest.skip('no OpenAI CLIP tokenizer folder offline (set AIGVE_TEST_CLIP_TOKENIZER to one)')
    from transformers import CLIPTokenizer

    tok = ViCLIPTokenizer(CLIPTokenizer.from_pretrained(str(folder)))
    cases = load_json('viclip_tokens.json')['cases']
    assert len(cases) >= 8
    has_ftfy = is_available('ftfy')
    for case in cases:
        if case['text'].isascii() or has_ftfy:  # OpenAI runs ftfy.fix_text first (curly quotes, ...)
            assert tok(case['text'])[0].tolist() == case['ids'], case['text']


def test_stored_hand_cases_follow_the_rule() -> None:
    data = load_json('viclip_tokens.json')
    assert data['context_length'] == 32
    for case in data['cases']:
        ids = case['ids']
        n = sum(1 for i in ids if i != 0)
        assert len(ids) == 32 and ids[0] == 49406 and ids[n - 1] == 49407 and all(i == 0 for i in ids[n:])
    assert any(sum(1 for i in c['ids'] if i) == 32 for c in data['cases'])  # a truncated case, EOT at 31


@pytest.mark.slow
def test_real_checkpoint_loads_strictly() -> None:
    """With ViClip-InternVid-10M-FLT.pth in the cache (aigve weights download viclip-internvid-10m-flt)."""
    try:
        model, resolved = load_viclip()
    except WeightsNotFoundError:
        pytest.skip('ViClip-InternVid-10M-FLT.pth is not in the cache')
    assert {k: list(v.shape) for k, v in model.state_dict().items()} == load_json('viclip_keys.json')
    with torch.no_grad():
        emb = model.encode_video(torch.zeros(1, 8, 3, 224, 224))
    assert emb.shape == (1, 768) and torch.isfinite(emb).all()


class _Opaque:  # a pickled object weights_only=True refuses
    pass


def test_checkpoint_with_arbitrary_objects_is_refused_with_advice(tmp_path) -> None:
    path = tmp_path / 'ViClip-InternVid-10M-FLT.pth'
    torch.save({'model': {}, 'config': _Opaque()}, path)
    with pytest.raises(ValueError, match='weights_only=True'):
        viclip_module.load_checkpoint_file(path, 'ViCLIP')


def test_non_ascii_prompt_without_ftfy_warns_once(char_tok, monkeypatch) -> None:
    logged = []
    monkeypatch.setattr(viclip_module, 'is_available', lambda name: False)
    monkeypatch.setattr(viclip_module, 'print_log', lambda msg, **kw: logged.append(msg))
    tok = ViCLIPTokenizer(char_tok.tokenizer)
    tok('café')
    tok('naïve')
    assert len(logged) == 1 and 'ftfy' in logged[0]
