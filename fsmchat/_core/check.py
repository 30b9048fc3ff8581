"""The spec checker: problems a spec can build with but should not ship with.

The builder (:func:`fsmchat.parse_spec`) already rejects what cannot run —
schema errors, YAML errors, unknown or duplicate agents, malformed code
references — all at once, with locations. Nothing a spec names is imported. :func:`check_spec` looks at the
*graph* of a spec that built, and :func:`check_text` (and :func:`fsmchat.adapters._files.check_paths`, for files)
combine both passes, so ``fsmchat check`` reports every problem of a file.

Rules (each problem has a stable code; ``E`` = error, ``W`` = warning)
---------------------------------------------------------------------
The rules of edge order are those of :func:`fsmchat._core.routing.plan_route`: edges
out of an agent are walked in file order, the first conditional edge that holds
wins, the first unconditional edge stops the walk (all unconditional edges form
the open set), ``default`` edges are skipped by the walk and are the fallback.
With ``allow_repeat_speaker: false`` the engine drops self-loops before walking.

* ``never-fires`` (E): a conditional edge after an unconditional edge out of the
  same agent (the walk never gets there), or an edge whose ``when`` guard equals
  that of an earlier edge out of the same agent (the earlier one wins whenever
  the guard holds).
* ``unused-default`` (W): a default edge that no step can take, because the
  walk always reaches a single unconditional successor first (and no
  natural-language condition before it could leave the step undecided).
* ``duplicate-edge`` (W): the same ``from``/``to``/``when``/``on``/``default``
  written twice.
* ``open-choice`` (W): two or more unconditional edges to different agents out
  of one agent: nothing in the spec tells them apart, so a selector must.
* ``reads-nothing`` (W): a guard's ``of: NAME`` names an agent who cannot have
  spoken when the edge is tried (no edge path from the start through NAME to
  the edge's source): the guard always reads an empty text.
* ``condition-names-other-agent`` (W): an ``on`` text names (as a whole word,
  case-sensitive, backticks allowed) an agent that is neither the edge's
  source nor its target — seed 003's copy-paste slip.
* ``ignored-self-loop`` (W): a self-loop while ``allow_repeat_speaker`` is false.
* ``edge-from-end`` (W): an edge out of an ``end`` agent (the chat ends first).
* ``unreachable`` (W): an agent no edge that can fire leads to from ``start``.
* ``dead-end`` (W): an agent with no usable outgoing edge that is not in
  ``end``: the chat stops with "no successor" after it speaks.
* ``unallowed-code`` (W): a ``function:`` or ``call:`` reference outside the
  allow-list (``fsmchat.examples`` plus ``allow``): ``fsmchat run`` refuses the
  spec unless the person running it allows that module, so a reviewer sees
  every piece of code a spec would run.
* ``trap`` (W): a reachable agent from which the chat cannot end before
  ``max_round``. An agent *can end the chat* when it is in ``end``, is a dead
  end, or is a human agent (a person can always type ``exit``). With
  ``terminate_when`` any agent's message may end the chat (we cannot know
  what a model or a function will say), so no agent is a trap. Otherwise an
  agent is a trap when no agent that can end the chat is reachable from it
  over edges that can fire. One warning per *entry* into the trapped region
  (the start agent, or an agent entered from outside the region).

Every check is linear in the size of the spec (agents + edges + text of the
``on`` conditions), so a spec of 10,000 agents and 50,000 edges checks in a
fraction of a second.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable

import attrs

from fsmchat._core.build import parse_spec
from fsmchat._core.errors import Problem, SpecError
from fsmchat._core.graph import (
    dead_edges,
    edge_name,
    live_out_edges,
    reachable_from_start,
    walk_edges,
)
from fsmchat._core.guards import FIRST, LAST, reads
from fsmchat._core.source import PathKey
from fsmchat._core.spec import Edge, Spec, problem_at
from fsmchat._core.trust import allow_list, unallowed_problems

__all__ = [
    "SPEC_SUFFIXES",
    "check_spec",
    "check_text",
]

#: File suffixes ``fsmchat check DIR`` picks up inside directories.
SPEC_SUFFIXES = (".yaml", ".yml", ".json")

_WORD = re.compile(r"\w+")


def check_spec(spec: Spec, *, allow: Iterable[str] = ()) -> list[Problem]:
    """Check the graph of a built ``spec`` (see the module docstring for the rules).

    ``allow`` adds module prefixes to the allow-list of code references (the
    same as ``fsmchat run --allow``).

    Returns:
        The problems found, sorted by location (line, column) then code; empty
        when the spec is clean. Never raises for a spec that built.

    Raises:
        InvalidArgument: a prefix in ``allow`` is not a dotted module name.
    """
    prefixes = allow_list(allow)
    out = _Out(spec)
    dead = dead_edges(spec)
    for index, (code, why) in sorted(dead.items()):
        field = {"edge-from-end": "from", "ignored-self-loop": "to"}.get(code)
        key: PathKey = (
            ("transitions", index, field) if field else ("transitions", index)
        )
        out.add(key, why, code, "error" if code == "never-fires" else "warning")
    _check_open_choices(spec, dead, out)
    _check_condition_names(spec, out)
    live = live_out_edges(spec, dead=dead)
    _check_graph(spec, live, out)
    _check_guard_reads(spec, live, out)
    out.problems.extend(unallowed_problems(spec, prefixes, severity="warning"))
    return out.sorted()


@attrs.define
class _Out:
    spec: Spec
    problems: list[Problem] = attrs.Factory(list)

    def add(self, key: PathKey, message: str, code: str, severity: str) -> None:
        self.problems.append(problem_at(self.spec, key, message, code, severity))

    def sorted(self) -> list[Problem]:
        return sorted(self.problems, key=lambda p: (p.line, p.column, p.code))


def _check_open_choices(
    spec: Spec, dead: dict[int, tuple[str, str]], out: _Out
) -> None:
    for agent in spec.names:
        if agent in spec.end:
            continue
        opened = False
        targets: list[str] = []
        second: Edge | None = None
        for e in walk_edges(spec, agent):
            if e.index in dead or e.default:
                continue
            if e.unconditional:
                opened = True
                if e.target not in targets:
                    targets.append(e.target)
                    if len(targets) == 2:
                        second = e
            elif opened:
                break
        if second is not None:
            names = ", ".join(repr(t) for t in targets)
            out.add(
                ("transitions", second.index),
                f"agent {agent!r} has unconditional edges to {len(targets)} agents "
                f"({names}): nothing in the spec tells them apart, so a selector "
                f"(a model, round_robin, manual, ...) must choose each time; add "
                f"'when' guards or 'on' conditions if the spec should decide",
                "open-choice",
                "warning",
            )


def _check_condition_names(spec: Spec, out: _Out) -> None:
    finder = _NameFinder(spec.names)
    for e in spec.transitions:
        if not e.on:
            continue
        named = finder.find(e.on)
        others = [n for n in named if n not in (e.source, e.target)]
        if not others:
            continue
        hint = ""
        if e.target not in named and e.source != e.target:
            hint = f"; did the text mean {e.target!r}?"
        listed = ", ".join(repr(n) for n in others)
        out.add(
            ("transitions", e.index, "on"),
            f"the condition of {edge_name(e)} names {listed}, which is neither "
            f"its source nor its target{hint}",
            "condition-names-other-agent",
            "warning",
        )


def _check_graph(spec: Spec, live: dict[str, tuple[Edge, ...]], out: _Out) -> None:
    index = {a.name: i for i, a in enumerate(spec.agents)}
    ends = set(spec.end)
    reach = reachable_from_start(spec, live)
    for agent in spec.names:
        if agent not in reach:
            out.add(
                ("agents", index[agent], "name"),
                f"agent {agent!r} is unreachable from the start agent "
                f"{spec.start!r}: no edge that can fire leads to it",
                "unreachable",
                "warning",
            )
    dead_ends = {a for a in spec.names if a not in ends and not walk_edges(spec, a)}
    for agent in spec.names:
        if agent in dead_ends:
            out.add(
                ("agents", index[agent], "name"),
                f"agent {agent!r} has no outgoing edge and is not in 'end': the "
                f"chat stops with 'no successor' after it speaks; add an edge out "
                f"of it, or list it in 'end' if that is intended",
                "dead-end",
                "warning",
            )
    if spec.terminate_when is not None:
        return
    enders = ends | dead_ends | {a.name for a in spec.agents if a.kind == "human"}
    can_end = _can_reach(enders, live)
    trapped = {a for a in reach if a not in can_end}
    entries = {e.target for a in reach if a not in trapped for e in live[a]}
    if spec.start is not None:
        entries.add(spec.start)
    for agent in spec.names:
        if agent not in trapped or agent not in entries:
            continue
        out.add(
            ("agents", index[agent], "name"),
            f"once the chat reaches {agent!r} it cannot end before "
            f"max_round={spec.max_round}: from there no end agent, dead end or "
            f"human agent can be reached and there is no terminate_when; add an "
            f"end agent or a terminate_when guard",
            "trap",
            "warning",
        )


def _check_guard_reads(
    spec: Spec, live: dict[str, tuple[Edge, ...]], out: _Out
) -> None:
    """``reads-nothing``: a guard reads the message of an agent who cannot have spoken.

    A matcher with ``of: NAME`` on an edge out of ``A`` reads NAME's last message.
    When no path of edges that can fire goes from the start through NAME to ``A``,
    NAME has never spoken when the edge is tried: the guard always reads ``""``.
    (Reachability ignores guards, so the warning is never wrong, only sometimes
    silent.)
    """
    reach = reachable_from_start(spec, live)
    before: dict[str, set[str]] = {}
    for e in spec.transitions:
        for m in reads(e.when):
            if m.of in (FIRST, LAST) or m.of == e.source or m.of not in spec.by_name:
                continue
            if e.source not in before:
                before[e.source] = _can_reach({e.source}, live) & set(reach)
            if m.of in before[e.source]:
                continue
            out.add(
                ("transitions", e.index, "when"),
                f"the guard of transitions[{e.index}] ({m.describe()}) reads the last "
                f"message of {m.of!r}, who cannot have spoken when {e.source!r} has "
                f"(no edge path from the start through {m.of!r} to {e.source!r}): it "
                f"always reads an empty text",
                "reads-nothing",
                "warning",
            )


def _can_reach(targets: set[str], live: dict[str, tuple[Edge, ...]]) -> set[str]:
    """Agents from which some agent of ``targets`` is reachable (reverse BFS)."""
    incoming: dict[str, list[str]] = {a: [] for a in live}
    for edges in live.values():
        for e in edges:
            incoming[e.target].append(e.source)
    seen = set(targets)
    queue = deque(targets)
    while queue:
        a = queue.popleft()
        for b in incoming.get(a, ()):
            if b not in seen:
                seen.add(b)
                queue.append(b)
    return seen


# --------------------------------------------------------------------------
# Text and files


def check_text(
    text: str, *, path: str = "<spec>", allow: Iterable[str] = ()
) -> list[Problem]:
    """Build the spec in ``text`` and check it: every problem of the file.

    Returns:
        The builder's problems (errors) and, when the parts without problems
        still make a spec, the problems of :func:`check_spec` on it; else the
        problems of :func:`check_spec`. Problems without a location are put
        at line 1, column 1, and messages are made one line, so every
        diagnostic reads ``path:line:col: severity: message [code]``.
    """
    try:
        spec = parse_spec(text, path=path)
    except SpecError as exc:
        problems = list(exc.problems)
        if isinstance(exc.partial, Spec):
            # The parts that built have a graph to check too: all at once.
            seen = {(p.line, p.column, p.code) for p in problems}
            problems += [
                p
                for p in check_spec(exc.partial, allow=allow)
                if (p.line, p.column, p.code) not in seen
            ]
            problems.sort(key=lambda p: (p.line, p.column, p.code))
    else:
        problems = check_spec(spec, allow=allow)
    return [_one_line(p) for p in problems]


def _one_line(p: Problem) -> Problem:
    """Give ``p`` a location and a one-line message (a diagnostic per line)."""
    message = " ".join(p.message.split())
    if p.line and message == p.message:
        return p
    return attrs.evolve(
        p, message=message, line=p.line or 1, column=p.column if p.line else 1
    )


# --------------------------------------------------------------------------
# Helpers


class _NameFinder:
    """Finds agent names in text as whole words, in linear time.

    A name that is one word (``\\w+``) is found by set lookup of the text's
    words; longer names are indexed by their first word and checked in place;
    names that do not start with a word character get a boundary-aware regex
    each (there are rarely any). So a text is scanned once whatever the
    number of agents.
    """

    def __init__(self, names: Iterable[str]) -> None:
        self.simple: set[str] = set()
        self.by_first: dict[str, list[str]] = {}
        self.odd: list[tuple[str, re.Pattern[str]]] = []
        for name in names:
            m = _WORD.match(name)
            if m and m.end() == len(name):
                self.simple.add(name)
            elif m:
                self.by_first.setdefault(m.group(), []).append(name)
            elif name:
                pattern = re.compile(rf"(?<!\w){re.escape(name)}(?!\w)")
                self.odd.append((name, pattern))

    def find(self, text: str) -> list[str]:
        """Agent names in ``text`` (whole words, case-sensitive), in order of appearance."""
        words = _WORD.findall(text)
        found = dict.fromkeys(w for w in words if w in self.simple)
        if self.by_first and not self.by_first.keys().isdisjoint(words):
            for m in _WORD.finditer(text):
                for name in self.by_first.get(m.group(), ()):
                    end = m.start() + len(name)
                    if text.startswith(name, m.start()) and (
                        end == len(text)
                        or not _is_word(text[end])
                        or not _is_word(name[-1])
                    ):
                        found.setdefault(name)
        for name, pattern in self.odd:
            if pattern.search(text):
                found.setdefault(name)
        return list(found)


def _is_word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"
