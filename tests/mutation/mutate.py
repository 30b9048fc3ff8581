"""Sampled mutation testing of fsmchat's core (run by hand, not in CI).

The six core modules: ``engine`` (with ``routing.py`` once the engine is split),
``guards``, ``spec`` (``spec.py`` and ``build.py``), ``check``, ``verify``, ``prompts``.

Usage (from the repository root; ~20 minutes for the default sample):

    nice python tests/mutation/mutate.py                      # 25 mutants per module
    nice python tests/mutation/mutate.py --per-module 5 --modules guards,prompts
    python tests/mutation/mutate.py --list --modules engine   # the sample, without running

How it works. Each core module is parsed with :mod:`ast`; every place one of the
operators below applies is a *site*; ``--per-module`` sites are sampled per
module with a seeded :class:`random.Random` (same seed, same code ⇒ same
sample). For each mutant the module's source, mutated and re-emitted with
``ast.unparse``, replaces the module in a scratch copy of the repository, and the
module's related test files run there in a subprocess (``pytest -x -q -p
no:randomly``, hypothesis in the derandomized ``mutation`` profile of
``tests/conftest.py``), with a per-mutant timeout. A mutant is *killed* when the
tests fail (or time out, or the module no longer imports); it *survives* when
they pass. The script prints the score per module and overall and every
surviving mutant (``file:line: mutation``); the exit status is 1 when the score
is under ``--target``.

Operators: comparison flips (``==``/``!=``, ``<``/``>=``, ``in``/``not in``,
``is``/``is not`` ...), ``and``/``or`` swaps, dropping a ``not``, constant changes
(``True``/``False``, an integer ``n`` to ``n + 1``, ``0``/``1`` swapped), ``+``/``-``,
``continue``/``break``, statement deletion (replaced by ``pass``) and ``return
x`` becoming ``return None``. Not mutated: docstrings and other strings
(messages are pinned by golden files elsewhere), annotations, imports, ``assert``
statements (mypy narrowing), ``__all__``, and lines marked ``pragma: no cover``.
"""

from __future__ import annotations

import argparse
import ast
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORE = "fsmchat/_core"

#: module -> (source files, related test files; fastest and most targeted first).
MODULES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "engine": (
        ("engine.py", "routing.py"),
        (
            "tests/core/test_validation.py",
            "tests/core/test_spec_problems.py",
            "tests/core/test_texts.py",
            "tests/core/test_differential.py",
            "tests/core/test_engine.py",
            "tests/core/test_properties.py",
        ),
    ),
    "guards": (
        ("guards.py",),
        (
            "tests/core/test_guards.py",
            "tests/core/test_spec_problems.py",
            "tests/core/test_validation.py",
            "tests/core/test_differential.py",
            "tests/core/test_spec.py",
        ),
    ),
    "spec": (
        ("spec.py", "build.py"),
        (
            "tests/core/test_spec_problems.py",
            "tests/core/test_validation.py",
            "tests/core/test_texts.py",
            "tests/core/test_spec.py",
            "tests/core/test_yaml.py",
            "tests/core/test_differential.py",
        ),
    ),
    "check": (
        ("check.py", "graph.py"),
        (
            "tests/core/test_validation.py",
            "tests/core/test_texts.py",
            "tests/core/test_check.py",
            "tests/core/test_paths.py",
            "tests/core/test_differential.py",
            "tests/core/test_check_fuzz.py",
        ),
    ),
    "verify": (
        ("verify.py", "transcript.py"),
        (
            "tests/core/test_validation.py",
            "tests/core/test_texts.py",
            "tests/core/test_verify.py",
            "tests/core/test_differential.py",
        ),
    ),
    "prompts": (
        ("prompts.py",),
        (
            "tests/core/test_validation.py",
            "tests/core/test_texts.py",
            "tests/core/test_prompts.py",
        ),
    ),
}

_CMP_FLIP: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.Lt: ast.GtE,
    ast.GtE: ast.Lt,
    ast.Gt: ast.LtE,
    ast.LtE: ast.Gt,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
}
_CMP_TEXT = {
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Lt: "<",
    ast.GtE: ">=",
    ast.Gt: ">",
    ast.LtE: "<=",
    ast.In: "in",
    ast.NotIn: "not in",
    ast.Is: "is",
    ast.IsNot: "is not",
}
_KEEP_STMTS = (
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.ClassDef,
    ast.Import,
    ast.ImportFrom,
    ast.Assert,
    ast.Pass,
    ast.Global,
    ast.Nonlocal,
)


@dataclass(frozen=True)
class Site:
    """One mutant: the ``node``-th visited node of ``path`` gets operator ``op``."""

    path: str
    node: int
    op: str
    line: int
    col: int
    what: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}: {self.what}"


class _Mutator(ast.NodeTransformer):
    """Numbers nodes in one fixed order; lists the sites, or applies one of them."""

    def __init__(self, lines: list[str], target: Site | None = None) -> None:
        self.lines = lines
        self.target = target
        self.count = 0
        self.sites: list[tuple[int, str, int, int, str]] = []
        self.applied = False

    # -- traversal ----------------------------------------------------------

    def visit(self, node: ast.AST) -> ast.AST | None:
        if _skipped(node, self.lines):
            return node
        index = self.count
        self.count += 1
        hidden = _hide_annotations(node)
        result = self.generic_visit(node)
        for field, value in hidden.items():
            setattr(node, field, value)
        for op, what in _ops(node):
            line = getattr(node, "lineno", 0)
            col = getattr(node, "col_offset", -1) + 1
            if self.target is None:
                self.sites.append((index, op, line, col, what))
            elif self.target.node == index and self.target.op == op:
                self.applied = True
                return _apply(node, op)
        return result

    def generic_visit(self, node: ast.AST) -> ast.AST:
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and _is_docstring(body[0]):
            # Keep the docstring out of the traversal (and never delete it).
            first, rest = body[0], body[1:]
            node.body = rest  # type: ignore[attr-defined]
            super().generic_visit(node)
            node.body = [first, *node.body]  # type: ignore[attr-defined]
            return node
        return super().generic_visit(node)


def _hide_annotations(node: ast.AST) -> dict[str, object]:
    """Detach ``node``'s annotations (never evaluated, never mutated); return them."""
    fields = {ast.arg: "annotation", ast.AnnAssign: "annotation"}
    field = fields.get(type(node))
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        field = "returns"
    if field is None:
        return {}
    hidden = {field: getattr(node, field)}
    setattr(node, field, None)
    return hidden


def _is_docstring(stmt: ast.stmt) -> bool:
    return (
        isinstance(stmt, ast.Expr)
        and isinstance(stmt.value, ast.Constant)
        and isinstance(stmt.value.value, str)
    )


def _skipped(node: ast.AST, lines: list[str]) -> bool:
    if isinstance(node, ast.Assert | ast.Import | ast.ImportFrom):
        return True
    if isinstance(node, ast.Expr) and _is_docstring(node):
        return True  # a bare string: a docstring, also of an attribute
    if isinstance(node, ast.JoinedStr):
        return True  # f-strings: messages
    if isinstance(node, ast.Assign) and any(
        isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
    ):
        return True
    line = getattr(node, "lineno", 0)
    return bool(line) and "pragma: no cover" in lines[line - 1]


def _ops(node: ast.AST) -> Iterator[tuple[str, str]]:
    """The operators that apply to ``node``: ``(op id, human description)``."""
    if isinstance(node, ast.Compare):
        for i, op in enumerate(node.ops):
            flip = _CMP_FLIP.get(type(op))
            if flip is not None:
                yield f"cmp{i}", f"`{_CMP_TEXT[type(op)]}` -> `{_CMP_TEXT[flip]}`"
    elif isinstance(node, ast.BoolOp):
        yield (
            "boolop",
            "`and` -> `or`" if isinstance(node.op, ast.And) else "`or` -> `and`",
        )
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        yield "not", f"`{_src(node)}` -> `{_src(node.operand)}`"
    elif isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool):
            yield "const", f"`{value}` -> `{not value}`"
        elif isinstance(value, int):
            yield "const", f"`{value}` -> `{_new_int(value)}`"
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Sub):
        flip = "-" if isinstance(node.op, ast.Add) else "+"
        yield "binop", f"`{_src(node)}`: operator -> `{flip}`"
    if isinstance(node, ast.Continue):
        yield "loop", "`continue` -> `break`"
    elif isinstance(node, ast.Break):
        yield "loop", "`break` -> `continue`"
    if (
        isinstance(node, ast.Return)
        and node.value is not None
        and not (isinstance(node.value, ast.Constant) and node.value.value is None)
    ):
        yield "return", f"`{_src(node)}` -> `return None`"
    declaration = isinstance(node, ast.AnnAssign) and node.value is None
    if (
        isinstance(node, ast.stmt)
        and not isinstance(node, _KEEP_STMTS)
        and not declaration
    ):
        yield "delete", f"deleted `{_src(node)}`"


def _new_int(value: int) -> int:
    return {0: 1, 1: 0}.get(value, value + 1)


def _src(node: ast.AST, limit: int = 60) -> str:
    text = " ".join(ast.unparse(node).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _apply(node: ast.AST, op: str) -> ast.AST:
    if op.startswith("cmp"):
        assert isinstance(node, ast.Compare)
        i = int(op[3:])
        node.ops[i] = _CMP_FLIP[type(node.ops[i])]()
        return node
    if op == "boolop":
        assert isinstance(node, ast.BoolOp)
        node.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
        return node
    if op == "not":
        assert isinstance(node, ast.UnaryOp)
        return node.operand
    if op == "const":
        assert isinstance(node, ast.Constant)
        value = node.value
        node.value = (not value) if isinstance(value, bool) else _new_int(value)
        return node
    if op == "binop":
        assert isinstance(node, ast.BinOp)
        node.op = ast.Sub() if isinstance(node.op, ast.Add) else ast.Add()
        return node
    if op == "loop":
        new: ast.stmt = (
            ast.Break() if isinstance(node, ast.Continue) else ast.Continue()
        )
        return ast.copy_location(new, node)
    if op == "return":
        return ast.copy_location(ast.Return(value=ast.Constant(value=None)), node)
    if op == "delete":
        return ast.copy_location(ast.Pass(), node)
    raise ValueError(op)


def sites(path: str, text: str) -> list[Site]:
    """Every mutation site of the module ``path`` (relative to the repository)."""
    mutator = _Mutator(text.splitlines())
    mutator.visit(ast.parse(text))
    return [
        Site(path, index, op, line, col, what)
        for index, op, line, col, what in mutator.sites
    ]


def mutated_source(site: Site, text: str) -> str:
    """The module's source with ``site`` applied (re-emitted by ``ast.unparse``)."""
    mutator = _Mutator(text.splitlines(), site)
    tree = mutator.visit(ast.parse(text))
    if not mutator.applied:
        raise ValueError(f"site not found: {site}")
    return ast.unparse(ast.fix_missing_locations(tree))


def sample(module: str, per_module: int, seed: int) -> list[Site]:
    """``per_module`` sites of ``module``, drawn with a seeded RNG, in file order."""
    files, _ = MODULES[module]
    everything: list[Site] = []
    for name in files:
        path = f"{CORE}/{name}"
        if (ROOT / path).exists():
            everything.extend(sites(path, (ROOT / path).read_text("utf-8")))
    rng = random.Random(f"{seed}:{module}")
    chosen = rng.sample(everything, min(per_module, len(everything)))
    return sorted(chosen, key=lambda s: (s.path, s.line, s.node, s.op))


def _scratch_copy() -> Path:
    tmp = Path(tempfile.mkdtemp(prefix="fsmchat-mutate-"))
    ignore = shutil.ignore_patterns(
        ".git",
        ".venv",
        "__pycache__",
        ".hypothesis",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
        "*.egg-info",
    )
    for item in ("fsmchat", "tests", "specs", "pyproject.toml"):
        src = ROOT / item
        if src.is_dir():
            shutil.copytree(src, tmp / item, ignore=ignore)
        elif src.exists():
            shutil.copy2(src, tmp / item)
    return tmp


def _run_tests(tmp: Path, tests: list[str], timeout: float) -> tuple[str, float]:
    env = dict(os.environ)
    env.update(
        PYTHONPATH=str(tmp),
        PYTHONDONTWRITEBYTECODE="1",
        FSMCHAT_HYPOTHESIS_PROFILE="mutation",
    )
    env.pop("CI", None)
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "-x",
        "-q",
        "-p",
        "no:randomly",
        "-p",
        "no:cacheprovider",
        "--timeout",
        str(int(timeout)),
        *tests,
    ]
    started = time.monotonic()
    try:
        proc = subprocess.run(
            cmd,
            cwd=tmp,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return "timeout", time.monotonic() - started
    took = time.monotonic() - started
    if proc.returncode == 0:
        return "survived", took
    if proc.returncode == 1:
        return "killed", took
    return f"error (exit {proc.returncode})", took


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--per-module", type=int, default=25)
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--modules", default=",".join(MODULES))
    parser.add_argument(
        "--timeout",
        type=float,
        default=None,
        help="seconds per mutant (default: 20 + 4 x the clean run of the module's tests)",
    )
    parser.add_argument("--target", type=float, default=0.9)
    parser.add_argument("--list", action="store_true", help="print the sample and stop")
    args = parser.parse_args(argv)
    modules = [m.strip() for m in args.modules.split(",") if m.strip()]
    unknown = [m for m in modules if m not in MODULES]
    if unknown:
        parser.error(f"unknown module(s) {unknown}; expected some of {list(MODULES)}")
    plan = {m: sample(m, args.per_module, args.seed) for m in modules}
    if args.list:
        for m, chosen in plan.items():
            print(f"== {m}: {len(chosen)} mutants")
            for s in chosen:
                print(f"  {s}")
        return 0
    tmp = _scratch_copy()
    # A SIGTERM (e.g. ``kill``) still removes the scratch copy.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        return _run(tmp, plan, args)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _run(tmp: Path, plan: dict[str, list[Site]], args: argparse.Namespace) -> int:
    survivors: list[Site] = []
    totals: dict[str, tuple[int, int]] = {}
    for module, chosen in plan.items():
        tests = [t for t in MODULES[module][1] if (tmp / t).exists()]
        outcome, took = _run_tests(tmp, tests, args.timeout or 600.0)
        limit = args.timeout or 20.0 + 4 * took
        if outcome != "survived":
            print(f"{module}: the unmutated tests do not pass ({outcome}); skipped")
            continue
        print(
            f"== {module}: {len(chosen)} mutants, tests {' '.join(tests)} "
            f"({took:.0f} s clean, {limit:.0f} s limit)"
        )
        killed = 0
        for s in chosen:
            original = (tmp / s.path).read_text("utf-8")
            try:
                (tmp / s.path).write_text(mutated_source(s, original), "utf-8")
                outcome, took = _run_tests(tmp, tests, limit)
            finally:
                (tmp / s.path).write_text(original, "utf-8")
            if outcome == "survived":
                survivors.append(s)
            else:
                killed += 1
            print(f"  {outcome:>9} {took:5.1f}s  {s}", flush=True)
        totals[module] = (killed, len(chosen))
    print("\nscore")
    for module, (killed, n) in totals.items():
        print(f"  {module:8} {killed:3}/{n:<3} {killed / max(n, 1):6.1%}")
    killed = sum(k for k, _ in totals.values())
    n = sum(t for _, t in totals.values())
    score = killed / max(n, 1)
    print(f"  {'overall':8} {killed:3}/{n:<3} {score:6.1%}")
    if survivors:
        print("\nsurviving mutants")
        for s in survivors:
            print(f"  {s}")
    return 0 if score >= args.target else 1


if __name__ == "__main__":
    sys.exit(main())
