"""``BaseVideoDataset``: the one annotation format of aigve (compatible with the older toolkit's files).

Annotation file (JSON), paths relative to ``data_root`` (plus ``data_prefix``)::

    {"metainfo": {"name": "my-set"},
     "data_list": [{"video_path_pd": "gen/0001.mp4", "video_path_gt": "ref/0001.mp4",
                    "prompt_gt": "a red ball rolls left"}]}

``video_path_pd`` (the generated video) is required; ``video_path_gt`` (reference video) and ``prompt_gt``
are optional; ``id`` is kept. ``auxiliary_info`` is VBench's per-entry object ``{dimension: {field: value}}``
(for example ``{"appearance_style": {"appearance_style": "Van Gogh style"}}``), kept in ``meta``. Other keys
are an error unless listed in ``extra_keys`` (kept in ``meta``).

Each item that reaches a metric is ``dict(inputs=<(T, C, H, W) uint8 RGB tensor>, data_samples=dict(video=
<video_path_pd as written>, video_id=<index>, prompt=<str | None>, ref_video=<tensor | None>,
ref_video_path=<str | None>, fps=<float | None>, meta=<dict>))``. A video that cannot be read gives an item
with ``inputs=None`` and ``data_samples['failure']`` = a one-line reason; the loop counts it.
"""
from __future__ import annotations

import json
import logging
import os
import os.path as osp
from collections.abc import Sequence
from typing import Any

from mmengine.dataset import BaseDataset
from mmengine.logging import print_log

from aigve.registry import DATASETS

REQUIRED_KEYS = ('video_path_pd', )
OPTIONAL_KEYS = ('video_path_gt', 'prompt_gt', 'id', 'auxiliary_info')
PACKAGE_PREFIX = 'pkg://aigve/'


def resolve_data_root(data_root: str) -> str:
    """Resolve ``pkg://aigve/<sub>`` to the folder inside the installed package; other paths unchanged."""
    if data_root.startswith(PACKAGE_PREFIX):
        package_dir = osp.dirname(osp.dirname(osp.abspath(__file__)))
        return osp.join(package_dir, data_root[len(PACKAGE_PREFIX):])
    return data_root


class AnnotationError(ValueError):
    """The annotation file does not follow the expected format."""


def not_utf8_text(exc: UnicodeDecodeError) -> str:
    """Say where a file stops being UTF-8 text, without the codec's wording.

    Examples:
        >>> try:
        ...     b'{"a": \\x91b\\x92}'.decode('utf-8')
        ... except UnicodeDecodeError as e:
        ...     not_utf8_text(e)
        'not UTF-8 text (byte 0x91 at offset 6): a binary file, or text in another encoding'
    """
    return (f'not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset {exc.start}): a binary file, '
            f'or text in another encoding')


@DATASETS.register_module()
class BaseVideoDataset(BaseDataset):
    """Videos (and optional reference videos and prompts) listed in an annotation JSON.

    Args:
        ann_file: Annotation JSON, relative to ``data_root`` unless absolute.
        data_root: Root folder of the data; ``pkg://aigve/data/toy`` names the toy set inside the package.
            Defaults to ''.
        data_prefix: Sub-folders of ``data_root`` for ``video`` (generated) and ``ref_video`` (reference)
            paths. Defaults to ``dict(video='', ref_video='')``.
        pipeline: Pipeline steps (configs or callables). Defaults to ().
        extra_keys: Additional entry keys to accept and keep under ``meta`` (for example human scores).
            Defaults to ().
        **kwargs: Passed to :class:`mmengine.dataset.BaseDataset`.
    """

    METAINFO: dict = dict(name='aigve-videos')

    def __init__(self, ann_file: str, data_root: str = '', data_prefix: dict | None = None,
                 pipeline: Sequence[Any] = (), extra_keys: Sequence[str] = (), **kwargs: Any) -> None:
        self.extra_keys = tuple(extra_keys)
        data_prefix = {'video': '', 'ref_video': '', **(data_prefix or {})}
        kwargs.setdefault('test_mode', True)
        kwargs.setdefault('serialize_data', False)
        super().__init__(ann_file=ann_file, data_root=resolve_data_root(data_root), data_prefix=data_prefix,
                         pipeline=list(pipeline), **kwargs)

    def load_data_list(self) -> list[dict]:
        """Read and check the annotation file; join paths with the data root."""
        if not osp.isfile(self.ann_file):
            raise FileNotFoundError(
                f'annotation file not found: {self.ann_file}; set `ann_file`/`data_root` in your config or '
                f'--cfg-options data_root=...')
        try:
            with open(self.ann_file, 'rb') as f:
                ann = json.loads(f.read().decode('utf-8'))
        except UnicodeDecodeError as e:
            raise AnnotationError(
                f'{self.ann_file}: not a JSON annotation: {not_utf8_text(e)}; pass the annotation JSON file '
                f'(saved as UTF-8) as `ann_file`') from e
        except json.JSONDecodeError as e:
            raise AnnotationError(f'{self.ann_file}: not a JSON annotation: not valid JSON ({e})') from e
        if not isinstance(ann, dict) or not isinstance(ann.get('data_list'), list):
            raise AnnotationError(
                f"{self.ann_file}: expected a JSON object with a 'data_list' list (and optional 'metainfo')")
        self._metainfo.update(ann.get('metainfo') or {})
        allowed = set(REQUIRED_KEYS) | set(OPTIONAL_KEYS) | set(self.extra_keys)
        data_list = [self._parse_entry(i, e, allowed) for i, e in enumerate(ann['data_list'])]
        if not data_list:
            raise AnnotationError(f'{self.ann_file}: data_list is empty, there is nothing to evaluate')
        missing = [d['video_path'] for d in data_list if not osp.exists(d['video_path'])]
        if missing:
            print_log(
                f'{len(missing)} of {len(data_list)} videos listed in {self.ann_file} do not exist '
                f'(first: {missing[0]}); they will be reported as failures', logger='current',
                level=logging.WARNING)
        return data_list

    def _parse_entry(self, index: int, entry: Any, allowed: set[str]) -> dict:
        where = f'{self.ann_file}: data_list[{index}]'
        expected = f"expected keys: required {list(REQUIRED_KEYS)}, optional {list(OPTIONAL_KEYS)}"
        if not isinstance(entry, dict):
            raise AnnotationError(f'{where} must be an object, but got {type(entry).__name__}; {expected}')
        absent = [k for k in REQUIRED_KEYS if not entry.get(k)]
        if absent:
            raise AnnotationError(f'{where} lacks {absent}; {expected}')
        unknown = sorted(set(entry) - allowed)
        if unknown:
            raise AnnotationError(
                f'{where} has unknown keys {unknown}; {expected}; to keep other keys, list them in the '
                f'dataset\'s `extra_keys`')
        aux = entry.get('auxiliary_info')
        if aux is not None and not (isinstance(aux, dict) and all(isinstance(v, dict) for v in aux.values())):
            raise AnnotationError(
                f'{where}: `auxiliary_info` must be an object of objects as in VBench\'s prompt files, e.g. '
                f'{{"appearance_style": {{"appearance_style": "Van Gogh style"}}}}, but got {aux!r:.80}')
        video = entry['video_path_pd']
        ref = entry.get('video_path_gt')
        return dict(
            video_id=index,
            video=video,
            video_path=osp.join(self.data_prefix['video'], video),
            ref_video_path=osp.join(self.data_prefix['ref_video'], ref) if ref else None,
            prompt=entry.get('prompt_gt'),
            meta={k: entry[k] for k in entry if k in self.extra_keys or k in ('id', 'auxiliary_info')},
        )

    def prepare_data(self, idx: int) -> dict:
        """Run the pipeline; a video that cannot be read becomes a failure item instead of an exception."""
        from aigve.utils.video_io import VideoReadError

        info = self.get_data_info(idx)
        try:
            return self.pipeline(info)
        except VideoReadError as e:
            return dict(inputs=None, data_samples=dict(video=info['video'], video_id=info['video_id'],
                                                       meta=info.get('meta', {}), failure=str(e)))
        except Exception as e:  # a decoder crashing on a bad file must not stop the run either
            reason = f'{os.path.basename(info["video_path"])}: {type(e).__name__}: {e}'.splitlines()[0]
            return dict(inputs=None, data_samples=dict(video=info['video'], video_id=info['video_id'],
                                                       meta=info.get('meta', {}), failure=reason))
