"""Tests assert what happens, not how fast: no assert on a measured duration.

A duration is a clock reading minus another (``time.perf_counter() - t0``), or
a name bound to one. Speed is measured by benchmarks (``benchmarks/``,
``fsmchat bench --perf``) and printed by tests as figures. Waiting for an event
with a generous deadline (``time.monotonic() < deadline``) is a hang guard, not
a duration, and is allowed.
"""

from __future__ import annotations

import ast

from tests.helpers import ROOT

CLOCKS = {"perf_counter", "monotonic", "time", "perf_counter_ns", "monotonic_ns"}


def _is_clock(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in CLOCKS
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "time"
    )


def _is_duration(node: ast.AST, names: set[str]) -> bool:
    for sub in ast.walk(node):
        if (
            isinstance(sub, ast.BinOp)
            and isinstance(sub.op, ast.Sub)
            and (_is_clock(sub.left) or _is_clock(sub.right))
        ):
            return True
        if isinstance(sub, ast.Name) and sub.id in names:
            return True
    return False


def wall_clock_asserts(tree: ast.AST) -> list[int]:
    """Lines of asserts on a measured duration in ``tree``."""
    durations: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and _is_duration(node.value, set()):
            durations |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Assert) and _is_duration(node.test, durations)
    ]


def test_the_checker_finds_duration_asserts() -> None:
    """A bound on `t1 - t0`, direct or through a name, is found; a deadline wait is not."""
    code = (
        "t0 = time.perf_counter()\n"
        "assert time.perf_counter() - t0"
        " < 3.0\n"
        "elapsed = time.monotonic() - t0\n"
        "assert elapsed"
        " < 2\n"
        "assert time.monotonic() < deadline\n"
    )
    assert wall_clock_asserts(ast.parse(code)) == [2, 4]


def test_no_test_asserts_a_wall_clock_duration() -> None:
    """No test in tests/ asserts on how long something took."""
    found = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in sorted((ROOT / "tests").rglob("*.py"))
        for line in wall_clock_asserts(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert found == []
