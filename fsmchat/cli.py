"""The ``fsmchat`` command line (click).

Exit codes follow click: 0 success, 1 a failure (bad spec, chat ended without a
route, endpoint failure), 2 a usage error (bad arguments, a missing port).
Errors go to stderr as ``Error: ...``; spec problems as ``file:line:col: ...``.
"""

from __future__ import annotations

import importlib
import logging
import sys
from typing import Any

import click

from fsmchat._driver import ChatResult, run_chat
from fsmchat._engine import MODES, routing_for_mode
from fsmchat._errors import FsmchatError, InvalidArgument, SpecError
from fsmchat._events import Finished
from fsmchat._files import load_spec, write_json
from fsmchat._selectors import make_selector
from fsmchat._spec import Spec
from fsmchat._state import Decision, Message

__all__ = ["ConsoleHuman", "main"]

# Subcommands that live in their own modules, imported only when used so that
# ``fsmchat run`` never pays for the benchmark's or the checker's imports.
_LAZY: dict[str, str] = {
    "bench": "fsmchat._cli_bench:bench",
    "check": "fsmchat._cli_tools:check",
    "draw": "fsmchat._cli_tools:draw",
    "paths": "fsmchat._cli_tools:paths",
    "replay": "fsmchat._cli_durable:replay",
    "schema": "fsmchat._cli_tools:schema",
    "verify": "fsmchat._cli_tools:verify",
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


class ConsoleHuman:
    """A person at this terminal (reads stdin, prompts on stderr)."""

    def input(self, prompt: str) -> str:
        from fsmchat._errors import HumanError

        click.echo(prompt, nl=False, err=True)
        line = sys.stdin.readline()
        if not line:
            msg = "no more input on stdin (end of file) while a human answer was needed"
            raise HumanError(msg)
        return line.rstrip("\n")


class _StderrWarnings(logging.Handler):
    """Shows the library's warnings as ``warning: ...`` on the current stderr."""

    def emit(self, record: logging.LogRecord) -> None:
        click.echo(f"warning: {record.getMessage()}", err=True)


_WARNINGS = _StderrWarnings(logging.WARNING)


def _show_warnings() -> None:
    """Print the library's warnings (refused model answers, fallbacks) on stderr."""
    logger = logging.getLogger("fsmchat")
    if _WARNINGS not in logger.handlers:
        logger.addHandler(_WARNINGS)


def print_message(message: Message) -> None:
    """Print one message as ``Name: content`` (continuation lines indented)."""
    lines = message.content.split("\n") or [""]
    pad = " " * (len(message.name) + 2)
    click.echo(f"{message.name}: {lines[0]}")
    for line in lines[1:]:
        click.echo(f"{pad}{line}")


def print_decision(decision: Decision) -> None:
    """Print one routing step to stderr (for ``--trace``)."""
    who = decision.target or "-"
    extra = f" retries={decision.retries}" if decision.retries else ""
    click.echo(
        f"  [{decision.source} -> {who}] {decision.reason}"
        f" (candidates: {', '.join(decision.candidates) or '-'}){extra}",
        err=True,
    )


def fail(message: str, code: int = 1) -> None:
    """Print ``Error: message`` to stderr and exit with ``code``."""
    click.echo(f"Error: {message}", err=True)
    sys.exit(code)


def load_spec_or_exit(path: str) -> Spec:
    """Load a spec; on problems print them all and exit 1."""
    try:
        return load_spec(path)
    except SpecError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        n = len(exc.problems)
        fail(f"{path}: {n} problem{'s' if n != 1 else ''} in the spec")
        raise  # unreachable; keeps type checkers happy


#: Options shared by the commands that print a chat (``run``, ``replay``).
json_option = click.option(
    "--json",
    "json_out",
    type=click.Path(dir_okay=False, writable=True),
    help="Write the transcript and trace to this JSON file.",
)
trace_option = click.option(
    "--trace", "show_trace", is_flag=True, help="Print each routing decision to stderr."
)


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
    help="Directory of the response cache (default: $FSMCHAT_CACHE_DIR, else .cache/fsmchat).",
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
) -> None:
    """Run the chat described by SPEC and print its transcript."""
    _show_warnings()
    from fsmchat._cli_durable import durable_human, run_recorded

    spec = load_spec_or_exit(spec_path)
    human = durable_human(
        ConsoleHuman(), record=record_path, answers=answers, no_wait=no_wait
    )
    selector: Any = None
    if method.lower() != "fsm":
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
        from fsmchat._llm import LLMResponder, LLMSelector

        llm = LLMResponder(chat_model)
        if selector is None:
            selector = LLMSelector(chat_model)
    kwargs: dict[str, Any] = {}
    if message is not None:
        kwargs["message"] = message
    seen_messages: list[Message] = []
    seen_decisions: list[Decision] = []

    def on_message(m: Message) -> None:
        seen_messages.append(m)
        print_message(m)

    def on_decision(d: Decision) -> None:
        seen_decisions.append(d)
        if show_trace:
            print_decision(d)

    try:
        if record_path is not None:
            result = run_recorded(
                spec,
                spec_path=spec_path,
                record_path=record_path,
                selector=selector,
                llm=llm,
                human=human,
                routing=routing_for_mode(mode),
                message=message,
                max_round=max_round,
                on_message=on_message,
                on_decision=on_decision,
                force=force,
                selection=(
                    method.lower(),
                    seed if method.lower() == "random" else None,
                ),
            )
        else:
            result = run_chat(
                spec,
                selector=selector,
                llm=llm,
                human=human,
                routing=routing_for_mode(mode),
                max_round=max_round,
                on_message=on_message,
                on_decision=on_decision,
                **kwargs,
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
            write_json(json_out, partial.to_dict())
        fail(str(exc))
        return
    finally:
        if chat_model is not None:
            chat_model.close()
    if show_usage:
        _print_usage(result)
    finish_chat(result, json_out)


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

    from fsmchat._config import config_list_from_json, filter_config, make_chat_model

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


def _print_usage(result: ChatResult) -> None:
    """Print model calls and tokens per agent and for routing (stderr)."""
    rows = [(name, u) for name, u in sorted(result.agent_usage.items())]
    rows.append(("(routing)", result.routing_usage))
    width = max(len(name) for name, _ in rows)
    click.echo("usage:", err=True)
    click.echo(
        f"  {'':<{width}}  {'calls':>5}  {'prompt':>8}  {'completion':>10}", err=True
    )
    for name, u in rows:
        click.echo(
            f"  {name:<{width}}  {u.calls:>5}  {u.prompt_tokens:>8}  {u.completion_tokens:>10}",
            err=True,
        )


def finish_chat(result: ChatResult, json_out: str | None) -> None:
    """Write ``--json`` if asked, then say how the chat ended (exit 1 on no route)."""
    if json_out:
        write_json(json_out, result.to_dict())
    end = result.finished
    if end.reason == "no route":
        fail(end.detail)
    click.echo(
        f"-- chat ended: {end.reason} ({end.detail}) after {end.round} messages",
        err=True,
    )


if __name__ == "__main__":  # pragma: no cover
    main()
