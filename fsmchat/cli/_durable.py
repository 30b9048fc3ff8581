"""Durable chats on the command line: ``run --record``, pauses, and ``replay``.

``fsmchat run SPEC --record FILE`` starts a chat whose every message and
routing decision is appended to ``FILE`` (fsynced) before the next step; run
it again on the same file and the chat continues where it stopped: the record
is replayed through the engine (printing the transcript so far, with no model
call), then the chat goes on live. ``--no-wait`` turns a human's turn into a
pause (exit code 3, the pause is written to the record); ``--answer TEXT``
resumes it with that answer, possibly from another process or machine.

``fsmchat replay FILE`` re-runs a recorded chat from the record alone — zero
model calls, no agent code — and prints the identical transcript; any line that
does not fit the spec is an error naming the line and the round.

Exit codes: 0 done, 1 a failure (the record is intact), 2 a usage error,
3 paused waiting for a person.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

import attrs
import click

from fsmchat._core.engine import Engine, Routing
from fsmchat._core.errors import FsmchatError, InvalidArgument, SpecError
from fsmchat._core.events import AskAgent, AskHuman, Choose, Judge, Reply
from fsmchat._core.spec import Spec
from fsmchat._core.state import Decision, Message, Usage
from fsmchat._record.record import (
    MessageEntry,
    Record,
    RecordError,
    RecordHeader,
    RecordWriter,
    StopEntry,
    check_header,
    read_record,
    replay_record,
    resume,
    spec_digest,
    stop_reason,
)
from fsmchat._run.driver import (
    EXIT_WORDS,
    ChatResult,
    UsageCount,
    check_ports,
    run_chat,
)
from fsmchat._run.files import load_spec, write_json
from fsmchat._run.selectors import RandomSelector, RoundRobinSelector
from fsmchat.cli._allow import allowed, resolve_or_exit
from fsmchat.cli._common import (
    fail,
    finish_chat,
    json_option,
    print_decision,
    print_message,
    trace_option,
)

__all__ = ["DurableHuman", "durable_human", "replay", "run_recorded"]

#: Exit code of a chat that stopped to wait for a person (``--no-wait``).
EXIT_PAUSED = 3


class _Pause(Exception):
    """Raised by :class:`DurableHuman` instead of reading the terminal."""


class DurableHuman:
    """A human port that answers from ``--answer`` values first, then either
    reads the terminal or, with ``--no-wait``, pauses the chat.
    """

    def __init__(
        self, console: Any, *, answers: Sequence[str] = (), no_wait: bool = False
    ) -> None:
        self.console = console
        self.answers = list(answers)
        self.no_wait = no_wait

    def input(self, prompt: str) -> str:
        if self.answers:
            text = self.answers.pop(0)
            click.echo(f"{prompt}{text}", err=True)
            return text
        if self.no_wait:
            raise _Pause(prompt)
        out: str = self.console.input(prompt)
        return out


def durable_human(
    console: Any,
    *,
    record: str | None,
    answers: Sequence[str] = (),
    no_wait: bool = False,
) -> Any:
    """The human port of ``fsmchat run``: ``console`` unless pause options are given.

    Raises:
        click.UsageError: ``--answer`` or ``--no-wait`` without ``--record``.
    """
    if (answers or no_wait) and record is None:
        opt = "--no-wait" if no_wait else "--answer"
        msg = f"{opt} needs --record FILE: a pause and its answer live in the record"
        raise click.UsageError(msg)
    if not answers and not no_wait:
        return console
    return DurableHuman(console, answers=answers, no_wait=no_wait)


class _Tap:
    """What a record line needs beyond the engine's own records: the value of
    each answer a live selector gave (a decision keeps only the raw text) and
    the usage of each live reply (a message keeps none)."""

    def __init__(self) -> None:
        self.values: list[Any] = []
        self.usage: dict[str, Usage] = {}

    def take_values(self, n: int) -> list[Any]:
        taken, self.values = self.values[:n], self.values[n:]
        return taken


class _TappedSelector:
    """A live selector whose answers' values are kept for the decision line."""

    def __init__(self, inner: Any, tap: _Tap) -> None:
        self.inner = inner
        self.tap = tap
        self.can_judge = bool(getattr(inner, "can_judge", False))

    def select(self, request: Choose | Judge) -> Any:
        answer = self.inner.select(request)
        self.tap.values.append(getattr(answer, "value", None))
        return answer


class _TappedResponder:
    """A live responder whose replies' usage is kept for the message line."""

    def __init__(self, inner: Any, tap: _Tap) -> None:
        self.inner = inner
        self.tap = tap

    def respond(self, request: AskAgent) -> Any:
        reply = self.inner.respond(request)
        if isinstance(reply, Reply) and reply.usage is not None:
            self.tap.usage[reply.agent] = reply.usage
        return reply


def _check_options(
    record: Record,
    message: str | None,
    max_round: int | None,
    routing: Routing,
    selection: tuple[str, int | None] | None = None,
) -> None:
    header = record.header
    assert header is not None
    if (
        selection is not None
        and header.selection is not None
        and selection != header.selection
    ):
        (method, seed), (was, was_seed) = selection, header.selection
        before = was + ("" if was_seed is None else f" --seed {was_seed}")
        now = method + ("" if seed is None else f" --seed {seed}")
        msg = (
            f"record {record.path} was started with --select {before}, not {now}: "
            f"continue it with the same selection, or start a new record"
        )
        raise click.UsageError(msg)
    given = {
        "--message": (message, header.message),
        "--max-round": (max_round, header.max_round),
    }
    for option, (value, recorded) in given.items():
        if value is not None and value != recorded:
            msg = (
                f"record {record.path} was started with {option} {recorded!r}, not "
                f"{value!r}: drop {option} to continue it, or start a new record"
            )
            raise click.UsageError(msg)
    if header.routing != routing:
        msg = f"record {record.path} was made with {header.routing!r}, not {routing!r}"
        raise click.UsageError(msg)


def _agent_usage(record: Record) -> dict[str, UsageCount]:
    out: dict[str, UsageCount] = {}
    for e in record.entries:
        if isinstance(e, MessageEntry) and e.usage is not None:
            name = e.message.name
            out[name] = out.get(name, UsageCount()).add(e.usage)
    return out


def run_recorded(
    spec: Spec,
    *,
    spec_path: str,
    record_path: str,
    selector: Any = None,
    llm: Any = None,
    human: Any = None,
    routing: Routing | None = None,
    message: str | None = None,
    max_round: int | None = None,
    on_message: Callable[[Message], object] | None = None,
    on_decision: Callable[[Decision], object] | None = None,
    force: bool = False,
    selection: tuple[str, int | None] | None = None,
) -> ChatResult:
    """Start or continue the chat recorded in ``record_path`` (``run --record``).

    A missing or empty file starts a new chat. Otherwise the record is checked
    against ``spec`` (its content hash; ``force`` lets a changed spec through),
    a torn last line is reported and cut, the recorded chat is replayed through
    the engine (``on_message``/``on_decision`` see the replayed steps too), and
    the chat continues with the live ports. A human's turn with ``--no-wait``
    writes a pause line and exits with code 3.

    Returns:
        The finished chat (whole transcript and trace; usage includes the
        recorded part).

    Raises:
        RecordError: the record is corrupt, locked, or does not fit the spec.
        click.UsageError: options conflict with the record's.
        FsmchatError: a port failed (the record keeps every finished step).
    """
    routing = routing or Routing()
    # Refuse a missing model or human before replaying anything.
    check_ports(spec, routing=routing, selector=selector, llm=llm, human=human)
    spec_hash = spec_digest(Path(spec_path).read_text(encoding="utf-8"))
    tap = _Tap()
    live_selector = None if selector is None else _TappedSelector(selector, tap)
    live_llm = None if llm is None else _TappedResponder(llm, tap)

    with RecordWriter.open(record_path) as writer:
        record = writer.record
        if record.torn is not None:
            click.echo(f"Warning: {record.torn.describe(record_path)}", err=True)
        if record.header is None:
            opts: dict[str, Any] = {"max_round": max_round}
            if message is not None:
                opts["message"] = message
            probe = Engine(spec, routing=routing, **opts)
            writer.write_header(
                RecordHeader.for_engine(
                    probe, spec_path=spec_path, spec_hash=spec_hash, selection=selection
                )
            )
            record = writer.record
        else:
            for warning in check_header(record, spec, spec_hash, force=force):
                click.echo(f"Warning: {warning}", err=True)
            _check_options(record, message, max_round, routing, selection)
        advance = (
            selector
            if isinstance(selector, RoundRobinSelector | RandomSelector)
            else None
        )
        resumed = resume(
            spec,
            record,
            on_message=on_message,
            on_decision=on_decision,
            advance=advance,
        )
        if record.entries:
            n = len(record.messages)
            click.echo(
                f"-- resumed {record_path}: replayed {n} message{'s' if n != 1 else ''} "
                f"and {len(record.decisions)} decisions from the record (no model calls)",
                err=True,
            )
        engine = resumed.engine

        def write_message(m: Message) -> None:
            writer.write_message(m, usage=tap.usage.pop(m.name, None))
            if on_message is not None:
                on_message(m)

        def write_decision(d: Decision) -> None:
            writer.write_decision(d, answers=tap.take_values(len(d.attempts)))
            if on_decision is not None:
                on_decision(d)

        for item in resumed.tail:
            if isinstance(item, Message):
                write_message(item)
            else:
                write_decision(item)
        if resumed.result is not None:
            result = resumed.result
            if record.end is None:
                _write_end(writer, result, stopped_in_record=_has_stop(record))
            _warn_unused(human)
            return result
        try:
            result = run_chat(
                spec,
                selector=live_selector,
                llm=live_llm,
                human=human,
                routing=routing,
                engine=engine,
                on_message=write_message,
                on_decision=write_decision,
            )
        except _Pause:
            _pause(writer, engine, spec_path, record_path)
        _write_end(writer, result, stopped_in_record=False)
        _warn_unused(human)
        recorded = _agent_usage(record)
        merged = dict(recorded)
        for name, u in result.agent_usage.items():
            prev = merged.get(name, UsageCount())
            merged[name] = UsageCount(
                calls=prev.calls + u.calls,
                prompt_tokens=prev.prompt_tokens + u.prompt_tokens,
                completion_tokens=prev.completion_tokens + u.completion_tokens,
            )
        return attrs.evolve(result, agent_usage=merged)


def _has_stop(record: Record) -> bool:
    return any(isinstance(e, StopEntry) for e in record.entries)


def _write_end(
    writer: RecordWriter, result: ChatResult, *, stopped_in_record: bool
) -> None:
    reason = stop_reason(result.finished)
    if reason is not None and not stopped_in_record:
        writer.write_stop(reason)
    writer.write_end(result.finished)


def _warn_unused(human: Any) -> None:
    if isinstance(human, DurableHuman) and human.answers:
        left = ", ".join(repr(a) for a in human.answers)
        click.echo(
            f"Warning: --answer {left} was not used: the chat asked no person for it",
            err=True,
        )


def _pause(
    writer: RecordWriter, engine: Engine, spec_path: str, record_path: str
) -> NoReturn:
    request = engine.next_request()
    if isinstance(request, AskHuman):
        who, kind = request.agent.name, "reply"
        what = who
    elif isinstance(request, Choose | Judge):
        who = request.speaker
        kind = "choose" if isinstance(request, Choose) else "judge"
        what = f"the {'choice of who speaks' if kind == 'choose' else 'verdicts'} after {who}"
    else:  # pragma: no cover - only human prompts pause
        msg = f"cannot pause while the chat waits for {request!r}"
        raise InvalidArgument(msg)
    writer.write_pause(agent=who, request=kind, round=engine.round)
    writer.close()
    words = " or ".join(repr(w) for w in EXIT_WORDS)
    hint = f"; answer {words} to end the chat" if kind == "reply" else ""
    click.echo(
        f"waiting for {what}: resume with --answer TEXT\n"
        f"  fsmchat run {spec_path} --record {record_path} --answer TEXT"
        f"   (with this run's other options{hint})",
        err=True,
    )
    sys.exit(EXIT_PAUSED)


# -- replay ----------------------------------------------------------------------


def _spec_for(record: Record, spec_path: str | None) -> tuple[str, Spec]:
    header = record.header
    if header is None:
        msg = f"record {record.path} is empty or has no complete header line: nothing to replay"
        raise RecordError(msg, path=record.path, line=1)
    if spec_path is None:
        tried = [header.spec_path, header.spec_abspath]
        if not os.path.isabs(header.spec_path):
            tried.append(os.path.join(os.path.dirname(record.path), header.spec_path))
        found = next((p for p in tried if os.path.isfile(p)), None)
        if found is None:
            msg = (
                f"record {record.path} was made with spec {header.spec_path!r}, which is "
                f"not there (tried {', '.join(dict.fromkeys(tried))}): pass --spec SPEC"
            )
            raise click.UsageError(msg)
        spec_path = found
    # Replaying re-evaluates the spec's guards: bind them from the allow-list.
    spec = resolve_or_exit(load_spec(spec_path), allowed(()), spec_path)
    return spec_path, spec


@click.command()
@click.argument(
    "record_path", metavar="FILE", type=click.Path(exists=True, dir_okay=False)
)
@click.option(
    "--spec",
    "spec_path",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="The spec the chat was recorded with (default: the path in the record).",
)
@click.option(
    "--force",
    is_flag=True,
    help="Replay even if the spec changed since the recording (every step is still checked).",
)
@trace_option
@json_option
def replay(
    record_path: str,
    spec_path: str | None,
    force: bool,
    show_trace: bool,
    json_out: str | None,
) -> None:
    """Re-run the chat recorded in FILE from the record alone: no model calls.

    Prints the same transcript as the recorded ``fsmchat run``; a line that
    does not fit the spec is an error naming the line and the round.
    """

    try:
        record = read_record(record_path)
        if record.torn is not None:
            click.echo(f"Warning: {record.torn.describe(record_path)}", err=True)
        path, spec = _spec_for(record, spec_path)
        digest = spec_digest(Path(path).read_text(encoding="utf-8"))
        for warning in check_header(record, spec, digest, force=force):
            click.echo(f"Warning: {warning}", err=True)
        done = replay_record(
            spec,
            record,
            on_message=print_message,
            on_decision=print_decision if show_trace else None,
        )
    except SpecError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        fail(f"{spec_path or 'the spec'}: cannot load the spec of this record")
        return
    except FsmchatError as exc:
        fail(str(exc))
        return
    result = done.result
    if result is None:
        engine = done.engine
        request = engine.next_request()
        who = getattr(getattr(request, "agent", None), "name", None) or getattr(
            request, "speaker", "?"
        )
        if json_out:
            write_json(
                json_out,
                {
                    "format": "fsmchat.transcript/1",
                    "spec": spec.name,
                    "messages": [m.to_dict() for m in engine.messages],
                    "trace": [d.to_dict() for d in engine.trace],
                    "finished": None,
                },
            )
        click.echo(
            f"-- the record ends after {engine.round} messages; the chat is not finished "
            f"(next: {type(request).__name__} for {who}). Continue it with: "
            f"fsmchat run {path} --record {record_path}",
            err=True,
        )
        return
    finish_chat(result, json_out)
