"""Starting, following, answering and exporting chats that run as workflows.

These are the client side of :mod:`fsmchat.temporal`: what ``fsmchat run
--temporal``, ``status``, ``answer`` and ``export`` call. A chat's state comes
from the workflow's ``state`` query (a closed chat's too: Temporal replays its
history on a worker to answer).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping
from typing import Any

from temporalio.client import (
    Client,
    WorkflowExecutionStatus,
    WorkflowHandle,
    WorkflowUpdateFailedError,
)
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.envconfig import ClientConfig
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.runtime import Runtime
from temporalio.service import RPCError

from fsmchat._core.build import parse_spec
from fsmchat._core.engine import routing_for_mode
from fsmchat._core.errors import FsmchatError, InvalidArgument, SpecError
from fsmchat._core.events import Finished
from fsmchat._core.state import Decision, Message, Usage
from fsmchat._record.format import RecordHeader, decode_value, spec_digest
from fsmchat._record.writer import RecordWriter
from fsmchat._run.result import ChatResult, UsageCount
from fsmchat.adapters._files import read_text
from fsmchat.temporal._data import (
    DEFAULT_HEARTBEAT,
    QUERY_STATE,
    UPDATE_ANSWER,
    WORKFLOW_NAME,
    ChatInput,
)

__all__ = [
    "answer_chat",
    "chat_input",
    "chat_input_of",
    "chat_result",
    "chat_state",
    "connect",
    "export_record",
    "is_closed",
    "start_chat",
]


async def connect(
    target: str, *, namespace: str = "default", runtime: Runtime | None = None
) -> Client:
    """A client of the Temporal service at ``target`` (``HOST:PORT``).

    TLS and an API key come from Temporal's own client configuration (the
    ``TEMPORAL_API_KEY``, ``TEMPORAL_TLS_*`` environment variables or the
    ``TEMPORAL_CONFIG_FILE`` profile), as for the ``temporal`` CLI; ``target``
    and ``namespace`` are always the ones given. ``runtime``: the SDK runtime
    (its threads) to use; default: the process's.

    Raises:
        FsmchatError: the configuration is unreadable or the service cannot be
            reached.
    """
    try:
        options: dict[str, Any] = dict(ClientConfig.load_client_connect_config())
    except (OSError, RuntimeError, ValueError) as exc:
        msg = (
            f"cannot read Temporal's client configuration (TEMPORAL_* variables): {exc}"
        )
        raise FsmchatError(msg) from exc
    options.update(target_host=target, namespace=namespace)
    if runtime is not None:
        options["runtime"] = runtime
    try:
        return await Client.connect(**options)
    except RuntimeError as exc:  # the SDK's connection failure
        msg = f"cannot reach Temporal at {target} (namespace {namespace!r}): {exc}"
        raise FsmchatError(msg) from exc


def chat_input(
    spec_path: str | os.PathLike[str],
    *,
    llm: Mapping[str, Any] | None = None,
    heartbeat: float = DEFAULT_HEARTBEAT,
    **options: Any,
) -> ChatInput:
    """The workflow input of a chat of the spec file at ``spec_path``.

    ``options`` are :class:`ChatInput` fields (``mode``, ``method``, ``seed``,
    ``message``, ``max_round``); ``llm`` overrides the spec's ``llm`` section.

    Raises:
        SpecError: the file cannot be read or holds problems.
        InvalidArgument: an option is out of range.
    """
    name = os.fspath(spec_path)
    text, problem = read_text(name)
    if problem is not None:
        raise SpecError([problem])
    spec = parse_spec(text, path=name)
    return ChatInput.for_spec(
        spec, text, spec_hash=spec_digest(text), llm=llm, heartbeat=heartbeat, **options
    )


async def start_chat(
    client: Client,
    chat: ChatInput,
    *,
    task_queue: str,
    id: str | None = None,
) -> WorkflowHandle[Any, Any]:
    """Start the chat as a workflow; an id that already runs (or ran) is attached to.

    Returns:
        The workflow's handle (``handle.id`` is the chat's id).
    """
    workflow_id = id or f"fsmchat-{uuid.uuid4().hex[:16]}"
    try:
        return await client.start_workflow(
            WORKFLOW_NAME,
            chat,
            id=workflow_id,
            task_queue=task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )
    except WorkflowAlreadyStartedError:  # it ran already: show that one
        return client.get_workflow_handle(workflow_id)


async def chat_state(handle: WorkflowHandle[Any, Any]) -> dict[str, Any]:
    """The chat so far (the workflow's ``state`` query), with its ``status``.

    A completed chat's state is its result: no worker is needed to read it.

    Raises:
        FsmchatError: no such chat, or no worker answered the query.
    """
    try:
        described = await handle.describe()
        if described.status == WorkflowExecutionStatus.COMPLETED:
            state: dict[str, Any] = await handle.result()
        else:
            state = await handle.query(QUERY_STATE)
    except RPCError as exc:
        msg = f"chat {handle.id}: {exc.message}"
        raise FsmchatError(msg) from exc
    status = described.status
    state["status"] = "UNKNOWN" if status is None else status.name
    state["id"] = handle.id
    return state


async def chat_input_of(client: Client, handle: WorkflowHandle[Any, Any]) -> ChatInput:
    """The input chat ``handle`` was started with (its spec's text among it).

    Read from the first event of the workflow's history: no worker is needed.

    Raises:
        FsmchatError: no such chat.
    """
    try:
        async for event in handle.fetch_history_events(page_size=1):
            started = event.workflow_execution_started_event_attributes
            (chat,) = await client.data_converter.decode(
                list(started.input.payloads), [ChatInput]
            )
            if isinstance(chat, ChatInput):
                return chat
            break
    except RPCError as exc:
        msg = f"chat {handle.id}: {exc.message}"
        raise FsmchatError(msg) from exc
    msg = f"chat {handle.id}: its history holds no chat input"
    raise FsmchatError(msg)


async def answer_chat(handle: WorkflowHandle[Any, Any], text: str) -> dict[str, Any]:
    """Answer the person's turn the chat waits for; return what followed.

    Returns:
        The chat's state after the answer, with ``new_messages``: the messages
        added until it waits for a person again or ends.

    Raises:
        InvalidArgument: the chat is not waiting for a person.
        FsmchatError: no such chat.
    """
    try:
        out: dict[str, Any] = await handle.execute_update(UPDATE_ANSWER, text)
    except WorkflowUpdateFailedError as exc:
        cause = exc.cause
        msg = f"chat {handle.id}: {getattr(cause, 'message', cause)}"
        raise InvalidArgument(msg) from exc
    except RPCError as exc:
        msg = f"chat {handle.id}: {exc.message}"
        raise FsmchatError(msg) from exc
    return out


def chat_result(state: Mapping[str, Any]) -> ChatResult:
    """The :class:`~fsmchat.ChatResult` of a chat's state (as a local chat returns it)."""
    messages = tuple(Message.from_dict(m) for m in state["messages"])
    trace = tuple(Decision.from_dict(d) for d in state["trace"])
    end = state.get("finished")
    if end is None:
        what = "ended with an error" if state.get("error") else "is not finished"
        finished = Finished(
            reason="error" if state.get("error") else "running",
            round=len(messages),
            detail=state.get("error") or f"chat {what}",
        )
    else:
        finished = Finished(
            reason=end["reason"], round=end["round"], detail=end.get("detail", "")
        )
    agents: dict[str, UsageCount] = {}
    for line in state.get("lines", ()):
        if line["type"] == "message" and line.get("usage") is not None:
            name = line["message"]["name"]
            agents[name] = agents.get(name, UsageCount()).add(Usage(**line["usage"]))
    routing = UsageCount()
    for d in trace:
        for a in d.attempts:
            if a.usage is not None or a.request is not None:
                routing = routing.add(a.usage)
    return ChatResult(
        spec_name=state.get("spec", ""),
        messages=messages,
        trace=trace,
        finished=finished,
        agent_usage=agents,
        routing_usage=routing,
    )


def export_record(state: Mapping[str, Any], path: str | os.PathLike[str]) -> None:
    """Write the chat's state as an fsmchat record (what ``run --record`` writes).

    ``fsmchat verify``, ``view``, ``replay`` and ``draw --trace`` read it.

    Raises:
        InvalidArgument: ``path`` exists already, or the chat never started.
        RecordError: the file cannot be written.
    """
    name = os.fspath(path)
    if os.path.exists(name) and os.path.getsize(name) > 0:
        msg = f"{name} exists: export writes a new record (choose another name)"
        raise InvalidArgument(msg)
    given, options = state.get("input") or {}, state.get("options") or {}
    if not options:
        msg = f"chat {state.get('id', '')} has no messages to export ({state.get('error') or 'not started'})"
        raise InvalidArgument(msg)
    method = given.get("method", "fsm")
    header = RecordHeader(
        spec_path=given["spec_path"],
        spec_abspath=given["spec_abspath"],
        spec_name=state["spec"],
        spec_hash=given["spec_hash"],
        routing=routing_for_mode(given.get("mode", "fsm")),
        message=options["message"],
        max_round=options["max_round"],
        max_retries=options["max_retries"],
        context=options["context"],
        selection=(method, given.get("seed") if method == "random" else None),
    )
    with RecordWriter.open(name) as writer:
        writer.write_header(header)
        for line in state["lines"]:
            if line["type"] == "message":
                usage = line.get("usage")
                writer.write_message(
                    Message.from_dict(line["message"]),
                    usage=None if usage is None else Usage(**usage),
                )
            else:
                _write_decision(writer, line)
        _write_end(writer, state)


def _write_decision(writer: RecordWriter, line: Mapping[str, Any]) -> None:
    answers = [decode_value(a) for a in line["answers"]]
    writer.write_decision(Decision.from_dict(line["decision"]), answers=answers)


def _write_end(writer: RecordWriter, state: Mapping[str, Any]) -> None:
    end = state.get("finished")
    waiting = state.get("waiting")
    if end is not None:
        if end["reason"] == "stopped":
            writer.write_stop(end.get("detail", ""))
        writer.write_end(
            Finished(reason=end["reason"], round=end["round"], detail=end["detail"])
        )
    elif waiting is not None:
        writer.write_pause(
            agent=waiting["agent"], request="reply", round=waiting["round"]
        )


def is_closed(state: Mapping[str, Any]) -> bool:
    """True when the chat's workflow is no longer running."""
    return state.get("status") != WorkflowExecutionStatus.RUNNING.name
