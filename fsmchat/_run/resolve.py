"""Binding a spec's code references to functions, from an allow-list only.

:func:`resolve_spec` is the one place fsmchat imports what a spec names. It
refuses every reference outside the allow-list (see :mod:`fsmchat._core.trust`)
*before* importing anything, then imports each allowed module, finds the
function, and checks that it is callable. Specs built in Python with callables
are trusted as they are: only unbound references are resolved.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from fsmchat._core.errors import Problem, SpecError, UnallowedCode
from fsmchat._core.guards import is_ref
from fsmchat._core.spec import CodeRef, Spec, did_you_mean
from fsmchat._core.trust import KINDS, allow_list, unallowed_problems

__all__ = ["ALLOW_ENV", "allow_from_env", "resolve_spec"]

#: The environment variable the CLI reads extra allowed prefixes from.
ALLOW_ENV = "FSMCHAT_ALLOW"


def allow_from_env(environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """The prefixes of ``FSMCHAT_ALLOW`` (comma-separated; blanks ignored).

    Only the command line reads it; library calls take ``allow=`` explicitly.
    """
    env = os.environ if environ is None else environ
    raw = env.get(ALLOW_ENV, "")
    return tuple(p.strip() for p in raw.split(",") if p.strip())


def resolve_spec(
    spec: Spec, *, allow: Iterable[str] = (), kinds: Iterable[str] = KINDS
) -> Spec:
    """Return ``spec`` with its ``function:`` and ``call:`` references bound.

    Args:
        spec: a spec, e.g. from :func:`fsmchat.load_spec`.
        allow: module prefixes whose functions may run, added to the built-in
            ``fsmchat.examples``.
        kinds: which references to bind: ``"function"`` (agents' replies)
            and/or ``"call"`` (guards; all that verifying a transcript needs).

    Raises:
        InvalidArgument: a prefix in ``allow`` is not a dotted module name.
        UnallowedCode: some reference is outside the allow-list (every one is
            listed, located, with how to allow it); nothing was imported.
        SpecError: an allowed reference is malformed, cannot be imported, or
            names something that is not callable.
    """
    prefixes = allow_list(allow)
    wanted = tuple(kinds)
    needed = [r for r in spec.unbound if r.kind in wanted]
    if not needed:
        return spec
    malformed = [
        _problem(
            spec, r, f"expected 'package.module:function', got {r.ref!r}", "bad-ref"
        )
        for r in needed
        if not is_ref(r.ref)
    ]
    if malformed:
        raise SpecError(malformed)
    refused = unallowed_problems(spec, prefixes, kinds=wanted)
    if refused:
        raise UnallowedCode(refused)
    table: dict[str, Callable[..., Any]] = {}
    problems: list[Problem] = []
    for r in needed:
        if r.ref in table:
            continue
        found = _import(r.ref)
        if isinstance(found, str):
            problems.append(_problem(spec, r, found, "unresolved-ref"))
        else:
            table[r.ref] = found
    if problems:
        raise SpecError(problems)
    return spec.bind(table, kinds=wanted)


def _import(ref: str) -> Callable[..., Any] | str:
    """The callable ``ref`` names, or why there is none."""
    module_name, _, attr_path = ref.partition(":")
    try:
        obj: Any = importlib.import_module(module_name)
    except Exception as exc:  # a module's own code may raise anything
        return f"cannot import module {module_name!r} for {ref!r}: {type(exc).__name__}: {exc}"
    for part in attr_path.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            names = [n for n in dir(obj) if not n.startswith("_")]
            return f"module {module_name!r} has no attribute {part!r}{did_you_mean(part, names)}"
    if not callable(obj):
        return f"{ref!r} is not callable (it is {type(obj).__name__})"
    return obj  # type: ignore[no-any-return]


def _problem(spec: Spec, ref: CodeRef, message: str, code: str) -> Problem:
    line, col = spec.locate(ref.key)
    return Problem(message=message, path=spec.source, line=line, column=col, code=code)
