"""Resume and replay: a recorded chat driven again through the real engine.

:class:`Cassette` is a selector and a responder answering from a record;
:func:`resume` builds an :class:`~fsmchat.Engine` from the record's header and
drives it with the cassette through :func:`fsmchat.run_chat`. The engine
re-evaluates every guard and re-validates every answer, and each message and
decision it produces must be equal to the recorded line, so a record that does
not fit the spec (edited, or written by another spec) fails at the first line
that does not fit, with the line number, the round and why. What the engine
produces past the end of the record (the routing step after a last message
whose decision line was lost) is handed back as ``tail`` for the caller to
append. :func:`replay_record` is ``fsmchat replay``: a record file in, the
replayed chat out, with no model call and no agent code.
"""

from __future__ import annotations

import json
import logging
import os
import warnings
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import attrs

from fsmchat._core.engine import Engine, Routing
from fsmchat._core.errors import EngineError, InvalidArgument, RecordError
from fsmchat._core.events import (
    Answer,
    AskAgent,
    AskHuman,
    Choose,
    Finished,
    Judge,
    Reply,
    Request,
    Stop,
)
from fsmchat._core.spec import Spec
from fsmchat._core.state import Decision, Message
from fsmchat._record.chat import read_chat
from fsmchat._record.format import (
    DecisionEntry,
    EndEntry,
    Entry,
    MessageEntry,
    PauseEntry,
    Record,
    StopEntry,
    decode_value,
    normal,
)
from fsmchat._record.reader import CONFIGURED, KeyChoice
from fsmchat._record.specfile import digest_of, find_spec
from fsmchat._run.driver import run_chat
from fsmchat._run.result import ChatResult

__all__ = [
    "Cassette",
    "Resumed",
    "check_header",
    "replay_record",
    "resume",
    "resume_engine",
]


class _EndOfRecord(Exception):
    """The cassette has nothing left for ``request``."""

    def __init__(self, request: Request) -> None:
        self.request = request
        super().__init__("end of record")


def _short(text: str, n: int = 40) -> str:
    return repr(text if len(text) <= n else text[: n - 3] + "...")


def _what(entry: Entry | None) -> str:
    if entry is None:
        return "nothing more"
    if isinstance(entry, MessageEntry):
        m = entry.message
        return f"a message from {m.name!r} ({_short(m.content)})"
    if isinstance(entry, DecisionEntry):
        d = entry.decision
        return f"a routing decision {d.source!r} -> {d.target!r} ({d.reason})"
    if isinstance(entry, PauseEntry):
        return f"a pause waiting for {entry.agent!r}"
    if isinstance(entry, StopEntry):
        return f"a stop ({entry.reason})"
    return f"the end of the chat ({entry.reason})"


def _differences(expected: Mapping[str, Any], got: Mapping[str, Any]) -> str:
    keys = [
        k
        for k in (*expected, *(k for k in got if k not in expected))
        if expected.get(k) != got.get(k)
    ]
    parts = [
        f"{k}: recorded {json.dumps(expected.get(k))[:120]}, spec gives {json.dumps(got.get(k))[:120]}"
        for k in keys
    ]
    return "; ".join(parts)


class Cassette:
    """The replay ports: a selector and a responder answering from a record.

    Pass it as ``selector=`` and as every agent's responder, and its
    :meth:`on_message` / :meth:`on_decision` as the driver's callbacks: each
    request is answered from the next recorded line, and each message and
    decision the engine produces is checked against the record. Nothing else is
    ever called, so a replay makes no model call and runs no agent code.

    Raises (from its methods):
        RecordError: the engine asks for something the record does not have
            at that point (the line number and the round say where).
    """

    can_judge = True

    def __init__(self, record: Record, spec: Spec) -> None:
        self.record = record
        self.spec = spec
        self._entries = record.entries
        self._pos = 0
        self.tail: list[Message | Decision] = []
        self.answered = 0

    # -- position --------------------------------------------------------

    @property
    def exhausted(self) -> bool:
        """True when every recorded line was consumed."""
        return self._pos >= len(self._entries)

    def _peek(self) -> Entry | None:
        return self._entries[self._pos] if self._pos < len(self._entries) else None

    def _line(self) -> int:
        entry = self._peek()
        if entry is not None:
            return entry.line
        return self.record.lines + 1

    def _diverge(self, round: int, why: str, line: int | None = None) -> RecordError:
        line = self._line() if line is None else line
        path = self.record.path
        msg = (
            f"record {path}: line {line} does not fit spec {self.spec.name!r} at round "
            f"{round}: {why}. The record was written by another spec or edited; replay "
            f"it with the spec it was recorded with (--spec), or start a new record"
        )
        return RecordError(msg, path=path, line=line)

    def _skip_pause(self, agent: str, kind: str, round: int) -> None:
        """Consume the pause lines of this wait (one per run that paused here)."""
        while isinstance(entry := self._peek(), PauseEntry):
            if entry.agent != agent or entry.request != kind or entry.round != round:
                why = (
                    f"the record pauses for {entry.agent!r} ({entry.request}), but the "
                    f"chat waits for {agent!r} ({kind})"
                )
                raise self._diverge(round, why)
            self._pos += 1

    # -- ports -----------------------------------------------------------

    def respond(self, request: AskAgent | AskHuman) -> Reply | Stop:
        """Answer an agent (or human) request with the next recorded message."""
        name = request.agent.name
        round = request.chat.round + 1
        if isinstance(request, AskHuman):
            self._skip_pause(name, "reply", request.chat.round)
        entry = self._peek()
        if entry is None:
            raise _EndOfRecord(request)
        if isinstance(entry, StopEntry):
            self._pos += 1
            self.answered += 1
            return Stop(reason=entry.reason)
        if not isinstance(entry, MessageEntry) or entry.message.name != name:
            after = request.chat.last
            prev = (
                f" after {after.name!r} said {_short(after.content)}" if after else ""
            )
            why = f"the spec gives the floor to {name!r}{prev}, but the record has {_what(entry)}"
            raise self._diverge(round, why)
        m = entry.message
        self.answered += 1
        return Reply(
            agent=m.name,
            content=m.content,
            role=m.role,
            tool_calls=m.tool_calls,
            tool_call_id=m.tool_call_id,
            usage=entry.usage,
        )

    def select(self, request: Choose | Judge) -> Answer:
        """Answer a decision request with the next recorded answer of this step."""
        kind = "choose" if isinstance(request, Choose) else "judge"
        if request.attempt == 1:
            self._skip_pause(request.speaker, kind, request.round)
        entry = self._peek()
        if entry is None:
            raise _EndOfRecord(request)
        d = entry.decision if isinstance(entry, DecisionEntry) else None
        if (
            not isinstance(entry, DecisionEntry)
            or d is None
            or d.kind != kind
            or d.source != request.speaker
        ):
            what = (
                "the choice of the next speaker"
                if kind == "choose"
                else "verdicts on natural-language conditions"
            )
            why = f"the spec asks for {what} after {request.speaker!r}, but the record has {_what(entry)}"
            if d is not None:
                why += f" settled by {d.kind or 'the spec alone'}"
            raise self._diverge(request.round, why)
        k = request.attempt - 1
        if k >= len(entry.answers):
            why = (
                f"the engine refused answer {k} ({request.problem}) and asks again, "
                f"but the record has only {len(entry.answers)} answer(s) for this step"
            )
            raise self._diverge(request.round, why)
        attempt = d.attempts[k]
        self.answered += 1
        return Answer(
            value=decode_value(entry.answers[k]),
            raw=attempt.raw,
            usage=attempt.usage,
            latency=attempt.latency,
            request=attempt.request,
        )

    # -- checks ----------------------------------------------------------

    def on_message(self, message: Message) -> None:
        """Check a message the engine appended against the next recorded line."""
        entry = self._peek()
        if entry is None:
            self.tail.append(message)
            return
        if not isinstance(entry, MessageEntry) or normal(
            entry.message.to_dict()
        ) != normal(message.to_dict()):
            why = f"the chat produces a message from {message.name!r} ({_short(message.content)}), but the record has {_what(entry)}"
            raise self._diverge(len(self._messages_so_far()) + 1, why)
        self._pos += 1

    def _messages_so_far(self) -> list[Entry]:
        return [e for e in self._entries[: self._pos] if isinstance(e, MessageEntry)]

    def on_decision(self, decision: Decision) -> None:
        """Check a routing decision the engine made against the next recorded line."""
        entry = self._peek()
        if entry is None:
            self.tail.append(decision)
            return
        got = normal(decision.to_dict())
        if not isinstance(entry, DecisionEntry):
            why = (
                f"the spec routes {decision.source!r} -> {decision.target!r} "
                f"({decision.reason}), but the record has {_what(entry)}"
            )
            raise self._diverge(decision.round, why)
        expected = normal(dict(entry.data))
        expected.pop("retries", None)
        got.pop("retries", None)
        if expected != got:
            why = (
                f"the routing step after {decision.source!r} differs: "
                f"{_differences(expected, got)}"
            )
            raise self._diverge(decision.round, why)
        self._pos += 1

    def on_finished(self, finished: Finished) -> None:
        """Check the end of the chat against the record's remaining lines."""
        entry = self._peek()
        if entry is None:
            return
        if isinstance(entry, EndEntry):
            got = (finished.reason, finished.round, finished.detail)
            expected = (entry.reason, entry.round, entry.detail)
            if got != expected:
                why = f"the chat ends with {got!r}, the record with {expected!r}"
                raise self._diverge(finished.round, why)
            self._pos += 1
            return
        why = (
            f"the chat ended ({finished.reason}: {finished.detail}) but the record "
            f"continues with {_what(entry)}"
        )
        raise self._diverge(finished.round, why)


@attrs.frozen(kw_only=True)
class Resumed:
    """An engine rebuilt from a record.

    Attributes:
        engine: at the recorded chat's last step; drive it on with
            ``run_chat(spec, ..., engine=engine)``.
        record: what was replayed.
        tail: messages and decisions the engine produced beyond the record (a
            step whose line was lost in a crash and that the spec settles
            alone); append them before driving on.
        finished: the engine's :class:`~fsmchat.Finished`, or ``None``.
        replayed: requests answered from the record.
        result: the finished chat, when the record holds its end.
        spec_path: the spec file replayed through (:func:`replay_record`).
    """

    engine: Engine
    record: Record
    tail: tuple[Message | Decision, ...] = ()
    finished: Finished | None = None
    replayed: int = 0
    result: ChatResult | None = None
    spec_path: str | None = None


def resume(
    spec: Spec,
    record: Record,
    *,
    routing: Routing | None = None,
    on_message: Callable[[Message], object] | None = None,
    on_decision: Callable[[Decision], object] | None = None,
    advance: Any = None,
) -> Resumed:
    """Rebuild a chat's engine by replaying ``record`` through the real engine.

    The engine is built from the record's header, then driven by a
    :class:`Cassette`: recorded messages are fed as replies and each recorded
    decision's answers as answers, so every guard is evaluated again and every
    answer validated again; each produced message and decision must equal its
    line.

    Args:
        spec: the spec (check it against the header first: :func:`check_header`).
        record: what :func:`read_record` returned.
        routing: must equal the header's routing when given.
        on_message, on_decision: called for each replayed message / decision
            (e.g. to print the transcript so far).
        advance: a model-free selector (round robin, seeded random) to step
            through the recorded choices, so that its state continues where the
            recorded chat's left off; its answers are not used.

    Returns:
        :class:`Resumed`.

    Raises:
        RecordError: the record has no header, or a line does not fit the spec
            (the message names the line and the round).
        InvalidArgument: ``routing`` differs from the header's.
    """
    # Long for its docstring and the two checking callbacks, which must close
    # over the cassette; the steps themselves are: check, build, drive, collect.
    header = record.header
    if header is None:
        msg = f"record {record.path} has no header: there is no chat to resume"
        raise RecordError(msg, path=record.path, line=1)
    if routing is not None and routing != header.routing:
        msg = (
            f"record {record.path} was made with routing {header.routing!r}, "
            f"not {routing!r}: resume it with the routing it was recorded with"
        )
        raise InvalidArgument(msg)
    cassette = Cassette(record, spec)

    def seen_message(m: Message) -> None:
        tail = len(cassette.tail)
        cassette.on_message(m)
        if on_message is not None and len(cassette.tail) == tail:
            on_message(m)

    def seen_decision(d: Decision) -> None:
        tail = len(cassette.tail)
        cassette.on_decision(d)
        if on_decision is not None and len(cassette.tail) == tail:
            on_decision(d)

    selector: Any = cassette if advance is None else _Advancing(cassette, advance)
    try:
        engine = header.engine(spec)
        for m in engine.messages:
            seen_message(m)
        for d in engine.trace:
            seen_decision(d)
        result: ChatResult | None = run_chat(
            spec,
            selector=selector,
            responders=dict.fromkeys(spec.names, cassette),
            routing=header.routing,
            engine=engine,
            on_message=seen_message,
            on_decision=seen_decision,
        )
    except _EndOfRecord:
        result = None
    except EngineError as exc:
        msg = f"record {record.path}: replay stopped at line {cassette._line()}: {exc}"
        raise RecordError(msg, path=record.path, line=cassette._line()) from exc
    finished = None if result is None else result.finished
    if finished is not None:
        cassette.on_finished(finished)
    return Resumed(
        engine=engine,
        record=record,
        tail=tuple(cassette.tail),
        finished=finished,
        replayed=cassette.answered,
        result=result,
    )


class _Advancing:
    """Answers from the cassette and steps a model-free selector alongside."""

    can_judge = True

    def __init__(self, cassette: Cassette, selector: Any) -> None:
        self.cassette = cassette
        self.selector = selector

    def select(self, request: Choose | Judge) -> Answer:
        answer = self.cassette.select(request)
        if isinstance(request, Choose) or getattr(self.selector, "can_judge", False):
            self.selector.select(request)
        return answer


def resume_engine(spec: Spec, record: Record, routing: Routing | None = None) -> Engine:
    """Rebuild the engine of a recorded chat (see :func:`resume`).

    Returns:
        The engine, at the step after the record's last line.

    Raises:
        RecordError: the record has no header or does not fit ``spec``.
    """
    return resume(spec, record, routing=routing).engine


def check_header(
    record: Record, spec: Spec, spec_hash: str, *, force: bool = False
) -> list[str]:
    """Check that ``record`` was written for ``spec``.

    Returns:
        Warnings (when ``force`` let a mismatch through).

    Raises:
        RecordError: the record has no header, or was written for another
            spec (different name or content hash) and ``force`` is false.
    """
    header = record.header
    if header is None:
        msg = f"record {record.path} has no header"
        raise RecordError(msg, path=record.path, line=1)
    problems = []
    if header.spec_name != spec.name:
        problems.append(f"spec name {header.spec_name!r} (this spec is {spec.name!r})")
    if header.spec_hash != spec_hash:
        problems.append(
            f"spec content sha256 {header.spec_hash[:12]}… (this spec's is {spec_hash[:12]}…)"
        )
    if not problems:
        return []
    what = " and ".join(problems)
    if force:
        return [
            f"record {record.path} was written for {what}; replaying it through this "
            f"spec anyway (--force): every step is still checked"
        ]
    msg = (
        f"record {record.path} (line 1) was written for {header.spec_path} with {what}: "
        f"the spec changed since the chat was recorded. Use the spec it was recorded "
        f"with, start a new record, or pass --force to check the record against this "
        f"spec step by step"
    )
    raise RecordError(msg, path=record.path, line=1)


def replay_record(
    record: str | os.PathLike[str] | Spec | Record,
    *legacy: Record,
    spec: Spec | str | os.PathLike[str] | None = None,
    allow: Iterable[str] = (),
    force: bool = False,
    on_message: Callable[[Message], object] | None = None,
    on_decision: Callable[[Decision], object] | None = None,
    on_warning: Callable[[str], object] | None = None,
    key: KeyChoice = CONFIGURED,
    accept_v1: bool = False,
    accept_unkeyed: bool = False,
) -> Resumed:
    """Re-run the chat recorded in the file ``record``: no model call, no agent code.

    This is ``fsmchat replay``. The spec is ``spec`` (a :class:`~fsmchat.Spec`
    or a file), else the file the record's header names. (Deprecated form:
    ``replay_record(spec, record)`` with a :class:`~fsmchat.Record` read
    already is :func:`resume`.)

    Args:
        allow: module prefixes whose ``call:`` guards may run (see
            :func:`~fsmchat._record.specfile.find_spec`).
        on_message, on_decision: called for each replayed message / decision.
        on_warning: called with each warning (a torn last line, a record
            without hash chain, a changed spec let through by ``force``);
            default: logged as warnings on the ``fsmchat`` logger.
        key: the record key (default: the configured one); a keyed record's
            MAC is checked with it.
        accept_v1: replay a ``fsmchat.record/1`` record (no hash chain).
        accept_unkeyed: replay a record without a MAC although a key is
            configured (with a warning) instead of refusing it.

    Returns:
        :class:`Resumed`: ``result`` is the finished chat, or ``None`` when the
        record stops before the chat does (``engine`` then says what is next).

    Raises:
        RecordError: the record is malformed, its chain or MAC breaks, it is
            refused (format 1, or no MAC while a key is configured), or does
            not fit the spec (the message names the line), or the spec changed
            and ``force`` is false.
        InvalidArgument: the spec the record names is not there.
        SpecError: the spec does not load.
    """
    # Long for its docstring; the steps: read the record, warn, find and check
    # the spec, replay.
    if isinstance(record, Spec):
        return _replay_read(record, legacy, on_message, on_decision)
    if isinstance(record, Record) and isinstance(spec, Spec):  # the same, by keyword
        return _replay_read(spec, (record,), on_message, on_decision)
    if isinstance(record, Record):
        msg = "replay_record(record) takes the path of a record file; resume(spec, record) replays a Record"
        raise InvalidArgument(msg)
    name = os.fspath(record)
    chat = read_chat(
        name,
        key=key,
        accept_v1=accept_v1,
        accept_unkeyed=accept_unkeyed,
        record_only=True,
    )
    read = chat.record
    assert read is not None  # record_only: a record, or RecordError
    warn = on_warning or logging.getLogger("fsmchat").warning
    for note in chat.notes:
        warn(note)
    path, chosen = find_spec(read, spec, allow=allow)
    digest = digest_of(chosen, None if isinstance(spec, Spec) else path)
    for warning in check_header(read, chosen, digest, force=force):
        warn(warning)
    done = resume(chosen, read, on_message=on_message, on_decision=on_decision)
    return attrs.evolve(done, spec_path=path)


def _replay_read(
    spec: Spec,
    legacy: tuple[Record, ...],
    on_message: Callable[[Message], object] | None,
    on_decision: Callable[[Decision], object] | None,
) -> Resumed:
    """The old ``replay_record(spec, record)``: :func:`resume`, with a warning."""
    warnings.warn(
        "replay_record(spec, record) is deprecated: use resume(spec, record); "
        "replay_record(path) replays a record file",
        DeprecationWarning,
        stacklevel=3,
    )
    if len(legacy) != 1:
        msg = f"replay_record(spec, record) takes one record, got {len(legacy)}"
        raise InvalidArgument(msg)
    return resume(spec, legacy[0], on_message=on_message, on_decision=on_decision)
