"""Recorded chats: start or continue a chat recorded in a file (``fsmchat run --record``).

:func:`run_recorded` (and :func:`arun_recorded`) open the record (locking it and
cutting a torn last line), write a header for a new chat or check an existing
record against the spec and the options, replay the recorded steps through
the engine (:func:`~fsmchat._record.replay.resume`: no model call, every step
checked), append what the replay produced past the record's end, then drive
the chat on with the live ports, writing each message and decision (fsynced)
before the next port is called.

A human's turn can become a *pause*: :class:`~fsmchat.PausingHuman` answers from given
answers first, then reads its inner human port, or, with ``no_wait``, stops
the chat. The pause is written to the record and the call returns a
:class:`~fsmchat.ChatResult` whose ``finished.reason`` is ``"paused"``; a later
call with the answer continues it, from any process.
"""

from __future__ import annotations

import contextlib
import inspect
import logging
import os
from collections.abc import Callable, Coroutine, Iterable, Iterator, Mapping, Sequence
from typing import Any, ParamSpec

import attrs

from fsmchat._core.engine import UNSET, Engine, Routing
from fsmchat._core.errors import InvalidArgument
from fsmchat._core.events import AskHuman, Choose, Finished, Judge
from fsmchat._core.spec import Spec
from fsmchat._core.state import Decision, Message
from fsmchat._record.format import (
    MessageEntry,
    Record,
    RecordHeader,
    StopEntry,
    stop_reason,
)
from fsmchat._record.ports import (
    PauseRequested,
    PausingHuman,
    Tap,
    TappedResponder,
    TappedSelector,
)
from fsmchat._record.reader import CONFIGURED, KeyChoice, record_key
from fsmchat._record.replay import Resumed, check_header, resume
from fsmchat._record.specfile import digest_of
from fsmchat._record.writer import RecordWriter
from fsmchat._run.driver import arun_chat, check_ports, run_chat
from fsmchat._run.resolve import resolve_spec
from fsmchat._run.result import ChatResult, UsageCount
from fsmchat._run.selectors import RandomSelector, RoundRobinSelector
from fsmchat.adapters._files import load_spec

__all__ = [
    "PAUSED",
    "RecordedRun",
    "arun_recorded",
    "recorded_run",
    "run_recorded",
]

P = ParamSpec("P")

_LOG = logging.getLogger("fsmchat")

#: ``ChatResult.finished.reason`` of a chat that stopped to wait for a person.
PAUSED = "paused"


def _option_conflict(
    record: Record,
    message: str | None,
    max_round: int | None,
    routing: Routing,
    selection: tuple[str, int | None] | None,
) -> str | None:
    """Why the given options cannot continue ``record`` (``None``: they can)."""
    header = record.header
    assert header is not None
    if selection is not None and header.selection not in (None, selection):
        (method, seed), (was, was_seed) = selection, header.selection
        before = was + ("" if was_seed is None else f" --seed {was_seed}")
        now = method + ("" if seed is None else f" --seed {seed}")
        return (
            f"record {record.path} was started with --select {before}, not {now}: "
            f"continue it with the same selection, or start a new record"
        )
    given = {
        "--message": (message, header.message),
        "--max-round": (max_round, header.max_round),
    }
    for option, (value, recorded) in given.items():
        if value is not None and value != recorded:
            return (
                f"record {record.path} was started with {option} {recorded!r}, not "
                f"{value!r}: drop {option} to continue it, or start a new record"
            )
    if header.routing != routing:
        return f"record {record.path} was made with {header.routing!r}, not {routing!r}"
    return None


@attrs.define
class _Session:
    """One opened recorded chat: the locked record, the rebuilt engine, the live ports."""

    spec: Spec
    writer: RecordWriter
    record: Record
    resumed: Resumed
    tap: Tap
    ports: dict[str, Any]
    human: Any
    options: RecordedRun
    warn: Callable[[str], object]

    usage: dict[str, UsageCount] = attrs.Factory(dict)

    def write_message(self, m: Message) -> None:
        used = self.tap.usage.pop(m.name, None)
        self.writer.write_message(m, usage=used)
        if used is not None:
            self.usage[m.name] = self.usage.get(m.name, UsageCount()).add(used)
        if self.options.on_message is not None:
            self.options.on_message(m)

    def write_decision(self, d: Decision) -> None:
        self.writer.write_decision(d, answers=self.tap.take_values(len(d.attempts)))
        if self.options.on_decision is not None:
            self.options.on_decision(d)

    def live(self) -> dict[str, Any]:
        """The keyword arguments of ``run_chat`` / ``arun_chat`` for the live part."""
        return {
            **self.ports,
            "spec": self.spec,
            "engine": self.resumed.engine,
            "on_message": self.write_message,
            "on_decision": self.write_decision,
        }

    def replayed(self) -> ChatResult | None:
        """The chat, when the record holds its end (nothing live to run), else ``None``."""
        done = self.resumed.result
        return None if done is None else self.finish(done, live=False)

    def finish(self, result: ChatResult, *, live: bool) -> ChatResult:
        """Write the end (and a stop) line; return ``result`` with the whole chat's usage."""
        if self.record.end is None:
            stopped = not live and any(
                isinstance(e, StopEntry) for e in self.record.entries
            )
            reason = stop_reason(result.finished)
            if reason is not None and not stopped:
                self.writer.write_stop(reason)
            self.writer.write_end(result.finished)
        self._warn_unused()
        return result if not live else attrs.evolve(result, agent_usage=self.usage)

    def pause(self) -> ChatResult:
        """Write the pause line; return the chat so far, ``finished.reason == "paused"``."""
        engine = self.resumed.engine
        request = engine.next_request()
        if isinstance(request, AskHuman):
            who, kind, what = request.agent.name, "reply", request.agent.name
        elif isinstance(request, Choose | Judge):
            who = request.speaker
            kind = "choose" if isinstance(request, Choose) else "judge"
            what = f"the {'choice of who speaks' if kind == 'choose' else 'verdicts'} after {who}"
        else:  # pragma: no cover - only human prompts pause
            msg = f"cannot pause while the chat waits for {request!r}"
            raise InvalidArgument(msg)
        self.writer.write_pause(agent=who, request=kind, round=engine.round)
        routing = UsageCount()
        for d in engine.trace:
            for a in d.attempts:
                if a.usage is not None or a.request is not None:
                    routing = routing.add(a.usage)
        return ChatResult(
            spec_name=self.spec.name,
            messages=engine.messages,
            trace=engine.trace,
            finished=Finished(
                reason=PAUSED, round=engine.round, detail=f"waiting for {what}"
            ),
            agent_usage=self.usage,
            routing_usage=routing,
        )

    def _warn_unused(self) -> None:
        if isinstance(self.human, PausingHuman) and self.human.answers:
            left = ", ".join(repr(a) for a in self.human.answers)
            self.warn(f"--answer {left} was not used: the chat asked no person for it")


def _recorded_usage(record: Record) -> dict[str, UsageCount]:
    out: dict[str, UsageCount] = {}
    for e in record.entries:
        if isinstance(e, MessageEntry) and e.usage is not None:
            name = e.message.name
            out[name] = out.get(name, UsageCount()).add(e.usage)
    return out


def _responders(given: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return {} if given is None else dict(given)


def _routing(given: Routing | None) -> Routing:
    return Routing() if given is None else given


def _strings(given: Iterable[str]) -> tuple[str, ...]:
    return tuple(given)


@attrs.frozen(kw_only=True)
class RecordedRun:
    """A call of :func:`run_recorded` or :func:`arun_recorded`: its arguments, checked once.

    The fields are the arguments of :func:`run_recorded` (see there).
    """

    spec: Spec | str | os.PathLike[str]
    record: str | os.PathLike[str]
    selector: Any = None
    llm: Any = None
    human: Any = None
    responders: Mapping[str, Any] = attrs.field(factory=dict, converter=_responders)
    routing: Routing = attrs.field(factory=Routing, converter=_routing)
    message: str | None = None
    max_round: int | None = None
    selection: tuple[str, int | None] | None = None
    answers: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    no_wait: bool = False
    force: bool = False
    on_message: Callable[[Message], object] | None = None
    on_decision: Callable[[Decision], object] | None = None
    on_warning: Callable[[str], object] | None = None
    on_resume: Callable[[Record], object] | None = None
    allow: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    key: KeyChoice = CONFIGURED
    accept_v1: bool = False


def _human(opts: RecordedRun) -> Any:
    """The human port: the caller's, wrapped when answers or no_wait are given."""
    if not opts.answers and not opts.no_wait:
        return opts.human
    if isinstance(opts.human, PausingHuman):
        msg = "pass answers= and no_wait= to the PausingHuman, or to run_recorded, not both"
        raise InvalidArgument(msg)
    return PausingHuman(opts.human, answers=opts.answers, no_wait=opts.no_wait)


def _open(opts: RecordedRun) -> _Session:
    """Open, check and replay the record: everything before the live part."""
    # One straight sequence on purpose: each step may refuse the run, and the
    # order (ports, then header, then options, then replay) is what users see.
    spec = opts.spec if isinstance(opts.spec, Spec) else load_spec(opts.spec)
    # Binds fsmchat.examples and the caller's allow= prefixes; other unbound code
    # is refused before anything is written.
    spec = resolve_spec(spec, allow=opts.allow)
    human = _human(opts)
    check_ports(
        spec,
        routing=opts.routing,
        selector=opts.selector,
        llm=opts.llm,
        human=human,
        responders=opts.responders,
    )
    warn: Callable[[str], object] = opts.on_warning or _LOG.warning
    tap = Tap()
    ports = {
        "selector": None
        if opts.selector is None
        else TappedSelector(opts.selector, tap),
        "llm": None if opts.llm is None else TappedResponder(opts.llm, tap),
        "human": human,
        "responders": {k: TappedResponder(v, tap) for k, v in opts.responders.items()},
    }
    key = record_key(opts.key)
    writer = RecordWriter.open(opts.record, key=key, accept_v1=opts.accept_v1)
    try:
        read = writer.record
        if read.torn is not None:
            warn(read.torn.describe(writer.path))
        if read.header is None:
            writer.write_header(_header(spec, opts))
            read = writer.record
        else:
            _check_existing(read, spec, opts, keyed=key is not None, warn=warn)
        advance = (
            opts.selector
            if isinstance(opts.selector, RoundRobinSelector | RandomSelector)
            else None
        )
        resumed = resume(
            spec,
            read,
            on_message=opts.on_message,
            on_decision=opts.on_decision,
            advance=advance,
        )
        session = _Session(
            spec=spec,
            writer=writer,
            record=read,
            resumed=resumed,
            tap=tap,
            ports=ports,
            human=human,
            options=opts,
            warn=warn,
            usage=_recorded_usage(read),
        )
        if read.entries and opts.on_resume is not None:
            opts.on_resume(read)
        for item in resumed.tail:
            if isinstance(item, Message):
                session.write_message(item)
            else:
                session.write_decision(item)
    except BaseException:
        writer.close()
        raise
    return session


def _header(spec: Spec, opts: RecordedRun) -> RecordHeader:
    """The header of a new record: the spec, and the engine the options build."""
    engine = Engine(
        spec,
        routing=opts.routing,
        max_round=opts.max_round,
        message=UNSET if opts.message is None else opts.message,
    )
    return RecordHeader.for_engine(
        engine,
        spec_path=spec.source,
        spec_hash=digest_of(spec),
        selection=opts.selection,
    )


def _check_existing(
    read: Record,
    spec: Spec,
    opts: RecordedRun,
    *,
    keyed: bool,
    warn: Callable[[str], object],
) -> None:
    """Check a record that holds a chat against the spec and the options."""
    unverified = read.unverified_warning()
    if unverified is not None:
        warn(unverified)
    if keyed and read.verified and not read.keyed:
        warn(
            f"record {read.path} has no MAC although a record key is "
            f"configured: continuing it without one (start a new record to "
            f"get one)"
        )
    for warning in check_header(read, spec, digest_of(spec), force=opts.force):
        warn(warning)
    conflict = _option_conflict(
        read, opts.message, opts.max_round, opts.routing, opts.selection
    )
    if conflict is not None:
        raise InvalidArgument(conflict)


def recorded_run(
    spec: Spec | str | os.PathLike[str],
    *,
    record: str | os.PathLike[str],
    selector: Any = None,
    llm: Any = None,
    human: Any = None,
    responders: Mapping[str, Any] | None = None,
    routing: Routing | None = None,
    message: str | None = None,
    max_round: int | None = None,
    selection: tuple[str, int | None] | None = None,
    answers: Sequence[str] = (),
    no_wait: bool = False,
    force: bool = False,
    on_message: Callable[[Message], object] | None = None,
    on_decision: Callable[[Decision], object] | None = None,
    on_warning: Callable[[str], object] | None = None,
    on_resume: Callable[[Record], object] | None = None,
    allow: Iterable[str] = (),
    key: KeyChoice = CONFIGURED,
    accept_v1: bool = False,
) -> RecordedRun:
    """The arguments of :func:`run_recorded` and :func:`arun_recorded`, as one value."""
    # Long for its signature: the one list of run_recorded's (and
    # arun_recorded's) arguments, so the two forms cannot drift apart.
    return RecordedRun(
        spec=spec,
        record=record,
        selector=selector,
        llm=llm,
        human=human,
        responders=responders,
        routing=routing,
        message=message,
        max_round=max_round,
        selection=selection,
        answers=answers,
        no_wait=no_wait,
        force=force,
        on_message=on_message,
        on_decision=on_decision,
        on_warning=on_warning,
        on_resume=on_resume,
        allow=allow,
        key=key,
        accept_v1=accept_v1,
    )


@contextlib.contextmanager
def _opened(run: RecordedRun) -> Iterator[_Session]:
    session = _open(run)
    try:
        yield session
    finally:
        session.writer.close()


def _public(run: Callable[..., Any], collect: Callable[..., RecordedRun]) -> None:
    """Show ``collect``'s parameters as ``run``'s (``help()``, IDEs, Sphinx)."""
    run.__qualname__ = run.__name__
    run.__signature__ = inspect.signature(collect).replace(  # type: ignore[attr-defined]
        return_annotation=ChatResult
    )


def _sync_form(collect: Callable[P, RecordedRun]) -> Callable[P, ChatResult]:
    # Long only for the docstring of the public run_recorded, which lives here.
    def run_recorded(*args: P.args, **kwargs: P.kwargs) -> ChatResult:
        """Start, or continue, the chat recorded in the file ``record``.

        A missing or empty file starts a new chat: a header (spec path and digest,
        routing, options, ``selection``) is written, then every message and routing
        decision, each fsynced before the next port is called. A file holding a chat
        is checked against ``spec`` (its digest; ``force`` lets a changed spec
        through, still checking every step) and the options, a torn last line is
        cut, the recorded steps are replayed through the engine with no port call
        (``on_message`` / ``on_decision`` see them too), and the chat goes on with
        the live ports. A finished record is replayed and left unchanged. The file
        is what ``fsmchat run --record`` writes and ``fsmchat replay`` reads.

        Args:
            spec: a :class:`~fsmchat.Spec` or the path of a spec file.
            record: the record file (created if missing).
            selector, llm, human, responders, routing: the ports, as for
                :func:`~fsmchat.run_chat`.
            message, max_round: override the spec's; must equal the record's
                when continuing (``None``: the record's).
            selection: how open choices are settled without a model, e.g.
                ``("random", 7)`` or ``("round_robin", None)``: kept in the header,
                and a different one is refused when continuing.
            answers: answers to the next human prompts (a paused chat's answer).
            no_wait: when a person must answer and ``answers`` ran out, write a
                pause and return instead of asking ``human``.
            force: continue even if the spec changed since the record was written.
            on_warning: called with each warning (torn line cut, old format,
                ``force`` used, answers left unused); default: logged as warnings
                on the ``fsmchat`` logger.
            on_resume: called with the record read from disk when it held steps,
                after they were replayed.
            allow: module prefixes whose ``function:``/``call:`` code the spec may
                run, besides ``fsmchat.examples`` (as ``fsmchat run --allow``).
            key: the record key (default: ``FSMCHAT_RECORD_KEY`` or the key file,
                see :mod:`fsmchat._record.keys`); a new record written with one is
                keyed, a keyed record needs it. ``None``: no key.
            accept_v1: continue a ``fsmchat.record/1`` record (no hash chain)
                instead of refusing it.

        Returns:
            The whole chat (recorded and live part), usage included. When a
            human's turn became a pause, ``finished.reason`` is ``"paused"``
            (:data:`PAUSED`) and ``finished.detail`` says who is waited for.

        Raises:
            RecordError: the record is malformed, tampered with, in use by another
                process, not a record, or does not fit the spec (naming the line).
            InvalidArgument: a port is missing, or the options differ from the
                record's.
            FsmchatError: a port failed; the record keeps every finished step.
        """
        with _opened(collect(*args, **kwargs)) as session:
            try:
                return session.replayed() or session.finish(
                    run_chat(**session.live()), live=True
                )
            except PauseRequested:
                return session.pause()

    _public(run_recorded, collect)
    return run_recorded


def _async_form(
    collect: Callable[P, RecordedRun],
) -> Callable[P, Coroutine[Any, Any, ChatResult]]:
    async def arun_recorded(*args: P.args, **kwargs: P.kwargs) -> ChatResult:
        """The async form of :func:`run_recorded`: ``await arun_recorded(spec, record=...)``.

        The live part runs through :func:`~fsmchat.arun_chat` (async ports are
        awaited); opening, checking and replaying the record do not wait on ports.
        """
        with _opened(collect(*args, **kwargs)) as session:
            try:
                return session.replayed() or session.finish(
                    await arun_chat(**session.live()), live=True
                )
            except PauseRequested:
                return session.pause()

    _public(arun_recorded, collect)
    return arun_recorded


# One parameter list (recorded_run's), two drivers: the sync and the async form.
run_recorded = _sync_form(recorded_run)
arun_recorded = _async_form(recorded_run)
