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
from fsmchat.cli._allow import allow_option, allowed
from fsmchat.cli._common import (
    _print_usage,
    fail,
    finish_chat,
    print_decision,
    print_message,
)

__all__ = [
    "answer",
    "bench_on_temporal",
    "export",
    "run_on_temporal",
    "run_temporal",
    "status",
    "worker",
]

_T = TypeVar("_T")
_F = TypeVar("_F", bound=Callable[..., Any])

#: Seconds between two looks at a running chat.
POLL = 0.25


def _import_temporal() -> Any:
    try:
        import fsmchat.temporal as temporal
    except ImportError as exc:
        fail(
            f"the Temporal integration needs its extra: pip install 'fsmchat[temporal]' ({exc})"
        )
    return temporal


def temporal_options(func: _F) -> _F:
    """``--temporal HOST:PORT`` (required) and ``--namespace NS``."""
    func = click.option(
        "--namespace",
        default="default",
        show_default=True,
        help="The Temporal namespace.",
    )(func)
    return click.option(
        "--temporal",
        "target",
        metavar="HOST:PORT",
        required=True,
        help="The Temporal service's frontend address (e.g. 127.0.0.1:7233).",
    )(func)


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
        fail(str(exc))
        raise  # unreachable
    finally:
        del runtime
        gc.collect()


# -- worker ---------------------------------------------------------------------


@click.command()
@temporal_options
@click.option(
    "--task-queue", required=True, metavar="QUEUE", help="The queue to serve."
)
@click.option(
    "--config",
    metavar="OAI_CONFIG_LIST",
    default=None,
    help="Model config list for chats that ask a model (as fsmchat run --config).",
)
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Directory of the response cache (default: $FSMCHAT_CACHE_DIR, else .cache/fsmchat).",
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

#: ``run`` options that belong to the worker (or to --record) with --temporal.
_NOT_WITH_TEMPORAL = {
    "config": "--config (the model is the worker's: fsmchat worker --config)",
    "cache_dir": "--cache-dir (the cache is the worker's: fsmchat worker --cache-dir)",
    "record_path": "--record (the workflow history is the record: fsmchat export)",
    "answers": "--answer (answer a waiting chat with: fsmchat answer)",
    "force": "--force",
    "allow": "--allow (the allow-list is the worker's: fsmchat worker --allow)",
}


def run_on_temporal(spec_path: str, opts: dict[str, Any]) -> None:
    """``fsmchat run`` with ``--temporal``: check the options, then :func:`run_temporal`.

    Raises:
        click.UsageError: an option that does not go with ``--temporal``.
    """
    if opts["temporal"] is None:
        msg = "--task-queue and --id need --temporal HOST:PORT"
        raise click.UsageError(msg)
    for key, what in _NOT_WITH_TEMPORAL.items():
        if opts[key]:
            msg = f"--temporal does not take {what}"
            raise click.UsageError(msg)
    method = opts["method"].lower()
    if method == "manual":
        msg = (
            "--select manual does not go with --temporal (a model or a policy decides)"
        )
        raise click.UsageError(msg)
    llm: dict[str, Any] = {}
    if opts["model_name"] is not None:
        llm["model"] = opts["model_name"]
    if opts["cache_seed"] is not None:
        llm["cache_seed"] = opts["cache_seed"]
    if opts["no_cache"]:
        llm["cache_seed"] = None
    run_temporal(
        spec_path,
        target=opts["temporal"],
        namespace=opts["namespace"],
        task_queue=opts["task_queue"],
        chat_id=opts["chat_id"],
        no_wait=opts["no_wait"],
        json_out=opts["json_out"],
        show_trace=opts["show_trace"],
        show_usage=opts["show_usage"],
        options={
            "mode": opts["mode"],
            "method": method,
            "seed": opts["seed"],
            "message": opts["message"],
            "max_round": opts["max_round"],
        },
        llm=llm,
    )


def run_temporal(
    spec_path: str,
    *,
    target: str,
    namespace: str,
    task_queue: str | None,
    chat_id: str | None,
    no_wait: bool,
    json_out: str | None,
    show_trace: bool,
    show_usage: bool,
    options: dict[str, Any],
    llm: dict[str, Any],
) -> None:
    """``fsmchat run SPEC --temporal``: start (or attach to) the chat, print it as ``run`` does."""
    if task_queue is None:
        msg = "--temporal needs --task-queue QUEUE (the queue your workers serve)"
        raise click.UsageError(msg)
    temporal = _import_temporal()
    try:
        chat = temporal.chat_input(spec_path, llm=llm, **options)
    except SpecError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        fail(f"{spec_path}: cannot start this spec")
        return
    except InvalidArgument as exc:
        raise click.UsageError(str(exc)) from None

    async def start(runtime: Any) -> Any:
        client = await temporal.connect(target, namespace=namespace, runtime=runtime)
        handle = await temporal.start_chat(
            client, chat, task_queue=task_queue, id=chat_id
        )
        if no_wait:
            return handle.id
        return await _follow(temporal, handle, show_trace)

    out = _run(start)
    if no_wait:
        click.echo(out)
        return
    state, error = out
    result = temporal.chat_result(state)
    if error is not None:
        if json_out:
            write_json(json_out, result.to_dict())
        fail(f"chat {state['id']} failed: {error}")
    if show_usage:
        _print_usage(result)
    finish_chat(result, json_out)


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
    so_far = f"{n} message{'s' if n != 1 else ''}, {d} decision{'s' if d != 1 else ''}"
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


@click.command()
@temporal_options
@click.argument("chat_id", metavar="ID")
@click.option(
    "--json",
    "json_out",
    type=click.Path(dir_okay=False, writable=True),
    help="Write the chat's state (messages, trace, ...) to this JSON file.",
)
def status(target: str, namespace: str, chat_id: str, json_out: str | None) -> None:
    """Say where the chat ID is: running, waiting for a person, ended, or failed."""
    temporal = _import_temporal()

    async def look(runtime: Any) -> dict[str, Any]:
        client = await temporal.connect(target, namespace=namespace, runtime=runtime)
        state: dict[str, Any] = await temporal.chat_state(
            client.get_workflow_handle(chat_id)
        )
        return state

    state = _run(look)
    if json_out:
        write_json(json_out, state)
    click.echo(_describe(state))


@click.command()
@temporal_options
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
@temporal_options
@click.argument("chat_id", metavar="ID")
@click.option(
    "-o",
    "--output",
    "out_path",
    required=True,
    type=click.Path(dir_okay=False),
    help="The record file to write (JSONL, as run --record writes).",
)
def export(target: str, namespace: str, chat_id: str, out_path: str) -> None:
    """Write chat ID as an fsmchat record that verify, view, replay and draw --trace read."""
    temporal = _import_temporal()

    async def look(runtime: Any) -> dict[str, Any]:
        client = await temporal.connect(target, namespace=namespace, runtime=runtime)
        state: dict[str, Any] = await temporal.chat_state(
            client.get_workflow_handle(chat_id)
        )
        return state

    state = _run(look)
    try:
        temporal.export_record(state, out_path)
    except InvalidArgument as exc:
        raise click.UsageError(str(exc)) from None
    except FsmchatError as exc:
        fail(str(exc))
    click.echo(f"-- wrote {out_path}: {_describe(state)}", err=True)
    sys.stdout.flush()
