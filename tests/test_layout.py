"""The package's layout: imports flow one way, from the entry points down to the engine, with no cycle.

The import graph is read with ``ast`` (every import counts: module level, inside functions and under
``TYPE_CHECKING``), so a cycle or an upward import fails here before it confuses a reader.
"""

from __future__ import annotations

import ast
from collections.abc import Collection, Iterator, Mapping
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "mock_server"
SUBPACKAGES = (
    "engine",
    "storage",
    "callbacks",
    "contract",
    "control",
    "persistence",
    "api",
    "dashboard",
    "clientkit",
    "testing",
    "recording",
)

# What each part may import (besides itself). Lower parts never see higher ones.
_LOW = frozenset({"engine", "storage", "callbacks", "contract", "control", "persistence"})
BELOW: dict[str, frozenset[str]] = {
    "engine": frozenset(),
    "storage": frozenset({"engine"}),
    "callbacks": frozenset({"engine"}),
    "contract": frozenset({"engine", "storage"}),
    "config": frozenset({"engine", "callbacks"}),
    "control": frozenset({"engine", "storage", "callbacks", "contract"}),
    "persistence": frozenset({"engine", "storage", "callbacks"}),
    "api": _LOW | {"config"},
    "dashboard": frozenset({"control"}),
    "mock": _LOW | {"config", "api", "dashboard"},
    "clientkit": _LOW | {"config", "api", "dashboard", "mock"},
    "testing": _LOW | {"config", "api", "dashboard", "mock", "clientkit"},
    "recording": _LOW | {"config", "api", "dashboard", "mock", "testing"},
    "cli": _LOW | {"config", "api", "dashboard", "mock", "clientkit", "testing", "recording"},
    "__main__": frozenset({"cli"}),
    "__init__": _LOW | {"config", "api", "dashboard", "mock", "clientkit", "testing"},
}
TOP_LEVEL = {"__init__", "__main__", "cli", "config", "mock"}


def module_name(path: Path, root: Path) -> str:
    """``a.b.c`` for ``root/a/b/c.py``; a package's ``__init__`` is named after the package."""
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def import_graph(root: Path) -> dict[str, set[str]]:
    """Every module of the package at ``root`` and the package modules it imports."""
    modules = {module_name(path, root): path for path in root.rglob("*.py")}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for target in _imports(ast.parse(path.read_text(encoding="utf-8")), package, modules.keys()):
            while target and target not in modules:
                target = target.rpartition(".")[0]  # a module outside the package, or a name inside one
            if target and target != name:
                graph[name].add(target)
    return graph


def _imports(tree: ast.Module, package: str, modules: Collection[str]) -> Iterator[str]:
    """The dotted names each import statement of ``tree`` loads (``from x import m`` loads ``x.m``)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                origin = ".".join([*base, node.module] if node.module else base)
            else:
                origin = node.module or ""
            for alias in node.names:
                submodule = f"{origin}.{alias.name}"
                yield submodule if submodule in modules else origin


def cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def part_of(module: str) -> str:
    """The layer a module of mock_server belongs to: its subpackage, or its own name at the top."""
    parts = module.split(".")
    return "__init__" if len(parts) == 1 else parts[1]


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    """The import graph of mock_server."""
    return import_graph(PACKAGE)


def test_no_module_imports_itself_back(graph: dict[str, set[str]]) -> None:
    assert cycles(graph) == []


def test_imports_flow_one_way(graph: dict[str, set[str]]) -> None:
    upward = [
        f"{module} imports {target}"
        for module, targets in sorted(graph.items())
        for target in sorted(targets)
        if part_of(target) != part_of(module) and part_of(target) not in BELOW[part_of(module)]
    ]
    assert upward == []


def test_top_level_holds_only_entry_points_and_the_facade() -> None:
    top = {path.stem for path in PACKAGE.glob("*.py")}
    folders = {path.name for path in PACKAGE.iterdir() if (path / "__init__.py").exists()}
    assert top == TOP_LEVEL
    assert folders == set(SUBPACKAGES)
    assert set(BELOW) == TOP_LEVEL | set(SUBPACKAGES)


@pytest.mark.parametrize("name", SUBPACKAGES)
def test_every_subpackage_says_what_lives_there_and_what_it_may_import(name: str) -> None:
    doc = ast.get_docstring(ast.parse((PACKAGE / name / "__init__.py").read_text(encoding="utf-8")))
    assert doc is not None
    assert len(doc.splitlines()) >= 3
    assert "import" in doc  # what it may import, and what must not import it


@pytest.mark.parametrize("name", [n for n in SUBPACKAGES if n not in ("testing", "clientkit")])
def test_a_subpackage_init_imports_nothing(name: str) -> None:
    # Only the docstring: importing one module of a layer never drags in the rest of it.
    tree = ast.parse((PACKAGE / name / "__init__.py").read_text(encoding="utf-8"))
    assert [node for node in tree.body if isinstance(node, ast.Import | ast.ImportFrom)] == []


def test_the_checker_finds_a_planted_cycle(tmp_path: Path) -> None:
    root = tmp_path / "pkg"
    (root / "low").mkdir(parents=True)
    (root / "__init__.py").write_text("")
    (root / "low" / "__init__.py").write_text("")
    (root / "facade.py").write_text("from .low.records import Record\n")
    (root / "low" / "records.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ..facade import Facade\n"
    )
    (root / "low" / "other.py").write_text("def f():\n    from pkg.low import records\n")
    found = import_graph(root)
    assert found["pkg.low.other"] == {"pkg.low.records"}
    assert cycles(found) == [["pkg.facade", "pkg.low.records"]]


def test_tests_mirror_the_subpackages() -> None:
    tests = Path(__file__).resolve().parent
    folders = {path.name for path in tests.iterdir() if path.is_dir() and any(path.glob("test_*.py"))}
    assert folders == set(SUBPACKAGES)


def test_the_readme_explains_every_subpackage() -> None:
    readme = (PACKAGE.parent / "README.md").read_text(encoding="utf-8")
    built = readme[readme.index("## How it is built") :]
    assert [name for name in SUBPACKAGES if f"**`{name}/`**" not in built] == []
    assert "route" in built and "→ journal" in built
