"""Deterministic guards: pure predicates over a :class:`~fsmchat.ChatView`.

A guard is data, never a string to ``eval``. The built-in matchers look at one
message's text: the last message by default (on an edge, the reply of the agent
the edge leaves), or the one ``of`` names: ``of: first`` the chat's first
message, ``of: NAME`` the last message agent ``NAME`` wrote (``""`` while it has
written none; see :func:`message_of`). Anything else is a named Python callable
(``call: package.module:function``), called with the chat view and the spec's
``args``::

    def last_number_is_multiple(chat: ChatView, *, of: int) -> bool: ...

A spec is data: a :class:`Call` read from a file holds only its reference (the
text ``package.module:function``), checked for shape and never imported here.
Binding it to a callable is the run layer's job (:func:`fsmchat.resolve_spec`,
which imports only from the allow-list of the person running the chat); a
:class:`Call` built in Python with a callable is bound from the start.
:func:`bind_guard` returns a guard with its references bound, :func:`calls`
lists the references of a guard tree.

Combinators (``not``, ``all``, ``any``) build bigger guards from smaller ones.
Every guard has ``evaluate(view) -> bool`` and ``describe() -> str`` (the
short text diagrams and diagnostics show).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any, ClassVar, Protocol

import attrs

from fsmchat._core.errors import InvalidArgument, UserCodeError
from fsmchat._core.state import ChatView

__all__ = [
    "CODE_GUARDS",
    "FIRST",
    "LAST",
    "MATCHERS",
    "AllOf",
    "AnyOf",
    "Call",
    "Contains",
    "EndsWith",
    "Equals",
    "Guard",
    "Not",
    "Regex",
    "bind_guard",
    "calls",
    "message_of",
    "reads",
]


class Guard(Protocol):
    """A pure predicate over the chat state."""

    def evaluate(self, view: ChatView) -> bool: ...
    def describe(self) -> str: ...


#: ``of`` of a matcher reading the last message (the default).
LAST = "last"
#: ``of`` of a matcher reading the chat's first message.
FIRST = "first"


def message_of(view: ChatView, of: str) -> str:
    """The text a matcher reads: the last message, the first, or agent ``of``'s last.

    ``""`` when there is no such message (before the first message, or while the
    named agent has written none).
    """
    if of == LAST:
        return view.last_content
    items = view.messages
    if of == FIRST:
        return items[0].content if items else ""
    for m in reversed(items):
        if m.name == of:
            return m.content
    return ""


def _of(of: str) -> str:
    """The ``describe()`` suffix of ``of``."""
    if of == LAST:
        return ""
    return " of the first message" if of == FIRST else f" of {of}"


@attrs.frozen
class Regex:
    """True when ``pattern`` matches anywhere in the message ``of`` reads (``re.search``)."""

    pattern: str
    ignore_case: bool = False
    of: str = attrs.field(default=LAST, kw_only=True)
    _compiled: re.Pattern[str] = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        flags = re.IGNORECASE if self.ignore_case else 0
        object.__setattr__(self, "_compiled", re.compile(self.pattern, flags))

    def evaluate(self, view: ChatView) -> bool:
        return self._compiled.search(message_of(view, self.of)) is not None

    def test(self, text: str) -> bool:
        """The verdict on ``text``, the message ``of`` reads."""
        return self._compiled.search(text) is not None

    def describe(self) -> str:
        return f"/{self.pattern}/" + ("i" if self.ignore_case else "") + _of(self.of)


class _Text:
    """What the text matchers share (a plain base: attrs makes each matcher's fields).

    A matcher holds ``text`` and ``of``; :meth:`test` says how it judges the
    message ``of`` reads.
    """

    __slots__ = ()
    text: str
    of: str
    _word: ClassVar[str] = ""

    def evaluate(self, view: ChatView) -> bool:
        return self.test(message_of(view, self.of))

    def test(self, text: str) -> bool:
        """The verdict on ``text``, the message ``of`` reads."""
        raise NotImplementedError  # pragma: no cover - every matcher has its own

    def describe(self) -> str:
        return f"{self._word} {self.text!r}{_of(self.of)}"


@attrs.frozen
class Contains(_Text):
    """True when the message ``of`` reads contains ``text``."""

    text: str
    of: str = attrs.field(default=LAST, kw_only=True)
    _word: ClassVar[str] = "contains"

    def test(self, text: str) -> bool:
        return self.text in text


@attrs.frozen
class EndsWith(_Text):
    """True when the message ``of`` reads, trailing whitespace removed, ends with ``text``."""

    text: str
    of: str = attrs.field(default=LAST, kw_only=True)
    _word: ClassVar[str] = "endswith"

    def test(self, text: str) -> bool:
        return text.rstrip().endswith(self.text)


@attrs.frozen
class Equals(_Text):
    """True when the message ``of`` reads, stripped, equals ``text``."""

    text: str
    of: str = attrs.field(default=LAST, kw_only=True)
    _word: ClassVar[str] = "equals"

    def test(self, text: str) -> bool:
        return text.strip() == self.text


#: The text matchers (the guards that read one message, as ``of`` says).
MATCHERS = (Regex, Contains, EndsWith, Equals)


@attrs.frozen
class Call:
    """A named predicate: ``func(view, **args)``.

    ``ref`` is the reference as written (``package.module:function``). ``func``
    is the callable, or ``None`` while the reference is unbound (a spec read
    from a file): evaluating an unbound call raises :class:`InvalidArgument`.
    An exception raised by ``func`` becomes :class:`UserCodeError` naming the
    guard.
    """

    ref: str
    func: Callable[..., Any] | None = attrs.field(default=None, eq=False, repr=False)
    args: Mapping[str, Any] = attrs.field(factory=dict, eq=False)
    _key: tuple[tuple[str, str], ...] = attrs.field(init=False, repr=False)

    def __attrs_post_init__(self) -> None:
        key = tuple(sorted((k, repr(v)) for k, v in self.args.items()))
        object.__setattr__(self, "_key", key)

    @property
    def bound(self) -> bool:
        """True when the reference has a callable."""
        return self.func is not None

    def evaluate(self, view: ChatView) -> bool:
        if self.func is None:
            msg = (
                f"guard {self.ref!r} was never bound to a function: load the spec "
                f"with fsmchat.load_spec(path, allow=[...]) or fsmchat.resolve_spec"
            )
            raise InvalidArgument(msg)
        try:
            return bool(self.func(view, **self.args))
        except Exception as exc:
            msg = f"guard {self.describe()} ({self.ref}) raised {type(exc).__name__}: {exc}"
            raise UserCodeError(msg, where=f"guard {self.ref}", error=exc) from exc

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


#: The guard types that can hold a :class:`Call` (the rest are text matchers).
CODE_GUARDS = (Call, Not, AllOf, AnyOf)


def calls(guard: Guard | None) -> Iterator[tuple[tuple[str | int, ...], Call]]:
    """Every :class:`Call` in ``guard``'s tree with its path inside the guard.

    Depth first, in order, without recursion; the path is written as in a
    spec file, e.g. ``("not", "all", 1, "call")``.
    """
    if not isinstance(guard, CODE_GUARDS):
        return  # a matcher (the common case): nothing to walk
    stack: list[tuple[tuple[str | int, ...], Any]] = [((), guard)]
    while stack:
        path, g = stack.pop()
        if isinstance(g, Call):
            yield (*path, "call"), g
        elif isinstance(g, Not):
            stack.append(((*path, "not"), g.guard))
        elif isinstance(g, AllOf | AnyOf):
            word = "all" if isinstance(g, AllOf) else "any"
            stack.extend(
                ((*path, word, j), inner)
                for j, inner in reversed(list(enumerate(g.guards)))
            )


def reads(guard: Guard | None) -> Iterator[Regex | Contains | EndsWith | Equals]:
    """Every text matcher in ``guard``'s tree (what each reads: its ``of``)."""
    stack: list[Any] = [guard]
    while stack:
        g = stack.pop()
        if isinstance(g, MATCHERS):
            yield g
        elif isinstance(g, Not):
            stack.append(g.guard)
        elif isinstance(g, AllOf | AnyOf):
            stack.extend(reversed(g.guards))


def bind_guard(guard: Guard, table: Mapping[str, Callable[..., Any]]) -> Guard:
    """``guard`` with every unbound :class:`Call` whose ref is in ``table`` bound.

    Bound calls and other guards are kept as they are (the same objects when
    nothing inside changes).
    """
    if isinstance(guard, Call):
        func = table.get(guard.ref)
        if guard.func is not None or func is None:
            return guard
        return Call(guard.ref, func, guard.args)
    if isinstance(guard, Not):
        inner = bind_guard(guard.guard, table)
        return guard if inner is guard.guard else Not(inner)
    if isinstance(guard, AllOf | AnyOf):
        parts = tuple(bind_guard(g, table) for g in guard.guards)
        if all(a is b for a, b in zip(parts, guard.guards, strict=True)):
            return guard
        return type(guard)(parts)
    return guard
