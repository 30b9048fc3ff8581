"""What the CLI's commands share: printing messages and decisions, failing, common options."""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

import click

from fsmchat._core.errors import SpecError
from fsmchat._core.spec import Spec
from fsmchat._core.state import Decision, Message
from fsmchat._run.driver import ChatResult
from fsmchat.adapters._files import load_spec, write_json


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


def count(n: int, word: str) -> str:
    """``n`` and ``word``, plural unless ``n`` is 1: ``1 message``, ``3 messages``."""
    return f"{n} {word}{'s' if n != 1 else ''}"


def named_spec(data: dict[str, Any], spec_path: str | None) -> dict[str, Any]:
    """``data`` (a ``--json`` transcript) naming its spec file, so ``view`` needs no ``--spec``.

    ``spec_path`` is kept as given and as an absolute path; the viewer tries
    both, then the path beside the JSON file.
    """
    if spec_path is None:
        return data
    return {**data, "spec_path": spec_path, "spec_abspath": os.path.abspath(spec_path)}


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


json_option = click.option(
    "--json",
    "json_out",
    type=click.Path(dir_okay=False, writable=True),
    help="Write the transcript and trace to this JSON file.",
)


trace_option = click.option(
    "--trace", "show_trace", is_flag=True, help="Print each routing decision to stderr."
)


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


def finish_chat(
    result: ChatResult, json_out: str | None, spec_path: str | None = None
) -> None:
    """Write ``--json`` if asked, then say how the chat ended (exit 1 on no route)."""
    if json_out:
        write_json(json_out, named_spec(result.to_dict(), spec_path))
    end = result.finished
    if end.reason == "no route":
        fail(end.detail)
    click.echo(
        f"-- chat ended: {end.reason} ({end.detail}) after {count(end.round, 'message')}",
        err=True,
    )
