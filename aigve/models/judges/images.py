"""Images for judge backends: frames (tensors, arrays, PIL) to RGB PIL images, resizing, encoding, hashing."""
from __future__ import annotations

import base64
import hashlib
import io
from typing import Any

__all__ = ['to_pil', 'fit_longest_side', 'encode_image', 'data_url', 'image_digest']


def to_pil(image: Any) -> Any:
    """An RGB ``PIL.Image`` from a PIL image or a uint8 RGB ``(C, H, W)`` / ``(H, W, C)`` tensor or array.

    A 3-dimensional input whose first dimension is 1 or 3 (and whose last is not) is read as channels-first.

    Raises:
        TypeError: If ``image`` is none of these, or not uint8.
        ValueError: If its shape is not a 2-D grey or 3-channel RGB image.
    """
    import numpy as np
    from PIL import Image

    if isinstance(image, Image.Image):
        return image if image.mode == 'RGB' else image.convert('RGB')
    if hasattr(image, 'detach') and hasattr(image, 'cpu'):  # a torch tensor, without importing torch
        image = image.detach().cpu().numpy()
    if not isinstance(image, np.ndarray):
        raise TypeError(f'an image must be a PIL image or a uint8 tensor/array, but got {type(image).__name__}')
    if image.dtype != np.uint8:
        raise TypeError(f'an image tensor must be uint8 (0-255 RGB), but got {image.dtype}')
    if image.ndim == 3 and image.shape[0] in (1, 3) and image.shape[-1] not in (1, 3):
        image = np.transpose(image, (1, 2, 0))
    if image.ndim == 3 and image.shape[-1] == 1:
        image = image[..., 0]
    if image.ndim == 2:
        return Image.fromarray(np.ascontiguousarray(image), mode='L').convert('RGB')
    if image.ndim != 3 or image.shape[-1] != 3:
        raise ValueError(f'an image must be (C, H, W) or (H, W, C) with 3 channels, but got shape {image.shape}')
    return Image.fromarray(np.ascontiguousarray(image), mode='RGB')


def fit_longest_side(image: Any, max_side: int | None) -> Any:
    """Downscale a PIL image so that its longest side is at most ``max_side`` (aspect kept, bicubic, never up)."""
    if not max_side or max(image.size) <= max_side:
        return image
    from PIL import Image

    w, h = image.size
    scale = max_side / max(w, h)
    return image.resize((max(1, round(w * scale)), max(1, round(h * scale))), Image.Resampling.BICUBIC)


def encode_image(image: Any, fmt: str = 'jpeg', quality: int = 75) -> bytes:
    """Encode a PIL image as JPEG (``quality``; 75 is PIL's default, what VIEScore sent) or PNG bytes."""
    buf = io.BytesIO()
    fmt = fmt.lower()
    if fmt in ('jpeg', 'jpg'):
        image.save(buf, format='JPEG', quality=quality)
    elif fmt == 'png':
        image.save(buf, format='PNG')
    else:
        raise ValueError(f'`image_format` must be "jpeg" or "png", but got {fmt!r}')
    return buf.getvalue()


def data_url(data: bytes, fmt: str = 'jpeg') -> str:
    """A ``data:image/<fmt>;base64,...`` URL of encoded image bytes."""
    mime = 'jpeg' if fmt.lower() in ('jpeg', 'jpg') else fmt.lower()
    return f'data:image/{mime};base64,' + base64.b64encode(data).decode('ascii')


def image_digest(image: Any) -> str:
    """sha256 of an image's RGB pixels and size (the answer cache's frame hash), independent of its container."""
    pil = to_pil(image)
    h = hashlib.sha256(f'{pil.size[0]}x{pil.size[1]}:'.encode())
    h.update(pil.tobytes())
    return h.hexdigest()
