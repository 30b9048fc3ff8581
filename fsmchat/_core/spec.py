"""The spec: agents, ordered guarded edges, start and termination rules.

A :class:`Spec` is an immutable value. It can be built several ways, all ending in
the same validation (so every source gets the same error messages):

* from YAML text with :func:`~fsmchat.parse_spec` (problems say ``file:line:col``);
* from plain data with :func:`~fsmchat.spec_from_dict` (problems name the data
  path, e.g. ``transitions[3].to``) — both in :mod:`fsmchat._core.build`;
* from Python objects: ``Spec(agents=[AgentSpec(...)], transitions=[Edge(...)])``;
* from the AutoGen-style dict of autogen #1400 with
  :func:`~fsmchat.spec_from_autogen` (in :mod:`fsmchat._core.build_autogen`).

Rules of the format (docs/spec-format.md says the same):

* Edges out of one agent are considered **in file order**. A conditional edge
  (``when`` and/or ``on``) fires when its condition holds; the first one that
  holds wins. Reaching an unconditional edge stops the walk: all unconditional
  edges out of the agent form the open set, settled by the selector when there
  is more than one. A conditional edge written after an unconditional one can
  therefore never fire (``fsmchat check`` flags it).
* A ``default: true`` edge is the declared fallback: it is taken when nothing
  else can be, and when a selector's answers stay invalid after the retries.
  Without one, that situation ends the chat with :class:`~fsmchat.NoRoute`.
* When an edge has both ``when`` and ``on``, ``when`` decides and ``on`` documents
  it (a model judges ``on`` only when the chat is run with
  ``conditions="language"``).
* A spec is data. A ``function:`` agent or a ``call:`` guard read from a file
  holds its reference (``package.module:function``) unbound; ``code_refs``
  lists every reference with where it is written, and :meth:`Spec.bind`
  returns the spec with callables bound (the run layer imports them, from an
  allow-list only).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import attrs

from fsmchat._core.errors import InvalidArgument, Problem, SpecError
from fsmchat._core.guards import (
    CODE_GUARDS,
    FIRST,
    LAST,
    Guard,
    bind_guard,
    calls,
    reads,
)
from fsmchat._core.props import Property, parse_property
from fsmchat._core.refs import ref_problem
from fsmchat._core.source import TEXT, PathKey
from fsmchat._core.text import data_path, did_you_mean

__all__ = [
    "AGENT_KINDS",
    "AgentSpec",
    "CodeRef",
    "Edge",
    "Selection",
    "Spec",
    "problem_at",
]

AGENT_KINDS = ("llm", "human", "function")
DEFAULT_MAX_ROUND = 10


def _to_tuple(items: Iterable[Any]) -> tuple[Any, ...]:
    return tuple(items)


@attrs.frozen(kw_only=True)
class AgentSpec:
    """One agent (a state of the chat's FSM).

    Attributes:
        name: unique name; what selectors answer with.
        kind: ``"llm"``, ``"human"`` or ``"function"``.
        description: what a speaker selector is told about the agent. Defaults
            to ``system_message``, as in AutoGen.
        system_message: what the agent itself is told (LLM agents).
        function: for function agents, the reply callable as
            ``package.module:function``; it is called as ``f(chat, **args)``
            and returns the reply text.
        reply: the bound reply callable (``None`` while ``function`` is an
            unbound reference; given directly from Python, it is trusted).
        args: keyword arguments for ``reply``.
        model: for LLM agents, a model name overriding the spec's default.
    """

    name: str
    kind: str = "llm"
    system_message: str = ""
    description: str = attrs.field(
        default=attrs.Factory(lambda self: self.system_message, takes_self=True)
    )
    function: str | None = None
    reply: Callable[..., Any] | None = attrs.field(default=None, eq=False, repr=False)
    args: Mapping[str, Any] = attrs.field(factory=dict, eq=False)
    model: str | None = None


@attrs.frozen(kw_only=True)
class Edge:
    """One transition: after ``source`` speaks, ``target`` may speak next.

    Attributes:
        source: the agent who has just spoken (``from`` in files).
        target: the agent who may speak next (``to`` in files).
        when: a deterministic guard (authoritative when present).
        on: a natural-language condition (judged by a model if no ``when``).
        default: the fallback edge out of ``source``.
        index: position in the spec's ``transitions`` (set by :class:`Spec`).
    """

    source: str
    target: str
    when: Guard | None = None
    on: str | None = None
    default: bool = False
    index: int = -1

    @property
    def unconditional(self) -> bool:
        """True when the edge has neither ``when`` nor ``on`` and is no default."""
        return self.when is None and self.on is None and not self.default

    def label(self) -> str:
        """A short text for diagrams and messages."""
        if self.default:
            return "default"
        if self.when is not None:
            return self.when.describe()
        if self.on is not None:
            return repr(self.on)
        return "open"


def at_least(minimum: int, instance: object, attribute: Any, value: Any) -> None:
    """attrs validator: ``value`` is an int >= ``minimum``, else :class:`InvalidArgument`."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        msg = (
            f"{type(instance).__name__}({attribute.name}=...) must be an int >= "
            f"{minimum}, got {value!r}"
        )
        raise InvalidArgument(msg)


def one_of(
    choices: tuple[str, ...], instance: object, attribute: Any, value: Any
) -> None:
    """attrs validator: ``value`` is one of ``choices``, else :class:`InvalidArgument`."""
    if value not in choices:
        hint = did_you_mean(value, choices) if isinstance(value, str) else ""
        msg = (
            f"{type(instance).__name__}({attribute.name}=...) must be one of "
            f"{', '.join(map(repr, choices))}, got {value!r}{hint}"
        )
        raise InvalidArgument(msg)


@attrs.frozen(kw_only=True)
class Selection:
    """How open choices are settled.

    Attributes:
        max_retries: how often an invalid answer is re-asked before the
            fallback (AutoGen's ``max_retries_for_selecting_speaker``).
        context: how many recent messages a decision request carries
            (``None`` = all of them).
    """

    max_retries: int = attrs.field(
        default=2, validator=lambda i, a, v: at_least(0, i, a, v)
    )
    context: int | None = 1


@attrs.frozen(kw_only=True)
class CodeRef:
    """A reference to code in a spec, and where it is written.

    Attributes:
        ref: ``package.module:function`` as written.
        kind: ``"function"`` (an agent's reply) or ``"call"`` (a guard).
        key: the data path of the reference, e.g. ``("agents", 2, "function")``.
        bound: whether a callable is already attached (Python-built specs).
    """

    ref: str
    kind: str
    key: PathKey
    bound: bool

    @property
    def module(self) -> str:
        """The module part of ``ref``."""
        return self.ref.partition(":")[0]


@attrs.frozen(kw_only=True)
class Spec:
    """A chat as a finite state machine. See the module docstring for the rules.

    Raises:
        SpecError: on construction, listing every problem found.
    """

    agents: tuple[AgentSpec, ...] = attrs.field(converter=_to_tuple)
    transitions: tuple[Edge, ...] = attrs.field(converter=_to_tuple)
    start: str | None = None
    message: str | None = None
    max_round: int = DEFAULT_MAX_ROUND
    allow_repeat_speaker: bool = True
    terminate_when: Guard | None = None
    end: tuple[str, ...] = attrs.field(default=(), converter=_to_tuple)
    properties: tuple[Property, ...] = attrs.field(default=(), converter=_to_tuple)
    selection: Selection = attrs.field(factory=Selection)
    llm: Mapping[str, Any] = attrs.field(factory=dict, eq=False)
    name: str = "chat"
    description: str = ""
    source: str = attrs.field(default="<spec>", eq=False)
    locations: Mapping[PathKey, tuple[int, int]] = attrs.field(
        factory=dict, eq=False, repr=False
    )

    by_name: Mapping[str, AgentSpec] = attrs.field(init=False, eq=False, repr=False)
    out_edges: Mapping[str, tuple[Edge, ...]] = attrs.field(
        init=False, eq=False, repr=False
    )
    code_refs: tuple[CodeRef, ...] = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        edges = tuple(
            e if e.index == i else attrs.evolve(e, index=i)
            for i, e in enumerate(self.transitions)
        )
        object.__setattr__(self, "transitions", edges)
        if self.start is None and edges:
            object.__setattr__(self, "start", edges[0].source)
        elif self.start is None and self.agents:
            object.__setattr__(self, "start", self.agents[0].name)
        problems = _semantic_problems(self)
        if any(p.severity == "error" for p in problems):
            raise SpecError(problems)
        object.__setattr__(self, "by_name", {a.name: a for a in self.agents})
        out: dict[str, list[Edge]] = {a.name: [] for a in self.agents}
        for e in edges:
            out[e.source].append(e)
        object.__setattr__(self, "out_edges", {k: tuple(v) for k, v in out.items()})
        object.__setattr__(self, "code_refs", _code_refs(self))

    @property
    def unbound(self) -> tuple[CodeRef, ...]:
        """The code references that still need a callable before the spec can run."""
        return tuple(r for r in self.code_refs if not r.bound)

    def bind(
        self,
        table: Mapping[str, Callable[..., Any]],
        *,
        kinds: Iterable[str] = ("function", "call"),
    ) -> Spec:
        """Return this spec with every unbound reference found in ``table`` bound.

        ``table`` maps a reference (``package.module:function``) to its callable;
        ``kinds`` says which references to bind (agents' ``"function"``, guards'
        ``"call"``). Nothing is imported here; references missing from ``table``
        stay unbound.
        """
        if not self.unbound:
            return self
        wanted = tuple(kinds)
        agents = self.agents
        if "function" in wanted:
            agents = tuple(
                attrs.evolve(a, reply=table[a.function])
                if a.kind == "function"
                and a.reply is None
                and a.function is not None
                and a.function in table
                else a
                for a in self.agents
            )
        edges = self.transitions
        terminate = self.terminate_when
        if "call" in wanted:
            edges = tuple(
                e if e.when is None else attrs.evolve(e, when=bind_guard(e.when, table))
                for e in self.transitions
            )
            if terminate is not None:
                terminate = bind_guard(terminate, table)
        return attrs.evolve(
            self, agents=agents, transitions=edges, terminate_when=terminate
        )

    @property
    def names(self) -> tuple[str, ...]:
        """Agent names in declaration order."""
        return tuple(a.name for a in self.agents)

    def locate(self, path: PathKey) -> tuple[int, int]:
        """Return ``(line, column)`` of ``path`` in the source file, or ``(0, 0)``."""
        return self.locations.get(path, (0, 0))

    def __repr__(self) -> str:
        return (
            f"<Spec {self.name!r} agents={len(self.agents)} "
            f"transitions={len(self.transitions)} start={self.start!r}>"
        )


def problem_at(
    spec: Spec, key: PathKey, message: str, code: str, severity: str = "error"
) -> Problem:
    """A problem of ``spec`` at the data path ``key``.

    Located at ``key`` in the spec's file (or, for a field that was not
    written, at the entry holding it); a spec built from data or Python has no
    file, so the message starts with the data path instead
    (``transitions[3].to: ...``).
    """
    line, col = spec.locate(key)
    if not line and len(key) > 2:
        line, col = spec.locate(key[:2])
    if not spec.locations:
        message = f"{data_path(key)}: {message}"
    return Problem(
        message=message,
        path=spec.source,
        line=line,
        column=col,
        severity=severity,
        code=code,
    )


# --------------------------------------------------------------------------
# Semantic validation, shared by every way of building a Spec


def _code_refs(spec: Spec) -> tuple[CodeRef, ...]:
    """Every code reference of ``spec``: agents' functions, then guards in order."""
    found: list[CodeRef] = []
    for i, a in enumerate(spec.agents):
        if a.kind == "function" and a.function is not None:
            key: PathKey = ("agents", i, "function")
            found.append(
                CodeRef(
                    ref=a.function, kind="function", key=key, bound=a.reply is not None
                )
            )
    guards: list[tuple[PathKey, Guard | None]] = [
        (("transitions", e.index, "when"), e.when)
        for e in spec.transitions
        if isinstance(e.when, CODE_GUARDS)  # matchers (most guards) hold no code
    ]
    guards.append((("terminate_when",), spec.terminate_when))
    for key, guard in guards:
        for where, call in calls(guard):
            found.append(
                CodeRef(ref=call.ref, kind="call", key=(*key, *where), bound=call.bound)
            )
    return tuple(found)


def _semantic_problems(spec: Spec) -> list[Problem]:
    """Every problem of ``spec``'s meaning (names, edges, guards, properties, references)."""
    rules = _Rules(spec)
    rules.agents()
    rules.edges()
    rules.guards()
    rules.properties()
    if spec.max_round < 1:
        rules.add(
            ("max_round",),
            f"max_round must be at least 1, got {spec.max_round}",
            "bad-value",
        )
    for ref in _code_refs(spec):  # the one rule table of references (refs.py)
        broken = None if ref.bound else ref_problem(ref.ref)
        if broken is not None:
            rules.add(ref.key, broken[1], broken[0])
    return rules.problems


class _Rules:
    """The semantic rules of a spec, each a method; they share the name table
    and report through :meth:`add` (located when the spec came from a file)."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.problems: list[Problem] = []
        self.names: dict[str, int] = {}

    def add(self, key: PathKey, message: str, code: str) -> None:
        """Report ``message`` at ``key`` (see :func:`problem_at`)."""
        self.problems.append(problem_at(self.spec, key, message, code))

    def agents(self) -> None:
        """Names are present and unique; kinds are known; function agents have code."""
        for i, a in enumerate(self.spec.agents):
            if not a.name:
                self.add(
                    ("agents", i, "name"), "agent names must not be empty", "bad-value"
                )
            elif a.name in self.names:
                first = self.names[a.name]
                self.add(
                    ("agents", i, "name"),
                    f"duplicate agent name {a.name!r} (first declared as agents[{first}])",
                    "duplicate-agent",
                )
            else:
                self.names[a.name] = i
            if a.kind not in AGENT_KINDS:
                self.add(
                    ("agents", i, "kind"),
                    f"agent {a.name!r}: kind must be one of {', '.join(AGENT_KINDS)}, got {a.kind!r}",
                    "bad-value",
                )
            if a.kind == "function" and a.reply is None and a.function is None:
                self.add(
                    ("agents", i),
                    f"function agent {a.name!r} has no reply function",
                    "missing-key",
                )
        if not self.spec.agents:
            self.add(("agents",), "a spec needs at least one agent", "missing-key")

    def _known(self, name: str, key: PathKey, what: str) -> None:
        if name not in self.names:
            hint = did_you_mean(name, self.names)
            self.add(key, f"unknown agent {name!r} in {what}{hint}", "unknown-agent")

    def edges(self) -> None:
        """``start``, ``end`` and every edge's ends name agents; a default edge
        has no condition, and an agent has at most one."""
        spec = self.spec
        if spec.start is not None:
            self._known(spec.start, ("start",), "start")
        for j, name in enumerate(spec.end):
            self._known(name, ("end", j), "end")
        defaults: dict[str, int] = {}
        for e in spec.transitions:
            at = ("transitions", e.index)
            self._known(e.source, (*at, "from"), f"transitions[{e.index}].from")
            self._known(e.target, (*at, "to"), f"transitions[{e.index}].to")
            if e.default:
                self._default(e, defaults)

    def _default(self, e: Edge, defaults: dict[str, int]) -> None:
        key = ("transitions", e.index, "default")
        if e.when is not None or e.on is not None:
            msg = "a default edge takes no 'when' or 'on': it is the fallback"
            self.add(key, msg, "bad-default")
        if e.source in defaults:
            msg = f"agent {e.source!r} already has a default edge (transitions[{defaults[e.source]}])"
            self.add(key, msg, "bad-default")
        defaults.setdefault(e.source, e.index)

    def guards(self) -> None:
        """A guard's ``of:`` names ``first``, ``last`` or an agent."""
        spec = self.spec
        guarded: list[tuple[PathKey, Guard | None, str]] = [
            (("terminate_when",), spec.terminate_when, "terminate_when")
        ]
        guarded += [
            (("transitions", e.index, "when"), e.when, f"transitions[{e.index}].when")
            for e in spec.transitions
        ]
        for key, guard, what in guarded:
            for m in reads(guard):
                if m.of not in (FIRST, LAST) and m.of not in self.names:
                    self.add(
                        key,
                        f"{what} reads 'of: {m.of}', which names no agent (first, last or "
                        f"an agent's name){did_you_mean(m.of, self.names)}",
                        "unknown-agent",
                    )

    def properties(self) -> None:
        """``properties:`` have unique names, and each text parses.

        A text's problem is located at its line, and at the column of the token
        (where the text starts plus the offset in it). Locations are looked up
        only for a problem (a file's are computed on first use).
        """
        loc = self.spec.locations
        where = "" if loc else "properties[{}].holds: "
        seen: set[str] = set()
        names = self.names
        for i, prop in enumerate(self.spec.properties):
            key: PathKey = ("properties", i, "holds")
            if prop.name in seen:
                line, col = loc.get(("properties", i, "name"), (0, 0))
                msg = f"{where.format(i)}duplicate property name {prop.name!r}"
                self._located(msg, line, col)
            seen.add(prop.name)
            _, errors = parse_property(
                prop.holds, list(names), hint=lambda n: did_you_mean(n, names)
            )
            for err in errors:
                line, col = loc.get((*key, TEXT), loc.get(key, (0, 0)))
                msg = f"{where.format(i)}property {prop.name!r}: {err.message}"
                self._located(msg, line, col + err.offset if line else 0)

    def _located(self, message: str, line: int, column: int) -> None:
        self.problems.append(
            Problem(
                message=message,
                path=self.spec.source,
                line=line,
                column=column,
                code="bad-property",
            )
        )
