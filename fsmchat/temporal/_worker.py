"""Workers: serve a task queue's chats (workflows) and their port calls (activities).

The workflow sandbox re-imports a workflow's module for every chat, so that
module-level state cannot leak between chats. fsmchat's pure layers (the
engine, spec parsing, guards, prompts, the driver loop) are passed through it
deliberately: they do no IO and keep no state that a chat could see, and
importing them once per process instead of once per chat is what makes a
worker fast. So are the modules a worker's allow-list names (their ``call:``
guards run inside the workflow; the operator vouches that they are pure).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import timedelta
from typing import Any

from temporalio.client import Client
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import (
    SandboxedWorkflowRunner,
    SandboxRestrictions,
)

from fsmchat._core.trust import allow_list
from fsmchat.temporal._activities import ChatActivities
from fsmchat.temporal._specs import register_allow
from fsmchat.temporal._workflow import ChatWorkflow

__all__ = ["PASSTHROUGH", "make_worker", "run_worker", "workflow_runner"]

#: Modules passed through the workflow sandbox (pure: no IO, no chat state).
PASSTHROUGH = (
    "fsmchat._core",
    "fsmchat._run",
    "fsmchat._record",
    "fsmchat.examples",
    "fsmchat.temporal._activities",
    "fsmchat.temporal._client",
    "fsmchat.temporal._data",
    "fsmchat.temporal._specs",
    "fsmchat.temporal._worker",
    "transitions",
    "attrs",
    "yaml",
    "jsonschema",
    "jsonschema_specifications",
    "jsonschema_rs",
    "referencing",
    "rpds",
)


def workflow_runner(allow: Iterable[str] = ()) -> SandboxedWorkflowRunner:
    """The sandbox of chat workflows, with fsmchat's pure modules passed through."""
    restrictions = SandboxRestrictions.default.with_passthrough_modules(
        *PASSTHROUGH, *allow
    )
    return SandboxedWorkflowRunner(restrictions=restrictions)


def make_worker(
    client: Client,
    *,
    task_queue: str,
    config_list: Sequence[Mapping[str, Any]] | None = None,
    allow: Iterable[str] = (),
    cache_dir: str | None = None,
    max_concurrent: int = 200,
    drain: float = 30.0,
    workflows: Sequence[type] = (),
    activities: Sequence[Callable[..., Any]] = (),
) -> tuple[Worker, ChatActivities]:
    """A worker serving the chats of ``task_queue`` (not yet running).

    Args:
        client: a connected Temporal client.
        task_queue: the queue to serve.
        config_list: model endpoints for chats that ask a model.
        allow: module prefixes whose ``call:``/``function:`` code chats may
            run here, besides ``fsmchat.examples``. Chats that name other code
            fail with ``UnallowedCode``; nothing they name is imported.
        cache_dir: the response cache's directory.
        max_concurrent: activities and workflow tasks run at once.
        drain: seconds a stopping worker lets the calls in progress finish.
        workflows, activities: more to serve on the same queue (e.g. the
            benchmark's trials, :mod:`fsmchat.bench._temporal`).

    Returns:
        The worker and its activities (``await activities.aclose()`` after
        the worker stopped closes the models' HTTP clients).

    Raises:
        InvalidArgument: a prefix in ``allow`` is not a dotted module name.
    """
    prefixes = tuple(allow)
    allow_list(prefixes)
    register_allow(task_queue, prefixes)
    chats = ChatActivities(config_list=config_list, allow=prefixes, cache_dir=cache_dir)
    worker = Worker(
        client,
        task_queue=task_queue,
        workflows=[ChatWorkflow, *workflows],
        activities=[*chats.activities(), *activities],
        workflow_runner=workflow_runner(prefixes),
        max_concurrent_activities=max_concurrent,
        max_concurrent_workflow_tasks=max_concurrent,
        graceful_shutdown_timeout=timedelta(seconds=drain),
    )
    return worker, chats


async def run_worker(
    client: Client,
    *,
    task_queue: str,
    stop: asyncio.Event,
    config_list: Sequence[Mapping[str, Any]] | None = None,
    allow: Iterable[str] = (),
    cache_dir: str | None = None,
    workflows: Sequence[type] = (),
    activities: Sequence[Callable[..., Any]] = (),
) -> None:
    """Serve ``task_queue`` until ``stop`` is set, then drain: finish the calls in progress.

    Chats in progress are not lost either way: another worker continues them.
    """
    worker, chats = make_worker(
        client,
        task_queue=task_queue,
        config_list=config_list,
        allow=allow,
        cache_dir=cache_dir,
        workflows=workflows,
        activities=activities,
    )
    try:
        async with worker:
            await stop.wait()
    finally:
        await chats.aclose()
