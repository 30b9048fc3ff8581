"""Binding a spec's code references to functions, from an allow-list only.

:func:`resolve_ref` is the one function that turns a reference into code, and
:func:`resolve_spec` (the one place fsmchat imports what a spec names) binds
every reference of a spec through it. A reference is a capability: it binds
only a Python function *defined in* the module it names, never something that
module imported. In order, nothing imported before step 3:

1. the text keeps the rule table of :mod:`fsmchat._core.refs` (one public name
   after ``:``; no ``_``-prefixed part), the same rules ``check`` applies;
2. the module is on the allow-list (:mod:`fsmchat._core.trust`: module names
   on dotted boundaries);
3. the module is imported, and is the module of that name (not an alias such
   as ``os.path`` for ``posixpath``);
4. the name is looked up in the module's own namespace without running any
   code (no module ``__getattr__``, no descriptor);
5. the object is a plain Python function (no builtin such as ``print``, no
   bound method, no class, no callable instance) whose ``__module__`` is the
   named module — or the module's explicit ``__all__`` exports the name and the
   function is defined in an allowed module.

Specs built in Python with callables are trusted as they are: only unbound
references are resolved.
"""

from __future__ import annotations

import importlib
import inspect
import os
import types
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import attrs

from fsmchat._core.errors import Problem, SpecError, UnallowedCode
from fsmchat._core.refs import ref_problem
from fsmchat._core.spec import CodeRef, Spec
from fsmchat._core.text import did_you_mean
from fsmchat._core.trust import KINDS, allow_list, is_allowed, unallowed_problems

__all__ = ["ALLOW_ENV", "RefRefused", "allow_from_env", "resolve_ref", "resolve_spec"]

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
    spec: Spec,
    *,
    allow: Iterable[str] = (),
    kinds: Iterable[str] = KINDS,
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
        SpecError: a reference breaks the rules of a reference, cannot be
            imported, or does not name a Python function defined in its module
            (see :func:`resolve_ref`).
    """
    prefixes = allow_list(allow)
    wanted = tuple(kinds)
    needed = [r for r in spec.unbound if r.kind in wanted]
    if not needed:
        return spec
    malformed = []
    for r in needed:
        broken = ref_problem(r.ref)
        if broken is not None:
            malformed.append(_problem(spec, r, broken[1], broken[0]))
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
        try:
            table[r.ref] = resolve_ref(r.ref, prefixes)
        except RefRefused as exc:
            problems.append(_problem(spec, r, exc.message, exc.code))
    if problems:
        raise SpecError(problems)
    return spec.bind(table, kinds=wanted)


@attrs.frozen
class RefRefused(Exception):
    """:func:`resolve_ref` refused a reference: ``code`` (a problem code) and why."""

    code: str
    message: str

    def __str__(self) -> str:
        return self.message


def resolve_ref(ref: str, allow: Sequence[str]) -> Callable[..., Any]:
    """The Python function the reference ``ref`` names, from the modules ``allow`` allows.

    ``allow`` is the whole allow-list (see :func:`fsmchat._core.trust.allow_list`).
    The steps and rules are in this module's docstring.

    Raises:
        RefRefused: with ``code`` one of ``bad-ref``/``private-ref`` (the text
            breaks a rule; nothing imported), ``unallowed-code`` (outside
            ``allow``; nothing imported), ``unresolved-ref`` (no such module or
            name, or not callable), ``foreign-ref`` (the function is defined in
            another module) or ``not-a-function`` (a builtin, class, method ...).
    """
    broken = ref_problem(ref)
    if broken is not None:
        raise RefRefused(code=broken[0], message=broken[1])
    module_name, _, name = ref.partition(":")
    if not is_allowed(ref, allow):
        msg = f"{ref!r} is outside the allow-list ({', '.join(allow) or 'empty'}); nothing was imported"
        raise RefRefused(code="unallowed-code", message=msg)
    module = _import(ref, module_name)
    if getattr(module, "__name__", None) != module_name:
        msg = f"{ref!r}: importing {module_name!r} gives the module {getattr(module, '__name__', '?')!r}: name that module"
        raise RefRefused(code="foreign-ref", message=msg)
    try:
        found: Any = inspect.getattr_static(module, name)
    except AttributeError:
        public = [n for n in vars(module) if not n.startswith("_")]
        msg = f"module {module_name!r} has no attribute {name!r}{did_you_mean(name, public)}"
        raise RefRefused(code="unresolved-ref", message=msg) from None
    if not callable(found):
        msg = f"{ref!r} is not callable (it is {type(found).__name__})"
        raise RefRefused(code="unresolved-ref", message=msg)
    if not isinstance(found, types.FunctionType):
        msg = (
            f"{ref!r} is {_kind(found)}, not a Python function: a reference "
            f"names a function written with def in {module_name!r}"
        )
        raise RefRefused(code="not-a-function", message=msg)
    home = found.__module__ if isinstance(found.__module__, str) else "?"
    if home == module_name or (name in _exported(module) and is_allowed(home, allow)):
        return found
    msg = (
        f"{ref!r} is defined in {home!r}, not in {module_name!r}: a reference names "
        f"a function defined in its module (or exported by its __all__ from an "
        f"allowed module), never one it imported. Name {home}:{found.__name__} "
        f"and allow {home} if you mean it"
    )
    raise RefRefused(code="foreign-ref", message=msg)


def _import(ref: str, module_name: str) -> types.ModuleType:
    try:
        return importlib.import_module(module_name)
    except Exception as exc:  # a module's own code may raise anything
        msg = f"cannot import module {module_name!r} for {ref!r}: {type(exc).__name__}: {exc}"
        raise RefRefused(code="unresolved-ref", message=msg) from None


def _kind(obj: object) -> str:
    if isinstance(obj, type):
        return f"a class ({obj.__name__})"
    if isinstance(obj, types.BuiltinFunctionType | types.BuiltinMethodType):
        return "a builtin function"
    if isinstance(obj, types.MethodType):
        return "a bound method"
    return f"a callable {type(obj).__name__} object"


def _exported(module: types.ModuleType) -> tuple[str, ...]:
    """The names the module's own ``__all__`` lists (read without running code)."""
    try:
        names = inspect.getattr_static(module, "__all__")
    except AttributeError:
        return ()
    if not isinstance(names, list | tuple):
        return ()
    return tuple(n for n in names if isinstance(n, str))


def _problem(spec: Spec, ref: CodeRef, message: str, code: str) -> Problem:
    line, col = spec.locate(ref.key)
    return Problem(message=message, path=spec.source, line=line, column=col, code=code)
