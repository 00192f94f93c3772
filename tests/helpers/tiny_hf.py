"""Tiny random-weight Hugging Face CLIP and BLIP models for tests (no network).

Each builder makes a small model under a fixed seed, a matching processor (image processor + tokenizer
built from a tiny vocabulary written here) and saves both with ``save_pretrained`` into ``path``, so that
metrics load them by local path exactly as they would load a downloaded hub snapshot.

The CLIP tokenizer is byte-level BPE without merges (one token per character, the last character of a
word carrying ``</w>``); the BLIP tokenizer is a BERT WordPiece over single characters. Both are valid
tokenizers of the real classes, only with tiny vocabularies.
"""
from __future__ import annotations

import json
from pathlib import Path

import torch

#: Text length limit (``max_position_embeddings``) of the tiny text encoders; short, so tests can exceed it.
TINY_MAX_TEXT_LEN = 16
#: Side of the tiny models' square input images.
TINY_IMAGE_SIZE = 32


def _bytes_to_unicode() -> list[str]:
    """The 256 printable characters GPT-2/CLIP byte-level BPE uses for the bytes 0..255."""
    bs = list(range(ord('!'), ord('~') + 1)) + list(range(ord('¡'), ord('¬') + 1)) + list(
        range(ord('®'), ord('ÿ') + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return [chr(c) for c in cs]


def _write_clip_tokenizer(path: Path, max_len: int) -> int:
    """Write a character-level CLIP tokenizer into ``path``; return its vocabulary size."""
    from transformers import CLIPTokenizer

    chars = _bytes_to_unicode()
    vocab = {c: i for i, c in enumerate(chars)}
    vocab.update({c + '</w>': len(chars) + i for i, c in enumerate(chars)})
    vocab['<|startoftext|>'] = len(vocab)
    vocab['<|endoftext|>'] = len(vocab)
    tok_dir = path / '_tokenizer_src'
    tok_dir.mkdir(parents=True, exist_ok=True)
    (tok_dir / 'vocab.json').write_text(json.dumps(vocab))
    (tok_dir / 'merges.txt').write_text('#version: 0.2\n')
    tokenizer = CLIPTokenizer(str(tok_dir / 'vocab.json'), str(tok_dir / 'merges.txt'),
                              model_max_length=max_len) if _is_v4() else CLIPTokenizer(
                                  vocab=vocab, merges=[], model_max_length=max_len)
    tokenizer.save_pretrained(path)
    return len(vocab)


def _is_v4() -> bool:
    import transformers

    return int(transformers.__version__.split('.')[0]) < 5


def build_tiny_clip(path: str | Path, seed: int = 0, max_text_len: int = TINY_MAX_TEXT_LEN,
                    image_size: int = TINY_IMAGE_SIZE, projection_dim: int = 16,
                    vision_overrides: dict | None = None) -> Path:
    """Build, save and return the directory of a tiny random CLIP (``CLIPModel`` + ``CLIPProcessor``).

    Args:
        path: Directory to write (created if missing).
        seed: Seed of the random weights. Defaults to 0.
        max_text_len: ``max_position_embeddings`` of the text encoder and the tokenizer's
            ``model_max_length``. Defaults to ``TINY_MAX_TEXT_LEN``.
        image_size: Input side of the vision encoder; the processor resizes the short side to it and
            centre-crops a square. Defaults to ``TINY_IMAGE_SIZE``.
        projection_dim: Size of the joint embedding. Defaults to 16.
        vision_overrides: Vision-config fields to change (the bench builds a ViT-B/32-sized encoder this way).
            Defaults to None.
    """
    from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel, CLIPProcessor, CLIPTokenizer

    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    vocab_size = _write_clip_tokenizer(path, max_text_len)
    tokenizer = CLIPTokenizer.from_pretrained(path)
    text_config = dict(vocab_size=vocab_size, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                       num_attention_heads=4, max_position_embeddings=max_text_len,
                       bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
                       pad_token_id=tokenizer.pad_token_id)
    vision_config = {**dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                            image_size=image_size, patch_size=8), **(vision_overrides or {})}
    config = CLIPConfig(text_config=text_config, vision_config=vision_config, projection_dim=projection_dim)
    torch.manual_seed(seed)
    model = CLIPModel(config).eval()
    image_processor = CLIPImageProcessor(size={'shortest_edge': image_size},
                                         crop_size={'height': image_size, 'width': image_size})
    processor = CLIPProcessor(image_processor=image_processor, tokenizer=tokenizer)
    model.save_pretrained(path)
    processor.save_pretrained(path)
    return path


def _write_bert_vocab(path: Path) -> Path:
    chars = list('abcdefghijklmnopqrstuvwxyz0123456789.,!?\'-')
    tokens = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', '[DEC]', '[ENC]'] + chars + ['##' + c for c in chars]
    vocab_file = path / '_tokenizer_src' / 'vocab.txt'
    vocab_file.parent.mkdir(parents=True, exist_ok=True)
    vocab_file.write_text('\n'.join(tokens) + '\n')
    return vocab_file


def build_tiny_blip(path: str | Path, seed: int = 0, max_text_len: int = TINY_MAX_TEXT_LEN,
                    image_size: int = TINY_IMAGE_SIZE) -> Path:
    """Build, save and return the directory of a tiny random ``BlipForImageTextRetrieval`` + ``BlipProcessor``.

    Args:
        path: Directory to write (created if missing).
        seed: Seed of the random weights. Defaults to 0.
        max_text_len: ``max_position_embeddings`` of the text encoder and the tokenizer's
            ``model_max_length``. Defaults to ``TINY_MAX_TEXT_LEN``.
        image_size: Input side of the vision encoder (the processor resizes to it). Defaults to
            ``TINY_IMAGE_SIZE``.
    """
    from transformers import BertTokenizerFast, BlipConfig, BlipForImageTextRetrieval, BlipImageProcessor, BlipProcessor

    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    vocab_file = _write_bert_vocab(path)
    if _is_v4():
        tokenizer = BertTokenizerFast(vocab_file=str(vocab_file), do_lower_case=True, model_max_length=max_text_len)
    else:
        tokens = vocab_file.read_text().split()
        tokenizer = BertTokenizerFast(vocab={t: i for i, t in enumerate(tokens)}, do_lower_case=True,
                                      model_max_length=max_text_len)
    text_config = dict(vocab_size=len(vocab_file.read_text().split()), hidden_size=32, intermediate_size=64,
                       num_hidden_layers=2, num_attention_heads=4, max_position_embeddings=max_text_len,
                       encoder_hidden_size=32, pad_token_id=tokenizer.pad_token_id,
                       bos_token_id=tokenizer.cls_token_id, eos_token_id=tokenizer.sep_token_id,
                       sep_token_id=tokenizer.sep_token_id)
    # BLIP's vision config initialises with std 1e-10 by default, which makes every image embed alike
    vision_config = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                         image_size=image_size, patch_size=8, initializer_range=0.02)
    config = BlipConfig(text_config=text_config, vision_config=vision_config, image_text_hidden_size=16)
    torch.manual_seed(seed)
    model = BlipForImageTextRetrieval(config).eval()
    image_processor = BlipImageProcessor(size={'height': image_size, 'width': image_size})
    processor = BlipProcessor(image_processor=image_processor, tokenizer=tokenizer)
    model.save_pretrained(path)
    processor.save_pretrained(path)
    return path
