"""The run journal: per-video records appended as they finish, so an interrupted run resumes.

Each line of ``<work_dir>/journal/<run>-rank<r>.jsonl`` is ``{"key": ..., "record": ...}``. The key hashes
the video's content (and the reference video's and the prompt) and the metric's settings, which the loop
builds from everything that can change a number (``AIGVELoop._metric_settings``: metric config, pipeline,
precision, device type, weights sha256, library versions), so a record is reused only for the same input
scored the same way. A line cut short by a crash is
ignored. Reading every file of the folder makes a resumed run pick up the records of any earlier run,
whatever its number of processes.
"""
from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from aigve.utils.hashing import settings_hash


class RunJournal:
    """Append-only store of per-video records.

    Args:
        folder: The journal folder (``<work_dir>/journal``).
        run_name: Name of this run's file (shared by its ranks, e.g. the runner's timestamp).
        rank: This process's rank.
        resume: Read the records of earlier runs. Defaults to True.
    """

    def __init__(self, folder: str | os.PathLike, run_name: str, rank: int, resume: bool = True) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.path = self.folder / f'{run_name}-rank{rank}.jsonl'
        self.records: dict[str, dict] = self._load() if resume else {}
        self.reused = 0

    def _load(self) -> dict[str, dict]:
        records: dict[str, dict] = {}
        for file in sorted(self.folder.glob('*.jsonl')):
            with open(file, encoding='utf-8') as f:
                for line in f:
                    try:
                        entry = json.loads(line)
                        records[entry['key']] = entry['record']
                    except (json.JSONDecodeError, KeyError, TypeError):
                        continue  # a line cut short by a crash
        return records

    @staticmethod
    def key(sample: dict, metric_settings: Any) -> str | None:
        """Key of ``sample`` scored under ``metric_settings``; None when the video has no content hash."""
        if not sample.get('video_sha256'):
            return None
        return settings_hash(sample['video_sha256'], sample.get('ref_video_sha256'), sample.get('prompt'),
                             metric_settings)

    def get(self, key: str | None) -> dict | None:
        """The stored record for ``key``, or None."""
        return None if key is None else self.records.get(key)

    def append(self, entries: Iterable[tuple[str | None, dict]]) -> None:
        """Append ``(key, record)`` pairs durably (flush + fsync)."""
        lines = [json.dumps(dict(key=k, record=r)) for k, r in entries if k is not None]
        if not lines:
            return
        with open(self.path, 'a', encoding='utf-8') as f:
            f.write('\n'.join(lines) + '\n')
            f.flush()
            os.fsync(f.fileno())
        for line in lines:
            entry = json.loads(line)
            self.records[entry['key']] = entry['record']
