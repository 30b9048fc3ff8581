"""A reference model of fsmchat's routing rules, written from the docs alone.

This module re-states, as plainly as possible, what the docs promise
(docs/spec-format.md "Edge order is priority", the README's "The guarantee",
docs/checking-and-proving.md "fsmchat check" and "fsmchat verify"),
so that property tests can compare the real engine, verifier and checker with
it on random specs (``tests/core/test_differential.py``). It deliberately does
not import the engine, the checker, the verifier or the guards' ``evaluate``
methods: guards are interpreted here from their public fields, and the walk
is re-written. Only fsmchat's value types (``Message``, ``ChatView``, the guard
and spec classes as data) are used.

The documented walk, out of the agent who has just spoken, in file order:

1. an edge whose ``when`` guard fails is skipped;
2. an edge whose ``when`` guard holds is taken (the first one wins);
3. an edge with only an ``on`` condition is pending: all pending conditions met
   before the walk stops are judged in one call; the first that holds wins;
4. reaching an edge with no condition stops the walk: all unconditional edges
   form the open set; one is taken at once, several are settled by a selector;
5. if nothing can be taken, the ``default`` edge is; without one: ``NoRoute``.

Answers are never trusted: a choice must be exactly one candidate's name and a
judgement exactly one boolean per condition; a refused answer is re-asked up to
``max_retries`` times per routing step, then the default edge is taken or the
chat ends with no route.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from fsmchat import (
    AllOf,
    AnyOf,
    Call,
    ChatView,
    Contains,
    Edge,
    EndsWith,
    Equals,
    Message,
    Not,
    Regex,
    Spec,
)

__all__ = [
    "Divergence",
    "RefDecision",
    "RefRun",
    "holds",
    "never_fires_and_open_choices",
    "next_speakers",
    "run",
]


class Divergence(AssertionError):
    """The reference needed an input the engine's run did not use."""


# --------------------------------------------------------------------------
# Guards, from their data


def holds(guard: Any, messages: Sequence[Message], speaker: str) -> bool:
    """Whether ``guard`` holds on the chat ``messages`` (last one by ``speaker``)."""
    text = messages[-1].content if messages else ""
    if isinstance(guard, Regex):
        flags = re.IGNORECASE if guard.ignore_case else 0
        return re.search(guard.pattern, text, flags) is not None
    if isinstance(guard, Contains):
        return guard.text in text
    if isinstance(guard, EndsWith):
        return text.rstrip().endswith(guard.text)
    if isinstance(guard, Equals):
        return text.strip() == guard.text
    if isinstance(guard, Call):
        return bool(guard.func(ChatView(tuple(messages), speaker), **guard.args))
    if isinstance(guard, Not):
        return not holds(guard.guard, messages, speaker)
    if isinstance(guard, AllOf):
        return all(holds(g, messages, speaker) for g in guard.guards)
    if isinstance(guard, AnyOf):
        return any(holds(g, messages, speaker) for g in guard.guards)
    raise TypeError(f"the reference does not know guard {guard!r}")


# --------------------------------------------------------------------------
# One routing step


def usable_edges(spec: Spec, speaker: str, graph: str = "spec") -> list[Edge]:
    """Edges out of ``speaker`` a step may use, in file order.

    ``graph="complete"``: every agent may follow every agent (edges without an
    index). Self-loops are dropped when ``allow_repeat_speaker`` is false.
    """
    if graph == "complete":
        edges = [Edge(source=speaker, target=b) for b in spec.names]
    else:
        edges = [e for e in spec.transitions if e.source == speaker]
    if not spec.allow_repeat_speaker:
        edges = [e for e in edges if e.target != speaker]
    return edges


def _model_judges(e: Edge, conditions: str) -> bool:
    """A model judges ``e.on`` when there is no ``when`` (or in language mode)."""
    return e.on is not None and (e.when is None or conditions == "language")


def _is_open(e: Edge) -> bool:
    return not e.default and e.when is None and e.on is None


@dataclass
class Walk:
    """What the spec alone says about one step (the documented steps 1–4)."""

    guards: list[tuple[int, str, str, bool | None]] = field(default_factory=list)
    taken: Edge | None = None  # step 2
    pending: list[Edge] = field(default_factory=list)  # step 3
    open_edges: list[Edge] = field(default_factory=list)  # step 4
    default: Edge | None = None  # step 5


def walk(
    edges: Sequence[Edge], messages: Sequence[Message], speaker: str, conditions: str
) -> Walk:
    """Walk ``edges`` in file order as the documented five steps say."""
    w = Walk(default=next((e for e in edges if e.default), None))
    if conditions == "ignore":
        w.open_edges = list(edges)  # no condition is enforced: all are open
        return w
    for e in edges:
        if e.default:
            continue  # the fallback, wherever it is written
        if _model_judges(e, conditions):
            w.pending.append(e)
        elif e.when is not None:
            ok = holds(e.when, messages, speaker)
            w.guards.append((e.index, e.target, "when", ok))
            if ok:
                w.taken = e
                return w
        else:
            w.open_edges = [x for x in edges if _is_open(x)]
            return w
    return w


# --------------------------------------------------------------------------
# A whole chat


@dataclass(frozen=True)
class RefDecision:
    """One routing step: the move made (or not) and why."""

    round: int
    source: str
    target: str | None
    edge: int | None
    reason: str
    guards: tuple[tuple[int, str, str, bool | None], ...]
    attempts: int


@dataclass
class RefRun:
    """A reference chat: messages, one decision per routing step, how it ended."""

    messages: list[Message] = field(default_factory=list)
    decisions: list[RefDecision] = field(default_factory=list)
    finished: str = ""


def _valid_choice(value: Any, names: Sequence[str]) -> bool:
    return isinstance(value, str) and value in names


def _valid_verdicts(value: Any, n: int) -> bool:
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        return False
    return len(value) == n and all(isinstance(v, bool) for v in value)


class _Inputs:
    def __init__(self, items: Sequence[Any], what: str) -> None:
        self.items = list(items)
        self.at = 0
        self.what = what

    def next(self) -> Any:
        if self.at >= len(self.items):
            raise Divergence(f"the reference needs {self.what} #{self.at + 1}")
        self.at += 1
        return self.items[self.at - 1]


def run(
    spec: Spec,
    *,
    replies: Sequence[str],
    answers: Sequence[Any],
    graph: str = "spec",
    conditions: str = "guards",
    message: Any = ...,
    max_retries: int | None = None,
    max_round: int | None = None,
) -> RefRun:
    """Run a chat of ``spec`` with these replies (in order) and selector answers.

    ``message=...`` means the spec's own first message.
    """
    limit = spec.max_round if max_round is None else max_round
    retries = spec.selection.max_retries if max_retries is None else max_retries
    first = spec.message if message is ... else message
    said = _Inputs(replies, "reply")
    told = _Inputs(answers, "answer")
    out = RefRun()
    speaker = spec.start
    assert speaker is not None
    out.messages.append(
        Message(name=speaker, content=said.next() if first is None else first)
    )
    while True:
        ended = _ended(spec, out.messages, speaker, limit)
        if ended:
            out.finished = ended
            return out
        edges = usable_edges(spec, speaker, graph)
        if not edges:
            out.decisions.append(_decision(out, speaker, None, "no successor", [], 0))
            out.finished = "no successor"
            return out
        edge, reason, guards, tries = _step(
            edges, out.messages, speaker, conditions, told, retries
        )
        out.decisions.append(_decision(out, speaker, edge, reason, guards, tries))
        if edge is None:
            out.finished = "no route"
            return out
        speaker = edge.target
        out.messages.append(Message(name=speaker, content=said.next()))


def _ended(spec: Spec, messages: Sequence[Message], speaker: str, limit: int) -> str:
    if spec.terminate_when is not None and holds(
        spec.terminate_when, messages, speaker
    ):
        return "terminate_when"
    if len(messages) >= limit:
        return "max_round"
    if speaker in spec.end:
        return "end agent"
    return ""


def _decision(
    out: RefRun,
    source: str,
    edge: Edge | None,
    reason: str,
    guards: Sequence[tuple[int, str, str, bool | None]],
    tries: int,
) -> RefDecision:
    return RefDecision(
        round=len(out.messages),
        source=source,
        target=None if edge is None else edge.target,
        edge=None if edge is None or edge.index < 0 else edge.index,
        reason=reason,
        guards=tuple(guards),
        attempts=tries,
    )


def _step(
    edges: Sequence[Edge],
    messages: Sequence[Message],
    speaker: str,
    conditions: str,
    told: _Inputs,
    retries: int,
) -> tuple[Edge | None, str, list[tuple[int, str, str, bool | None]], int]:
    """One routing step: ``(edge or None, reason, guard results, answers used)``."""
    w = walk(edges, messages, speaker, conditions)
    guards = list(w.guards)
    tries = 0

    def give_up() -> tuple[Edge | None, str, list[Any], int]:
        if w.default is not None:
            return w.default, "fallback: default edge", guards, tries
        return None, "no route", guards, tries

    if w.pending:
        while True:
            verdicts = told.next()
            tries += 1
            if _valid_verdicts(verdicts, len(w.pending)):
                break
            if tries > retries:
                return give_up()
        for e, ok in zip(w.pending, verdicts, strict=True):
            guards.append((e.index, e.target, "on", ok))
        for e, ok in zip(w.pending, verdicts, strict=True):
            if ok:
                return e, "judged", guards, tries
    if w.taken is not None:
        return w.taken, "guard", guards, tries
    if not w.open_edges:
        if w.default is not None:
            return w.default, "default edge", guards, tries
        return None, "no route", guards, tries
    names = list(dict.fromkeys(e.target for e in w.open_edges))
    if len(names) == 1:
        only = "only successor" if len(edges) == 1 else "only candidate"
        return w.open_edges[0], only, guards, tries
    while True:
        choice = told.next()
        tries += 1
        if _valid_choice(choice, names):
            first = next(e for e in w.open_edges if e.target == choice)
            return first, "chosen", guards, tries
        if tries > retries:
            return give_up()


# --------------------------------------------------------------------------
# Which transcripts are runs (for ``verify``)


def next_speakers(spec: Spec, messages: Sequence[Message]) -> set[str] | None:
    """Who may legally speak after ``messages``, whatever a model would answer.

    Returns ``None`` when the chat is over (or the last speaker is unknown:
    nothing can be said), else the set of possible next speakers (empty when
    every answer leads to no route). Rules of ``Routing()``: guards decide.
    """
    speaker = messages[-1].name
    if speaker not in spec.names:
        return None
    if _ended(spec, messages, speaker, spec.max_round):
        return None
    edges = usable_edges(spec, speaker)
    if not edges:
        return None
    w = walk(edges, messages, speaker, "guards")
    possible = {e.target for e in w.pending}
    asks = bool(w.pending)
    if w.taken is not None:
        possible.add(w.taken.target)
    elif w.open_edges:
        targets = {e.target for e in w.open_edges}
        possible |= targets
        asks = asks or len(targets) > 1
    elif w.default is not None:
        possible.add(w.default.target)
    if asks and w.default is not None:  # answers may stay invalid: the fallback
        possible.add(w.default.target)
    return possible


def step_verdicts(
    spec: Spec, messages: Sequence[Message]
) -> Iterator[tuple[bool, bool]]:
    """``(ok, checked)`` per message of a transcript, as ``verify`` should judge it.

    Each step is judged on its own, from what the transcript says happened
    before it. ``checked`` is False when the step depends on conditions a model
    would have judged, or follows an unknown speaker.
    """
    for i, m in enumerate(messages):
        if i == 0:
            yield m.name == spec.start, True
            continue
        if m.name not in spec.names:
            yield False, True
            continue
        before = messages[:i]
        prev = before[-1].name
        if prev not in spec.names:
            yield True, False
            continue
        possible = next_speakers(spec, before)
        if possible is None:
            yield False, True
            continue
        w = walk(usable_edges(spec, prev), before, prev, "guards")
        yield m.name in possible, not w.pending


# --------------------------------------------------------------------------
# The checker's ``never-fires`` and ``open-choice``


def never_fires_and_open_choices(spec: Spec) -> set[tuple[str, int]]:
    """``{(code, edge index)}`` the ``fsmchat check`` table (docs/checking-and-proving.md) promises.

    ``never-fires``: a conditional edge after an unconditional one out of the
    same agent, or one whose ``when`` guard equals an earlier edge's.
    ``open-choice``: unconditional edges to two or more agents out of one
    agent, reported at the edge that brings in the second agent. Edges that
    get a more specific finding are left out: a repeated edge
    (``duplicate-edge``), an edge out of an ``end`` agent (``edge-from-end``),
    a self-loop with ``allow_repeat_speaker: false`` (``ignored-self-loop``).
    """
    found: set[tuple[str, int]] = set()
    seen: set[tuple[Any, ...]] = set()
    repeated: set[int] = set()
    for e in spec.transitions:
        key = (e.source, e.target, e.when, e.on, e.default)
        if key in seen:
            repeated.add(e.index)
        seen.add(key)
    for agent in spec.names:
        if agent in spec.end:
            continue
        edges = [
            e
            for e in usable_edges(spec, agent)
            if not e.default and e.index not in repeated
        ]
        opened = False
        guards_before: list[Any] = []
        targets: list[str] = []
        for e in edges:
            if _is_open(e):
                opened = True
                if e.target not in targets:
                    targets.append(e.target)
                    if len(targets) == 2:
                        found.add(("open-choice", e.index))
            elif opened or (e.when is not None and e.when in guards_before):
                found.add(("never-fires", e.index))
            elif e.when is not None:
                guards_before.append(e.when)
    return found
