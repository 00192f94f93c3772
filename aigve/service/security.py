"""Checks on everything a request hands the service: server paths, upload names, upload contents, tokens."""
from __future__ import annotations

import hmac
import os
import re
import unicodedata
from collections.abc import Sequence
from pathlib import Path

from aigve.utils.video_io import VIDEO_EXTENSIONS

_UNSAFE = re.compile(r'[^A-Za-z0-9._-]+')


class RequestRefused(Exception):
    """A request the service refuses; ``status`` is the HTTP status code to answer with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def resolve_inside_roots(path: str | os.PathLike, roots: Sequence[Path], what: str = 'path') -> Path:
    """Resolve ``path`` (symlinks followed, ``..`` collapsed) and require it inside one of ``roots``.

    Args:
        path: An absolute server path.
        roots: Allowed folders, already resolved.
        what: The request field, for the message. Defaults to 'path'.

    Returns:
        Path: The resolved path.

    Raises:
        RequestRefused: 403 when no roots are configured or the path resolves outside them; 400 when the path
            is not absolute or not a string path.
    """
    if not roots:
        raise RequestRefused(403, f'`{what}`: this service reads no server paths (no data roots configured; '
                                  'set AIGVE_SERVICE_DATA_ROOTS) - upload the videos with POST /jobs/upload instead')
    raw = os.fspath(path)
    if not raw or '\x00' in raw:
        raise RequestRefused(400, f'`{what}` must be a non-empty path, but got {raw!r}')
    if not os.path.isabs(raw):
        raise RequestRefused(400, f'`{what}` must be an absolute server path, but got {raw!r}')
    resolved = Path(raw).resolve()
    for root in roots:
        if resolved == root or root in resolved.parents:
            return resolved
    shown = ', '.join(str(r) for r in roots)
    via = f' (it resolves to {resolved})' if str(resolved) != os.path.normpath(raw) else ''
    raise RequestRefused(403, f'`{what}` {raw!r} is outside the data roots{via}; allowed roots: {shown}')


def sanitize_filename(name: str | None, index: int = 0) -> str:
    """A safe file name for an upload: no folders, no leading dots, only ``[A-Za-z0-9._-]``, at most 120 chars.

    Examples:
        >>> sanitize_filename('../../etc/passwd.mp4')
        'passwd.mp4'
        >>> sanitize_filename('C:\\\\clips\\\\my clip (1).MP4')
        'my_clip_1.MP4'
        >>> sanitize_filename('...', 3)
        'upload_3'
    """
    raw = unicodedata.normalize('NFKC', name or '')
    base = re.split(r'[\\/]', raw)[-1]
    stem, ext = os.path.splitext(base)
    stem = _UNSAFE.sub('_', stem).strip('._-') or f'upload_{index}'
    ext = _UNSAFE.sub('', ext)
    stem = stem[:120 - len(ext)]
    return stem + ext if ext and ext != '.' else stem


def unique_name(name: str, taken: set[str]) -> str:
    """``name``, or ``name`` with ``-2``, ``-3``... before the suffix when taken (case-insensitive)."""
    stem, ext = os.path.splitext(name)
    candidate, n = name, 1
    while candidate.lower() in taken:
        n += 1
        candidate = f'{stem}-{n}{ext}'
    taken.add(candidate.lower())
    return candidate


def check_video_name(name: str) -> None:
    """Refuse (415) a file whose suffix is not a video container."""
    ext = os.path.splitext(name)[1].lower()
    if ext not in VIDEO_EXTENSIONS:
        raise RequestRefused(415, f'{name!r}: only video files are accepted ({", ".join(VIDEO_EXTENSIONS)}), '
                                  f'but got suffix {ext or "(none)"!r}')


def check_video_file(path: str | os.PathLike, shown_name: str) -> dict:
    """Decode the first and last frame of ``path``; refuse (415) a file that is not a readable video.

    A still image (PNG, JPEG, WebP, ...) is refused whatever its extension, from its first bytes.

    Returns:
        dict: ``num_frames``, ``fps``, ``height``, ``width``.
    """
    from aigve.utils.video_io import VideoReadError, image_format, open_video

    try:
        still = image_format(path)
    except OSError:
        still = None  # open_video below reports the unreadable file
    if still:
        raise RequestRefused(415, f'{shown_name!r} is not a video (it is a {still} image); upload video files')
    try:
        with open_video(path) as reader:
            reader.get_frames(sorted({0, reader.num_frames - 1}))
            return dict(num_frames=reader.num_frames, fps=reader.fps, height=reader.height, width=reader.width)
    except (VideoReadError, ValueError, OSError) as e:
        cause = str(e).replace(str(path), shown_name)
        raise RequestRefused(415, f'{shown_name!r} is not a readable video: {cause}') from e


def token_matches(header: str | None, token: str) -> bool:
    """Whether an ``Authorization`` header carries ``Bearer <token>`` (constant-time comparison)."""
    if not header:
        return False
    scheme, _, value = header.partition(' ')
    return scheme.lower() == 'bearer' and hmac.compare_digest(value.strip().encode(), token.encode())
