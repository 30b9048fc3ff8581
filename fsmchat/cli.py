"""The ``fsmchat`` command line (click).

Exit codes follow click: 0 success, 1 a failure (bad spec, chat ended without a
route, endpoint failure), 2 a usage error (bad arguments, a missing port).
Errors go to stderr as ``Error: ...``; spec problems as ``file:line:col: ...``.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from fsmchat._driver import ChatResult, run_chat
from fsmchat._engine import Routing
from fsmchat._errors import FsmchatError, InvalidArgument, SpecError
from fsmchat._files import load_spec, write_json
from fsmchat._selectors import make_selector
from fsmchat._spec import Spec
from fsmchat._state import Decision, Message

__all__ = ["ConsoleHuman", "main"]

# Subcommands that live in their own modules, imported only when used so that
# ``fsmchat run`` never pays for the benchmark's or the checker's imports.
_LAZY: dict[str, str] = {}


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


@main.command()
@click.argument(
    "spec_path", metavar="SPEC", type=click.Path(exists=True, dir_okay=False)
)
@click.option(
    "--json",
    "json_out",
    type=click.Path(dir_okay=False, writable=True),
    help="Write the transcript and trace to this JSON file.",
)
@click.option(
    "--select",
    "method",
    type=click.Choice(["fsm", "round_robin", "random", "manual"], case_sensitive=False),
    default="fsm",
    show_default=True,
    help="How open choices are settled when no model is configured.",
)
@click.option("--seed", type=int, default=None, help="Seed for --select random.")
@click.option("--message", default=None, help="Override the spec's first message.")
@click.option(
    "--max-round",
    type=click.IntRange(min=1),
    default=None,
    help="Override the spec's max_round.",
)
@click.option(
    "--trace", "show_trace", is_flag=True, help="Print each routing decision to stderr."
)
def run(
    spec_path: str,
    json_out: str | None,
    method: str,
    seed: int | None,
    message: str | None,
    max_round: int | None,
    show_trace: bool,
) -> None:
    """Run the chat described by SPEC and print its transcript."""
    spec = load_spec_or_exit(spec_path)
    human = ConsoleHuman()
    selector: Any = None
    if method.lower() != "fsm":
        try:
            selector = make_selector(method, order=spec.names, seed=seed, human=human)
        except InvalidArgument as exc:
            raise click.UsageError(str(exc)) from None
    kwargs: dict[str, Any] = {}
    if message is not None:
        kwargs["message"] = message
    try:
        result = run_chat(
            spec,
            selector=selector,
            human=human,
            routing=Routing(),
            max_round=max_round,
            on_message=print_message,
            on_decision=print_decision if show_trace else None,
            **kwargs,
        )
    except InvalidArgument as exc:
        raise click.UsageError(str(exc)) from None
    except FsmchatError as exc:
        fail(str(exc))
        return
    _finish(result, json_out)


def _finish(result: ChatResult, json_out: str | None) -> None:
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
