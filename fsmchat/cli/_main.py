"""The ``fsmchat`` command line (click).

Exit codes follow click: 0 success, 1 a failure (bad spec, chat ended without a
route, endpoint failure), 2 a usage error (bad arguments, a missing port).
Errors go to stderr as ``Error: ...``; spec problems as ``file:line:col: ...``.
"""

from __future__ import annotations

import importlib
from typing import Any

import click

from fsmchat._core.engine import MODES, routing_for_mode
from fsmchat._core.errors import FsmchatError, InvalidArgument
from fsmchat._core.events import Finished
from fsmchat._core.spec import Spec
from fsmchat._core.state import Decision, Message
from fsmchat._run.driver import ChatResult, run_chat
from fsmchat.adapters._console import ConsoleHuman
from fsmchat.adapters._files import write_json
from fsmchat.cli._allow import allow_option, allowed, resolve_or_exit
from fsmchat.cli._common import (
    _print_usage,
    _show_warnings,
    fail,
    finish_chat,
    json_option,
    load_spec_or_exit,
    named_spec,
    print_decision,
    print_message,
    trace_option,
)

__all__ = ["main"]

# Subcommands that live in their own modules, imported only when used so that
# ``fsmchat run`` never pays for the benchmark's or the checker's imports.
_LAZY: dict[str, str] = {
    "answer": "fsmchat.cli._temporal:answer",
    "bench": "fsmchat.cli._bench:bench",
    "check": "fsmchat.cli._tools:check",
    "draw": "fsmchat.cli._tools:draw",
    "export": "fsmchat.cli._temporal:export",
    "paths": "fsmchat.cli._tools:paths",
    "prove": "fsmchat.cli._tools:prove",
    "replay": "fsmchat.cli._durable:replay",
    "schema": "fsmchat.cli._tools:schema",
    "status": "fsmchat.cli._temporal:status",
    "verify": "fsmchat.cli._tools:verify",
    "view": "fsmchat.cli._view:view",
    "worker": "fsmchat.cli._temporal:worker",
}


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *_LAZY})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in _LAZY:
            module_name, _, attr = _LAZY[cmd_name].partition(":")
            command: click.Command = getattr(importlib.import_module(module_name), attr)
            return command
        return super().get_command(ctx, cmd_name)


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="fsmchat")
def main() -> None:
    """Multi-agent LLM group chats that are finite state machines."""


#: Options shared by the commands that print a chat (``run``, ``replay``).


@main.command()
@click.argument(
    "spec_path", metavar="SPEC", type=click.Path(exists=True, dir_okay=False)
)
@json_option
@click.option(
    "--select",
    "method",
    type=click.Choice(["fsm", "round_robin", "random", "manual"], case_sensitive=False),
    default="fsm",
    show_default=True,
    help="How open choices are settled when no model is configured.",
)
@click.option("--seed", type=int, default=None, help="Seed for --select random.")
@click.option(
    "--mode",
    type=click.Choice(list(MODES)),
    default="fsm",
    show_default=True,
    help="How edges and conditions are used: fsm (guards decide), fsm-nl (a model judges "
    "every 'on' text), graph (any successor, conditions ignored), free (any agent: "
    "AutoGen's unconstrained auto).",
)
@click.option("--message", default=None, help="Override the spec's first message.")
@click.option(
    "--max-round",
    type=click.IntRange(min=1),
    default=None,
    help="Override the spec's max_round.",
)
@trace_option
@click.option(
    "--config",
    "config",
    metavar="OAI_CONFIG_LIST",
    default=None,
    help="Model config list: the name of an environment variable holding the JSON "
    "list, or a JSON file (as AutoGen's config_list_from_json). Enables LLM agents "
    "and model decisions.",
)
@click.option(
    "--model",
    "model_name",
    metavar="NAME",
    default=None,
    help="Use only the configs of this model (needs --config).",
)
@click.option(
    "--cache-seed",
    type=int,
    default=None,
    help="Seed of the response cache (default: the spec's llm.cache_seed, else 41).",
)
@click.option("--no-cache", is_flag=True, help="Do not use the response cache.")
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Directory of the response cache (default: $FSMCHAT_CACHE_DIR, else $XDG_CACHE_HOME/fsmchat or ~/.cache/fsmchat).",
)
@click.option(
    "--usage",
    "show_usage",
    is_flag=True,
    help="After the chat, print model calls and tokens per agent and for routing.",
)
@click.option(
    "--record",
    "record_path",
    metavar="FILE",
    type=click.Path(dir_okay=False),
    default=None,
    help="Append every message and decision to FILE (JSONL, fsynced per step); "
    "if FILE holds a chat, continue it where it stopped.",
)
@click.option(
    "--no-wait",
    is_flag=True,
    help="With --record: when a human must answer, save the pause and exit 3 "
    "instead of reading the terminal.",
)
@click.option(
    "--answer",
    "answers",
    metavar="TEXT",
    multiple=True,
    help="With --record: the human's answer to a paused chat (repeat for several prompts).",
)
@click.option(
    "--force",
    is_flag=True,
    help="With --record: continue a record even if the spec changed (every step is re-checked).",
)
@click.option(
    "--accept-v1",
    is_flag=True,
    help="With --record: continue a record of the old format 1 (no hash chain; refused otherwise).",
)
@allow_option("(others are refused before the chat starts).")
@click.option(
    "--temporal",
    "temporal",
    metavar="HOST:PORT",
    default=None,
    help="Run the chat as a Temporal workflow on the workers of --task-queue "
    "(their --config and --allow apply); --no-wait prints its id.",
)
@click.option("--namespace", default="default", help="With --temporal: the namespace.")
@click.option(
    "--task-queue", metavar="QUEUE", default=None, help="With --temporal: the queue."
)
@click.option(
    "--id",
    "chat_id",
    metavar="ID",
    default=None,
    help="With --temporal: the chat's id (one that runs is attached to).",
)
def run(
    spec_path: str,
    json_out: str | None,
    method: str,
    seed: int | None,
    mode: str,
    message: str | None,
    max_round: int | None,
    show_trace: bool,
    config: str | None,
    model_name: str | None,
    cache_seed: int | None,
    no_cache: bool,
    cache_dir: str | None,
    show_usage: bool,
    record_path: str | None,
    no_wait: bool,
    answers: tuple[str, ...],
    force: bool,
    accept_v1: bool,
    allow: tuple[str, ...],
    temporal: str | None,
    namespace: str,
    task_queue: str | None,
    chat_id: str | None,
) -> None:
    """Run the chat described by SPEC and print its transcript."""
    # One flat sequence mapping options to library calls (argv -> run_chat or
    # run_recorded -> print); splitting it would only scatter the option names.
    _show_warnings()
    if temporal is not None or task_queue is not None or chat_id is not None:
        from fsmchat.cli._temporal import run_on_temporal

        run_on_temporal(spec_path, locals())
        return
    spec = resolve_or_exit(load_spec_or_exit(spec_path), allowed(allow), spec_path)
    human: Any = ConsoleHuman(end_on_eof=True)
    durable = record_path is not None or answers or no_wait
    if durable:  # the record layer is loaded only for chats that use it
        from fsmchat.cli._durable import durable_human

        human = durable_human(
            human, record=record_path, answers=answers, no_wait=no_wait
        )
    selector: Any = None
    if method.lower() != "fsm":
        from fsmchat._run.selectors import make_selector

        try:
            selector = make_selector(method, order=spec.names, seed=seed, human=human)
        except InvalidArgument as exc:
            raise click.UsageError(str(exc)) from None
    if model_name is not None and config is None:
        msg = "--model NAME needs --config OAI_CONFIG_LIST"
        raise click.UsageError(msg)
    chat_model: Any = None
    llm: Any = None
    if config is not None:
        chat_model = _chat_model(
            spec, config, model_name, cache_seed, no_cache, cache_dir
        )
        from fsmchat._run.llm import LLMResponder, LLMSelector

        llm = LLMResponder(chat_model)
        if selector is None:
            selector = LLMSelector(chat_model)
    seen_messages: list[Message] = []
    seen_decisions: list[Decision] = []

    def on_message(m: Message) -> None:
        seen_messages.append(m)
        print_message(m)

    def on_decision(d: Decision) -> None:
        seen_decisions.append(d)
        if show_trace:
            print_decision(d)

    ports: dict[str, Any] = {"selector": selector, "llm": llm, "human": human}
    callbacks: dict[str, Any] = {"on_message": on_message, "on_decision": on_decision}
    try:
        if record_path is not None:
            from fsmchat.cli._durable import run_recorded

            result = run_recorded(
                spec,
                record_path=record_path,
                routing=routing_for_mode(mode),
                message=message,
                max_round=max_round,
                force=force,
                accept_v1=accept_v1,
                selection=(
                    method.lower(),
                    seed if method.lower() == "random" else None,
                ),
                **ports,
                **callbacks,
            )
        else:
            options: dict[str, Any] = {} if message is None else {"message": message}
            result = run_chat(
                spec,
                routing=routing_for_mode(mode),
                max_round=max_round,
                **ports,
                **callbacks,
                **options,
            )
    except InvalidArgument as exc:
        raise click.UsageError(str(exc)) from None
    except FsmchatError as exc:
        if json_out:  # keep what the chat produced before the failure
            partial = ChatResult(
                spec_name=spec.name,
                messages=tuple(seen_messages),
                trace=tuple(seen_decisions),
                finished=Finished(
                    reason="error", round=len(seen_messages), detail=str(exc)
                ),
            )
            write_json(json_out, named_spec(partial.to_dict(), spec_path))
        fail(str(exc))
        return
    finally:
        if chat_model is not None:
            chat_model.close()
    if show_usage:
        _print_usage(result)
    finish_chat(result, json_out, spec_path)


def _chat_model(
    spec: Spec,
    config: str,
    model_name: str | None,
    cache_seed: int | None,
    no_cache: bool,
    cache_dir: str | None,
) -> Any:
    """Build the chat model of ``run --config`` (usage errors exit 2)."""
    import os

    from fsmchat.adapters._config import (
        config_list_from_json,
        filter_config,
        make_chat_model,
    )

    try:
        config_list = config_list_from_json(config)
    except InvalidArgument as exc:
        msg = f"--config {config}: {exc}"
        raise click.UsageError(msg) from None
    models = [str(c.get("model")) for c in config_list]
    wanted = model_name or spec.llm.get("model")
    if isinstance(wanted, str):
        chosen = filter_config(config_list, {"model": [wanted]})
        if not chosen and model_name is not None:
            import difflib

            close = difflib.get_close_matches(model_name, models, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            msg = (
                f"--model {model_name}: no config for that model in {config} "
                f"(models there: {', '.join(models)}){hint}"
            )
            raise click.UsageError(msg)
        config_list = chosen or config_list
    llm_config: dict[str, Any] = {"config_list": config_list}
    for key in ("temperature", "timeout", "cache_seed"):
        if key in spec.llm:
            llm_config[key] = spec.llm[key]
    if cache_seed is not None:
        llm_config["cache_seed"] = cache_seed
    if no_cache:
        llm_config["cache_seed"] = None
    directory = cache_dir or os.environ.get("FSMCHAT_CACHE_DIR") or None
    try:
        return make_chat_model(llm_config, cache_dir=directory)
    except InvalidArgument as exc:
        msg = f"--config {config}: {exc}"
        raise click.UsageError(msg) from None
    except FsmchatError as exc:  # a missing package: said before the chat starts
        fail(str(exc))


if __name__ == "__main__":  # pragma: no cover
    main()
