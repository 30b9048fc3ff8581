"""What a code reference may name: one rule table, applied everywhere (pure).

A spec's ``function:`` agents and ``call:`` guards hold references such as
``fsmchat.examples.counting:add_one``. A reference is a *capability*: it names
one module and one function defined in that module, and nothing else can be
reached through it.

Rules / theory of operation
---------------------------
* ``REF_RULES`` below is the whole shape of a reference, as data. Building a
  :class:`~fsmchat.Spec` (from YAML, a dict, Python or the AutoGen dict)
  applies it to every unbound reference, so ``fsmchat check`` and ``fsmchat
  run`` refuse the same references with the same words: they load the spec
  through the same code. :func:`fsmchat.resolve_spec` applies it again before
  it imports anything, for callers that hand it a reference directly.
* The name after ``:`` is **one** public name. A dotted name would walk
  attributes (``calculator:ast.sys.exit`` hops through the modules
  ``calculator`` imported), and whether an attribute is a module, a class or a
  bound method of a builtin is only known by importing; one name is decidable
  from the text alone, so ``check`` refuses every hop without importing.
* No part, on either side of ``:``, starts with ``_``: private names and
  dunders (``__self__``, ``__builtins__``, ``__main__``) are never references.
* What only importing can tell — the name is a Python function whose
  ``__module__`` is the named module (or the module's ``__all__`` exports it
  and it is defined in an allowed module) — is checked by the one resolver,
  :func:`fsmchat._run.resolve.resolve_ref`.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import attrs

__all__ = [
    "MODULE_PATTERN",
    "REF_PATTERN",
    "REF_RULES",
    "RefRule",
    "is_ref",
    "module_problem",
    "ref_problem",
]

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
#: A dotted module name (ASCII identifiers).
MODULE_PATTERN = re.compile(rf"{_NAME}(?:\.{_NAME})*")
_PUBLIC = r"[A-Za-z][A-Za-z0-9_]*"
#: Every rule of ``REF_RULES`` at once, as the spec schema's ``pattern`` (tested equal).
REF_PATTERN = re.compile(rf"^{_PUBLIC}(\.{_PUBLIC})*:{_PUBLIC}$")


def _parts(ref: str) -> list[str]:
    module, _, name = ref.partition(":")
    return [*module.split("."), name]


def _private_part(ref: str) -> str | None:
    return next((p for p in _parts(ref) if p.startswith("_")), None)


@attrs.frozen
class RefRule:
    """One rule of a reference's shape.

    Attributes:
        code: the problem code when the rule is broken.
        holds: the test, on a string of the right type.
        says: the message when it is broken (``{ref!r}``, ``{part!r}`` filled in).
    """

    code: str
    holds: Callable[[str], bool]
    says: str


#: The syntax before the rules: a module, ``:``, and dotted names.
_SYNTAX = re.compile(rf"{MODULE_PATTERN.pattern}:{MODULE_PATTERN.pattern}")

#: Every rule a reference's text must keep, in order; the first broken one is reported.
REF_RULES: tuple[RefRule, ...] = (
    RefRule(
        "bad-ref",
        lambda ref: _SYNTAX.fullmatch(ref) is not None,
        "expected 'package.module:function', got {ref!r}",
    ),
    RefRule(
        "hop-ref",
        lambda ref: "." not in ref.partition(":")[2],
        "{ref!r} walks attributes after ':': a reference names one function defined "
        "in its module ('package.module:function'), never something reached through "
        "what the module holds or imported",
    ),
    RefRule(
        "private-ref",
        lambda ref: _private_part(ref) is None,
        "{ref!r} names {part!r}: a reference names only public modules and functions "
        "(no part starting with '_', no dunder)",
    ),
)


def ref_problem(ref: object) -> tuple[str, str] | None:
    """The first rule of ``REF_RULES`` that ``ref`` breaks, as ``(code, message)``; ``None`` if none."""
    if not isinstance(ref, str):
        return "bad-ref", f"expected 'package.module:function', got {ref!r:.80}"
    for rule in REF_RULES:
        if not rule.holds(ref):
            return rule.code, rule.says.format(ref=ref[:200], part=_private_part(ref))
    return None


def is_ref(text: object) -> bool:
    """True when ``text`` keeps every rule of a reference (nothing is imported)."""
    return ref_problem(text) is None


def module_problem(name: object) -> str | None:
    """Why ``name`` cannot be a module an allow-list names, or ``None``."""
    if not isinstance(name, str) or not MODULE_PATTERN.fullmatch(name):
        return f"not a module prefix: {name!r:.80} (expected a dotted module name such as 'mypkg' or 'mypkg.guards')"
    private = next((p for p in name.split(".") if p.startswith("_")), None)
    if private is not None:
        return f"not a module prefix: {name!r} names the private part {private!r}, which no reference may name"
    return None
