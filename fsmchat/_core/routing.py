"""Routing rules as data: how a step walks the spec's ordered edges, and the compiled tables.

Rules
-----
* Edges out of one agent are walked in spec order; order is priority. A ``when``
  guard that holds settles the step; ``on``-only edges met before it are
  judged by a model first (the first that holds wins); an unconditional edge
  opens the set of unconditional successors; a ``default`` edge is the fallback.
  :func:`plan_route` is the one implementation of this walk: the engine, the
  transcript verifier and resume all call it.
* A spec compiles once per routing graph: :func:`compile_spec` builds the
  routing graph's edge tables (and the engine's ``transitions`` Machine, through
  the builder the engine passes) the first time a chat of the spec starts, and
  every later chat of the same spec object shares them. So starting a chat costs
  the same for 5 agents and for 10,000. The cache holds the spec weakly (an
  entry goes when its spec is collected) and builds under a lock, so threads and
  tasks that start chats of one spec at once share one compiled copy.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs

from fsmchat._core.errors import InvalidArgument
from fsmchat._core.guards import Not, calls
from fsmchat._core.spec import Edge, Spec, one_of
from fsmchat._core.state import ChatView, GuardResult
from fsmchat._core.text import did_you_mean, quoted, short_repr

__all__ = [
    "MODES",
    "CompiledSpec",
    "RoutePlan",
    "Routing",
    "Walk",
    "choice_error",
    "compile_spec",
    "compile_step",
    "plan_route",
    "routing_for_mode",
    "static_route",
    "verdicts_error",
]

_GRAPHS = ("spec", "complete")
_CONDITIONS = ("guards", "language", "ignore")


@attrs.frozen(kw_only=True)
class Routing:
    """How a routing step uses the spec (the benchmark's modes).

    Attributes:
        graph: ``"spec"`` — successors are the spec's edges; ``"complete"`` —
            every agent may follow every agent (AutoGen's unconstrained
            ``auto``; the spec's edges are then only a ground truth).
        conditions: ``"guards"`` — deterministic ``when`` guards decide and a
            model judges only ``on``-only edges (fsmchat's default);
            ``"language"`` — ``on`` texts are judged even where a ``when`` guard
            exists; ``"ignore"`` — no condition is enforced, the selector picks
            among all successors.
    """

    graph: str = attrs.field(
        default="spec", validator=lambda i, a, v: one_of(_GRAPHS, i, a, v)
    )
    conditions: str = attrs.field(
        default="guards", validator=lambda i, a, v: one_of(_CONDITIONS, i, a, v)
    )


#: fsmchat's default routing (frozen, so every chat that takes the default shares it).
DEFAULT_ROUTING = Routing()

#: Named routings, as ``fsmchat run --mode`` and ``fsmchat bench --modes`` call them.
MODES = ("fsm", "fsm-nl", "graph", "free")


def routing_for_mode(mode: str) -> Routing:
    """Return the :class:`Routing` of a named mode.

    ``fsm`` — guards decide, a model only judges ``on``-only edges and settles
    open choices (the default); ``fsm-nl`` — a model judges every ``on`` text;
    ``graph`` — a model picks among the spec's successors, conditions ignored;
    ``free`` — a model picks among all agents (AutoGen's unconstrained
    ``auto``; give it the whole history with ``context=None``).

    Raises:
        InvalidArgument: unknown mode (with a "did you mean" hint).
    """
    if mode == "fsm":
        return DEFAULT_ROUTING
    if mode == "fsm-nl":
        return Routing(conditions="language")
    if mode == "graph":
        return Routing(conditions="ignore")
    if mode == "free":
        return Routing(graph="complete", conditions="ignore")
    msg = f"unknown mode {mode!r}{did_you_mean(mode, MODES)} (expected one of {', '.join(MODES)})"
    raise InvalidArgument(msg)


@attrs.frozen(kw_only=True)
class RoutePlan:
    """What the spec alone says about one routing step (a pure result).

    Attributes:
        guards: the deterministic guards evaluated, in edge order.
        decisive: the edge whose ``when`` guard held first (if the walk got there).
        pending: ``on``-only edges before the decisive point: a model must judge
            them; the first that holds wins over everything below.
        open_set: True when the walk reached an unconditional edge.
        open_edges: then, all unconditional edges (several: a selector picks).
        default: the agent's ``default`` edge, if any.
    """

    guards: tuple[GuardResult, ...] = ()
    decisive: Edge | None = None
    pending: tuple[Edge, ...] = ()
    open_set: bool = False
    open_edges: tuple[Edge, ...] = ()
    default: Edge | None = None


def plan_route(edges: Sequence[Edge], view: ChatView, routing: Routing) -> RoutePlan:
    """Walk ``edges`` (out of ``view.speaker``, in order) as a routing step does.

    This is the one implementation of the edge-order rules (:class:`Walk`); the
    engine, the transcript verifier and resume all use it. It evaluates
    deterministic guards (pure) and asks nobody.
    """
    return Walk(edges, routing).plan(view)


def static_route(edges: Sequence[Edge], routing: Routing) -> RoutePlan | None:
    """The plan of a step out of ``edges`` if it does not depend on the chat, else ``None``.

    It does not when the walk meets no guard or condition before it stops (the
    first usable edge is unconditional, or there is none, or the routing ignores
    conditions): then the plan is the same at every round.
    """
    return Walk(edges, routing).static


class Walk:
    """One agent's outgoing edges, compiled for a routing: the routing step's walk.

    Edges are walked in order (order is priority): a ``default`` edge is skipped
    (it is the fallback); a ``when`` guard is evaluated, and the first that holds
    settles the step (in ``language`` mode an edge with an ``on`` text is judged
    instead); an ``on``-only edge is left for a model to judge; an unconditional
    edge opens the set of every unconditional successor and ends the walk. With
    ``graph="complete"`` or ``conditions="ignore"`` every edge is open.

    What does not depend on the chat is worked out once, here: which edges are
    evaluated, the default edge, the open set, the two possible
    :class:`GuardResult` of each guard, and the whole plan when nothing needs
    evaluating (:attr:`static`). A chat keeps one walk per agent.

    The usual if/else of a spec (``when: X`` on one edge, ``when: {not: X}`` on a
    later one) is not evaluated twice: the walk only reaches ``not X`` after ``X``
    was found false, so a guard is pure, ``not X`` holds there (:data:`_HOLDS`).
    """

    __slots__ = ("default", "open_edges", "open_set", "static", "steps")

    def __init__(self, edges: Sequence[Edge], routing: Routing) -> None:
        self.static: RoutePlan | None = None
        self.steps: tuple[tuple[Edge, Any, GuardResult | None, GuardResult | None], ...]
        if routing.graph == "complete" or routing.conditions == "ignore":
            self.steps, self.default = (), None
            self.open_set, self.open_edges = bool(edges), tuple(edges)
            self.static = RoutePlan(open_set=self.open_set, open_edges=self.open_edges)
            return
        language = routing.conditions == "language"
        steps: list[tuple[Edge, Any, GuardResult | None, GuardResult | None]] = []
        self.open_set = False
        for e in edges:
            if e.default:
                continue
            if e.when is not None and not (language and e.on is not None):
                no, yes = (
                    GuardResult(edge=e.index, target=e.target, kind="when", result=r)
                    for r in (False, True)
                )
                steps.append((e, _complement(e.when, steps), no, yes))
            elif e.on is not None:
                steps.append((e, None, None, None))
            else:
                self.open_set = True
                break
        self.steps = tuple(steps)
        self.default = next((e for e in edges if e.default), None)
        self.open_edges = (
            tuple(e for e in edges if e.unconditional) if self.open_set else ()
        )
        if not steps:
            self.static = self.plan_of((), None, ())

    def settle(
        self, view: ChatView
    ) -> tuple[tuple[GuardResult, ...], Edge | None, tuple[Edge, ...]]:
        """Evaluate the guards in order: ``(guards, decisive edge, pending edges)``."""
        guards: list[GuardResult] = []
        pending: list[Edge] = []
        for e, guard, no, yes in self.steps:
            if guard is None:
                pending.append(e)
                continue
            held = True if guard is _HOLDS else guard.evaluate(view)
            if held is True or held is False:  # the usual case: a shared result
                guards.append(yes if held else no)  # type: ignore[arg-type]
            else:  # a guard of the user's that answered another truthy value
                guards.append(
                    GuardResult(edge=e.index, target=e.target, kind="when", result=held)
                )
            if held:
                return tuple(guards), e, tuple(pending)
        return tuple(guards), None, tuple(pending)

    def plan_of(
        self,
        guards: tuple[GuardResult, ...],
        decisive: Edge | None,
        pending: tuple[Edge, ...],
    ) -> RoutePlan:
        """The :class:`RoutePlan` of a walk that ended as :meth:`settle` says."""
        opened = decisive is None and self.open_set
        return RoutePlan(
            guards=guards,
            decisive=decisive,
            pending=pending,
            open_set=opened,
            open_edges=self.open_edges if opened else (),
            default=self.default,
        )

    def plan(self, view: ChatView) -> RoutePlan:
        """The step's plan at ``view`` (see :func:`plan_route`)."""
        if self.static is not None:
            return self.static
        return self.plan_of(*self.settle(view))


#: A step's guard that holds wherever the walk reaches it (see :class:`Walk`).
_HOLDS = object()


def _complement(guard: Any, before: Sequence[tuple[Edge, Any, Any, Any]]) -> Any:
    """``guard``, or :data:`_HOLDS` if it is ``not G`` for a guard ``G`` evaluated before it."""
    if isinstance(guard, Not) and any(
        g is not None and g is not _HOLDS and _same(g, guard.guard)
        for _, g, _, _ in before
    ):
        return _HOLDS
    return guard


def _same(a: Any, b: Any) -> bool:
    """True when guards ``a`` and ``b`` are equal and call the same functions with the same args."""
    if a is b:
        return True
    if a != b:
        return False
    pairs = zip(calls(a), calls(b), strict=False)
    return all(x.func is y.func and x.args == y.args for (_, x), (_, y) in pairs)


#: A static step's single move: the edge, the reason recorded, the candidates.
Move = tuple[Edge, str, tuple[str, ...]]


def compile_step(out: tuple[Edge, ...], routing: Routing) -> tuple[Walk, Move | None]:
    """An agent's routing step, compiled: its walk, and its move if always the same.

    When the step does not depend on the chat (``Walk.static``) and settles
    without a port (the one open successor, or the default edge), the move is
    worked out once: the edge, and the reason and candidates the engine records
    for it (as it would settling the step at each round).
    """
    walk = Walk(out, routing)
    plan = walk.static
    move: Move | None = None
    if plan is None:
        return walk, move
    if plan.open_set:
        targets = tuple(dict.fromkeys(e.target for e in plan.open_edges))
        if len(targets) == 1:
            reason = "only successor" if len(out) == 1 else "only candidate"
            move = (plan.open_edges[0], reason, targets)
    elif out and plan.default is not None:
        move = (plan.default, "default edge", (plan.default.target,))
    return walk, move


@attrs.frozen(kw_only=True)
class CompiledSpec:
    """What every chat of one spec (and routing graph) shares; built once.

    Attributes:
        edges: the routing graph's edges (the spec's, or the complete graph's).
        out: each agent's usable outgoing edges, in priority order.
        triggers: the Machine trigger of each edge, by ``id(edge)``.
        machine: what the engine's builder made of the edges (its Machine).
        walks: per ``Routing.conditions``, each agent's compiled step (its
            :class:`Walk`, ...), filled in by the chats as they meet the agent.
        fire: what fires each edge on the engine's Machine, by ``id(edge)``
            (filled in by the spec's first chat).
    """

    edges: tuple[Edge, ...]
    out: Mapping[str, tuple[Edge, ...]]
    triggers: Mapping[int, str]
    machine: Any
    walks: dict[str, dict[str, Any]] = attrs.field(factory=dict, eq=False)
    fire: dict[int, Any] = attrs.field(factory=dict, eq=False)


_COMPILED: dict[tuple[int, str], CompiledSpec] = {}
_COMPILING = threading.Lock()


def compile_spec(
    spec: Spec,
    graph: str,
    build: Callable[[Spec, tuple[Edge, ...]], Any],
) -> CompiledSpec:
    """Return the compiled tables of ``spec`` for ``graph`` (built on first use).

    ``build(spec, edges)`` makes the state machine over ``edges`` (trigger ``t<i>``
    for ``edges[i]``); it is called once per spec object and graph.
    """
    key = (id(spec), graph)
    found = _COMPILED.get(key)
    if found is not None:
        return found
    with _COMPILING:
        found = _COMPILED.get(key)
        if found is None:
            edges = graph_edges(spec, graph)
            found = CompiledSpec(
                edges=edges,
                out=out_edges(spec, edges),
                triggers={id(e): f"t{i}" for i, e in enumerate(edges)},
                machine=build(spec, edges),
            )
            _COMPILED[key] = found
            weakref.finalize(spec, _COMPILED.pop, key, None)
    return found


def graph_edges(spec: Spec, graph: str) -> tuple[Edge, ...]:
    """The routing graph's edges: the spec's, or every ordered pair of agents."""
    if graph == "spec":
        return spec.transitions
    return tuple(
        Edge(source=a, target=b)
        for a in spec.names
        for b in spec.names
        if a != b or spec.allow_repeat_speaker
    )


def out_edges(spec: Spec, edges: Sequence[Edge]) -> dict[str, tuple[Edge, ...]]:
    """Each agent's usable outgoing edges (self-loops only if repeats are allowed)."""
    out: dict[str, list[Edge]] = {name: [] for name in spec.names}
    repeat = spec.allow_repeat_speaker
    for e in edges:
        if repeat or e.source != e.target:
            out[e.source].append(e)
    return {k: tuple(v) for k, v in out.items()}


# -- validating a port's answer (nothing it says is trusted) ---------------------


def choice_error(value: object, names: Sequence[str]) -> str | None:
    """Why ``value`` is not a legal pick among ``names`` (``None``: it is one)."""
    if not isinstance(value, str):
        return f"expected one agent name, got {short_repr(value)}; answer exactly one of {quoted(names)}"
    if value not in names:
        folded = [n for n in names if n.casefold() == value.strip().casefold()]
        hint = f" (names are exact: did you mean {folded[0]!r}?)" if folded else ""
        return f"{short_repr(value)} is not a legal next speaker{hint}; answer exactly one of {quoted(names)}"
    return None


def verdicts_error(value: object, n: int) -> str | None:
    """Why ``value`` is not ``n`` true/false verdicts (``None``: it is)."""
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        return f"expected {n} true/false verdicts, got {short_repr(value)}"
    if len(value) != n or not all(isinstance(v, bool) for v in value):
        return f"expected exactly {n} true/false verdicts, got {short_repr(value)}"
    return None
