"""Recorded chats on the command line: ``run --record``, pauses, and ``replay``.

``fsmchat run SPEC --record FILE`` runs the chat through the record layer
(:func:`fsmchat.run_recorded`) with the terminal as the human and stderr for
warnings; ``--no-wait`` turns a human's turn into a pause (exit code 3),
``--answer TEXT`` answers it. ``fsmchat replay FILE`` replays a record
(:func:`fsmchat.replay_record`) printing the transcript. Both only translate
arguments and print: the library does the work.

Exit codes: 0 done, 1 a failure (the record is intact), 2 a usage error,
3 paused waiting for a person.
"""

from __future__ import annotations

import click

from fsmchat._core.engine import routing_for_mode
from fsmchat._core.errors import FsmchatError, InvalidArgument, SpecError, UnallowedCode
from fsmchat._core.spec import Spec
from fsmchat._record.format import Record
from fsmchat._record.ports import PausingHuman
from fsmchat._record.reader import read_record
from fsmchat._record.replay import replay_record
from fsmchat._record.run import PAUSED
from fsmchat._record.run import run_recorded as record_chat
from fsmchat._run.driver import EXIT_WORDS
from fsmchat._run.ports import Human
from fsmchat._run.result import ChatResult
from fsmchat.adapters._files import write_json
from fsmchat.cli._allow import RECORD_SPEC_NOTE, allowed
from fsmchat.cli._common import (
    SpecProblems,
    count,
    finish_chat,
    named_spec,
    print_decision,
    print_message,
)
from fsmchat.cli._options import (
    accept_options,
    allow_option,
    existing_file,
    force_option,
    json_option,
    spec_option,
    trace_option,
)
from fsmchat.cli._ports import Ports, Shown
from fsmchat.cli._run_options import ChatOptions, RecordOptions

__all__ = ["EXIT_PAUSED", "recorded_human", "replay", "run_with_record"]

#: Exit code of a chat that stopped to wait for a person (``--no-wait``).
EXIT_PAUSED = 3


def _warn(text: str) -> None:
    click.echo(f"Warning: {text}", err=True)


def recorded_human(console: Human, record: RecordOptions) -> Human:
    """The human port of ``fsmchat run``: ``console`` unless pause options are given.

    Raises:
        click.UsageError: ``--answer`` or ``--no-wait`` without ``--record``.
    """
    if (record.answers or record.no_wait) and record.path is None:
        opt = "--no-wait" if record.no_wait else "--answer"
        msg = f"{opt} needs --record FILE: a pause and its answer live in the record"
        raise click.UsageError(msg)
    if not record.answers and not record.no_wait:
        return console
    return PausingHuman(
        console,
        answers=record.answers,
        no_wait=record.no_wait,
        echo=lambda text: click.echo(text, err=True),
    )


def run_with_record(
    spec: Spec, record: RecordOptions, chat: ChatOptions, ports: Ports, shown: Shown
) -> ChatResult:
    """``run --record``: the chat through the record layer; a pause prints how to go on and exits 3.

    Raises:
        click.UsageError: the options differ from the record's, or a port is missing.
        click.exceptions.Exit: the chat paused for a person (exit 3).
        FsmchatError: the record or a port failed.
    """
    assert record.path is not None
    path = record.path

    def resumed(done: Record) -> None:
        n, d = len(done.messages), len(done.trace)
        click.echo(
            f"-- resumed {path}: replayed {count(n, 'message')} and "
            f"{count(d, 'decision')} from the record (no model calls)",
            err=True,
        )

    try:
        result = record_chat(
            spec,
            record=path,
            selector=ports.selector,
            llm=ports.llm,
            human=ports.human,
            routing=routing_for_mode(chat.mode),
            message=chat.message,
            max_round=chat.max_round,
            selection=chat.selection,
            force=record.force,
            accept_v1=record.accept_v1,
            on_message=shown.message,
            on_decision=shown.decision,
            on_warning=_warn,
            on_resume=resumed,
        )
    except InvalidArgument as exc:
        raise click.UsageError(str(exc)) from None
    if result.finished.reason != PAUSED:
        return result
    pause = read_record(path, accept_v1=record.accept_v1).pause
    words = " or ".join(repr(w) for w in EXIT_WORDS)
    hint = (
        ""
        if pause is None or pause.request != "reply"
        else f"; answer {words} to end the chat"
    )
    click.echo(
        f"{result.finished.detail}: resume with --answer TEXT\n"
        f"  fsmchat run {spec.source} --record {path} --answer TEXT"
        f"   (with this run's other options{hint})",
        err=True,
    )
    raise click.exceptions.Exit(EXIT_PAUSED)


@click.command()
@click.argument("record_path", metavar="FILE", type=existing_file)
@spec_option("The spec the chat was recorded with (default: the path in the record).")
@force_option(
    "Replay even if the spec changed since the recording (every step is still checked)."
)
@accept_options
@allow_option(
    "(replaying re-evaluates the spec's call: guards; FSMCHAT_ALLOW counts only with --spec)."
)
@trace_option
@json_option()
def replay(
    record_path: str,
    spec_path: str | None,
    force: bool,
    accept_v1: bool,
    accept_unkeyed: bool,
    allow: tuple[str, ...],
    show_trace: bool,
    json_out: str | None,
) -> None:
    """Re-run the chat recorded in FILE from the record alone: no model calls.

    Prints the same transcript as the recorded ``fsmchat run``; a line that
    does not fit the spec is an error naming the line and the round. The spec
    the record names is read as data: its call: guards run only from
    fsmchat.examples and --allow (or give the spec with --spec).
    """
    # Long for its options: each one is passed through by name, then printed.
    try:
        done = replay_record(
            record_path,
            spec=spec_path,
            allow=allowed(allow, env=spec_path is not None),
            force=force,
            accept_v1=accept_v1,
            accept_unkeyed=accept_unkeyed,
            on_message=print_message,
            on_decision=print_decision if show_trace else None,
            on_warning=_warn,
        )
    except SpecError as exc:
        note = (
            RECORD_SPEC_NOTE
            if spec_path is None and isinstance(exc, UnallowedCode)
            else None
        )
        summary = f"{spec_path or 'the spec'}: cannot load the spec of this record"
        raise SpecProblems(exc.problems, summary, note=note) from None
    except InvalidArgument as exc:
        raise click.UsageError(str(exc)) from None
    except FsmchatError as exc:
        raise click.ClickException(str(exc)) from None
    if done.result is not None:
        finish_chat(done.result, json_out, done.spec_path)
        return
    engine = done.engine
    request = engine.next_request()
    who = getattr(getattr(request, "agent", None), "name", None) or getattr(
        request, "speaker", "?"
    )
    if json_out:
        write_json(
            json_out,
            named_spec(
                {
                    "format": "fsmchat.transcript/1",
                    "spec": engine.spec.name,
                    "messages": [m.to_dict() for m in engine.messages],
                    "trace": [d.to_dict() for d in engine.trace],
                    "finished": None,
                },
                done.spec_path,
            ),
        )
    click.echo(
        f"-- the record ends after {count(engine.round, 'message')}; the chat is not finished "
        f"(next: {type(request).__name__} for {who}). Continue it with: "
        f"fsmchat run {done.spec_path} --record {record_path}",
        err=True,
    )
