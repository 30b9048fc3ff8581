"""The click options and arguments more than one command takes: one decorator each.

Each takes the help text where commands say different things about the same
option (``--format`` of ``check`` lists diagnostics, of ``prove`` verdicts); the
name, type, metavar and default live here only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

__all__ = [
    "accept_options",
    "accept_v1_option",
    "allow_option",
    "cache_dir_option",
    "config_option",
    "existing_file",
    "force_option",
    "format_option",
    "json_option",
    "max_round_option",
    "output_option",
    "seed_option",
    "spec_argument",
    "spec_option",
    "temporal_options",
    "trace_option",
    "verbose_option",
]

_F = TypeVar("_F", bound=Callable[..., Any])

#: A file that must exist (a missing one is a usage error, exit 2).
existing_file = click.Path(exists=True, dir_okay=False)


def spec_argument(command: _F) -> _F:
    """The ``SPEC`` argument: a spec file that exists."""
    return click.argument("spec_path", metavar="SPEC", type=existing_file)(command)


def spec_option(help: str) -> Callable[[_F], _F]:
    """``--spec SPEC``: the spec a chat file follows, when it does not name its own."""
    return click.option(
        "--spec",
        "spec_path",
        metavar="SPEC",
        type=existing_file,
        default=None,
        help=help,
    )


def format_option(help: str) -> Callable[[_F], _F]:
    """``--format text|json``."""
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(["text", "json"]),
        default="text",
        show_default=True,
        help=help,
    )


def json_option(
    help: str = "Write the transcript and trace to this JSON file.",
) -> Callable[[_F], _F]:
    """``--json FILE``: write what the command saw as JSON."""
    return click.option(
        "--json",
        "json_out",
        type=click.Path(dir_okay=False, writable=True),
        help=help,
    )


def output_option(
    help: str, *, required: bool = False, metavar: str = "FILE"
) -> Callable[[_F], _F]:
    """``-o/--output FILE``: where the command writes its file."""
    return click.option(
        "-o",
        "--output",
        "output",
        metavar=metavar,
        type=click.Path(dir_okay=False, writable=True),
        required=required,
        default=None,
        help=help,
    )


def trace_option(command: _F) -> _F:
    """``--trace``: print each routing decision to stderr."""
    return click.option(
        "--trace",
        "show_trace",
        is_flag=True,
        help="Print each routing decision to stderr.",
    )(command)


def verbose_option(help: str) -> Callable[[_F], _F]:
    """``-v/--verbose``."""
    return click.option("-v", "--verbose", is_flag=True, help=help)


def max_round_option(help: str) -> Callable[[_F], _F]:
    """``--max-round N`` (at least 1)."""
    return click.option(
        "--max-round", type=click.IntRange(min=1), default=None, help=help
    )


def seed_option(help: str, *, default: int | None = None) -> Callable[[_F], _F]:
    """``--seed N``."""
    return click.option(
        "--seed", type=int, default=default, show_default=default is not None, help=help
    )


def force_option(help: str) -> Callable[[_F], _F]:
    """``--force``: go on although the spec changed since the record was written."""
    return click.option("--force", is_flag=True, help=help)


def config_option(help: str) -> Callable[[_F], _F]:
    """``--config OAI_CONFIG_LIST``: a model config list (a variable's name or a JSON file)."""
    return click.option("--config", metavar="OAI_CONFIG_LIST", default=None, help=help)


def cache_dir_option(help: str) -> Callable[[_F], _F]:
    """``--cache-dir DIR``: the directory of the response cache."""
    return click.option(
        "--cache-dir", type=click.Path(file_okay=False), default=None, help=help
    )


def allow_option(what: str) -> Callable[[_F], _F]:
    """The repeatable ``--allow MODULE_PREFIX`` option; ``what`` ends its help."""
    return click.option(
        "--allow",
        metavar="MODULE_PREFIX",
        multiple=True,
        help="Allow the spec's function:/call: references under this module "
        "(repeatable; also FSMCHAT_ALLOW=a,b; fsmchat.examples is always allowed) "
        + what,
    )


def accept_v1_option(
    help: str = "Accept a record of the old format 1 (no hash chain); refused otherwise.",
) -> Callable[[_F], _F]:
    """``--accept-v1``: read a record of the old format 1."""
    return click.option("--accept-v1", is_flag=True, help=help)


def accept_options(command: _F) -> _F:
    """``--accept-v1`` and ``--accept-unkeyed``: read a record the trust rules refuse by default."""
    command = click.option(
        "--accept-unkeyed",
        is_flag=True,
        help="Accept a record without a MAC although a record key is configured "
        "(FSMCHAT_RECORD_KEY or the key file); refused otherwise.",
    )(command)
    return accept_v1_option()(command)


def temporal_options(
    what: str | None = None, *, queue: str | None = None, chat_id: bool = False
) -> Callable[[_F], _F]:
    """``--temporal HOST:PORT`` and ``--namespace NS``, with ``--task-queue`` and ``--id`` if asked.

    ``what`` is the help of ``--temporal`` for a command that runs on Temporal
    only when it is given (``run``, ``bench``, ``view``); without it the command
    always talks to Temporal (``worker``, ``status``, ...) and ``--temporal`` is
    required. ``queue`` is the help of ``--task-queue`` (None: no such option;
    required where ``--temporal`` is); ``chat_id`` adds ``--id``.
    """
    required = what is None

    def with_it(text: str) -> str:
        return text[0].upper() + text[1:] if required else f"With --temporal: {text}"

    options = [
        click.option(
            "--temporal",
            "target",
            metavar="HOST:PORT",
            required=required,
            default=None,
            help=what
            or "The Temporal service's frontend address (e.g. 127.0.0.1:7233).",
        ),
        click.option(
            "--namespace",
            default="default",
            show_default=True,
            help=with_it("the Temporal namespace."),
        ),
    ]
    if queue is not None:
        options.append(
            click.option(
                "--task-queue",
                metavar="QUEUE",
                required=required,
                default=None,
                help=with_it(queue),
            )
        )
    if chat_id:
        options.append(
            click.option(
                "--id",
                "chat_id",
                metavar="ID",
                default=None,
                help=with_it("the chat's id (one that runs is attached to)."),
            )
        )

    def decorate(command: _F) -> _F:
        for option in reversed(options):
            command = option(command)
        return command

    return decorate
