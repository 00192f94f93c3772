"""``AIGVEBenchDataset``: AIGVE-Bench's annotation files as published, human ratings kept with each video.

AIGVE-Bench (Xiang et al., "AIGVE-Tool", arXiv 2503.14064; Hugging Face dataset ``xiaoliux/AIGVE-Bench``)
rates each generated video on nine aspects from 0 to 5 (:data:`ASPECTS`). An entry of its annotation files::

    {"id": 0, "prompt_gt": "A vast desert expanse ...", "technical_quality": 4, "dynamic": 1,
     "consistency": 5, "physics": 5, "element_presentence": 5, "element_quality": 5,
     "action_presentence": 0, "action_quality": 0, "overall": 2, "model": "cogvideox",
     "subject": ["desert"], "dynamic_type": ["daylight transition"],
     "detailed_dynamic": ["daylight transition"], "category": "global", "video_path_pd": "cogvideox_0.mp4"}

Each sample's ``meta`` holds ``id``, the nine ratings and the groupings (:data:`GROUPINGS`: ``model``,
``subject``, ``dynamic_type``, ``detailed_dynamic``, ``category``) as written. An entry whose video is
missing stays in the dataset: it reaches the loop as a failure item and is counted and listed in the
results' ``failures``, never dropped.

``data_root=None`` names the copy that ``aigve datasets download aigve-bench`` puts in the Hugging Face
cache of aigve (``aigve_home()/hf/datasets--xiaoliux--AIGVE-Bench``); a missing copy is a
:class:`FileNotFoundError` naming that command.
"""
from __future__ import annotations

import numbers
import os.path as osp
from collections.abc import Sequence
from typing import Any

from aigve.datasets.base_video_dataset import AnnotationError, BaseVideoDataset
from aigve.registry import DATASETS
from aigve.utils.aigve_bench import ASPECTS, GROUPINGS, HF_REPO, SCORE_RANGE, downloaded_root
from aigve.utils.paths import hf_cache_dir

__all__ = ['AIGVEBenchDataset']


@DATASETS.register_module()
class AIGVEBenchDataset(BaseVideoDataset):
    """AIGVE-Bench videos with their prompts, nine human ratings and groupings (kept in ``meta``).

    Args:
        ann_file: Annotation JSON (``annotations/train.json`` or ``annotations/test.json``), relative to
            ``data_root`` unless absolute. Defaults to ``'annotations/test.json'``.
        data_root: Folder of the dataset; None uses the copy downloaded with
            ``aigve datasets download aigve-bench``. Defaults to None.
        data_prefix: Sub-folder of the videos. Defaults to ``dict(video='videos')``.
        pipeline: Pipeline steps. Defaults to ().
        **kwargs: Passed to :class:`~aigve.datasets.BaseVideoDataset`.

    Raises:
        FileNotFoundError: ``data_root`` is None and no copy was downloaded.
        AnnotationError: An entry lacks ``video_path_pd``, has a key the published files do not have, or a
            rating that is not a number from 0 to 5.
    """

    METAINFO: dict = dict(name='AIGVE-Bench', aspects=list(ASPECTS), groupings=list(GROUPINGS))

    def __init__(self, ann_file: str = 'annotations/test.json', data_root: str | None = None,
                 data_prefix: dict | None = None, pipeline: Sequence[Any] = (), **kwargs: Any) -> None:
        if data_root is None:
            found = downloaded_root()
            if found is None:
                raise FileNotFoundError(
                    f'AIGVE-Bench is not downloaded (looked in {hf_cache_dir()}); fetch it with '
                    f'`aigve datasets download aigve-bench` (Hugging Face dataset {HF_REPO}), or set '
                    f'`data_root` to a copy: --cfg-options data_root=/path/to/AIGVE-Bench')
            data_root = str(found)
        kwargs.pop('extra_keys', None)
        super().__init__(ann_file=ann_file, data_root=data_root, data_prefix={'video': 'videos', **(data_prefix or {})},
                         pipeline=pipeline, extra_keys=ASPECTS + GROUPINGS, **kwargs)

    def _parse_entry(self, index: int, entry: Any, allowed: set[str]) -> dict:
        info = super()._parse_entry(index, entry, allowed)
        for aspect in ASPECTS:
            value = info['meta'].get(aspect)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, numbers.Real) or not (
                    SCORE_RANGE[0] <= value <= SCORE_RANGE[1]):
                raise AnnotationError(
                    f'{self.ann_file}: data_list[{index}].{aspect} must be a number from {SCORE_RANGE[0]} '
                    f'to {SCORE_RANGE[1]}, but got {value!r}')
        return info

    @property
    def missing_videos(self) -> list[str]:
        """Videos listed in the annotation whose file does not exist (as written in the annotation)."""
        return [d['video'] for d in (self.get_data_info(i) for i in range(len(self)))
                if not osp.exists(d['video_path'])]
