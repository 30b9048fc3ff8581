"""The sans-IO chat engine: one chat of a compiled spec, no IO.

Rules
-----
* The chat's state is the agent who holds the floor. The Machine (from the
  ``transitions`` library, ``auto_transitions=False``) has one state per agent and
  one trigger per edge of the routing graph, built once per spec and shared by
  its chats (:func:`fsmchat._core.routing.compile_spec`). It is the second line
  of defence: even if the engine's own checks had a bug, the Machine refuses a
  trigger that is not an edge out of the current state.
* Legal successors come from the spec table, never from a model. A routing step
  walks the current agent's edges in order (see :mod:`fsmchat._core.routing`):
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

from transitions import Machine, MachineError

from fsmchat._core import asking, fast
from fsmchat._core.asking import Step
from fsmchat._core.errors import EngineError, InvalidArgument, NoRoute, UserCodeError
from fsmchat._core.events import (
    Answer,
    AskAgent,
    AskHuman,
    Choose,
    Event,
    Finished,
    Judge,
    Reply,
    Request,
    Stop,
)
from fsmchat._core.guards import LAST, MATCHERS
from fsmchat._core.routing import (
    DEFAULT_ROUTING,
    MODES,
    CompiledSpec,
    Move,
    RoutePlan,
    Routing,
    Walk,
    choice_error,
    compile_spec,
    compile_step,
    plan_route,
    routing_for_mode,
    verdicts_error,
)
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
    "UNSET",
    "Engine",
    "Phase",
    "RoutePlan",
    "Routing",
    "Unset",
    "build_machine",
    "plan_route",
    "routing_for_mode",
]


class Unset(enum.Enum):
    """The type of :data:`UNSET`: "not given, use the spec's value" (``None`` means none)."""

    UNSET = "UNSET"


#: An option left to the spec (e.g. ``message=UNSET``: the spec's first message).
UNSET = Unset.UNSET


class Phase(enum.Enum):
    """Where the engine is: running a chat, done, or stopped by an error."""

    RUNNING = "RUNNING"
    FINISHED = "FINISHED"
    ERROR = "ERROR"


class _Model:
    """The object the Machine drives for one chat; it only holds ``state``.

    It is never added to the shared Machine (``Machine.add_model`` would keep
    every finished chat alive): firing ``machine.events[t].trigger(model)`` only
    needs the model's ``state`` attribute.
    """

    __slots__ = ("state",)

    def __init__(self, state: str) -> None:
        self.state = state


def build_machine(spec: Spec, edges: tuple[Edge, ...]) -> Machine:
    """The spec's Machine: one state per agent, trigger ``t<i>`` for ``edges[i]``.

    It has no model, so it binds no ``<trigger>()`` / ``is_<state>()`` methods
    anywhere (binding them cost ~1.8 s for 50,000 edges); chats fire edges with
    ``machine.events[t].trigger(model)``, and it refuses a trigger that is not an
    edge out of the model's state.
    """
    return Machine(
        model=None,
        states=list(spec.names),
        transitions=[
            {"trigger": f"t{i}", "source": e.source, "dest": e.target}
            for i, e in enumerate(edges)
        ],
        initial=spec.start,
        auto_transitions=False,
        ignore_invalid_triggers=False,
    )


def _triggers(compiled: CompiledSpec) -> dict[int, Any]:
    """Each edge's bound ``trigger`` of the spec's Machine, by ``id(edge)`` (made once per spec)."""
    fire = compiled.fire
    if len(fire) < len(
        compiled.triggers
    ):  # the spec's first chat (a race only repeats it)
        events = compiled.machine.events
        fire.update((key, events[t].trigger) for key, t in compiled.triggers.items())
    return fire


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
        message: str | Unset | None = UNSET,
        max_retries: int | None = None,
        context: int | Unset | None = UNSET,
        max_round: int | None = None,
    ) -> None:
        self.spec = spec
        self.routing = routing or DEFAULT_ROUTING
        self.max_retries = (
            spec.selection.max_retries if max_retries is None else max_retries
        )
        self.context = spec.selection.context if context is UNSET else context
        self.max_round = spec.max_round if max_round is None else max_round
        if self.max_retries < 0 or self.max_round < 1:
            msg = f"max_retries={self.max_retries!r} must be >= 0 and max_round={self.max_round!r} >= 1"
            raise InvalidArgument(msg)
        self._messages: list[Message] = []
        self._view_messages = _Messages(self._messages)
        self._trace: list[Decision] = []
        self._phase = Phase.RUNNING
        self._error: BaseException | None = None
        self._step: Step | None = None
        start = spec.start
        assert start is not None  # Spec guarantees a start
        # Tables and Machine are the spec's, built by its first chat and shared;
        # this chat only brings its own model (the Machine keeps no reference).
        compiled = compile_spec(spec, self.routing.graph, build_machine)
        self._out = compiled.out
        self._machine: Machine = compiled.machine
        self._fire = _triggers(compiled)
        self._walks = compiled.walks.setdefault(self.routing.conditions, {})
        self._by_name = spec.by_name
        self._terminate_when = end = spec.terminate_when
        self._end_test = (
            end.test if isinstance(end, MATCHERS) and end.of == LAST else None
        )
        self._end = spec.end
        self._model = _Model(start)
        self._asks: dict[str, AskAgent | AskHuman] = {}
        first = spec.message if message is UNSET else message
        self._pending: Request = self._ask(start)
        if first is not None:
            self.receive_reply(start, first, "user")

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

    @property
    def steps(self) -> int:
        """Routing steps (decisions) so far."""
        return len(self._trace)

    def messages_since(self, start: int) -> tuple[Message, ...]:
        """The messages from index ``start`` on (cheap: copies only those)."""
        return tuple(self._messages[start:])

    def trace_since(self, start: int) -> tuple[Decision, ...]:
        """The decisions from index ``start`` on (cheap: copies only those)."""
        return tuple(self._trace[start:])

    def next_request(self) -> Request:
        """What the chat needs next (one request object per agent and chat, its view live).

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
        if self._phase is not _RUNNING:
            self._refuse(event)
        try:
            self._dispatch(event)
        except Exception as exc:
            raise self._failure(exc, type(event).__name__)  # noqa: B904 - chained inside

    def receive_reply(self, agent: str, content: str, role: str = "assistant") -> None:
        """Feed the asked agent's message: ``receive(Reply(agent=..., content=..., role=...))``.

        The same step without building the :class:`Reply` (the driver's path
        for function agents, whose replies are plain text).

        Raises:
            EngineError: as :meth:`receive`.
        """
        message = fast.message(agent, content, role)
        if self._phase is not _RUNNING:
            self._refuse(fast.reply(agent, content, role))
        try:
            self._reply(message)
        except Exception as exc:
            raise self._failure(exc, "Reply")  # noqa: B904 - chained inside

    def _failure(self, exc: Exception, what: str) -> Exception:
        """Put the engine in ERROR; the error to raise (``exc``, or an EngineError from it)."""
        self._phase = Phase.ERROR
        self._error = exc
        if isinstance(exc, EngineError | UserCodeError):
            return exc
        msg = f"{type(exc).__name__} while handling {what}: {exc}"
        error = EngineError(msg)
        error.__cause__ = exc  # as ``raise ... from exc``
        return error

    def _refuse(self, event: Event) -> None:
        """Raise: the engine is in ERROR or the chat is finished."""
        if self._phase is Phase.ERROR:
            msg = (
                f"the engine stopped after an error and accepts nothing: {self._error}"
            )
            raise EngineError(msg)
        msg = (
            f"the chat is finished ({self._pending}) and accepts nothing, got {event!r}"
        )
        raise EngineError(msg)

    def __repr__(self) -> str:
        return (
            f"<Engine {self.spec.name!r} agent={self.speaker!r} "
            f"round={self.round} phase={self._phase.name}>"
        )

    # -- events ------------------------------------------------------------

    def _dispatch(self, event: Event) -> None:
        pending = self._pending
        if isinstance(event, Reply):
            self._reply(fast.message_of(event))
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

    def _reply(self, message: Message) -> None:
        """The asked agent's message: append it, then end the chat or route."""
        asked = self._pending
        if not isinstance(asked, _ASKS):
            msg = f"got a reply from {message.name!r} while waiting for {_what(asked)}"
            raise EngineError(msg)
        if message.name != asked.agent.name:
            msg = f"got a reply from {message.name!r} but {asked.agent.name!r} has the floor"
            raise EngineError(msg)
        messages = self._messages
        messages.append(message)
        # Termination first (in this order), then the routing step. The
        # request's view is live and its speaker is the Machine's state.
        view = asked.chat
        end, test = self._terminate_when, self._end_test
        if test is not None:  # a matcher of the last message: give it the text
            ended = test(message.content)
        else:
            ended = end is not None and end.evaluate(view)
        if ended:
            assert end is not None
            self._finish("terminate_when", end.describe())
        elif len(messages) >= self.max_round:
            self._finish("max_round", f"max_round={self.max_round}")
        elif view.speaker in self._end:
            self._finish("end agent", view.speaker)
        else:  # the routing step (inline: it runs every round)
            source = view.speaker
            known = self._walks.get(source) or self._compile_step(source)
            walk, move = known
            if move is not None:  # the same single successor at every round
                self._go(source, move[0], move[1], move[2], ())
                return
            if walk.static is not None:
                plan = walk.static
            else:
                guards, decisive, pending = walk.settle(view)
                if decisive is not None and not pending:
                    # A guard settled it: the step's record needs no scratch state.
                    self._go(source, decisive, "guard", (decisive.target,), guards)
                    return
                plan = walk.plan_of(guards, decisive, pending)
            self._route_step(source, plan)

    def _compile_step(self, source: str) -> tuple[Walk, Move | None]:
        """``source``'s step compiled for this routing (once per spec and agent)."""
        known = self._walks[source] = compile_step(self._out[source], self.routing)
        return known

    # -- a round -----------------------------------------------------------

    def _route_step(self, source: str, plan: RoutePlan) -> None:
        """A step that may ask a port, end the chat or fall back: kept in a :class:`~fsmchat._core.asking.Step`."""
        out = self._out[source]
        step = Step(source, plan)
        self._step = step
        if not out:
            self._record_end(step, "no successor")
            self._finish("no successor", source)
        elif plan.pending:
            step.kind = "judge"
            self._ask_judge(step)
        else:
            self._settle(step)

    def _settle(self, step: Step) -> None:
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

    def _settle_open(self, step: Step) -> None:
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

    def _ask_choose(self, step: Step, problem: str | None = None) -> None:
        round = len(self._messages)
        by_name, context = self.spec.by_name, self._context()
        self._pending = asking.choose(step, by_name, context, round, problem)

    def _ask_judge(self, step: Step, problem: str | None = None) -> None:
        round = len(self._messages)
        by_name, context = self.spec.by_name, self._context()
        self._pending = asking.judge(step, by_name, context, round, problem)

    def _on_choice(self, request: Choose, answer: Answer) -> None:
        names, step = request.names, self._current_step()
        value, error = asking.answered(step, answer, lambda v: choice_error(v, names))
        if error is None:
            assert isinstance(value, str)
            edge = next(e for e in step.open_edges if e.target == value)
            self._move(step, edge, "chosen")
        elif len(step.attempts) > self.max_retries:
            self._fallback(step)
        else:
            self._ask_choose(step, error)

    def _on_verdicts(self, request: Judge, answer: Answer) -> None:
        n, step = len(request.conditions), self._current_step()
        value, error = asking.answered(step, answer, lambda v: verdicts_error(v, n))
        if error is not None:
            if len(step.attempts) > self.max_retries:
                self._fallback(step)
            else:
                self._ask_judge(step, error)
            return
        assert isinstance(value, Sequence)
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

    def _fallback(self, step: Step) -> None:
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

    def _current_step(self) -> Step:
        if self._step is None:  # pragma: no cover - guarded by _dispatch
            msg = "no routing step in progress"
            raise EngineError(msg)
        return self._step

    def _move(self, step: Step, edge: Edge, reason: str) -> None:
        candidates = step.candidates or (edge.target,)
        guards, attempts = tuple(step.guards), tuple(step.attempts)
        self._go(step.source, edge, reason, candidates, guards, step.kind, attempts)

    def _go(
        self,
        source: str,
        edge: Edge,
        reason: str,
        candidates: tuple[str, ...],
        guards: tuple[GuardResult, ...],
        kind: str | None = None,
        attempts: tuple[Attempt, ...] = (),
    ) -> None:
        """Fire ``edge`` through the Machine, record the step, ask its target."""
        try:
            self._fire[id(edge)](self._model)
        except MachineError as exc:  # pragma: no cover - the second line of defence
            msg = f"the state machine refused edge {edge.source!r} -> {edge.target!r}"
            raise EngineError(msg) from exc
        self._trace.append(
            fast.decision(
                len(self._messages),
                source,
                candidates,
                guards,
                kind,
                attempts,
                None if edge.index < 0 else edge.index,
                edge.target,
                reason,
            )
        )
        self._step = None
        self._pending = self._asks.get(edge.target) or self._ask(edge.target)

    def _record_end(self, step: Step, reason: str) -> None:
        """Record a step that ends the chat without a move (no successor, no route)."""
        self._trace.append(
            Decision(
                round=len(self._messages),
                source=step.source,
                candidates=step.candidates,
                guards=tuple(step.guards),
                kind=step.kind,
                attempts=tuple(step.attempts),
                reason=reason,
            )
        )
        self._step = None

    def _no_route(self, step: Step, why: str) -> None:
        error = NoRoute(
            f"no route out of {step.source!r} at round {len(self._messages)}: {why}",
            agent=step.source,
            round=len(self._messages),
            evaluated=step.guards,
        )
        self._record_end(step, "no route")
        self._finish("no route", str(error), error)

    def _finish(self, reason: str, detail: str, error: NoRoute | None = None) -> None:
        self._phase = Phase.FINISHED
        self._step = None
        self._pending = Finished(
            reason=reason, round=len(self._messages), detail=detail, error=error
        )

    def _ask(self, name: str) -> AskAgent | AskHuman:
        # One request per agent and chat: its view is live, so it serves every turn.
        asked = self._asks.get(name)
        if asked is None:
            agent = self._by_name[name]
            ask = AskHuman if agent.kind == "human" else AskAgent
            view = ChatView(self._view_messages, name)
            asked = self._asks[name] = fast.ask(ask, agent, view)
        return asked


_ASKS = (AskAgent, AskHuman)
_RUNNING = Phase.RUNNING


def _what(request: Request) -> str:
    if isinstance(request, AskAgent | AskHuman):
        return f"a reply from {request.agent.name!r}"
    if isinstance(request, Choose):
        return "a choice of the next speaker"
    if isinstance(request, Judge):
        return "verdicts on the conditions"
    return "nothing (the chat is finished)"
