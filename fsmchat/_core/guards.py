"""Deterministic guards: pure predicates over a :class:`~fsmchat.ChatView`.

A guard is data, never a string to ``eval``. The built-in matchers look at the
last message's text; anything else is a named Python callable (``call:
package.module:function``), imported once when the spec is built and then called
with the chat view and the spec's ``args``::

    def last_number_is_multiple(chat: ChatView, *, of: int) -> bool: ...

Combinators (``not``, ``all``, ``any``) build bigger guards from smaller ones.
Every guard has ``evaluate(view) -> bool`` and ``describe() -> str`` (the
short text diagrams and diagnostics show).
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Mapping
from typing import Any, Protocol

import attrs

from fsmchat._core.state import ChatView

__all__ = [
    "AllOf",
    "AnyOf",
    "Call",
    "Contains",
    "EndsWith",
    "Equals",
    "Guard",
    "Not",
    "Regex",
    "resolve_ref",
]


class Guard(Protocol):
    """A pure predicate over the chat state."""

    def evaluate(self, view: ChatView) -> bool: ...
    def describe(self) -> str: ...


def resolve_ref(ref: str) -> Callable[..., Any]:
    """Import ``package.module:attribute`` and return the attribute.

    Raises:
        ValueError: ``ref`` is malformed, or the module or attribute is missing,
            or the attribute is not callable. The message says which.
    """
    module_name, sep, attr_path = ref.partition(":")
    if not sep or not module_name or not attr_path:
        msg = f"expected 'package.module:function', got {ref!r}"
        raise ValueError(msg)
    try:
        obj: Any = importlib.import_module(module_name)
    except ImportError as exc:
        msg = f"cannot import module {module_name!r} for {ref!r}: {exc}"
        raise ValueError(msg) from exc
    for part in attr_path.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            names = [n for n in dir(obj) if not n.startswith("_")]
            hint = _did_you_mean(part, names)
            msg = f"module {module_name!r} has no attribute {part!r}{hint}"
            raise ValueError(msg) from None
    if not callable(obj):
        msg = f"{ref!r} is not callable (it is {type(obj).__name__})"
        raise ValueError(msg)
    return obj  # type: ignore[no-any-return]


def _did_you_mean(name: str, choices: list[str]) -> str:
    import difflib

    close = difflib.get_close_matches(name, choices, n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


@attrs.frozen
class Regex:
    """True when ``pattern`` matches anywhere in the last message (``re.search``)."""

    pattern: str
    ignore_case: bool = False
    _compiled: re.Pattern[str] = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        flags = re.IGNORECASE if self.ignore_case else 0
        object.__setattr__(self, "_compiled", re.compile(self.pattern, flags))

    def evaluate(self, view: ChatView) -> bool:
        return self._compiled.search(view.last_content) is not None

    def describe(self) -> str:
        return f"/{self.pattern}/" + ("i" if self.ignore_case else "")


@attrs.frozen
class Contains:
    """True when the last message contains ``text``."""

    text: str

    def evaluate(self, view: ChatView) -> bool:
        return self.text in view.last_content

    def describe(self) -> str:
        return f"contains {self.text!r}"


@attrs.frozen
class EndsWith:
    """True when the last message, trailing whitespace removed, ends with ``text``."""

    text: str

    def evaluate(self, view: ChatView) -> bool:
        return view.last_content.rstrip().endswith(self.text)

    def describe(self) -> str:
        return f"endswith {self.text!r}"


@attrs.frozen
class Equals:
    """True when the last message, stripped, equals ``text``."""

    text: str

    def evaluate(self, view: ChatView) -> bool:
        return view.last_content.strip() == self.text

    def describe(self) -> str:
        return f"equals {self.text!r}"


@attrs.frozen
class Call:
    """A named predicate: ``func(view, **args)``, imported from ``ref``."""

    ref: str
    func: Callable[..., Any] = attrs.field(eq=False, repr=False)
    args: Mapping[str, Any] = attrs.field(factory=dict, eq=False)
    _key: tuple[tuple[str, str], ...] = attrs.field(init=False, repr=False)

    def __attrs_post_init__(self) -> None:
        key = tuple(sorted((k, repr(v)) for k, v in self.args.items()))
        object.__setattr__(self, "_key", key)

    def evaluate(self, view: ChatView) -> bool:
        return bool(self.func(view, **self.args))

    def describe(self) -> str:
        name = self.ref.rpartition(":")[2]
        if not self.args:
            return name
        inner = ", ".join(f"{k}={v!r}" for k, v in sorted(self.args.items()))
        return f"{name}({inner})"


@attrs.frozen
class Not:
    """True when ``guard`` is false."""

    guard: Guard

    def evaluate(self, view: ChatView) -> bool:
        return not self.guard.evaluate(view)

    def describe(self) -> str:
        return f"not {self.guard.describe()}"


@attrs.frozen
class AllOf:
    """True when every guard is true (an empty list is true)."""

    guards: tuple[Guard, ...]

    def evaluate(self, view: ChatView) -> bool:
        return all(g.evaluate(view) for g in self.guards)

    def describe(self) -> str:
        return " and ".join(f"({g.describe()})" for g in self.guards) or "always"


@attrs.frozen
class AnyOf:
    """True when at least one guard is true (an empty list is false)."""

    guards: tuple[Guard, ...]

    def evaluate(self, view: ChatView) -> bool:
        return any(g.evaluate(view) for g in self.guards)

    def describe(self) -> str:
        return " or ".join(f"({g.describe()})" for g in self.guards) or "never"
