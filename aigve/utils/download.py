"""Download one URL to a file atomically, hashing while streaming (standard library only).

A download lands at its destination only when it is complete and accepted: the HTTP status is 200, the
body is not an HTML page (a login wall, a quota page or a renamed 404), its length matches
``Content-Length``, and the caller's ``check(sha256, size)`` does not raise. Anything else leaves the
destination untouched and removes the temporary file.
"""
from __future__ import annotations

import hashlib
import http.client
import os
import sys
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aigve.utils.atomic import atomic_open

_CHUNK = 1 << 20
_HTML_STARTS = (b'<!doctype html', b'<html', b'<head', b'<?xml', b'<body')


class DownloadError(OSError):
    """The server did not deliver the file (HTTP error, HTML page, truncated body, no connection)."""


def looks_like_html(head: bytes) -> bool:
    r"""Return True if the first bytes of a body look like an HTML/XML page rather than a checkpoint.

    Examples:
        >>> looks_like_html(b'  <!DOCTYPE html><html>')
        True
        >>> looks_like_html(b'PK\x03\x04')
        False
    """
    return head.lstrip()[:16].lower().startswith(_HTML_STARTS)


def download_file(url: str,
                  dest: str | os.PathLike,
                  *,
                  check: Callable[[str, int], None] | None = None,
                  timeout: float = 60.0,
                  progress: bool = True,
                  desc: str | None = None) -> str:
    """Download ``url`` to ``dest`` atomically and return the sha256 of the bytes written.

    Args:
        url: ``http(s)://`` or ``file://`` address.
        dest: Final path. Its folder is created; a temporary sibling is renamed onto it at the end.
        check: Called with ``(sha256, size)`` before the rename; raise to refuse the file.
            Defaults to None (accept).
        timeout: Seconds to wait for the connection and for each read. Defaults to 60.
        progress: Show a tqdm bar on stderr. Defaults to True.
        desc: Label of the progress bar. Defaults to the file name.

    Returns:
        The hex sha256 of the downloaded file.

    Raises:
        DownloadError: On a connection error, a timeout, an HTTP status other than 200, an HTML body or
            a body shorter than ``Content-Length``.
        Exception: Whatever ``check`` raises.
    """
    dest = Path(dest)
    request = urllib.request.Request(url, headers={'User-Agent': 'aigve-weights'})
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as e:
        raise DownloadError(f'HTTP {e.code} {e.reason} from {url}') from e
    except (OSError, http.client.HTTPException) as e:  # DNS, refused, timeout, TLS, bad status line
        reason = getattr(e, 'reason', e)
        raise DownloadError(f'could not connect to {url}: {reason}') from e
    with response:
        status = getattr(response, 'status', 200)
        if status != 200:
            raise DownloadError(f'HTTP {status} from {url} (expected 200)')
        ctype = (response.headers.get('Content-Type') or '').lower()
        if 'text/html' in ctype:
            raise DownloadError(f'{url} returned an HTML page (Content-Type {ctype!r}), not a checkpoint; '
                                'the link may need a login or may have moved')
        length = response.headers.get('Content-Length')
        total = int(length) if length and length.isdigit() else None
        digest = hashlib.sha256()
        size = 0
        bar = _progress_bar(total, desc or dest.name, progress)
        try:
            with atomic_open(dest, 'wb') as f:
                while True:
                    try:
                        chunk = response.read(_CHUNK)
                    except (OSError, http.client.HTTPException) as e:  # timeout, reset, IncompleteRead
                        raise DownloadError(f'download of {url} broke off after {size} bytes: {e}') from e
                    if not chunk:
                        break
                    if size == 0 and looks_like_html(chunk[:64]):
                        raise DownloadError(f'{url} returned an HTML page, not a checkpoint; '
                                            'the link may need a login or may have moved')
                    f.write(chunk)
                    digest.update(chunk)
                    size += len(chunk)
                    if bar is not None:
                        bar.update(len(chunk))
                if total is not None and size != total:
                    raise DownloadError(f'download of {url} is truncated: got {size} of {total} bytes')
                if size == 0:
                    raise DownloadError(f'{url} returned an empty body')
                sha256 = digest.hexdigest()
                if check is not None:
                    check(sha256, size)
        finally:
            if bar is not None:
                bar.close()
    return sha256


def _progress_bar(total: int | None, desc: str, enabled: bool) -> Any:
    """A tqdm bar on stderr, or None when disabled or tqdm is missing."""
    if not enabled:
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm(total=total, desc=desc, unit='B', unit_scale=True, unit_divisor=1024, file=sys.stderr,
                leave=False)
