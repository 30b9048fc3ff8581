"""The property language of ``properties:``: a tokenizer, a parser and the formulas.

A property says something about *every* run of a spec, in words over agent
names. Grammar (keywords are lower case; an agent name is a word, or any text in
quotes when it has spaces or is a keyword)::

    property  := "terminates" | "no-dead-end" | "reachable" ":" NAME
               | "after" NAME ":" names | "before" NAME ":" names | formula
    names     := NAME ("or" NAME)*
    formula   := ("always" | "eventually" | "never") formula | implies
    implies   := or ("implies" formula)?
    or        := and ("or" and)*
    and       := binary ("and" binary)*
    binary    := unary (("until" | "before") unary)?
    unary     := "not" unary | "(" formula ")" | "speaks" "(" NAME ")" | NAME
                 | ("always" | "eventually" | "never") formula

Meaning, over the sequence of speakers of one run (a run that stops keeps its
last state forever): ``A`` / ``speaks(A)`` — A is the one who has just spoken;
``always P``, ``eventually P``, ``never P`` (= ``always not P``); ``P until Q``
(Q comes, and P holds until then); ``P before Q`` (Q does not hold until P has:
``Reviewer before Merger``); ``after A: B or C`` — whoever speaks right after A
is B or C; ``before A: B`` — whoever speaks right before A is B (A never opens
the chat); ``terminates`` — every run ends at an ``end`` agent or by
``terminate_when``, never by ``max_round`` or for want of a route;
``no-dead-end`` — no run ends for want of a route; ``reachable: A`` — some run
lets A speak (proved by a witness run).

The prefix operators ``always``, ``eventually`` and ``never`` reach as far right
as possible: ``always Executor implies Engineer`` is ``always (Executor implies
Engineer)``. Pure: no IO; errors carry the character offset in the text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import attrs

__all__ = [
    "KEYWORDS",
    "After",
    "Always",
    "And",
    "Before",
    "BeforeOf",
    "Builtin",
    "Eventually",
    "Formula",
    "Implies",
    "Not",
    "Or",
    "Property",
    "PropertyError",
    "Reachable",
    "Speaks",
    "Until",
    "parse_property",
]

KEYWORDS = frozenset(
    (
        "always",
        "eventually",
        "never",
        "until",
        "before",
        "after",
        "not",
        "and",
        "or",
        "implies",
        "speaks",
        "terminates",
        "no-dead-end",
        "reachable",
    )
)


@attrs.frozen(kw_only=True)
class Property:
    """One entry of a spec's ``properties:``: a name and the text of what holds."""

    name: str
    holds: str


# -- formulas (plain frozen data) ------------------------------------------------


@attrs.frozen
class Speaks:
    """The agent ``name`` has just spoken."""

    name: str


@attrs.frozen
class Not:
    """``not body``."""

    body: Formula


@attrs.frozen
class And:
    """``left and right``."""

    left: Formula
    right: Formula


@attrs.frozen
class Or:
    """``left or right``."""

    left: Formula
    right: Formula


@attrs.frozen
class Implies:
    """``left implies right``."""

    left: Formula
    right: Formula


@attrs.frozen
class Always:
    """``always body`` (``never P`` is ``Always(Not(P))``)."""

    body: Formula


@attrs.frozen
class Eventually:
    """``eventually body``."""

    body: Formula


@attrs.frozen
class Until:
    """``left until right`` (strong: ``right`` must come)."""

    left: Formula
    right: Formula


@attrs.frozen
class Before:
    """``first before then``: ``then`` does not hold until ``first`` has."""

    first: Formula
    then: Formula


@attrs.frozen
class After:
    """``after agent: a or b``: whoever speaks right after ``agent`` is in ``next``."""

    agent: str
    next: tuple[str, ...]


@attrs.frozen
class BeforeOf:
    """``before agent: a or b``: whoever speaks right before ``agent`` is in ``prev``."""

    agent: str
    prev: tuple[str, ...]


@attrs.frozen
class Builtin:
    """``terminates`` or ``no-dead-end``."""

    name: str


@attrs.frozen
class Reachable:
    """``reachable: agent`` (an existential property: a witness run proves it)."""

    agent: str


Formula = Speaks | Not | And | Or | Implies | Always | Eventually | Until | Before
Top = Formula | After | BeforeOf | Builtin | Reachable


@attrs.frozen
class PropertyError:
    """One problem in a property's text: what, and where (0-based offset)."""

    offset: int
    message: str


# -- tokens ----------------------------------------------------------------------

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<word>[A-Za-z_][\w.\-]*)
      | (?P<quoted>"[^"]*"|'[^']*')
      | (?P<punct>[():])
    )""",
    re.VERBOSE,
)


@attrs.frozen
class _Tok:
    kind: str  # "kw", "name", "punct", "end"
    text: str
    offset: int


def _tokens(text: str) -> tuple[list[_Tok], PropertyError | None]:
    out: list[_Tok] = []
    pos = 0
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text):
            out.append(_Tok("end", "", pos))
            return out, None
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            ch = text[pos]
            what = "an unclosed quote" if ch in "\"'" else f"unexpected {ch!r}"
            return out, PropertyError(pos, what)
        start = m.start(m.lastgroup or "word")
        if m.group("word") is not None:
            word = m.group("word")
            kind = "kw" if word in KEYWORDS else "name"
            out.append(_Tok(kind, word, start))
        elif m.group("quoted") is not None:
            out.append(_Tok("name", m.group("quoted")[1:-1], start))
        else:
            out.append(_Tok("punct", m.group("punct"), start))
        pos = m.end()


# -- the parser (recursive descent, one function per grammar rule) ----------------


class _Fail(Exception):
    def __init__(self, error: PropertyError) -> None:
        self.error = error


class _Parser:
    def __init__(self, toks: list[_Tok], names: Sequence[str]) -> None:
        self.toks = toks
        self.i = 0
        self.names = tuple(names)
        self.unknown: list[tuple[int, str]] = []

    @property
    def tok(self) -> _Tok:
        return self.toks[self.i]

    def take(self) -> _Tok:
        t = self.toks[self.i]
        self.i += 1
        return t

    def at(self, text: str) -> bool:
        return self.tok.kind in ("kw", "punct") and self.tok.text == text

    def expect(self, text: str, what: str) -> None:
        if not self.at(text):
            self.fail(f"expected {what}")
        self.take()

    def fail(self, message: str) -> None:
        t = self.tok
        got = "the end" if t.kind == "end" else repr(t.text)
        raise _Fail(PropertyError(t.offset, f"{message}, got {got}"))

    def name(self) -> str:
        t = self.tok
        if t.kind != "name":
            self.fail("expected an agent name")
        self.take()
        if t.text not in self.names:
            self.unknown.append((t.offset, t.text))
        return t.text

    def top(self) -> Top:
        t = self.tok
        if t.kind == "kw" and t.text in ("terminates", "no-dead-end"):
            self.take()
            return Builtin(t.text)
        if t.kind == "kw" and t.text in ("reachable", "after", "before"):
            self.take()
            if t.text == "reachable":
                self.expect(":", "':' after reachable")
                return Reachable(self.name())
            agent = self.name()
            self.expect(":", f"':' after {t.text} {agent}")
            names = [self.name()]
            while self.at("or"):
                self.take()
                names.append(self.name())
            return (After if t.text == "after" else BeforeOf)(agent, tuple(names))
        return self.formula()

    def formula(self) -> Formula:
        t = self.tok
        if t.kind == "kw" and t.text in ("always", "eventually", "never"):
            self.take()
            body = self.formula()
            if t.text == "always":
                return Always(body)
            return Eventually(body) if t.text == "eventually" else Always(Not(body))
        left = self.disjunction()
        if self.at("implies"):
            self.take()
            return Implies(left, self.formula())
        return left

    def disjunction(self) -> Formula:
        left = self.conjunction()
        while self.at("or"):
            self.take()
            left = Or(left, self.conjunction())
        return left

    def conjunction(self) -> Formula:
        left = self.binary()
        while self.at("and"):
            self.take()
            left = And(left, self.binary())
        return left

    def binary(self) -> Formula:
        left = self.unary()
        if self.at("until"):
            self.take()
            return Until(left, self.unary())
        if self.at("before"):
            self.take()
            return Before(left, self.unary())
        return left

    def unary(self) -> Formula:
        t = self.tok
        if t.kind == "kw" and t.text in ("always", "eventually", "never"):
            return self.formula()
        if self.at("not"):
            self.take()
            return Not(self.unary())
        if self.at("("):
            self.take()
            inner = self.formula()
            self.expect(")", "')'")
            return inner
        if self.at("speaks"):
            self.take()
            self.expect("(", "'(' after speaks")
            name = self.name()
            self.expect(")", "')'")
            return Speaks(name)
        if t.kind == "name":
            return Speaks(self.name())
        if t.kind == "kw" and t.text in ("terminates", "no-dead-end", "reachable"):
            self.fail(f"{t.text!r} is a whole property: write it alone")
        if t.kind == "kw" and t.text == "after":
            self.fail("'after A: B' is a whole property: write it alone")
        self.fail("expected an agent name, 'not', 'speaks(...)' or '('")
        raise AssertionError  # pragma: no cover - fail() raised


def parse_property(
    text: str,
    names: Sequence[str],
    *,
    hint: Callable[[str], str] = lambda name: "",
) -> tuple[Top | None, list[PropertyError]]:
    """Parse ``text`` against the agent ``names``.

    Returns:
        ``(formula, [])`` when the text is a property over known agents;
        otherwise ``(None, problems)``: a syntax error (the first one), or every
        unknown agent name, each with its offset and ``hint(name)`` appended
        (the spec passes its "did you mean").
    """
    toks, error = _tokens(text)
    if error is not None:
        return None, [error]
    parser = _Parser(toks, names)
    try:
        top = parser.top()
        if parser.tok.kind != "end":
            parser.fail("expected the end of the property")
    except _Fail as exc:
        return None, [exc.error]
    if parser.unknown:
        return None, [
            PropertyError(at, f"unknown agent {name!r}{hint(name)}")
            for at, name in parser.unknown
        ]
    return top, []
