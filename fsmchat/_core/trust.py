"""Which code a spec may run: the allow-list of code references (pure rules).

A spec is data. Its ``function:`` agents and ``call:`` guards are references
(``package.module:function``) that nothing imports until a chat runs, and then
only from modules the person running it allowed:

* ``fsmchat.examples`` is always allowed (the example specs' functions);
* the CLI adds ``fsmchat run --allow PREFIX`` (repeatable) and the
  comma-separated ``FSMCHAT_ALLOW`` variable; the library adds ``allow=``.

A prefix allows its module and every module below it: ``--allow mypkg`` allows
``mypkg:f`` and ``mypkg.guards:f``, not ``mypkgevil:f``. Only module *names*
count, never what a module imported: the resolver binds a function only where
it is defined. What a reference may look like is :mod:`fsmchat._core.refs`'s
rule table; this module decides and words the allow-list refusals; importing
is :mod:`fsmchat._run.resolve`'s job. A spec a record names (rather than the
person) gets no extra prefixes from the environment: the command line passes
only what was typed for that command.
"""

from __future__ import annotations

from collections.abc import Iterable

from fsmchat._core.errors import InvalidArgument, Problem
from fsmchat._core.refs import module_problem
from fsmchat._core.spec import CodeRef, Spec, problem_at

__all__ = [
    "BUILTIN_ALLOW",
    "KINDS",
    "allow_list",
    "is_allowed",
    "unallowed",
    "unallowed_problems",
]

#: Module prefixes whose functions any spec may run.
BUILTIN_ALLOW = ("fsmchat.examples",)


def allow_list(prefixes: Iterable[str] = ()) -> tuple[str, ...]:
    """The built-in prefixes plus ``prefixes``, each checked, without repeats.

    Raises:
        InvalidArgument: a prefix is not a dotted module name (``pkg.sub``)
            or names a private part (``pkg._impl``).
    """
    if isinstance(prefixes, str):
        msg = f"allow= takes a list of module prefixes, got the string {prefixes!r}; write [{prefixes!r}]"
        raise InvalidArgument(msg)
    out = list(BUILTIN_ALLOW)
    for prefix in prefixes:
        why = module_problem(prefix)
        if why is not None:
            raise InvalidArgument(why)
        out.append(prefix)
    return tuple(dict.fromkeys(out))


def is_allowed(ref: str, allow: Iterable[str]) -> bool:
    """True when the module of ``ref`` (``module:name``, or a bare module name) is one of ``allow`` or below one.

    Only module *names* count, on dotted boundaries: ``mypkg`` allows
    ``mypkg.guards``, not ``mypkgevil``, and never what ``mypkg`` imported (the
    resolver checks that a bound function is defined in its module).
    """
    module = ref.partition(":")[0]
    return any(module == p or module.startswith(p + ".") for p in allow)


KINDS = ("function", "call")


def unallowed(
    spec: Spec, allow: Iterable[str], *, kinds: Iterable[str] = KINDS
) -> tuple[CodeRef, ...]:
    """The unbound references of ``spec`` (of ``kinds``) outside ``allow``.

    Bound references (callables given in Python) are trusted.
    """
    prefixes = tuple(allow)
    wanted = tuple(kinds)
    return tuple(
        r for r in spec.unbound if r.kind in wanted and not is_allowed(r.ref, prefixes)
    )


def unallowed_problems(
    spec: Spec,
    allow: Iterable[str],
    *,
    severity: str = "error",
    kinds: Iterable[str] = KINDS,
) -> list[Problem]:
    """One located problem (code ``unallowed-code``) per reference outside ``allow``.

    Each names the reference, where it is written, and how to allow it.
    """
    problems = []
    for r in unallowed(spec, allow, kinds=kinds):
        what = f"agent {_agent_name(spec, r)!r}" if r.kind == "function" else "guard"
        module = r.module
        message = (
            f"{what} names code outside the allow-list: {r.ref!r} "
            f"(nothing was imported). To let it run, allow its module: "
            f"fsmchat run --allow {module}, FSMCHAT_ALLOW={module}, or "
            f"allow=[{module!r}] in Python"
        )
        problems.append(problem_at(spec, r.key, message, "unallowed-code", severity))
    return problems


def _agent_name(spec: Spec, ref: CodeRef) -> str:
    index = ref.key[1]
    return spec.agents[index].name if isinstance(index, int) else "?"
