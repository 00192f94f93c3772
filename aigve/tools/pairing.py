"""Pair generated videos with their reference videos by file name, and write the annotation file.

Rules (compatible with the older toolkit's ``prepare_annotations.py``, minus its loosest match):

* A file is a video when its suffix is one of :data:`aigve.utils.video_io.VIDEO_EXTENSIONS`
  (case-insensitive). Other files are listed as ``ignored``.
* A generated-suffix name ``s`` gives the tokens ``_s`` and ``-s``; a name that already starts with
  ``_`` or ``-`` is used as written. A video whose stem ends with a token (case-insensitive) is a
  *generated* video; its *base* is the stem without the token: ``4056_synthetic.mp4`` and
  ``4056-Generated.MOV`` both have base ``4056``. The older toolkit also matched the bare name
  (``foosynthetic`` with ``foo``); that is not done here, as it pairs unrelated files (``photosynthetic``).
* Every other video is a *reference* candidate, keyed by its stem (case-insensitive). A generated video
  pairs with the reference of the same base, preferring the same container, then
  ``.mp4 > .mov > .webm > .mkv > .avi > .m4v > .gif``.
* Nothing is dropped silently: generated videos without a reference (``no_reference``), references that no
  generated video uses (``no_generated``), references used by several generated videos (``shared``, all
  pairs kept) and non-video files (``ignored``) are all reported.

Annotation written (the format of :class:`aigve.datasets.BaseVideoDataset`), paths relative to the folder::

    {"metainfo": {"name": "<folder>", "source": "aigve.tools.pairing", "length": 2, ...},
     "data_list": [{"video_path_pd": "4056_synthetic.mp4", "video_path_gt": "4056.mp4"}, ...]}

Examples:
    >>> r = pair_names(['4056.mp4', '4056_synthetic.mp4', 'a-GENERATED.mov', 'b.mp4', 'notes.txt'])
    >>> [(p.generated, p.reference) for p in r.pairs]
    [('4056_synthetic.mp4', '4056.mp4')]
    >>> r.no_reference, r.no_generated, r.ignored
    (['a-GENERATED.mov'], ['b.mp4'], ['notes.txt'])
"""
from __future__ import annotations

import os
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from aigve.utils.video_io import VIDEO_EXTENSIONS, natural_sort_key

DEFAULT_SUFFIXES = ('synthetic', 'generated')
#: container preference when several references share a stem
EXTENSION_PRIORITY = ('.mp4', '.mov', '.webm', '.mkv', '.avi', '.m4v', '.gif')
#: how to build the list of entries from a pairing (see :func:`select_entries`)
PAIRING_MODES = ('auto', 'pairs', 'none')
STAGE_VIDEO_DIR = 'evaluate'
STAGE_ANN_FILE = 'annotations/evaluate.json'


@dataclass(frozen=True)
class Pair:
    """One generated video and its reference (file names relative to the scanned folder)."""

    generated: str
    reference: str


@dataclass
class PairingResult:
    """Outcome of pairing a list of file names.

    Attributes:
        pairs: Generated/reference pairs, in natural order of the generated name.
        no_reference: Generated videos for which no reference was found.
        no_generated: Reference candidates that no generated video uses.
        shared: Reference -> the generated videos paired with it, when there is more than one.
        ignored: Files that are not videos.
        generated_any: Whether any file carried a generated suffix.
    """

    pairs: list[Pair] = field(default_factory=list)
    no_reference: list[str] = field(default_factory=list)
    no_generated: list[str] = field(default_factory=list)
    shared: dict[str, list[str]] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)
    generated_any: bool = False

    def summary(self) -> dict:
        """Counts and lists, as a JSON-ready dict."""
        return dict(pairs=[[p.generated, p.reference] for p in self.pairs], no_reference=self.no_reference,
                    no_generated=self.no_generated, shared=self.shared, ignored=self.ignored)


def suffix_tokens(suffixes: Iterable[str]) -> list[str]:
    """Lower-case stem endings marking a generated video, longest first.

    Examples:
        >>> suffix_tokens(['synthetic', '_gen'])
        ['_synthetic', '-synthetic', '_gen']
    """
    tokens: list[str] = []
    for name in suffixes:
        name = name.strip().lower()
        if not name:
            continue
        forms = [name] if name[0] in '_-' else [f'_{name}', f'-{name}']
        tokens += [t for t in forms if t not in tokens]
    if not tokens:
        raise ValueError(f'`generated_suffixes` must name at least one suffix, but got {list(suffixes)!r}')
    return sorted(tokens, key=len, reverse=True)


def parse_suffixes(value: str | Sequence[str] | None) -> list[str]:
    """Accept ``'synthetic,generated'`` or a list; ``None`` gives :data:`DEFAULT_SUFFIXES`."""
    if value is None:
        return list(DEFAULT_SUFFIXES)
    items = value.split(',') if isinstance(value, str) else list(value)
    return [s.strip() for s in items if s and s.strip()]


def is_video_name(name: str) -> bool:
    """Whether ``name`` has a video container suffix (case-insensitive)."""
    return os.path.splitext(name)[1].lower() in VIDEO_EXTENSIONS


def _split_generated(stem: str, tokens: Sequence[str]) -> str | None:
    """Base stem of a generated video, or None when ``stem`` carries no token."""
    low = stem.lower()
    for token in tokens:
        if low.endswith(token) and len(low) > len(token):
            return stem[:-len(token)]
    return None


def _reference_rank(name: str, generated_ext: str) -> tuple[int, int]:
    ext = os.path.splitext(name)[1].lower()
    prio = EXTENSION_PRIORITY.index(ext) if ext in EXTENSION_PRIORITY else len(EXTENSION_PRIORITY)
    return (0 if ext == generated_ext else 1, prio)


def pair_names(names: Iterable[str], suffixes: Sequence[str] = DEFAULT_SUFFIXES) -> PairingResult:
    """Pair generated and reference videos among ``names`` (see the module docstring for the rules).

    Args:
        names: File names (not paths) of one folder.
        suffixes: Generated-suffix names, e.g. ``['synthetic', 'generated']``. Defaults to
            :data:`DEFAULT_SUFFIXES`.

    Returns:
        PairingResult: Pairs and every file that is not part of one.
    """
    tokens = suffix_tokens(suffixes)
    result = PairingResult()
    generated: list[tuple[str, str]] = []  # (name, base)
    references: dict[str, list[str]] = {}
    for name in sorted(set(names), key=natural_sort_key):
        if not is_video_name(name):
            result.ignored.append(name)
            continue
        stem = os.path.splitext(name)[0]
        base = _split_generated(stem, tokens)
        if base is None:
            references.setdefault(stem.lower(), []).append(name)
        else:
            generated.append((name, base))
    result.generated_any = bool(generated)
    used: dict[str, list[str]] = {}
    for name, base in generated:
        candidates = references.get(base.lower())
        if not candidates:
            result.no_reference.append(name)
            continue
        ext = os.path.splitext(name)[1].lower()
        ref = min(candidates, key=lambda c: _reference_rank(c, ext))
        result.pairs.append(Pair(name, ref))
        used.setdefault(ref, []).append(name)
    result.shared = {ref: gens for ref, gens in used.items() if len(gens) > 1}
    result.no_generated = [n for group in references.values() for n in group if n not in used]
    result.no_generated.sort(key=natural_sort_key)
    return result


def scan_folder(folder: str | os.PathLike, suffixes: Sequence[str] = DEFAULT_SUFFIXES) -> PairingResult:
    """Pair the files directly inside ``folder`` (sub-folders are not searched).

    Raises:
        FileNotFoundError: If ``folder`` is not a directory.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f'`input_dir` must be a folder, but got {str(folder)!r} (not found or a file)')
    return pair_names([p.name for p in folder.iterdir() if p.is_file()], suffixes)


def select_entries(result: PairingResult, mode: str = 'auto', prefix: str = '') -> list[dict]:
    """Annotation entries for a pairing.

    Args:
        result: The pairing.
        mode: ``'pairs'``: pairs only. ``'none'``: every video is a generated video, without reference.
            ``'auto'``: pairs plus generated videos without reference; when no file carries a generated
            suffix at all, every video (as in ``'none'``). Defaults to ``'auto'``.
        prefix: Folder prefix joined to every path (e.g. ``'evaluate'``). Defaults to ''.

    Returns:
        list[dict]: ``{"video_path_pd": ..., "video_path_gt": ...}`` entries (``video_path_gt`` only in pairs).
    """
    if mode not in PAIRING_MODES:
        raise ValueError(f'`pairing` must be one of {PAIRING_MODES}, but got {mode!r}')

    def path(name: str) -> str:
        return f'{prefix}/{name}' if prefix else name

    if mode == 'none' or (mode == 'auto' and not result.generated_any):
        names = [p.generated for p in result.pairs] + [p.reference for p in result.pairs]
        names += result.no_reference + result.no_generated
        return [dict(video_path_pd=path(n)) for n in sorted(set(names), key=natural_sort_key)]
    entries = [dict(video_path_pd=path(p.generated), video_path_gt=path(p.reference)) for p in result.pairs]
    if mode == 'auto':
        entries += [dict(video_path_pd=path(n)) for n in result.no_reference]
        entries.sort(key=lambda e: natural_sort_key(e['video_path_pd']))
    return entries


def build_annotation(entries: list[dict], name: str, **metainfo: object) -> dict:
    """The annotation document for ``entries``; ``metainfo`` adds keys (e.g. ``max_seconds``)."""
    info = dict(name=name, source='aigve.tools.pairing', length=len(entries))
    info.update({k: v for k, v in metainfo.items() if v is not None})
    return dict(metainfo=info, data_list=entries)


def write_annotation(path: str | os.PathLike, annotation: dict) -> Path:
    """Write ``annotation`` as JSON (atomically), creating parent folders."""
    from aigve.utils.atomic import write_json_atomic

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json_atomic(str(path), annotation)
    return path


def stage_dataset(input_dir: str | os.PathLike, entries: list[dict], dst: str | os.PathLike, link: bool = False,
                  **metainfo: object) -> Path:
    """Copy (or symlink) the videos of ``entries`` into ``dst/evaluate/`` and write ``dst/annotations/evaluate.json``.

    Args:
        input_dir: Folder the entry paths are relative to.
        entries: Entries from :func:`select_entries` (without prefix).
        dst: Destination folder; evaluate it with ``--cfg-options data_root=<dst>
            ann_file=annotations/evaluate.json``.
        link: Symlink (to the resolved source) instead of copying. Defaults to False.
        **metainfo: Extra ``metainfo`` keys.

    Returns:
        Path: The annotation file written.

    Raises:
        FileExistsError: If a different file of the same name is already staged.
    """
    src_dir, dst = Path(input_dir).resolve(), Path(dst)
    video_dir = dst / STAGE_VIDEO_DIR
    video_dir.mkdir(parents=True, exist_ok=True)
    names = {e[k] for e in entries for k in ('video_path_pd', 'video_path_gt') if e.get(k)}
    for name in sorted(names):
        src, target = src_dir / name, video_dir / name
        if target.is_symlink() or target.exists():
            if target.resolve() == src.resolve() or (not link and _same_file(src, target)):
                continue
            raise FileExistsError(f'{target} already exists and is not {src}; stage into an empty folder')
        if link:
            target.symlink_to(src.resolve())
        else:
            shutil.copy2(src, target)
    staged = [{k: f'{STAGE_VIDEO_DIR}/{v}' for k, v in e.items()} for e in entries]
    annotation = build_annotation(staged, name=dst.resolve().name, **metainfo)
    return write_annotation(dst / STAGE_ANN_FILE, annotation)


def _same_file(a: Path, b: Path) -> bool:
    return a.stat().st_size == b.stat().st_size and a.read_bytes() == b.read_bytes()


def probe_videos(folder: str | os.PathLike, names: Iterable[str]) -> dict[str, dict]:
    """Frame count, real fps and duration of each video (``{"error": ...}`` for an unreadable one)."""
    from aigve.utils.video_io import VideoReadError, open_video

    info: dict[str, dict] = {}
    for name in names:
        try:
            with open_video(Path(folder) / name) as reader:
                n, fps = reader.num_frames, reader.fps
            info[name] = dict(num_frames=n, fps=fps, seconds=(n / fps) if fps else None)
        except (VideoReadError, ImportError) as e:
            info[name] = dict(error=str(e))
    return info
