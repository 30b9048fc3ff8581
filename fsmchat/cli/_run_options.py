"""The options of ``fsmchat run`` as typed values, one frozen object per group.

Each group decorator adds its click options and hands the command one object
(``chat: ChatOptions``, ``model: ModelOptions``, ...) built from them, so the
command and the code it calls see typed fields that ``mypy --strict`` checks,
never a dictionary keyed by option names. The objects are built on every
``fsmchat run`` and never compared or printed, so their classes are made
without ``__eq__``/``__repr__`` (a third of the cost attrs spends at import).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import attrs
import click

from fsmchat._core.engine import MODES
from fsmchat.cli._options import (
    accept_v1_option,
    cache_dir_option,
    config_option,
    force_option,
    json_option,
    max_round_option,
    seed_option,
    temporal_options,
    trace_option,
)

__all__ = [
    "SELECT_CHOICES",
    "ChatOptions",
    "ModelOptions",
    "OutputOptions",
    "RecordOptions",
    "TemporalOptions",
    "chat_options",
    "model_options",
    "output_options",
    "record_options",
    "temporal_run_options",
]

_Command = Callable[..., None]

#: ``--select`` values: ``guards`` settles nothing itself (the spec's guards,
#: or the model of ``--config``, decide), the others are selection policies.
SELECT_CHOICES = ("guards", "round_robin", "random", "manual")

#: The old name of ``--select guards``, still accepted (with a note on stderr).
_DEPRECATED_SELECT = {"fsm": "guards"}


@attrs.frozen(eq=False, repr=False)
class ChatOptions:
    """How the chat runs: ``--select``, ``--seed``, ``--mode``, ``--message``, ``--max-round``."""

    select: str
    seed: int | None
    mode: str
    message: str | None
    max_round: int | None

    @property
    def selection(self) -> tuple[str, int | None]:
        """``(method, seed)`` as records and Temporal chat inputs store it.

        They keep the old word ``fsm`` for ``guards``, so that records written
        before the rename still continue.
        """
        method = "fsm" if self.select == "guards" else self.select
        return method, self.seed if self.select == "random" else None


@attrs.frozen(eq=False, repr=False)
class ModelOptions:
    """The model: ``--config``, ``--model``, ``--cache-seed``, ``--no-cache``, ``--cache-dir``."""

    config: str | None
    name: str | None
    cache_seed: int | None
    no_cache: bool
    cache_dir: str | None


@attrs.frozen(eq=False, repr=False)
class OutputOptions:
    """What is printed or written besides the transcript: ``--json``, ``--trace``, ``--usage``."""

    json_out: str | None
    trace: bool
    usage: bool


@attrs.frozen(eq=False, repr=False)
class RecordOptions:
    """The record: ``--record``, ``--no-wait``, ``--answer``, ``--force``, ``--accept-v1``."""

    path: str | None
    no_wait: bool
    answers: tuple[str, ...]
    force: bool
    accept_v1: bool

    @property
    def wanted(self) -> bool:
        """Whether any option that needs the record layer is given."""
        return self.path is not None or bool(self.answers) or self.no_wait


@attrs.frozen(eq=False, repr=False)
class TemporalOptions:
    """Where the chat runs on Temporal: ``--temporal``, ``--namespace``, ``--task-queue``, ``--id``."""

    target: str | None
    namespace: str
    task_queue: str | None
    chat_id: str | None

    @property
    def wanted(self) -> bool:
        """Whether any option that only goes with ``--temporal`` is given."""
        return any(v is not None for v in (self.target, self.task_queue, self.chat_id))


class _SelectChoice(click.Choice[str]):
    """:data:`SELECT_CHOICES`, plus the deprecated ``fsm`` (a one-line note on stderr)."""

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> Any:
        new = _DEPRECATED_SELECT.get(str(value).lower())
        if new is not None:
            click.echo(
                f"warning: --select {value} is deprecated: use --select {new} "
                "(the same behaviour)",
                err=True,
            )
            return new
        return super().convert(value, param, ctx)


def _with(options: list[Callable[[_Command], _Command]], command: _Command) -> _Command:
    """``command`` with ``options`` added, listed in this order in ``--help``."""
    for option in reversed(options):
        command = option(command)
    return command


#: The options :func:`chat_options` adds, in their ``--help`` order.
_CHAT: list[Callable[[_Command], _Command]] = [
    click.option(
        "--select",
        type=_SelectChoice(SELECT_CHOICES, case_sensitive=False),
        default="guards",
        show_default=True,
        help="How open choices are settled: guards (only the spec's guards "
        "decide, or the model of --config; a spec whose guards can leave a "
        "choice open is refused without one), round_robin, random (needs "
        "--seed), or manual (you choose at the terminal).",
    ),
    seed_option("Seed for --select random."),
    click.option(
        "--mode",
        type=click.Choice(list(MODES)),
        default="fsm",
        show_default=True,
        help="How edges and conditions are used: fsm (guards decide), fsm-nl "
        "(a model judges every 'on' text), graph (any successor, conditions "
        "ignored), free (any agent: AutoGen's unconstrained auto).",
    ),
    click.option("--message", default=None, help="Override the spec's first message."),
    max_round_option("Override the spec's max_round."),
]


def chat_options(command: _Command) -> _Command:
    """``--select``, ``--seed``, ``--mode``, ``--message``, ``--max-round`` as ``chat=ChatOptions``."""

    @functools.wraps(command)
    def gathered(
        *args: Any,
        select: str,
        seed: int | None,
        mode: str,
        message: str | None,
        max_round: int | None,
        **rest: Any,
    ) -> None:
        chat = ChatOptions(
            select=select.lower(),
            seed=seed,
            mode=mode,
            message=message,
            max_round=max_round,
        )
        command(*args, chat=chat, **rest)

    return _with(_CHAT, gathered)


#: The options :func:`output_options` adds, in their ``--help`` order.
_OUTPUT: list[Callable[[_Command], _Command]] = [
    json_option(),
    trace_option,
    click.option(
        "--usage",
        "show_usage",
        is_flag=True,
        help="After the chat, print model calls and tokens per agent and for routing.",
    ),
]


def output_options(command: _Command) -> _Command:
    """``--json``, ``--trace``, ``--usage`` as ``output=OutputOptions``."""

    @functools.wraps(command)
    def gathered(
        *args: Any,
        json_out: str | None,
        show_trace: bool,
        show_usage: bool,
        **rest: Any,
    ) -> None:
        output = OutputOptions(json_out=json_out, trace=show_trace, usage=show_usage)
        command(*args, output=output, **rest)

    return _with(_OUTPUT, gathered)


#: The options :func:`model_options` adds, in their ``--help`` order.
_MODEL: list[Callable[[_Command], _Command]] = [
    config_option(
        "Model config list: the name of an environment variable holding the "
        "JSON list, or a JSON file (as AutoGen's config_list_from_json). "
        "Enables LLM agents and routing by the model."
    ),
    click.option(
        "--model",
        "model_name",
        metavar="NAME",
        default=None,
        help="Use only the configs of this model (needs --config).",
    ),
    click.option(
        "--cache-seed",
        type=int,
        default=None,
        help="Seed of the response cache (default: the spec's "
        "llm.cache_seed, else 41).",
    ),
    click.option("--no-cache", is_flag=True, help="Do not use the response cache."),
    cache_dir_option(
        "Directory of the response cache (default: $FSMCHAT_CACHE_DIR, "
        "else $XDG_CACHE_HOME/fsmchat or ~/.cache/fsmchat)."
    ),
]


def model_options(command: _Command) -> _Command:
    """``--config``, ``--model``, ``--cache-seed``, ``--no-cache``, ``--cache-dir`` as ``model=ModelOptions``."""

    @functools.wraps(command)
    def gathered(
        *args: Any,
        config: str | None,
        model_name: str | None,
        cache_seed: int | None,
        no_cache: bool,
        cache_dir: str | None,
        **rest: Any,
    ) -> None:
        model = ModelOptions(
            config=config,
            name=model_name,
            cache_seed=cache_seed,
            no_cache=no_cache,
            cache_dir=cache_dir,
        )
        command(*args, model=model, **rest)

    return _with(_MODEL, gathered)


#: The options :func:`record_options` adds, in their ``--help`` order.
_RECORD: list[Callable[[_Command], _Command]] = [
    click.option(
        "--record",
        "record_path",
        metavar="FILE",
        type=click.Path(dir_okay=False),
        default=None,
        help="Append every message and routing decision to FILE (JSONL, fsynced per "
        "step); if FILE holds a chat, continue it where it stopped.",
    ),
    click.option(
        "--no-wait",
        is_flag=True,
        help="With --record: when a human must answer, save the pause and "
        "exit 3 instead of reading the terminal.",
    ),
    click.option(
        "--answer",
        "answers",
        metavar="TEXT",
        multiple=True,
        help="With --record: the human's answer to a paused chat (repeat "
        "for several prompts).",
    ),
    force_option(
        "With --record: continue a record even if the spec changed (every "
        "step is re-checked)."
    ),
    accept_v1_option(
        "With --record: continue a record of the old format 1 (no hash "
        "chain; refused otherwise)."
    ),
]


def record_options(command: _Command) -> _Command:
    """``--record``, ``--no-wait``, ``--answer``, ``--force``, ``--accept-v1`` as ``record=RecordOptions``."""

    @functools.wraps(command)
    def gathered(
        *args: Any,
        record_path: str | None,
        no_wait: bool,
        answers: tuple[str, ...],
        force: bool,
        accept_v1: bool,
        **rest: Any,
    ) -> None:
        record = RecordOptions(
            path=record_path,
            no_wait=no_wait,
            answers=answers,
            force=force,
            accept_v1=accept_v1,
        )
        command(*args, record=record, **rest)

    return _with(_RECORD, gathered)


def temporal_run_options(command: _Command) -> _Command:
    """``--temporal``, ``--namespace``, ``--task-queue``, ``--id`` as ``temporal=TemporalOptions``."""

    @functools.wraps(command)
    def gathered(
        *args: Any,
        target: str | None,
        namespace: str,
        task_queue: str | None,
        chat_id: str | None,
        **rest: Any,
    ) -> None:
        where = TemporalOptions(
            target=target, namespace=namespace, task_queue=task_queue, chat_id=chat_id
        )
        command(*args, temporal=where, **rest)

    return temporal_options(
        "Run the chat as a Temporal workflow on the workers of --task-queue "
        "(their --config and --allow apply); --no-wait prints its id.",
        queue="the queue of the workers.",
        chat_id=True,
    )(gathered)
