"""``fsmchat run``: a chat here (this module), with ``--record`` or on ``--temporal``.

The command only picks the seam: a chat on Temporal (:mod:`fsmchat.cli._temporal`),
a recorded chat (:mod:`fsmchat.cli._recorded`), or a chat in this process.
The record layer and the Temporal SDK are imported only by chats that use them.
"""

from __future__ import annotations

import click

from fsmchat._core.engine import UNSET, routing_for_mode
from fsmchat._core.errors import FsmchatError, InvalidArgument
from fsmchat._run.driver import run_chat
from fsmchat._run.ports import Human
from fsmchat.adapters._console import ConsoleHuman
from fsmchat.adapters._files import write_json
from fsmchat.cli._allow import allowed, resolve_or_exit
from fsmchat.cli._common import (
    finish_chat,
    load_spec_or_exit,
    named_spec,
    print_usage,
    show_warnings,
)
from fsmchat.cli._options import allow_option, spec_argument
from fsmchat.cli._ports import Ports, Shown
from fsmchat.cli._run_options import (
    ChatOptions,
    ModelOptions,
    OutputOptions,
    RecordOptions,
    TemporalOptions,
    chat_options,
    model_options,
    output_options,
    record_options,
    temporal_run_options,
)

__all__ = ["run"]


@click.command()
@spec_argument
@chat_options
@output_options
@model_options
@record_options
@allow_option("(others are refused before the chat starts).")
@temporal_run_options
def run(
    spec_path: str,
    *,
    chat: ChatOptions,
    output: OutputOptions,
    model: ModelOptions,
    record: RecordOptions,
    allow: tuple[str, ...],
    temporal: TemporalOptions,
) -> None:
    """Run the chat described by SPEC and print its transcript."""
    show_warnings()
    if temporal.wanted:
        from fsmchat.cli._temporal import run_on_temporal

        run_on_temporal(spec_path, temporal, chat, model, output, record, allow=allow)
        return
    spec = resolve_or_exit(load_spec_or_exit(spec_path), allowed(allow), spec_path)
    human: Human = ConsoleHuman(end_on_eof=True)
    if record.wanted:  # the record layer is loaded only for chats that use it
        from fsmchat.cli._recorded import recorded_human

        human = recorded_human(human, record)
    ports = Ports.make(spec, chat, model, human)
    shown = Shown(trace=output.trace)
    try:
        if record.path is not None:
            from fsmchat.cli._recorded import run_with_record

            result = run_with_record(spec, record, chat, ports, shown)
        else:
            result = run_chat(
                spec,
                selector=ports.selector,
                llm=ports.llm,
                human=ports.human,
                routing=routing_for_mode(chat.mode),
                max_round=chat.max_round,
                on_message=shown.message,
                on_decision=shown.decision,
                message=UNSET if chat.message is None else chat.message,
            )
    except InvalidArgument as exc:
        raise click.UsageError(str(exc)) from None
    except FsmchatError as exc:
        if output.json_out:  # keep what the chat produced before the failure
            write_json(output.json_out, named_spec(shown.partial(spec, exc), spec_path))
        raise click.ClickException(str(exc)) from None
    finally:
        ports.close()
    if output.usage:
        print_usage(result)
    finish_chat(result, output.json_out, spec_path)
