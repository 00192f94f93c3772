"""Tiny random-weight vision-language models for the judge backends' tests (no network, well under 1 MB).

* :func:`build_tiny_qwen2_vl`: ``Qwen2VLForConditionalGeneration`` + ``Qwen2VLProcessor`` with a byte-level
  tokenizer (256 byte symbols, no merges, plus Qwen's special tokens) and a short chat template; 56x56 frames,
  4 tokens per frame.
* :func:`build_tiny_llava_onevision`: ``LlavaOnevisionForConditionalGeneration`` (SigLIP + Qwen2) with the same
  byte-level tokenizer and an ``<image>`` chat template; 28 px tiles.
* :func:`build_tiny_instructblip`: ``InstructBlipForConditionalGeneration`` (Q-Former + Llama), no chat template.
* :func:`build_tiny_blip_vqa`: ``BlipForQuestionAnswering`` + ``BlipProcessor`` with a character-level BERT
  vocabulary that also holds the words ``yes`` and ``no``.

Random weights give gibberish answers: these models test plumbing (shapes, slicing of generated tokens, P(yes) in
[0, 1], several images per request), never answers.
"""
from __future__ import annotations

from pathlib import Path

import torch

QWEN_SPECIAL = ['<|endoftext|>', '<|im_start|>', '<|im_end|>', '<|vision_start|>', '<|vision_end|>',
                '<|image_pad|>', '<|video_pad|>']
QWEN_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}"
    "{% else %}{% for part in message['content'] %}"
    "{% if part['type'] == 'image' %}<|vision_start|><|image_pad|><|vision_end|>"
    "{% elif part['type'] == 'text' %}{{ part['text'] }}{% endif %}{% endfor %}{% endif %}"
    "<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")


def byte_level_tokenizer(special: list[str], chat_template: str | None = None):
    """A ``PreTrainedTokenizerFast`` over the 256 bytes (no merges) plus ``special`` tokens; encodes any text."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    alphabet = pre_tokenizers.ByteLevel.alphabet()
    vocab = {c: i for i, c in enumerate(sorted(alphabet))}
    bpe = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
    bpe.decoder = decoders.ByteLevel()
    tok = PreTrainedTokenizerFast(tokenizer_object=bpe, eos_token=special[0], pad_token=special[0],
                                  additional_special_tokens=special[1:])
    tok.add_special_tokens({'additional_special_tokens': special[1:]})
    if chat_template is not None:
        tok.chat_template = chat_template
    return tok


def build_tiny_qwen2_vl(path: str | Path, seed: int = 0) -> Path:
    """Build, save and return the folder of a tiny random Qwen2-VL (model + processor + chat template)."""
    from transformers import (
        Qwen2VLConfig,
        Qwen2VLForConditionalGeneration,
        Qwen2VLImageProcessor,
        Qwen2VLProcessor,
        Qwen2VLVideoProcessor,
    )

    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    tok = byte_level_tokenizer(QWEN_SPECIAL, QWEN_TEMPLATE)
    ids = {t: tok.convert_tokens_to_ids(t) for t in QWEN_SPECIAL}
    config = Qwen2VLConfig(
        text_config=dict(vocab_size=len(tok), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2,
                         rope_parameters=dict(rope_type='default', rope_theta=1e4, mrope_section=[2, 3, 3]),
                         eos_token_id=ids['<|endoftext|>'], pad_token_id=ids['<|endoftext|>'],
                         bos_token_id=ids['<|endoftext|>']),
        vision_config=dict(depth=2, embed_dim=32, hidden_size=64, num_heads=2, mlp_ratio=2, patch_size=14,
                           spatial_merge_size=2, temporal_patch_size=2),
        image_token_id=ids['<|image_pad|>'], video_token_id=ids['<|video_pad|>'],
        vision_start_token_id=ids['<|vision_start|>'], vision_end_token_id=ids['<|vision_end|>'])
    torch.manual_seed(seed)
    model = Qwen2VLForConditionalGeneration(config).eval()
    pixels = dict(min_pixels=56 * 56, max_pixels=56 * 56)
    processor = Qwen2VLProcessor(image_processor=Qwen2VLImageProcessor(**pixels), tokenizer=tok,
                                 video_processor=Qwen2VLVideoProcessor(), chat_template=QWEN_TEMPLATE)
    model.save_pretrained(path)
    processor.save_pretrained(path)
    return path


def build_tiny_blip_vqa(path: str | Path, seed: int = 0, image_size: int = 32) -> Path:
    """Build, save and return the folder of a tiny random ``BlipForQuestionAnswering`` + ``BlipProcessor``."""
    from transformers import BertTokenizerFast, BlipConfig, BlipForQuestionAnswering, BlipImageProcessor, BlipProcessor

    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    chars = [chr(c) for c in range(ord('a'), ord('z') + 1)] + [chr(c) for c in range(ord('0'), ord('9') + 1)] + list(
        '?.,!\'-')
    tokens = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', '[DEC]', 'yes', 'no'] + chars + ['##' + c for c in chars]
    vocab = {t: i for i, t in enumerate(tokens)}
    tok = BertTokenizerFast(vocab=vocab, do_lower_case=True, bos_token='[DEC]', model_max_length=64)
    text_config = dict(vocab_size=len(tokens), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                       num_attention_heads=4, max_position_embeddings=64, encoder_hidden_size=32,
                       pad_token_id=vocab['[PAD]'], bos_token_id=vocab['[DEC]'], eos_token_id=vocab['[SEP]'],
                       sep_token_id=vocab['[SEP]'])
    vision_config = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                         image_size=image_size, patch_size=8, initializer_range=0.02)
    config = BlipConfig(text_config=text_config, vision_config=vision_config)
    torch.manual_seed(seed)
    model = BlipForQuestionAnswering(config).eval()
    processor = BlipProcessor(image_processor=BlipImageProcessor(size={'height': image_size, 'width': image_size}),
                              tokenizer=tok)
    model.save_pretrained(path)
    processor.save_pretrained(path)
    return path


LLAVA_SPECIAL = ['<|endoftext|>', '<|im_start|>', '<|im_end|>', '<image>', '<video>']
LLAVA_TEMPLATE = QWEN_TEMPLATE.replace('<|vision_start|><|image_pad|><|vision_end|>', '<image>')


def build_tiny_llava_onevision(path: str | Path, seed: int = 0) -> Path:
    """Build, save and return the folder of a tiny random LLaVA-OneVision (SigLIP + Qwen2, 28 px tiles)."""
    from transformers import (
        LlavaOnevisionConfig,
        LlavaOnevisionForConditionalGeneration,
        LlavaOnevisionImageProcessor,
        LlavaOnevisionProcessor,
        LlavaOnevisionVideoProcessor,
    )

    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    tok = byte_level_tokenizer(LLAVA_SPECIAL, LLAVA_TEMPLATE)
    ids = {t: tok.convert_tokens_to_ids(t) for t in LLAVA_SPECIAL}
    pinpoints = [[28, 28], [28, 56], [56, 28], [56, 56]]
    eos = ids['<|endoftext|>']
    config = LlavaOnevisionConfig(
        vision_config=dict(model_type='siglip_vision_model', hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                           num_attention_heads=2, image_size=28, patch_size=14),
        text_config=dict(model_type='qwen2', vocab_size=len(tok), hidden_size=32, intermediate_size=64,
                         num_hidden_layers=2, num_attention_heads=2, num_key_value_heads=1, eos_token_id=eos,
                         pad_token_id=eos, bos_token_id=eos),
        image_grid_pinpoints=pinpoints, vision_feature_select_strategy='full', vision_feature_layer=-1,
        image_token_index=ids['<image>'], video_token_index=ids['<video>'])
    torch.manual_seed(seed)
    model = LlavaOnevisionForConditionalGeneration(config).eval()
    side = dict(height=28, width=28)
    processor = LlavaOnevisionProcessor(
        image_processor=LlavaOnevisionImageProcessor(size=side, crop_size=side, image_grid_pinpoints=pinpoints),
        tokenizer=tok, video_processor=LlavaOnevisionVideoProcessor(), num_image_tokens=4,
        vision_feature_select_strategy='full', chat_template=LLAVA_TEMPLATE)
    model.save_pretrained(path)
    processor.save_pretrained(path)
    return path


def build_tiny_instructblip(path: str | Path, seed: int = 0) -> Path:
    """Build, save and return the folder of a tiny random InstructBLIP (Vicuna-like Llama text model, 32 px images)."""
    from transformers import (
        BertTokenizerFast,
        BlipImageProcessor,
        InstructBlipConfig,
        InstructBlipForConditionalGeneration,
        InstructBlipProcessor,
    )

    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    tok = byte_level_tokenizer(['</s>', '<s>', '<image>'])
    ids = {t: tok.convert_tokens_to_ids(t) for t in ('</s>', '<s>', '<image>')}
    chars = [chr(c) for c in range(ord('a'), ord('z') + 1)]
    qtokens = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] + chars + ['##' + c for c in chars]
    qvocab = {t: i for i, t in enumerate(qtokens)}
    qformer_tok = BertTokenizerFast(vocab=qvocab, do_lower_case=True)
    config = InstructBlipConfig(
        vision_config=dict(hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=2,
                           image_size=32, patch_size=8),
        qformer_config=dict(vocab_size=len(qvocab), hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                            intermediate_size=64, encoder_hidden_size=32, cross_attention_frequency=1, pad_token_id=0),
        text_config=dict(model_type='llama', vocab_size=len(tok), hidden_size=32, intermediate_size=64,
                         num_hidden_layers=1, num_attention_heads=2, num_key_value_heads=1, eos_token_id=ids['</s>'],
                         bos_token_id=ids['<s>'], pad_token_id=ids['</s>']),
        num_query_tokens=4, image_token_index=ids['<image>'])
    torch.manual_seed(seed)
    model = InstructBlipForConditionalGeneration(config).eval()
    processor = InstructBlipProcessor(image_processor=BlipImageProcessor(size={'height': 32, 'width': 32}),
                                      tokenizer=tok, qformer_tokenizer=qformer_tok, num_query_tokens=4)
    model.save_pretrained(path)
    processor.save_pretrained(path)
    return path
