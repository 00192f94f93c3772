"""The parts of aigve import only what docs/architecture.md allows, and no module imports itself in a circle.

Every ``import`` and ``from ... import`` in every module under ``aigve/`` counts: at the top, inside functions,
under ``if TYPE_CHECKING``. Relative imports are resolved; ``from pkg import name`` is an import of
``pkg.name`` when that is a module, else of ``pkg``. A package's ``__init__`` that Python runs on the way to
a submodule is not counted as an edge (it would make every package a circle of its own).
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

#: part -> the parts it may import (besides itself); mirrors the table in docs/architecture.md.
#: ``root`` is ``aigve/__init__.py`` (``__version__``), which anyone may import and which imports nothing.
ALLOWED: dict[str, set[str]] = {
    'root': set(),
    'registry': {'root'},
    'utils': {'root', 'registry'},
    'datasets': {'root', 'registry', 'utils'},
    'models': {'root', 'registry', 'utils'},
    'core': {'root', 'registry', 'utils', 'datasets'},
    'metrics': {'root', 'registry', 'utils', 'datasets', 'models', 'core'},
    'tools': {'root', 'registry', 'utils', 'core'},
    'service': {'root', 'utils', 'core', 'tools'},
    'client': {'root', 'utils', 'tools'},
    'results': {'root', 'utils', 'tools'},
    'cli': {'root', 'registry', 'utils', 'datasets', 'models', 'core', 'metrics', 'tools', 'service', 'client',
            'results'},
}
PARTS = {'registry': 'registry', 'client': 'client', 'utils': 'utils', 'datasets': 'datasets', 'models': 'models',
         'core': 'core', 'metrics': 'metrics', 'tools': 'tools', 'service': 'service', 'cli': 'cli',
         'results': 'results'}


def find_modules(root: Path, package: str = 'aigve') -> dict[str, tuple[Path, bool]]:
    """Dotted module name -> (file, is_package) for every ``.py`` file of ``package`` under ``root``."""
    modules = {}
    for path in sorted((root / package).rglob('*.py')):
        parts = list(path.relative_to(root).with_suffix('').parts)
        is_package = parts[-1] == '__init__'
        if is_package:
            parts = parts[:-1]
        modules['.'.join(parts)] = (path, is_package)
    return modules


def import_edges(root: Path, package: str = 'aigve') -> list[tuple[str, str, int]]:
    """``(importer, imported, line)`` for every import of a module of ``package``, at any depth in the file."""
    modules = find_modules(root, package)

    def owner(name: str) -> str | None:  # the longest prefix of ``name`` that is a module
        while name and name not in modules:
            name = name.rpartition('.')[0]
        return name or None

    edges = []
    for name, (path, is_package) in modules.items():
        here = name if is_package else name.rpartition('.')[0]
        for node in ast.walk(ast.parse(path.read_text(encoding='utf-8'), filename=str(path))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = here.split('.')[:len(here.split('.')) - (node.level - 1)]
                    source = '.'.join(base + ([node.module] if node.module else []))
                else:
                    source = node.module or ''
                targets = [f'{source}.{a.name}' if f'{source}.{a.name}' in modules else source for a in node.names]
            for target in targets:
                if target == package or target.startswith(package + '.'):
                    imported = owner(target)
                    if imported is not None and imported != name:
                        edges.append((name, imported, node.lineno))
    return sorted(set(edges))


def part_of(module: str) -> str:
    """The part of a dotted module name (``aigve.metrics.fvd.x`` -> ``metrics``)."""
    pieces = module.split('.')
    if len(pieces) == 1:
        return 'root'
    if pieces[1] not in PARTS:
        raise KeyError(f'module {module} belongs to no part; add aigve/{pieces[1]} to PARTS and ALLOWED '
                       f'(and to the table in docs/architecture.md)')
    return PARTS[pieces[1]]


def layer_violations(edges: list[tuple[str, str, int]]) -> list[str]:
    """One line per import that the ``ALLOWED`` table forbids."""
    bad = []
    for src, dst, line in edges:
        a, b = part_of(src), part_of(dst)
        if a != b and b not in ALLOWED[a]:
            bad.append(f'{src} (line {line}) imports {dst}: {a} may import only {sorted(ALLOWED[a]) or "nothing"}')
    return bad


def import_cycles(edges: list[tuple[str, str, int]]) -> list[list[str]]:
    """One circle (``[a, b, ..., a]``) per strongly connected group of modules (Tarjan's algorithm)."""
    graph: dict[str, list[str]] = {}
    for src, dst, _ in edges:
        graph.setdefault(src, []).append(dst)
        graph.setdefault(dst, [])
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(v: str) -> None:  # recursion depth is bounded by the module count (a few hundred)
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(group)

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return [_one_cycle(sorted(g)[0], set(g), graph) for g in groups]


def _one_cycle(start: str, group: set[str], graph: dict[str, list[str]]) -> list[str]:
    """The shortest path ``start -> ... -> start`` inside ``group`` (breadth first)."""
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        nxt = []
        for v in frontier:
            for w in sorted(graph[v]):
                if w not in group:
                    continue
                if w == start:
                    path = [v]
                    while path[-1] != start:
                        path.append(previous[path[-1]])
                    return [start, *reversed(path[:-1]), start]
                if w not in previous:
                    previous[w] = v
                    nxt.append(w)
        frontier = nxt
    return [start]


def test_parts_import_only_what_the_architecture_allows():
    bad = layer_violations(import_edges(REPO))
    assert not bad, 'imports against the table in docs/architecture.md:\n' + '\n'.join(bad)


def test_no_import_circles():
    cycles = import_cycles(import_edges(REPO))
    assert not cycles, 'import circles:\n' + '\n'.join(' -> '.join(c) for c in cycles)


# ---------------------------------------------------------------------------------------- the checker itself
def _write_package(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_checker_finds_function_level_relative_and_from_imports(tmp_path):
    _write_package(tmp_path, {
        'aigve/__init__.py': '',
        'aigve/core/__init__.py': 'from .loops import Loop\n',
        'aigve/core/loops.py': 'def run():\n    from aigve.metrics import fid\n',
        'aigve/metrics/__init__.py': '',
        'aigve/metrics/fid.py': 'from ..core import loops\nimport aigve.service.app\n',
        'aigve/service/__init__.py': '',
        'aigve/service/app.py': 'from aigve.utils.paths import home\n',
        'aigve/utils/__init__.py': '',
        'aigve/utils/paths.py': 'from . import other\n',
        'aigve/utils/other.py': '',
    })
    edges = {(a, b) for a, b, _ in import_edges(tmp_path)}
    assert edges == {('aigve.core', 'aigve.core.loops'), ('aigve.core.loops', 'aigve.metrics.fid'),
                     ('aigve.metrics.fid', 'aigve.core.loops'), ('aigve.metrics.fid', 'aigve.service.app'),
                     ('aigve.service.app', 'aigve.utils.paths'), ('aigve.utils.paths', 'aigve.utils.other')}
    bad = layer_violations(import_edges(tmp_path))
    assert len(bad) == 2
    assert bad[0].startswith('aigve.core.loops (line 2) imports aigve.metrics.fid: core may import only')
    assert bad[1].startswith('aigve.metrics.fid (line 2) imports aigve.service.app: metrics may import only')
    assert import_cycles(import_edges(tmp_path)) == [['aigve.core.loops', 'aigve.metrics.fid', 'aigve.core.loops']]


def test_checker_reports_a_long_circle_through_the_service(tmp_path):
    """The circle of the code before the parts were separated: cli -> service -> tools -> cli."""
    _write_package(tmp_path, {
        'aigve/__init__.py': '',
        'aigve/cli.py': 'def f():\n    from aigve.service.cli import g\n',
        'aigve/service/__init__.py': '',
        'aigve/service/cli.py': 'def g():\n    from aigve.service.app import h\n',
        'aigve/service/app.py': 'from aigve.service.compat import c\n',
        'aigve/service/compat.py': 'from aigve.service.app import d\nfrom aigve.tools import prepare\n',
        'aigve/tools/__init__.py': '',
        'aigve/tools/prepare.py': 'def main():\n    from aigve.cli import main\n',
    })
    cycles = import_cycles(import_edges(tmp_path))
    assert len(cycles) == 1 and cycles[0][0] == cycles[0][-1] == 'aigve.cli'
    assert cycles[0] == ['aigve.cli', 'aigve.service.cli', 'aigve.service.app', 'aigve.service.compat',
                         'aigve.tools.prepare', 'aigve.cli']
    assert any('aigve.tools.prepare (line 2) imports aigve.cli: tools may import only' in b
               for b in layer_violations(import_edges(tmp_path)))


def test_a_folder_outside_every_part_is_named(tmp_path):
    _write_package(tmp_path, {'aigve/__init__.py': '', 'aigve/extras/x.py': 'import aigve\n'})
    with pytest.raises(KeyError, match='aigve.extras.x belongs to no part'):
        layer_violations(import_edges(tmp_path))
