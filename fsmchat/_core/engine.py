"""The sans-IO chat engine: one spec, one ``transitions`` Machine, no IO.

Rules
-----
* The chat's state is the agent who holds the floor. The Machine (from the
  ``transitions`` library, ``auto_transitions=False``) has one state per agent and
  one trigger per edge of the routing graph, built in one shot from the spec
  table. It is the second line of defence: even if the engine's own checks had
  a bug, the Machine refuses a trigger that is not an edge out of the current
  state.
* Legal successors come from the spec table, never from a model. A routing step
  walks the current agent's edges in order (see :mod:`fsmchat._core.spec`):
  deterministic guards are evaluated here, as pure functions of the chat;
  natural-language conditions are sent out as one :class:`Judge` request;
  several open edges are sent out as one :class:`Choose` request.
* Exactly one candidate left: the engine moves without asking anyone.
* Nothing a port answers is trusted. A name that is not exactly a candidate, or
  verdicts of the wrong shape, are refused, recorded, and re-asked with the
  reason, up to ``max_retries`` times; then the agent's ``default`` edge is
  taken, or the chat ends with :class:`NoRoute`. No answer ever becomes a
  transition that is not an edge, and nobody is ever picked silently.

Theory of operation
-------------------
The caller loops: ``request = engine.next_request()``; do what it says (ask an
agent, a human, a selector); ``engine.receive(event)``; until the request is
:class:`Finished`. An event that does not answer the pending request raises
:class:`EngineError` and leaves the engine in ``Phase.ERROR``, where every
further call raises, citing the first error (h11's sticky error state).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import Any

import attrs
from transitions import Machine, MachineError

from fsmchat._core.errors import EngineError, InvalidArgument, NoRoute, UserCodeError
from fsmchat._core.events import (
    Answer,
    AskAgent,
    AskHuman,
    Candidate,
    Choose,
    Condition,
    Event,
    Finished,
    Judge,
    Reply,
    Request,
    Stop,
)
from fsmchat._core.prompts import answer_problem
from fsmchat._core.spec import Edge, Spec
from fsmchat._core.state import (
    Attempt,
    ChatView,
    Decision,
    GuardResult,
    Message,
    _Messages,
)

__all__ = [
    "MODES",
    "Engine",
    "Phase",
    "RoutePlan",
    "Routing",
    "plan_route",
    "routing_for_mode",
]

_UNSET: Any = object()


class Phase(enum.Enum):
    """Where the engine is: running a chat, done, or stopped by an error."""

    RUNNING = "RUNNING"
    FINISHED = "FINISHED"
    ERROR = "ERROR"


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

    graph: str = attrs.field(default="spec", validator=attrs.validators.in_(_GRAPHS))
    conditions: str = attrs.field(
        default="guards", validator=attrs.validators.in_(_CONDITIONS)
    )


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
        return Routing()
    if mode == "fsm-nl":
        return Routing(conditions="language")
    if mode == "graph":
        return Routing(conditions="ignore")
    if mode == "free":
        return Routing(graph="complete", conditions="ignore")
    import difflib

    close = difflib.get_close_matches(mode, MODES, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    msg = f"unknown mode {mode!r}{hint} (expected one of {', '.join(MODES)})"
    raise InvalidArgument(msg)


class _Model:
    """The object the Machine drives; it only holds ``state``."""

    state: str


class _Machine(Machine):
    """``transitions.Machine`` without the conveniences it binds onto the model.

    We fire edges through ``machine.events[trigger].trigger(model)`` and never
    use the ``<trigger>()``, ``may_<trigger>()`` or ``is_<state>()`` methods the
    Machine would attach to the model; binding them costs about 1.8 s for a spec
    of 50,000 edges. Overriding these two hooks skips only that binding: states,
    events and the refusal of a trigger that is not an edge are unchanged.
    """

    def _add_trigger_to_model(self, trigger: str, model: object) -> None:
        return None

    def _add_model_to_state(self, state: object, model: object) -> None:
        return None


@attrs.define
class _Step:
    """Scratch state of the routing step in progress."""

    source: str
    guards: list[GuardResult]
    candidates: tuple[str, ...] = ()
    open_edges: tuple[Edge, ...] = ()
    pending: tuple[Edge, ...] = ()
    decisive: Edge | None = None
    open_set: bool = False
    default: Edge | None = None
    kind: str | None = None
    attempts: list[Attempt] = attrs.Factory(list)


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

    This is the one implementation of the edge-order rules; the engine, the
    transcript verifier and resume all call it. It evaluates deterministic
    guards (pure) and asks nobody.
    """
    if routing.graph == "complete" or routing.conditions == "ignore":
        return RoutePlan(open_set=bool(edges), open_edges=tuple(edges))
    language = routing.conditions == "language"
    guards: list[GuardResult] = []
    pending: list[Edge] = []
    decisive = None
    open_set = False
    for e in edges:
        if e.default:
            continue
        if e.when is not None and not (language and e.on is not None):
            held = e.when.evaluate(view)
            guards.append(
                GuardResult(edge=e.index, target=e.target, kind="when", result=held)
            )
            if held:
                decisive = e
                break
        elif e.on is not None:
            pending.append(e)
        else:
            open_set = True
            break
    return RoutePlan(
        guards=tuple(guards),
        decisive=decisive,
        pending=tuple(pending),
        open_set=open_set,
        open_edges=tuple(e for e in edges if e.unconditional) if open_set else (),
        default=next((e for e in edges if e.default), None),
    )


class Engine:
    """Runs one chat of ``spec``; see the module docstring for the rules.

    Args:
        spec: the chat's spec.
        routing: how the spec's edges and conditions are used.
        message: the first message (overrides ``spec.message``; ``None``
            means the start agent is asked for it).
        max_retries: refused answers re-asked per step (default: the spec's).
        context: messages carried by decision requests (default: the
            spec's; ``None`` = all).
        max_round: overrides ``spec.max_round``.

    Raises:
        InvalidArgument: an option is out of range.
    """

    def __init__(
        self,
        spec: Spec,
        *,
        routing: Routing | None = None,
        message: str | None = _UNSET,
        max_retries: int | None = None,
        context: int | None = _UNSET,
        max_round: int | None = None,
    ) -> None:
        self.spec = spec
        self.routing = routing or Routing()
        self.max_retries = (
            spec.selection.max_retries if max_retries is None else max_retries
        )
        self.context = spec.selection.context if context is _UNSET else context
        self.max_round = spec.max_round if max_round is None else max_round
        if self.max_retries < 0 or self.max_round < 1:
            msg = f"max_retries={self.max_retries!r} must be >= 0 and max_round={self.max_round!r} >= 1"
            raise InvalidArgument(msg)
        self._messages: list[Message] = []
        self._view_messages = _Messages(self._messages)
        self._trace: list[Decision] = []
        self._phase = Phase.RUNNING
        self._error: BaseException | None = None
        self._step: _Step | None = None
        self._edges = self._graph_edges()
        self._out = self._out_edges()
        self._model = _Model()
        start = spec.start
        assert start is not None  # Spec guarantees a start
        self._machine = _Machine(
            model=self._model,
            states=list(spec.names),
            transitions=[
                {"trigger": f"t{i}", "source": e.source, "dest": e.target}
                for i, e in enumerate(self._edges)
            ],
            initial=start,
            auto_transitions=False,
            ignore_invalid_triggers=False,
        )
        self._triggers = {id(e): f"t{i}" for i, e in enumerate(self._edges)}
        first = spec.message if message is _UNSET else message
        if first is None:
            self._pending: Request = self._ask(start)
        else:
            self._pending = self._ask(start)
            self.receive(Reply(agent=start, content=first, role="user"))

    # -- public surface ----------------------------------------------------

    @property
    def phase(self) -> Phase:
        """RUNNING, FINISHED or ERROR."""
        return self._phase

    @property
    def speaker(self) -> str:
        """The agent holding the floor (the Machine's state)."""
        return self._model.state

    @property
    def messages(self) -> tuple[Message, ...]:
        """The transcript so far."""
        return tuple(self._messages)

    @property
    def trace(self) -> tuple[Decision, ...]:
        """Every routing step so far, as :class:`Decision` records."""
        return tuple(self._trace)

    @property
    def round(self) -> int:
        """Messages so far."""
        return len(self._messages)

    def next_request(self) -> Request:
        """Return what the chat needs next (the same object until it is answered).

        Raises:
            EngineError: the engine is in ERROR.
        """
        if self._phase is Phase.ERROR:
            msg = (
                f"the engine stopped after an error and accepts nothing: {self._error}"
            )
            raise EngineError(msg)
        return self._pending

    def receive(self, event: Event) -> None:
        """Feed the answer to the pending request.

        Raises:
            EngineError: the event does not answer the pending request, the chat
                is finished, or a guard raised. Except for a finished chat, the
                engine is then in ERROR.
        """
        if self._phase is Phase.ERROR:
            msg = (
                f"the engine stopped after an error and accepts nothing: {self._error}"
            )
            raise EngineError(msg)
        if self._phase is Phase.FINISHED:
            msg = f"the chat is finished ({self._pending}) and accepts nothing, got {event!r}"
            raise EngineError(msg)
        try:
            self._dispatch(event)
        except (EngineError, UserCodeError) as exc:
            self._fail(exc)
            raise
        except Exception as exc:
            self._fail(exc)
            msg = f"{type(exc).__name__} while handling {type(event).__name__}: {exc}"
            raise EngineError(msg) from exc

    def __repr__(self) -> str:
        return (
            f"<Engine {self.spec.name!r} agent={self.speaker!r} "
            f"round={self.round} phase={self._phase.name}>"
        )

    # -- events ------------------------------------------------------------

    def _fail(self, exc: BaseException) -> None:
        self._phase = Phase.ERROR
        self._error = exc

    def _dispatch(self, event: Event) -> None:
        pending = self._pending
        if isinstance(event, Reply):
            if not isinstance(pending, AskAgent | AskHuman):
                msg = f"got a reply from {event.agent!r} while waiting for {_what(pending)}"
                raise EngineError(msg)
            if event.agent != pending.agent.name:
                msg = f"got a reply from {event.agent!r} but {pending.agent.name!r} has the floor"
                raise EngineError(msg)
            self._messages.append(
                Message(
                    name=event.agent,
                    content=event.content,
                    role=event.role,
                    tool_calls=event.tool_calls,
                    tool_call_id=event.tool_call_id,
                )
            )
            self._after_message()
        elif isinstance(event, Answer):
            if isinstance(pending, Choose):
                self._on_choice(pending, event)
            elif isinstance(pending, Judge):
                self._on_verdicts(pending, event)
            else:
                msg = f"got a decision answer while waiting for {_what(pending)}"
                raise EngineError(msg)
        elif isinstance(event, Stop):
            self._finish("stopped", event.reason)
        else:
            msg = f"expected Reply, Answer or Stop, got {event!r}"
            raise EngineError(msg)

    # -- a round -----------------------------------------------------------

    def _view(self) -> ChatView:
        return ChatView(self._view_messages, self._model.state)

    def _after_message(self) -> None:
        view = self._view()
        spec = self.spec
        if spec.terminate_when is not None and spec.terminate_when.evaluate(view):
            self._finish("terminate_when", spec.terminate_when.describe())
        elif len(self._messages) >= self.max_round:
            self._finish("max_round", f"max_round={self.max_round}")
        elif view.speaker in spec.end:
            self._finish("end agent", view.speaker)
        else:
            self._route(view)

    def _route(self, view: ChatView) -> None:
        source = view.speaker
        out = self._out[source]
        plan = plan_route(out, view, self.routing)
        step = _Step(
            source=source,
            guards=list(plan.guards),
            decisive=plan.decisive,
            open_set=plan.open_set,
            open_edges=plan.open_edges,
            pending=plan.pending,
            default=plan.default,
        )
        self._step = step
        if not out:
            self._record(step, None, "no successor")
            self._finish("no successor", source)
        elif plan.pending:
            step.kind = "judge"
            self._ask_judge(step)
        else:
            self._settle(step)

    def _settle(self, step: _Step) -> None:
        """No condition left to judge: take the decisive edge, the open set or the default."""
        if step.decisive is not None:
            self._move(step, step.decisive, "guard")
        elif step.open_set:
            self._settle_open(step)
        elif step.default is not None:
            self._move(step, step.default, "default edge")
        else:
            self._no_route(
                step, "no edge's condition holds and there is no default edge"
            )

    def _settle_open(self, step: _Step) -> None:
        names: list[str] = []
        for e in step.open_edges:
            if e.target not in names:
                names.append(e.target)
        step.candidates = tuple(names)
        if len(names) == 1:
            reason = (
                "only successor"
                if len(self._out[step.source]) == 1
                else "only candidate"
            )
            self._move(step, step.open_edges[0], reason)
            return
        step.kind = "choose"
        self._ask_choose(step)

    # -- asking and validating ---------------------------------------------

    def _context(self) -> tuple[Message, ...]:
        if self.context is None:
            return tuple(self._messages)
        if self.context == 0:
            return ()
        return tuple(self._messages[-self.context :])

    def _ask_choose(self, step: _Step, problem: str | None = None) -> None:
        by_name = self.spec.by_name
        conditions: dict[str, str] = {}
        for e in step.open_edges:
            if e.on is not None and e.target not in conditions:
                conditions[e.target] = e.on
        self._pending = Choose(
            speaker=step.source,
            candidates=tuple(
                Candidate(
                    name=n,
                    description=by_name[n].description,
                    condition=conditions.get(n),
                )
                for n in step.candidates
            ),
            context=self._context(),
            attempt=len(step.attempts) + 1,
            problem=problem,
            round=len(self._messages),
        )

    def _ask_judge(self, step: _Step, problem: str | None = None) -> None:
        by_name = self.spec.by_name
        step.candidates = tuple(dict.fromkeys(e.target for e in step.pending))
        self._pending = Judge(
            speaker=step.source,
            conditions=tuple(
                Condition(
                    target=e.target,
                    text=e.on or "",
                    description=by_name[e.target].description,
                )
                for e in step.pending
            ),
            context=self._context(),
            attempt=len(step.attempts) + 1,
            problem=problem,
            round=len(self._messages),
        )

    def _on_choice(self, request: Choose, answer: Answer) -> None:
        step = self._current_step()
        value = answer.value
        names = request.names
        error = answer_problem(answer.raw)  # an oversized answer is refused unread
        if error is not None:
            value = None
        elif not isinstance(value, str):
            error = f"expected one agent name, got {_short(value)}; answer exactly one of {_quoted(names)}"
        elif value not in names:
            folded = [n for n in names if n.casefold() == value.strip().casefold()]
            hint = f" (names are exact: did you mean {folded[0]!r}?)" if folded else ""
            error = f"{_short(value)} is not a legal next speaker{hint}; answer exactly one of {_quoted(names)}"
        step.attempts.append(_attempt(answer, error))
        if error is None:
            assert isinstance(value, str)
            edge = next(e for e in step.open_edges if e.target == value)
            self._move(step, edge, "chosen")
        elif len(step.attempts) > self.max_retries:
            self._fallback(step)
        else:
            self._ask_choose(step, error)

    def _on_verdicts(self, request: Judge, answer: Answer) -> None:
        step = self._current_step()
        value = answer.value
        n = len(request.conditions)
        error = answer_problem(answer.raw)  # an oversized answer is refused unread
        if error is not None:
            value = None
        elif isinstance(value, str | bytes) or not isinstance(value, Sequence):
            error = f"expected {n} true/false verdicts, got {_short(value)}"
        elif len(value) != n or not all(isinstance(v, bool) for v in value):
            error = f"expected exactly {n} true/false verdicts, got {_short(value)}"
        step.attempts.append(_attempt(answer, error))
        if error is not None:
            if len(step.attempts) > self.max_retries:
                self._fallback(step)
            else:
                self._ask_judge(step, error)
            return
        assert value is not None
        assert not isinstance(value, str)
        verdicts = list(value)
        for e, held in zip(step.pending, verdicts, strict=True):
            step.guards.append(
                GuardResult(edge=e.index, target=e.target, kind="on", result=held)
            )
        chosen = next(
            (e for e, held in zip(step.pending, verdicts, strict=True) if held), None
        )
        if chosen is not None:
            self._move(step, chosen, "judged")
        else:
            self._settle(step)

    def _fallback(self, step: _Step) -> None:
        if step.default is None:
            step.default = next((e for e in self._out[step.source] if e.default), None)
        if step.default is not None:
            self._move(step, step.default, "fallback: default edge")
        else:
            tries = len(step.attempts)
            self._no_route(
                step, f"no valid answer after {tries} attempt(s) and no default edge"
            )

    # -- moving and finishing ----------------------------------------------

    def _current_step(self) -> _Step:
        if self._step is None:  # pragma: no cover - guarded by _dispatch
            msg = "no routing step in progress"
            raise EngineError(msg)
        return self._step

    def _move(self, step: _Step, edge: Edge, reason: str) -> None:
        trigger = self._triggers[id(edge)]
        try:
            self._machine.events[trigger].trigger(self._model)
        except MachineError as exc:  # pragma: no cover - the second line of defence
            msg = f"the state machine refused edge {edge.source!r} -> {edge.target!r}"
            raise EngineError(msg) from exc
        self._record(step, edge, reason)
        self._pending = self._ask(edge.target)

    def _record(self, step: _Step, edge: Edge | None, reason: str) -> None:
        candidates = step.candidates or ((edge.target,) if edge is not None else ())
        self._trace.append(
            Decision(
                round=len(self._messages),
                source=step.source,
                candidates=candidates,
                guards=tuple(step.guards),
                kind=step.kind,
                attempts=tuple(step.attempts),
                edge=None if edge is None or edge.index < 0 else edge.index,
                target=None if edge is None else edge.target,
                reason=reason,
            )
        )
        self._step = None

    def _no_route(self, step: _Step, why: str) -> None:
        error = NoRoute(
            f"no route out of {step.source!r} at round {len(self._messages)}: {why}",
            agent=step.source,
            round=len(self._messages),
            evaluated=step.guards,
        )
        self._record(step, None, "no route")
        self._finish("no route", str(error), error)

    def _finish(self, reason: str, detail: str, error: NoRoute | None = None) -> None:
        self._phase = Phase.FINISHED
        self._step = None
        self._pending = Finished(
            reason=reason, round=len(self._messages), detail=detail, error=error
        )

    def _ask(self, name: str) -> AskAgent | AskHuman:
        agent = self.spec.by_name[name]
        view = ChatView(self._view_messages, name)
        if agent.kind == "human":
            return AskHuman(agent=agent, chat=view)
        return AskAgent(agent=agent, chat=view)

    # -- the routing graph ---------------------------------------------------

    def _graph_edges(self) -> tuple[Edge, ...]:
        spec = self.spec
        if self.routing.graph == "spec":
            return spec.transitions
        return tuple(
            Edge(source=a, target=b)
            for a in spec.names
            for b in spec.names
            if a != b or spec.allow_repeat_speaker
        )

    def _out_edges(self) -> dict[str, tuple[Edge, ...]]:
        out: dict[str, list[Edge]] = {name: [] for name in self.spec.names}
        repeat = self.spec.allow_repeat_speaker
        for e in self._edges:
            if repeat or e.source != e.target:
                out[e.source].append(e)
        return {k: tuple(v) for k, v in out.items()}


def _attempt(answer: Answer, error: str | None) -> Attempt:
    raw = (
        answer.raw
        if answer.raw
        else ("" if answer.value is None else str(answer.value))
    )
    return Attempt(
        raw=raw,
        error=error,
        usage=answer.usage,
        latency=answer.latency,
        request=answer.request,
    )


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _quoted(names: Sequence[str]) -> str:
    return ", ".join(repr(n) for n in names)


def _what(request: Request) -> str:
    if isinstance(request, AskAgent | AskHuman):
        return f"a reply from {request.agent.name!r}"
    if isinstance(request, Choose):
        return "a choice of the next speaker"
    if isinstance(request, Judge):
        return "verdicts on the conditions"
    return "nothing (the chat is finished)"
