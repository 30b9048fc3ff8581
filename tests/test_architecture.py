"""The layering is true: the import contract holds, nothing imports in a cycle, modules stay small."""

from __future__ import annotations

import ast
import logging
import sys
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "fsmchat"
#: The most lines a module may have (the goal is ~600; a little slack for docstrings).
MAX_MODULE_LINES = 650
#: A function longer than this must open with a comment saying why it is long.
LONG_FUNCTION = 60


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    imported = graph.find_modules_directly_imported_by(child)
                    work.append((child, iter(sorted(imported))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_import_contract_holds_with_nothing_ignored() -> None:
    """`lint-imports` keeps the layers contract, and the contract ignores no import."""
    from importlinter.cli import lint_imports

    text = (ROOT / "pyproject.toml").read_text()
    assert "ignore_imports" not in text
    # import-linter configures logging with disable_existing_loggers, which
    # would silence the `fsmchat` logger for every test that runs after this one.
    loggers = [
        logger
        for logger in logging.Logger.manager.loggerDict.values()
        if isinstance(logger, logging.Logger) and not logger.disabled
    ]
    try:
        code = lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True)
    finally:
        for logger in loggers:
            logger.disabled = False
    assert code == 0


def test_no_import_cycles_lazy_imports_included() -> None:
    """No module imports itself through others, counting imports inside functions."""
    sys.path.insert(0, str(ROOT))
    graph = grimp.build_graph("fsmchat", include_external_packages=False)
    assert _cycles(graph) == []


def test_cycle_finder_finds_a_cycle() -> None:
    """The cycle finder reports a two-module cycle (so the test above can fail)."""
    graph = grimp.ImportGraph()
    for name in ("p", "p.a", "p.b", "p.c"):
        graph.add_module(name)
    graph.add_import(importer="p.a", imported="p.b")
    graph.add_import(importer="p.b", imported="p.a")
    graph.add_import(importer="p.c", imported="p.a")
    assert _cycles(graph) == [["p.a", "p.b"]]


@pytest.mark.parametrize(
    "path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT))
)
def test_module_is_small(path: Path) -> None:
    """Every module stays under the size a reader can hold in mind."""
    lines = path.read_text().count("\n")
    assert lines <= MAX_MODULE_LINES, f"{path.relative_to(ROOT)} has {lines} lines"


def _long_functions_without_reason(path: Path) -> list[str]:
    source = path.read_text()
    lines = source.split("\n")
    bad = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        length = (node.end_lineno or node.lineno) - node.lineno + 1
        if length <= LONG_FUNCTION:
            continue
        first = node.body[0]
        start = first.end_lineno if isinstance(first, ast.Expr) else node.lineno
        after = lines[start : start + 3] if start else []
        if not any(line.strip().startswith("#") for line in after):
            bad.append(f"{node.name} ({length} lines, line {node.lineno})")
    return bad


@pytest.mark.parametrize(
    "path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT))
)
def test_long_function_says_why(path: Path) -> None:
    """A function over ~60 lines opens with a comment saying why it is long."""
    assert _long_functions_without_reason(path) == []


def _builtin_io_calls(source: str) -> list[int]:
    """Lines calling the builtins ``open``/``input``/``print``/``exec``/``eval``/``__import__``."""
    banned = {"open", "input", "print", "exec", "eval", "__import__"}
    return [
        node.lineno
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in banned
    ]


@pytest.mark.parametrize(
    "path",
    sorted((PACKAGE / "_core").rglob("*.py")),
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_core_calls_no_io_builtin(path: Path) -> None:
    """The pure core opens no file, prints nothing and evaluates no text (ruff cannot ban builtins)."""
    assert _builtin_io_calls(path.read_text()) == []


def test_io_builtin_finder_finds_open() -> None:
    """The builtin finder sees a bare ``open(...)`` call (so the test above can fail)."""
    assert _builtin_io_calls("x = 1\nwith open('f') as f:\n    pass\n") == [2]
