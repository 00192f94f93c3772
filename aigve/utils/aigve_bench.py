"""Facts about AIGVE-Bench shared by its dataset and the agreement tools: aspects, groupings, where it lives.

AIGVE-Bench (Xiang et al., "AIGVE-Tool", arXiv 2503.14064) is published as the Hugging Face dataset
``xiaoliux/AIGVE-Bench``: generated videos of several generators, each rated by people from 0 to 5 on nine
aspects. Standard library only.
"""
from __future__ import annotations

from pathlib import Path

from aigve.utils.paths import hf_cache_dir

__all__ = ['ASPECTS', 'GROUPINGS', 'NOT_APPLICABLE_ZERO', 'HF_REPO', 'HF_REVISION', 'SCORE_RANGE',
           'dataset_cache_root', 'downloaded_root']

#: The nine human ratings (0-5) of every AIGVE-Bench video, spelled as in the published files.
ASPECTS = ('technical_quality', 'dynamic', 'consistency', 'physics', 'element_presentence', 'element_quality',
           'action_presentence', 'action_quality', 'overall')
#: The groupings of every video: generator, subjects, dynamic types, category.
GROUPINGS = ('model', 'subject', 'dynamic_type', 'detailed_dynamic', 'category')
#: Aspects where 0 means "not applicable" (a prompt with no action in it), not the worst rating.
NOT_APPLICABLE_ZERO = ('action_presentence', 'action_quality')
#: Where the dataset is published; no commit is stated publicly, so downloads follow ``main``.
HF_REPO = 'xiaoliux/AIGVE-Bench'
HF_REVISION = 'main'
#: Range of every rating.
SCORE_RANGE = (0, 5)


def dataset_cache_root(repo_id: str = HF_REPO) -> Path:
    """Folder of a Hugging Face dataset in aigve's hub cache: ``hf_cache_dir()/datasets--<owner>--<name>``."""
    return hf_cache_dir() / ('datasets--' + repo_id.replace('/', '--'))


def downloaded_root(repo_id: str = HF_REPO, revision: str = HF_REVISION) -> Path | None:
    """The snapshot folder of a downloaded dataset in aigve's hub cache, or None when there is none."""
    root = dataset_cache_root(repo_id)
    ref = root / 'refs' / revision
    commit = ref.read_text().strip() if ref.is_file() else revision
    snap = root / 'snapshots' / commit
    return snap if snap.is_dir() and any(snap.iterdir()) else None
