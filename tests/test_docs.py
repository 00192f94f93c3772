"""The docs name no files that do not exist: repository paths and relative links in the Markdown pages."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PAGES = sorted([REPO / 'README.md', *(REPO / 'docs').glob('*.md'), *(REPO / 'docs' / 'metrics').glob('*.md')])
#: Top-level folders whose paths the docs cite (`aigve/utils/frames.py`, `configs/fvd.py`, ...).
ROOTS = ('aigve', 'configs', 'scripts', 'tests', 'bench', 'docs', 'docker', '.ci')
_LINK = re.compile(r'\]\(([^)\s]+)\)')
#: A path starting at a top-level folder, not inside a longer path or URL; ends before ``::test`` or ``:line``.
_PATH = re.compile(rf'(?<![\w/.$<>-])((?:{"|".join(re.escape(r) for r in ROOTS)})/[\w./-]*)([<*{{]?)')


def cited_paths(text: str) -> list[str]:
    """Repository paths named in a page, in backticks, code blocks or prose (templates with ``<...>`` skipped).

    Examples:
        >>> cited_paths('see `aigve/core/loops.py::AIGVELoop`, configs/<metric>.py and https://x.org/tests/a.py')
        ['aigve/core/loops.py']
    """
    out = []
    for path, template in _PATH.findall(text):
        path = path.rstrip('.')
        if not template and path not in out:
            out.append(path)
    return out


def linked_paths(text: str) -> list[str]:
    """Targets of relative Markdown links (``[text](metrics/fvd.md#card)`` -> ``metrics/fvd.md``)."""
    out = []
    for target in _LINK.findall(text):
        target = target.split('#', 1)[0]
        if target and not re.match(r'^[a-z][a-z0-9+.-]*:', target):  # http:, https:, mailto:
            out.append(target)
    return out


def missing_in(page: Path) -> list[str]:
    text = page.read_text(encoding='utf-8')
    missing = [p for p in cited_paths(text) if not (REPO / p).exists()]
    missing += [p for p in linked_paths(text) if not (page.parent / p).exists()]
    return missing


@pytest.mark.parametrize('page', PAGES, ids=lambda p: str(p.relative_to(REPO)))
def test_docs_name_existing_files(page: Path) -> None:
    missing = missing_in(page)
    assert not missing, f'{page.relative_to(REPO)} names files that do not exist: {missing}'


def test_the_check_sees_paths() -> None:
    assert PAGES and any(cited_paths(p.read_text(encoding='utf-8')) for p in PAGES)
    assert cited_paths('`tests/nope.py` and `aigve/`.') == ['tests/nope.py', 'aigve/']
    assert cited_paths('`tests/a.py::test_b`, tests/c.py:12, configs/<metric>.py, https://x.org/bench/d.py') == [
        'tests/a.py', 'tests/c.py']
    assert linked_paths('[a](https://x.org/y.md) [b](metrics/fvd.md#card)') == ['metrics/fvd.md']
