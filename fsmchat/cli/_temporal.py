"""Chats on Temporal from the command line: ``worker``, ``run --temporal``, ``status``,
``answer``, ``export``.

These only translate arguments and print; :mod:`fsmchat.temporal` does the work.
Nothing here is imported unless one of these commands (or ``run --temporal``)
is used, so plain ``fsmchat run`` never loads the Temporal SDK.

Exit codes: 0 done, 1 a failure (the chat failed, the service is unreachable),
2 a usage error.
"""

from __future__ import annotations

import asyncio
import gc
import signal
import sys
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import click

from fsmchat._core.errors import FsmchatError, InvalidArgument, SpecError
from fsmchat._core.state import Decision, Message
from fsmchat.adapters._files import write_json
from fsmchat.cli._allow import allowed
from fsmchat.cli._common import (
    SpecProblems,
    count,
    finish_chat,
    print_decision,
    print_message,
    print_usage,
)
from fsmchat.cli._options import (
    allow_option,
    cache_dir_option,
    config_option,
    json_option,
    output_option,
    temporal_options,
)
from fsmchat.cli._run_options import (
    ChatOptions,
    ModelOptions,
    OutputOptions,
    RecordOptions,
    TemporalOptions,
)

__all__ = [
    "answer",
    "bench_on_temporal",
    "export",
    "run_on_temporal",
    "status",
    "worker",
]

_T = TypeVar("_T")

#: Seconds between two looks at a running chat.
POLL = 0.25


def _import_temporal() -> Any:
    """:mod:`fsmchat.temporal`, or a failure naming the extra to install."""
    try:
        import fsmchat.temporal as temporal
    except ImportError as exc:
        msg = f"the Temporal integration needs its extra: pip install 'fsmchat[temporal]' ({exc})"
        raise click.ClickException(msg) from None
    return temporal


def _run(make: Callable[[Any], Coroutine[Any, Any, _T]]) -> _T:
    """Run ``make(runtime)``; fsmchat errors print ``Error: ...`` and exit 1.

    The command gets its own SDK runtime, dropped (its threads stopped) before
    returning: the SDK's threads, left running into interpreter shutdown, can
    abort the process (temporalio/sdk-python#300).
    """
    from temporalio.runtime import Runtime, TelemetryConfig

    runtime = Runtime(telemetry=TelemetryConfig())
    try:
        return asyncio.run(make(runtime))
    except InvalidArgument as exc:
        raise click.UsageError(str(exc)) from None
    except FsmchatError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        del runtime
        gc.collect()


# -- worker ---------------------------------------------------------------------


@click.command()
@temporal_options(queue="The queue to serve.")
@config_option(
    "Model config list for chats that ask a model (as fsmchat run --config)."
)
@cache_dir_option(
    "Directory of the response cache (default: $FSMCHAT_CACHE_DIR, else "
    "$XDG_CACHE_HOME/fsmchat or ~/.cache/fsmchat)."
)
@allow_option("(chats naming other code fail; nothing they name is imported).")
def worker(
    target: str,
    namespace: str,
    task_queue: str,
    config: str | None,
    cache_dir: str | None,
    allow: tuple[str, ...],
) -> None:
    """Serve the chats of a task queue until Ctrl-C, which drains the calls in progress."""
    import os

    prefixes = allowed(allow)
    config_list = None
    if config is not None:
        from fsmchat.adapters._config import config_list_from_json

        try:
            config_list = config_list_from_json(config)
        except InvalidArgument as exc:
            msg = f"--config {config}: {exc}"
            raise click.UsageError(msg) from None
    temporal = _import_temporal()
    directory = cache_dir or os.environ.get("FSMCHAT_CACHE_DIR") or None

    async def serve(runtime: Any) -> None:
        client = await temporal.connect(target, namespace=namespace, runtime=runtime)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        allows = ", ".join(("fsmchat.examples", *prefixes))
        click.echo(
            f"-- worker serving queue {task_queue!r} at {target} (namespace "
            f"{namespace}; code allowed: {allows}); Ctrl-C drains and stops",
            err=True,
        )
        from fsmchat.bench._temporal import BENCH_ACTIVITIES, BENCH_WORKFLOWS

        await temporal.run_worker(
            client,
            task_queue=task_queue,
            stop=stop,
            config_list=config_list,
            allow=prefixes,
            cache_dir=directory,
            workflows=BENCH_WORKFLOWS,
            activities=BENCH_ACTIVITIES,
        )
        click.echo("-- worker stopped", err=True)

    _run(serve)


# -- run --temporal ---------------------------------------------------------------


def run_on_temporal(
    spec_path: str,
    where: TemporalOptions,
    chat: ChatOptions,
    model: ModelOptions,
    output: OutputOptions,
    record: RecordOptions,
    *,
    allow: tuple[str, ...],
) -> None:
    """``fsmchat run SPEC --temporal``: start (or attach to) the chat, print it as ``run`` does.

    Raises:
        click.UsageError: an option that does not go with ``--temporal``.
    """
    # Long for the options refused with --temporal, one line each; then a start and a follow.
    if where.target is None:
        msg = "--task-queue and --id need --temporal HOST:PORT"
        raise click.UsageError(msg)
    refused = (
        (model.config, "--config (the model is the worker's: fsmchat worker --config)"),
        (
            model.cache_dir,
            "--cache-dir (the cache is the worker's: fsmchat worker --cache-dir)",
        ),
        (record.path, "--record (the workflow history is the record: fsmchat export)"),
        (record.answers, "--answer (answer a waiting chat with: fsmchat answer)"),
        (record.force, "--force"),
        (allow, "--allow (the allow-list is the worker's: fsmchat worker --allow)"),
    )
    for given, what in refused:
        if given:
            msg = f"--temporal does not take {what}"
            raise click.UsageError(msg)
    if chat.select == "manual":
        msg = (
            "--select manual does not go with --temporal (a model or a policy decides)"
        )
        raise click.UsageError(msg)
    if where.task_queue is None:
        msg = "--temporal needs --task-queue QUEUE (the queue your workers serve)"
        raise click.UsageError(msg)
    temporal = _import_temporal()
    method = chat.selection[0]  # the word Temporal chat inputs store
    try:
        chat_input = temporal.chat_input(
            spec_path,
            llm=_llm_overrides(model),
            mode=chat.mode,
            method=method,
            seed=chat.seed,
            message=chat.message,
            max_round=chat.max_round,
        )
    except SpecError as exc:
        msg = f"{spec_path}: cannot start this spec"
        raise SpecProblems(exc.problems, msg) from None
    except InvalidArgument as exc:
        raise click.UsageError(str(exc)) from None
    _start_and_follow(temporal, chat_input, where, record.no_wait, output)


def _llm_overrides(model: ModelOptions) -> dict[str, Any]:
    """The spec's ``llm`` keys that ``--model``, ``--cache-seed`` and ``--no-cache`` override."""
    llm: dict[str, Any] = {}
    if model.name is not None:
        llm["model"] = model.name
    if model.cache_seed is not None:
        llm["cache_seed"] = model.cache_seed
    if model.no_cache:
        llm["cache_seed"] = None
    return llm


def _start_and_follow(
    temporal: Any,
    chat_input: Any,
    where: TemporalOptions,
    no_wait: bool,
    output: OutputOptions,
) -> None:
    """Start the chat (print its id with ``--no-wait``), else print it as it goes."""

    async def start(runtime: Any) -> Any:
        client = await temporal.connect(
            where.target, namespace=where.namespace, runtime=runtime
        )
        handle = await temporal.start_chat(
            client, chat_input, task_queue=where.task_queue, id=where.chat_id
        )
        if no_wait:
            return handle.id
        return await _follow(temporal, handle, output.trace)

    out = _run(start)
    if no_wait:
        click.echo(out)
        return
    state, error = out
    result = temporal.chat_result(state)
    if error is not None:
        if output.json_out:
            write_json(output.json_out, result.to_dict())
        msg = f"chat {state['id']} failed: {error}"
        raise click.ClickException(msg)
    if output.usage:
        print_usage(result)
    finish_chat(result, output.json_out)


async def _follow(
    temporal: Any, handle: Any, show_trace: bool
) -> tuple[dict[str, Any], str | None]:
    """Print the chat's messages as they come; answer its human turns from the terminal."""
    from temporalio.client import WorkflowFailureError

    from fsmchat.adapters._console import ConsoleHuman

    human = ConsoleHuman(end_on_eof=True)
    printed = [0]

    def show(state: dict[str, Any]) -> None:
        """Print the record lines not printed yet, in the order they happened."""
        for line in state.get("lines", [])[printed[0] :]:
            if line["type"] == "message":
                print_message(Message.from_dict(line["message"]))
            elif show_trace:
                print_decision(Decision.from_dict(line["decision"]))
        printed[0] = len(state.get("lines", []))

    done = asyncio.ensure_future(handle.result())

    while True:
        finished, _ = await asyncio.wait({done}, timeout=POLL)
        state = await _state_or_none(temporal, handle)
        if finished:
            try:
                final = done.result()
            except WorkflowFailureError as exc:
                cause = exc.cause
                final = state or {"messages": [], "trace": [], "lines": []}
                final.setdefault("error", None)
                error = f"{getattr(cause, 'type', '') or 'error'}: {getattr(cause, 'message', cause)}"
                show(final)
                final["id"] = handle.id
                return final, error
            final["id"] = handle.id
            show(final)
            return final, None
        if state is None:
            continue
        show(state)
        waiting = state.get("waiting")
        if waiting is not None:
            text = await asyncio.to_thread(human.input, waiting["prompt"])
            await temporal.answer_chat(handle, text)


async def _state_or_none(temporal: Any, handle: Any) -> dict[str, Any] | None:
    """The chat's state, or ``None`` while no worker has picked it up yet."""
    try:
        state: dict[str, Any] = await temporal.chat_state(handle)
    except FsmchatError:
        return None
    return state


def bench_on_temporal(
    cfg: Any, where: tuple[str, str, str], *, progress: Callable[[Any], object]
) -> Any:
    """``fsmchat bench --temporal``: the benchmark's trials as workflows."""
    temporal = _import_temporal()
    target, namespace, task_queue = where

    async def bench(runtime: Any) -> Any:
        from fsmchat.bench._temporal import run_benchmark_temporal

        client = await temporal.connect(target, namespace=namespace, runtime=runtime)
        return await run_benchmark_temporal(
            cfg, client, task_queue=task_queue, progress=progress
        )

    return _run(bench)


# -- status, answer, export -----------------------------------------------------------


def _describe(state: dict[str, Any]) -> str:
    n, d = len(state["messages"]), len(state["trace"])
    so_far = f"{count(n, 'message')}, {count(d, 'decision')}"
    end, waiting = state.get("finished"), state.get("waiting")
    if end is not None:
        what = f"ended: {end['reason']} ({end['detail']})"
    elif state.get("error"):
        what = f"failed: {state['error']}"
    elif waiting is not None:
        what = f"waiting for {waiting['agent']} (answer with: fsmchat answer ... {state['id']} TEXT)"
    else:
        what = "running"
    return f"{state['id']}: {state['status']}, {what}; {so_far}"


def _chat_state(temporal: Any, target: str, namespace: str, chat_id: str) -> Any:
    """The state of chat ``chat_id`` (``status`` and ``export``)."""

    async def look(runtime: Any) -> dict[str, Any]:
        client = await temporal.connect(target, namespace=namespace, runtime=runtime)
        state: dict[str, Any] = await temporal.chat_state(
            client.get_workflow_handle(chat_id)
        )
        return state

    return _run(look)


@click.command()
@temporal_options()
@click.argument("chat_id", metavar="ID")
@json_option("Write the chat's state (messages, trace, ...) to this JSON file.")
def status(target: str, namespace: str, chat_id: str, json_out: str | None) -> None:
    """Say where the chat ID is: running, waiting for a person, ended, or failed."""
    state = _chat_state(_import_temporal(), target, namespace, chat_id)
    if json_out:
        write_json(json_out, state)
    click.echo(_describe(state))


@click.command()
@temporal_options()
@click.argument("chat_id", metavar="ID")
@click.argument("text")
def answer(target: str, namespace: str, chat_id: str, text: str) -> None:
    """Answer the person's turn chat ID waits for with TEXT; print what followed."""
    temporal = _import_temporal()

    async def send(runtime: Any) -> dict[str, Any]:
        client = await temporal.connect(target, namespace=namespace, runtime=runtime)
        handle = client.get_workflow_handle(chat_id)
        out: dict[str, Any] = await temporal.answer_chat(handle, text)
        out["id"] = chat_id
        out["status"] = "RUNNING" if out.get("finished") is None else "COMPLETED"
        return out

    state = _run(send)
    for m in state.get("new_messages", ()):
        print_message(Message.from_dict(m))
    click.echo(f"-- {_describe(state)}", err=True)


@click.command()
@temporal_options()
@click.argument("chat_id", metavar="ID")
@output_option(
    "The record file to write (JSONL, as run --record writes).", required=True
)
def export(target: str, namespace: str, chat_id: str, output: str) -> None:
    """Write chat ID as an fsmchat record that verify, view, replay and draw --trace read."""
    temporal = _import_temporal()
    state = _chat_state(temporal, target, namespace, chat_id)
    try:
        temporal.export_record(state, output)
    except InvalidArgument as exc:
        raise click.UsageError(str(exc)) from None
    except FsmchatError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"-- wrote {output}: {_describe(state)}", err=True)
    sys.stdout.flush()
