"""What the CLI's commands share: printing messages and decisions, errors, loading a spec.

Errors are click's own exceptions, so click prints them and picks the exit
code: :class:`click.ClickException` (``Error: ...``, exit 1) for a failure,
:class:`click.UsageError` (exit 2) for bad arguments, and :class:`SpecProblems`
for a spec with problems (each ``file:line:col: ...`` line first).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from typing import IO, TYPE_CHECKING, Any

import click

from fsmchat._core.errors import Problem, SpecError
from fsmchat._core.state import Decision, Message
from fsmchat.adapters._files import load_spec, write_json

if TYPE_CHECKING:
    from fsmchat._core.spec import Spec
    from fsmchat._run.result import ChatResult

__all__ = [
    "SpecProblems",
    "count",
    "finish_chat",
    "load_spec_or_exit",
    "named_spec",
    "print_decision",
    "print_message",
    "print_usage",
    "show_warnings",
]


class SpecProblems(click.ClickException):
    """Spec problems: each printed as ``file:line:col: ...``, then ``Error: summary``; exit 1."""

    def __init__(
        self, problems: Iterable[Problem], summary: str, *, note: str | None = None
    ) -> None:
        super().__init__(summary)
        self.problems = tuple(problems)
        self.note = note

    @classmethod
    def counted(cls, exc: SpecError, path: str, what: str) -> SpecProblems:
        """``path: N problem(s) <what>`` for the problems of ``exc``."""
        n = len(exc.problems)
        return cls(exc.problems, f"{path}: {count(n, 'problem')} {what}")

    def show(self, file: IO[Any] | None = None) -> None:
        """Print the problems, the note if any, then ``Error: summary`` (all on stderr)."""
        for problem in self.problems:
            click.echo(str(problem), err=True, file=file)
        if self.note is not None:
            click.echo(self.note, err=True, file=file)
        super().show(file)


class _StderrWarnings(logging.Handler):
    """Shows the library's warnings as ``warning: ...`` on the current stderr."""

    def emit(self, record: logging.LogRecord) -> None:
        click.echo(f"warning: {record.getMessage()}", err=True)


_WARNINGS = _StderrWarnings(logging.WARNING)


def show_warnings() -> None:
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
    """Print one routing decision to stderr (for ``--trace``)."""
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


def load_spec_or_exit(path: str) -> Spec:
    """Load a spec.

    Raises:
        SpecProblems: the spec's problems, all at once (exit 1).
    """
    try:
        return load_spec(path)
    except SpecError as exc:
        raise SpecProblems.counted(exc, path, "in the spec") from None


def print_usage(result: ChatResult) -> None:
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
    """Write ``--json`` if asked, then say how the chat ended.

    Raises:
        click.ClickException: the chat ended with no route (exit 1).
    """
    if json_out:
        write_json(json_out, named_spec(result.to_dict(), spec_path))
    end = result.finished
    if end.reason == "no route":
        raise click.ClickException(end.detail)
    click.echo(
        f"-- chat ended: {end.reason} ({end.detail}) after {count(end.round, 'message')}",
        err=True,
    )
