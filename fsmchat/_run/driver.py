"""The driver: the small loop that connects the sans-IO engine to its ports.

``run_chat`` (sync) and ``arun_chat`` (async) do the same thing: ask the engine
what it needs, call the matching port, feed the result back, until the engine
says :class:`~fsmchat.Finished`. They check before the first round that every
port the spec can need is there, so a chat does not fail half-way for a missing
model or human.
"""

from __future__ import annotations

import inspect
import logging
import time
import weakref
from collections.abc import Awaitable, Callable, Coroutine, Generator, Mapping
from typing import Any

from fsmchat._core import fast
from fsmchat._core.engine import UNSET, Engine, Routing, Unset
from fsmchat._core.errors import FsmchatError, InvalidArgument, UserCodeError
from fsmchat._core.events import (
    Answer,
    AskAgent,
    AskHuman,
    Finished,
    Reply,
    Stop,
)
from fsmchat._core.routing import DEFAULT_ROUTING
from fsmchat._core.spec import AgentSpec, Spec
from fsmchat._core.state import Decision, Message
from fsmchat._run.ports import (
    AsyncHuman,
    AsyncResponder,
    AsyncSelector,
    AsyncTurnResponder,
    Human,
    Responder,
    Selector,
    TurnResponder,
)
from fsmchat._run.resolve import resolve_spec
from fsmchat._run.result import ChatResult, UsageCount

__all__ = [
    "FunctionResponder",
    "arun_chat",
    "check_ports",
    "human_prompt",
    "needs_choice",
    "needs_judge",
    "run_chat",
]

EXIT_WORDS = ("exit",)
_LOG = logging.getLogger("fsmchat")


_NO_USAGE = UsageCount()


class FunctionResponder:
    """Replies for a function agent: ``agent.reply(chat, **agent.args)``.

    The callable may return a string, a :class:`~fsmchat.Reply`, or ``None``
    (an empty message).
    """

    def respond(self, request: AskAgent) -> Reply:
        out = self.answer(request)
        if isinstance(out, Reply):
            return out
        return fast.reply(request.agent.name, out, "user")

    def answer(self, request: AskAgent) -> Reply | str:
        """What the function replied: a :class:`~fsmchat.Reply`, or its text (role ``user``)."""
        agent = request.agent
        reply = agent.reply
        if reply is None:
            msg = f"agent {agent.name!r} has no reply function"
            raise InvalidArgument(msg)
        try:
            out = (
                reply(request.chat, **agent.args) if agent.args else reply(request.chat)
            )
        except FsmchatError:
            raise
        except Exception as exc:  # the spec's own code: name it, keep the cause
            what = agent.function or getattr(reply, "__qualname__", "reply")
            msg = f"function agent {agent.name!r} ({what}) raised {type(exc).__name__}: {exc}"
            raise UserCodeError(msg, where=f"agent {agent.name!r}", error=exc) from exc
        if type(out) is str or isinstance(out, Reply):
            return out
        return "" if out is None else str(out)


def needs_judge(spec: Spec, routing: Routing) -> bool:
    """True when some routing step may need natural-language conditions judged."""
    if routing.graph == "complete" or routing.conditions == "ignore":
        return False
    language = routing.conditions == "language"
    return any(
        e.on is not None and (e.when is None or language) for e in spec.transitions
    )


def needs_choice(spec: Spec, routing: Routing) -> bool:
    """True when some routing step may leave several candidates open."""
    if routing.graph == "complete":
        return len(spec.agents) > 1
    for edges in spec.out_edges.values():
        usable = [e for e in edges if spec.allow_repeat_speaker or e.source != e.target]
        if routing.conditions == "ignore":
            targets = {e.target for e in usable}
        else:
            targets = {e.target for e in usable if e.unconditional}
        if len(targets) > 1:
            return True
    return False


def human_prompt(request: AskHuman) -> str:
    """The terminal prompt for a human agent: who answers whom, and how to end."""
    last = request.chat.last
    to = f" to {last.name}" if last is not None else ""
    return f"[{request.agent.name}]{to} ('{EXIT_WORDS[0]}' ends): "


#: What a port may be: the sync form, or (for :func:`arun_chat`) the async one.
AnySelector = Selector | AsyncSelector
AnyResponder = Responder | AsyncResponder | TurnResponder | AsyncTurnResponder
AnyHuman = Human | AsyncHuman


class _Ports:
    """The ports of one chat; each agent's responder is looked up once."""

    __slots__ = ("_for", "function", "human", "llm", "responders", "selector")

    def __init__(
        self,
        selector: AnySelector | None,
        responders: Mapping[str, AnyResponder],
        llm: AnyResponder | None,
        human: AnyHuman | None,
    ) -> None:
        self.selector = selector
        self.responders = responders
        self.llm = llm
        self.human = human
        self.function = FunctionResponder()
        self._for: dict[str, AnyResponder | None] = {}

    def responder_for(self, agent: AgentSpec) -> AnyResponder | None:
        found = self._for.get(agent.name, self)
        if found is self:
            if agent.name in self.responders:
                found = self.responders[agent.name]
            elif agent.kind == "function":
                found = self.function
            else:
                found = self.llm
            self._for[agent.name] = found
        return found  # type: ignore[return-value]


def _check_ports(spec: Spec, routing: Routing, ports: _Ports) -> None:
    for agent in spec.agents:
        if (
            agent.kind == "human"
            and agent.name not in ports.responders
            and ports.human is None
        ):
            msg = (
                f"agent {agent.name!r} is a human agent: pass a human port (human=...)"
            )
            raise InvalidArgument(msg)
        if agent.kind == "llm" and ports.responder_for(agent) is None:
            msg = (
                f"agent {agent.name!r} is an LLM agent and needs a model: pass llm=... "
                f"(CLI: --config OAI_CONFIG_LIST), or give it a responder"
            )
            raise InvalidArgument(msg)
    judge, choice = _needs(spec, routing)
    if judge:
        if ports.selector is None or not getattr(ports.selector, "can_judge", False):
            edge = next(e for e in spec.transitions if e.on is not None)
            msg = (
                f"spec {spec.name!r} has natural-language conditions (e.g. transitions"
                f"[{edge.index}].on: {edge.on!r}) that only a model can judge: pass a "
                f"selector that can judge (CLI: --config OAI_CONFIG_LIST), or give "
                f"those edges deterministic 'when' guards"
            )
            raise InvalidArgument(msg)
    elif choice and ports.selector is None:
        msg = (
            f"spec {spec.name!r} leaves some choices of the next speaker open: "
            f"pass a selector (round_robin, random with a seed, manual, a callable, "
            f"or a model)"
        )
        raise InvalidArgument(msg)


_NEEDS: dict[tuple[int, Routing], tuple[bool, bool]] = {}


def _needs(spec: Spec, routing: Routing) -> tuple[bool, bool]:
    """``(needs_judge, needs_choice)``, worked out once per spec object and routing."""
    key = (id(spec), routing)
    found = _NEEDS.get(key)
    if found is None:
        found = _NEEDS[key] = (needs_judge(spec, routing), needs_choice(spec, routing))
        weakref.finalize(spec, _NEEDS.pop, key, None)
    return found


def check_ports(
    spec: Spec,
    *,
    routing: Routing | None = None,
    selector: AnySelector | None = None,
    llm: AnyResponder | None = None,
    human: AnyHuman | None = None,
    responders: Mapping[str, AnyResponder] | None = None,
) -> None:
    """Check, before any round, that the ports a chat of ``spec`` can need are there.

    :func:`run_chat` does this itself; call it to fail early elsewhere (e.g.
    before replaying a record).

    Raises:
        InvalidArgument: a port is missing, or cannot judge conditions; the
            message says which and what to pass.
    """
    ports = _Ports(selector, responders or {}, llm, human)
    _check_ports(spec, routing or DEFAULT_ROUTING, ports)


class _Run:
    """Shared bookkeeping of one driven chat (callbacks, usage, engine time)."""

    def __init__(
        self,
        engine: Engine,
        on_message: Callable[[Message], object] | None,
        on_decision: Callable[[Decision], object] | None,
        *,
        skip_existing: bool = False,
    ) -> None:
        self.engine = engine
        self.on_message = on_message
        self.on_decision = on_decision
        self.watched = on_message is not None or on_decision is not None
        self.seen_messages = engine.round if skip_existing else 0
        self.seen_decisions = engine.steps if skip_existing else 0
        self.agent_usage: dict[str, UsageCount] = {}
        self.engine_seconds = 0.0
        if self.watched:
            self.flush()

    def feed(self, event: Reply | Answer | Stop) -> None:
        """Feed ``event`` to the engine, timing it, then report what it added.

        (``next_request`` only hands back the pending request: it is not timed.)
        """
        if isinstance(event, Reply) and event.usage is not None:
            prev = self.agent_usage.get(event.agent, UsageCount())
            self.agent_usage[event.agent] = prev.add(event.usage)
        t0 = _clock()
        self.engine.receive(event)
        self.engine_seconds += _clock() - t0
        self.flush(replied=isinstance(event, Reply))

    def say(self, agent: str, text: str) -> None:
        """Feed a function agent's plain-text reply (no :class:`Reply` built), as :meth:`feed`."""
        t0 = _clock()
        self.engine.receive_reply(agent, text, "user")
        self.engine_seconds += _clock() - t0
        if self.watched:
            self.flush(replied=True)

    def flush(self, *, replied: bool = False) -> None:
        """Report new messages and decisions to the callbacks, and log the notable steps.

        A step taken on a reply asks no port, so it has no refused answer to log;
        one that found no route ends the chat, and :meth:`result` flushes then.
        So after a reply, decisions are read only if ``on_decision`` wants them.
        """
        eng = self.engine
        if self.on_message is not None and self.seen_messages < eng.round:
            for message in eng.messages_since(self.seen_messages):
                self.on_message(message)
                self.seen_messages += 1
        if (replied and self.on_decision is None) or self.seen_decisions == eng.steps:
            return
        for decision in eng.trace_since(self.seen_decisions):
            self.seen_decisions += 1
            if decision.attempts or decision.target is None:
                _log_decision(decision)
            if self.on_decision is not None:
                self.on_decision(decision)

    def result(self, finished: Finished) -> ChatResult:
        self.flush()
        trace = self.engine.trace
        routing = _NO_USAGE
        for d in trace:
            for a in d.attempts:
                if a.usage is not None or a.request is not None:
                    routing = routing.add(a.usage)
        return ChatResult(
            spec_name=self.engine.spec.name,
            messages=self.engine.messages,
            trace=trace,
            finished=finished,
            agent_usage=dict(self.agent_usage),
            routing_usage=routing,
            engine_seconds=self.engine_seconds,
        )


_clock = time.perf_counter


def _log_decision(decision: Decision) -> None:
    """Log refused answers (WARNING) and a step that found no route."""
    for attempt in decision.attempts:
        if attempt.error is not None:
            _LOG.warning(
                "round %d, after %s: refused %s answer %r: %s",
                decision.round,
                decision.source,
                decision.kind,
                attempt.raw[:200],
                attempt.error,
            )
    if decision.reason == "no route":
        _LOG.warning("round %d, after %s: no route", decision.round, decision.source)
    elif decision.reason.startswith("fallback"):
        _LOG.warning(
            "round %d, after %s: answers stayed invalid, took the default edge to %s",
            decision.round,
            decision.source,
            decision.target,
        )


def _human_event(request: AskHuman, text: str) -> Reply | Stop:
    if text.strip().lower() in EXIT_WORDS:
        return Stop(reason=f"{request.agent.name} typed exit")
    return Reply(agent=request.agent.name, content=text, role="user")


def _options(
    message: str | Unset | None,
    max_round: int | None,
    max_retries: int | None,
    context: int | Unset | None,
) -> dict[str, Any]:
    opts: dict[str, Any] = {"max_round": max_round, "max_retries": max_retries}
    if message is not UNSET:
        opts["message"] = message
    if context is not UNSET:
        opts["context"] = context
    return opts


#: A port call the chat loop needs made: ``port.method(arg)``, as ``(port, method, arg)``.
_Call = tuple[Any, str, Any]


def _start(
    spec: Spec,
    ports: _Ports,
    routing: Routing | None,
    engine: Engine | None,
    options: dict[str, Any],
    on_message: Callable[[Message], object] | None,
    on_decision: Callable[[Decision], object] | None,
) -> _Run:
    if engine is not None:
        _check_ports(spec, engine.routing, ports)
        return _Run(engine, on_message, on_decision, skip_existing=True)
    routing = routing or DEFAULT_ROUTING
    spec = _bound(spec)  # binds fsmchat.examples, refuses other unbound code
    _check_ports(spec, routing, ports)
    return _Run(Engine(spec, routing=routing, **options), on_message, on_decision)


_BOUND: dict[int, Spec | None] = {}


def _bound(spec: Spec) -> Spec:
    """``resolve_spec(spec)``, once per spec object: its later chats reuse the copy.

    Binding makes a new spec; doing it per chat would also make every chat
    compile its own (see :func:`fsmchat._core.routing.compile_spec`). The copy
    lives as long as ``spec`` does; ``None`` marks a spec that was bound already
    (kept by id, so the table does not keep it alive).
    """
    key = id(spec)
    if key in _BOUND:
        return _BOUND[key] or spec
    found = resolve_spec(spec)
    _BOUND[key] = None if found is spec else found
    weakref.finalize(spec, _BOUND.pop, key, None)
    return found


def _loop(run: _Run, ports: _Ports) -> Generator[_Call, Any, ChatResult]:
    """The chat loop, written once: yields each port call, is sent its result.

    :func:`run_chat` makes the calls directly, :func:`arun_chat` awaits them.
    A function agent is not a port call: its reply is the spec's own code,
    sync, and is fed straight back (its text without building a :class:`Reply`).
    """
    engine = run.engine
    function = ports.function
    while True:
        req = engine.next_request()
        if isinstance(req, AskAgent):
            responder = ports.responder_for(req.agent)
            if responder is function:
                out = function.answer(req)
                if isinstance(out, str):
                    run.say(req.agent.name, out)
                else:
                    run.feed(out)
            else:
                run.feed((yield (responder, "respond", req)))
        elif isinstance(req, Finished):
            return run.result(req)
        elif isinstance(req, AskHuman):
            responder = ports.responders.get(req.agent.name)
            if responder is not None:
                run.feed((yield (responder, "respond", req)))
            else:
                text = yield (ports.human, "input", human_prompt(req))
                run.feed(_human_event(req, text))
        else:
            run.feed((yield (ports.selector, "select", req)))


def run_chat(
    spec: Spec,
    *,
    selector: Selector | None = None,
    llm: Responder | None = None,
    human: Human | None = None,
    responders: Mapping[str, Responder | TurnResponder] | None = None,
    routing: Routing | None = None,
    message: str | Unset | None = UNSET,
    max_round: int | None = None,
    max_retries: int | None = None,
    context: int | Unset | None = UNSET,
    on_message: Callable[[Message], object] | None = None,
    on_decision: Callable[[Decision], object] | None = None,
    engine: Engine | None = None,
) -> ChatResult:
    """Run a chat of ``spec`` to the end and return its :class:`ChatResult`.

    Args:
        spec: the chat's spec.
        selector: a :class:`~fsmchat.Selector` for open choices and
            natural-language conditions.
        llm: a :class:`~fsmchat.Responder` for LLM agents.
        human: a :class:`~fsmchat.Human` port for human agents.
        responders: per-agent responders, overriding the defaults.
        routing: how edges and conditions are used (default: fsmchat's rules).
        message, max_round, max_retries, context: override the spec's values.
        on_message, on_decision: called with each new message / decision,
            before the next port is called (so a record on disk is never
            behind the chat by more than the step in progress).
        engine: continue this engine (e.g. one rebuilt from a record) instead
            of starting a new chat; ``routing``, ``message``, ``max_round``, ...
            are then the engine's, and callbacks see only what is added from
            now on.

    Raises:
        InvalidArgument: a port the spec needs is missing.
        UnallowedCode: the spec names code outside ``fsmchat.examples`` that
            was not bound first (:func:`fsmchat.resolve_spec` with ``allow=``).
        UserCodeError: a function agent or a ``call:`` guard raised.
        EngineError: a port's reply did not fit the chat (e.g. the wrong agent).
        LLMError, HumanError: a port failed.
    """
    ports = _Ports(selector, responders or {}, llm, human)
    opts = _options(message, max_round, max_retries, context)
    loop = _loop(
        _start(spec, ports, routing, engine, opts, on_message, on_decision), ports
    )
    return _now(_drive(loop, _call_sync))


async def arun_chat(
    spec: Spec,
    *,
    selector: AnySelector | None = None,
    llm: AnyResponder | None = None,
    human: AnyHuman | None = None,
    responders: Mapping[str, AnyResponder] | None = None,
    routing: Routing | None = None,
    message: str | Unset | None = UNSET,
    max_round: int | None = None,
    max_retries: int | None = None,
    context: int | Unset | None = UNSET,
    on_message: Callable[[Message], object] | None = None,
    on_decision: Callable[[Decision], object] | None = None,
    engine: Engine | None = None,
) -> ChatResult:
    """The async form of :func:`run_chat`: ``await arun_chat(spec, ...)``.

    Ports with an async method (``aselect``, ``arespond``, ``ainput``) are awaited;
    ports with only the sync method are called directly.
    """
    ports = _Ports(selector, responders or {}, llm, human)
    opts = _options(message, max_round, max_retries, context)
    loop = _loop(
        _start(spec, ports, routing, engine, opts, on_message, on_decision), ports
    )
    return await _drive(loop, _call)


async def _drive(
    loop: Generator[_Call, Any, ChatResult],
    call: Callable[[Any, str, Any], Awaitable[Any]],
) -> ChatResult:
    """The one body of :func:`run_chat` and :func:`arun_chat`: make each port call ``loop`` asks for.

    ``call`` makes it: awaiting the port's async method (:func:`_call`), or
    calling its sync one (:func:`_call_sync`, which never suspends, so
    :func:`run_chat` runs this coroutine to its end in one step).
    """
    try:
        port, method, arg = next(loop)
        while True:
            port, method, arg = loop.send(await call(port, method, arg))
    except StopIteration as done:
        result: ChatResult = done.value
        return result


async def _call_sync(port: Any, method: str, arg: Any) -> Any:
    return getattr(port, method)(arg)


def _now(drive: Coroutine[Any, Any, ChatResult]) -> ChatResult:
    """The result of a coroutine that never suspends (:func:`run_chat`'s ports are sync)."""
    try:
        drive.send(None)
    except StopIteration as done:
        result: ChatResult = done.value
        return result
    drive.close()  # pragma: no cover - only an awaiting port could get here
    msg = "a port awaited something in run_chat: use arun_chat for async ports"
    raise InvalidArgument(msg)  # pragma: no cover


async def _call(port: Any, method: str, arg: Any) -> Any:
    amethod = getattr(port, "a" + method, None)
    if amethod is not None:
        return await amethod(arg)
    out = getattr(port, method)(arg)
    if inspect.isawaitable(out):
        return await out
    return out
