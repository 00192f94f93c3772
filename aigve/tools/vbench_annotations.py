"""Turn VBench's prompt suite (``VBench_full_info.json``) and a folder of ``{prompt}-{i}.mp4`` videos into aigve
annotation files, one per dimension, as VBench's standard mode evaluates each dimension on its own prompts.

VBench (``vbench/__init__.py: build_full_info_json``, standard mode) looks, for every prompt whose
``dimension`` list names the dimension, for the files ``{prompt}{special_str}-{i}{suffix}``, ``i = 0..4``, and
warns about any that is missing. Here a missing video is kept in the annotation, so the run lists it as a
failure instead of leaving it out unseen (``skip_missing=True`` leaves it out, and the summary names it).
Each entry keeps the prompt's ``auxiliary_info`` (style, object, colour, ...) as VBench writes it.

Without a prompt file (VBench's custom mode) every video of the folder gets its prompt from its file name
(``get_prompt_from_filename``: the stem without a trailing ``-<number>``) and one annotation lists them all.
"""
from __future__ import annotations

import argparse
import json
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aigve.utils.atomic import write_json_atomic

__all__ = ['VIDEOS_PER_PROMPT', 'prompt_from_filename', 'standard_annotations', 'custom_annotation', 'main']

#: VBench samples five videos per prompt (``for i in range(5)``)
VIDEOS_PER_PROMPT = 5
#: the suffixes VBench's custom mode reads
CUSTOM_SUFFIXES = ('.mp4', '.gif')


def prompt_from_filename(name: str) -> str:
    """VBench's ``get_prompt_from_filename``: ``'a cat-3.mp4'`` -> ``'a cat'``, ``'a cat.mp4'`` -> ``'a cat'``.

    Examples:
        >>> prompt_from_filename('A person is riding a bike-0.mp4')
        'A person is riding a bike'
        >>> prompt_from_filename('a-b.mp4')
        'a-b'
    """
    stem = Path(name).stem
    return re.sub(r'-\d+$', '', stem)


def _suffix(names: Sequence[str]) -> str:
    # VBench takes the suffix of the first file it lists; take the commonest video suffix instead of a random one
    counts: dict[str, int] = {}
    for n in names:
        counts[Path(n).suffix] = counts.get(Path(n).suffix, 0) + 1
    return max(counts, key=lambda s: (s.lower() in CUSTOM_SUFFIXES, counts[s])) if counts else '.mp4'


def standard_annotations(full_info: Sequence[dict[str, Any]], video_names: Sequence[str], *,
                         dimensions: Sequence[str] | None = None, special_str: str = '',
                         skip_missing: bool = False) -> tuple[dict[str, dict], dict[str, list[str]]]:
    """One annotation per dimension from VBench's prompt list and the names of the generated videos.

    Args:
        full_info: The entries of ``VBench_full_info.json`` (``prompt_en``, ``dimension``, ``auxiliary_info``).
        video_names: File names in the videos folder.
        dimensions: Dimensions to write. Defaults to None (every dimension the prompt file names).
        special_str: VBench's ``special_str`` between the prompt and ``-{i}``. Defaults to ''.
        skip_missing: Leave missing videos out instead of listing them. Defaults to False.

    Returns:
        ``(annotations, missing)``: dimension -> annotation document, and dimension -> missing file names.
    """
    names = set(video_names)
    suffix = _suffix(video_names)
    wanted = set(dimensions) if dimensions else {d for e in full_info for d in e.get('dimension', [])}
    annotations: dict[str, dict] = {}
    missing: dict[str, list[str]] = {}
    for entry in full_info:
        prompt = entry['prompt_en']
        for dim in entry.get('dimension', []):
            if dim not in wanted:
                continue
            doc = annotations.setdefault(dim, dict(metainfo=dict(name=f'vbench-{dim}', source='VBench_full_info.json'),
                                                   data_list=[]))
            for i in range(VIDEOS_PER_PROMPT):
                name = f'{prompt}{special_str}-{i}{suffix}'
                if name not in names:
                    missing.setdefault(dim, []).append(name)
                    if skip_missing:
                        continue
                item: dict[str, Any] = dict(video_path_pd=name, prompt_gt=prompt, id=f'{prompt}-{i}')
                if entry.get('auxiliary_info'):
                    item['auxiliary_info'] = entry['auxiliary_info']
                doc['data_list'].append(item)
    absent = sorted(wanted - set(annotations))
    if absent:
        raise ValueError(f'the prompt file names no prompt for the dimensions {absent}')
    return annotations, missing


def custom_annotation(video_names: Sequence[str]) -> dict:
    """VBench's custom mode: every ``.mp4``/``.gif`` with its prompt read from its file name."""
    files = sorted(n for n in video_names if Path(n).suffix.lower() in CUSTOM_SUFFIXES)
    if not files:
        raise ValueError(f'no {"/".join(CUSTOM_SUFFIXES)} video in the folder')
    return dict(metainfo=dict(name='vbench-custom'),
                data_list=[dict(video_path_pd=n, prompt_gt=prompt_from_filename(n)) for n in files])


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog='vbench_annotations',
        description="Write aigve annotations for VBench's prompt suite (one per dimension) or for custom videos.")
    parser.add_argument('videos', help='folder of the generated videos, named {prompt}-{i}.mp4')
    parser.add_argument('--full-info', help="VBench's VBench_full_info.json (standard mode); "
                                            'without it, prompts come from the file names (custom mode)')
    parser.add_argument('--out-dir', required=True,
                        help='where to write vbench_<dimension>.json (or vbench_custom.json)')
    parser.add_argument('--dimensions', nargs='+', help='only these dimensions (standard mode)')
    parser.add_argument('--special-str', default='', help="VBench's special_str between the prompt and -{i}")
    parser.add_argument('--skip-missing', action='store_true',
                        help='leave missing videos out (default: list them, so the run counts them as failures)')
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: write the annotations and say how many videos each lists and which are missing."""
    args = build_parser().parse_args(argv)
    videos = Path(args.videos)
    if not videos.is_dir():
        raise FileNotFoundError(f'videos folder not found: {videos}')
    names = sorted(os.listdir(videos))
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if args.full_info is None:
        path = out / 'vbench_custom.json'
        doc = custom_annotation(names)
        write_json_atomic(path, doc)
        print(f"{path}: {len(doc['data_list'])} videos (prompts from file names); data_root={videos}")
        return 0
    try:
        full_info = json.loads(Path(args.full_info).read_text(encoding='utf-8'))
    except (OSError, ValueError) as e:
        raise ValueError(f'{args.full_info}: not a readable VBench prompt file ({e})') from e
    if not isinstance(full_info, list):
        raise ValueError(f'{args.full_info}: expected a JSON list of prompt entries as VBench_full_info.json')
    annotations, missing = standard_annotations(full_info, names, dimensions=args.dimensions,
                                                special_str=args.special_str, skip_missing=args.skip_missing)
    for dim, doc in sorted(annotations.items()):
        path = out / f'vbench_{dim}.json'
        write_json_atomic(path, doc)
        gone = missing.get(dim, [])
        note = f', {len(gone)} missing (first: {gone[0]})' if gone else ''
        print(f"{path}: {len(doc['data_list'])} videos{note}")
    print(f'data_root={videos}')
    return 0
