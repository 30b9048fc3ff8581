"""What travels between a chat's client, its workflow and its activities: plain data.

Nothing here imports Temporal: these are the values a workflow history keeps
(the chat's input, each port call's argument and result), written as JSON by
Temporal's default data converter. The spec travels as its *text*, so a worker
parses it itself and binds its ``call:``/``function:`` references only from its
own allow-list; a client cannot send code.

Rules
-----
* A chat's timeouts and retries come from the chat's configuration: the spec's
  ``llm.timeout`` (seconds per model call) and ``llm.max_retries`` (retries of a
  failing model call, made by the model adapter, honouring ``Retry-After``),
  overridable when the chat is started. They are fixed in the input, so every
  worker that continues the chat applies the same policy. A call that still
  fails is not retried by Temporal (the chat fails, as a local run would).
* Every activity also has a heartbeat timeout: a worker that dies (or stalls)
  mid-call is noticed after it, not after the whole call timeout, and Temporal
  tries the call again on a live worker (``attempts``; 0: until one finishes).
  Finished calls are never made again: their results are in the history.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import attrs

from fsmchat._core.errors import InvalidArgument
from fsmchat._core.events import Reply
from fsmchat._core.spec import Spec
from fsmchat._core.state import Usage
from fsmchat._run.ports import ChatRequest, ChatResponse, to_plain

__all__ = [
    "ACTIVITY_CHOOSE",
    "ACTIVITY_FUNCTION",
    "ACTIVITY_JUDGE",
    "ACTIVITY_REPLY",
    "DEFAULT_HEARTBEAT",
    "DEFAULT_TIMEOUT",
    "NON_RETRYABLE",
    "QUERY_STATE",
    "UPDATE_ANSWER",
    "WORKFLOW_NAME",
    "ChatInput",
    "reply_from_data",
    "reply_to_data",
    "request_from_data",
    "request_to_data",
    "response_from_data",
    "response_to_data",
]

#: The workflow type of a chat.
WORKFLOW_NAME = "fsmchat.Chat"
#: The query returning the chat so far.
QUERY_STATE = "state"
#: The update carrying a person's answer.
UPDATE_ANSWER = "answer"
#: One activity per kind of port call, so a history shows what each step was.
ACTIVITY_REPLY = "fsmchat.llm_reply"
ACTIVITY_CHOOSE = "fsmchat.choose"
ACTIVITY_JUDGE = "fsmchat.judge"
ACTIVITY_FUNCTION = "fsmchat.function_reply"
#: Seconds one model call may take when the spec sets no ``llm.timeout``.
DEFAULT_TIMEOUT = 120.0
#: Seconds a call's retries may spend backing off, on top of their timeouts.
RETRY_ALLOWANCE = 60.0
#: Seconds without a heartbeat after which a call counts as lost (its worker died).
DEFAULT_HEARTBEAT = 30.0
#: Failures that retrying cannot cure (the same input fails the same way).
NON_RETRYABLE = (
    "BoundaryError",
    "CodeRunError",
    "HumanError",
    "LLMError",
    "MissingDependency",
    "InvalidArgument",
    "SpecError",
    "UnallowedCode",
    "UserCodeError",
    "EngineError",
)


@dataclass(frozen=True)
class ChatInput:
    """The input of one chat workflow (what ``fsmchat run --temporal`` sends).

    Attributes:
        spec_text: the spec file's text (YAML or JSON).
        spec_path: the spec's path as the starter gave it (for records).
        spec_abspath: the same, absolute on the starter's machine.
        spec_hash: the digest a record header keeps for the spec.
        mode: the routing mode (``fsm``, ``fsm-nl``, ``graph``, ``free``).
        method: how open choices are settled without a model (``fsm`` = a model
            decides; ``round_robin``; ``random`` with ``seed``).
        seed: the seed of ``random``.
        message: overrides the spec's first message (``None``: the spec's).
        max_round: overrides the spec's ``max_round``.
        llm: the model settings of this chat (the spec's ``llm`` section with
            the starter's overrides: ``model``, ``temperature``, ``timeout``,
            ``cache_seed``, ``max_retries``).
        timeout: seconds one port call may take, its retries included.
        attempts: tries of a port call whose worker died or stalled (0: no limit).
        heartbeat: seconds without a heartbeat after which a call is retried.
    """

    spec_text: str
    spec_path: str
    spec_abspath: str
    spec_hash: str
    mode: str = "fsm"
    method: str = "fsm"
    seed: int | None = None
    message: str | None = None
    max_round: int | None = None
    llm: dict[str, Any] = field(default_factory=dict)
    timeout: float = DEFAULT_TIMEOUT
    attempts: int = 0
    heartbeat: float = DEFAULT_HEARTBEAT

    @classmethod
    def for_spec(
        cls,
        spec: Spec,
        text: str,
        *,
        spec_hash: str,
        llm: Mapping[str, Any] | None = None,
        heartbeat: float = DEFAULT_HEARTBEAT,
        **options: Any,
    ) -> ChatInput:
        """The input of a chat of ``spec`` (read from ``text``).

        ``llm`` overrides keys of the spec's ``llm`` section; its ``timeout``
        and ``max_retries`` become the calls' timeout and retry policy (a call
        may take ``timeout * (max_retries + 1)`` plus the retries' backoff).

        Raises:
            InvalidArgument: a timeout or retry count is out of range.
        """
        settings = {**spec.llm, **(llm or {})}
        timeout = settings.get("timeout", DEFAULT_TIMEOUT)
        retries = settings.get("max_retries", 2)
        if not _number(timeout) or timeout <= 0:
            msg = f"llm.timeout must be a number of seconds > 0, got {timeout!r}"
            raise InvalidArgument(msg)
        if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
            msg = f"llm.max_retries must be an int >= 0, got {retries!r}"
            raise InvalidArgument(msg)
        if not _number(heartbeat) or heartbeat <= 0:
            msg = f"heartbeat must be a number of seconds > 0, got {heartbeat!r}"
            raise InvalidArgument(msg)
        return cls(
            spec_text=text,
            spec_path=spec.source,
            spec_abspath=os.path.abspath(spec.source),
            spec_hash=spec_hash,
            llm=dict(settings),
            # The adapter's own tries, each up to ``timeout``, and their backoff.
            timeout=float(timeout) * (retries + 1) + RETRY_ALLOWANCE,
            heartbeat=float(heartbeat),
            **options,
        )


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def request_to_data(request: ChatRequest) -> dict[str, Any]:
    """A model request as JSON data."""
    return {
        "messages": to_plain(request.messages),
        "model": request.model,
        "response_format": to_plain(request.response_format),
        "tools": to_plain(request.tools),
        "functions": to_plain(request.functions),
        "temperature": request.temperature,
        "purpose": request.purpose,
    }


def request_from_data(data: Mapping[str, Any]) -> ChatRequest:
    """Undo :func:`request_to_data`."""
    return ChatRequest(
        messages=data["messages"],
        model=data.get("model"),
        response_format=data.get("response_format"),
        tools=data.get("tools") or (),
        functions=data.get("functions") or (),
        temperature=data.get("temperature"),
        purpose=data.get("purpose", "reply"),
    )


def response_to_data(response: ChatResponse) -> dict[str, Any]:
    """A model response as JSON data."""
    return {
        "content": response.content,
        "tool_calls": to_plain(response.tool_calls),
        "function_call": to_plain(response.function_call),
        "usage": attrs.asdict(response.usage),
        "model": response.model,
        "cached": response.cached,
        "latency": response.latency,
    }


def response_from_data(data: Mapping[str, Any]) -> ChatResponse:
    """Undo :func:`response_to_data`."""
    return ChatResponse(
        content=data.get("content"),
        tool_calls=data.get("tool_calls") or (),
        function_call=data.get("function_call"),
        usage=Usage(**data.get("usage") or {}),
        model=data.get("model", ""),
        cached=bool(data.get("cached", False)),
        latency=float(data.get("latency") or 0.0),
    )


def reply_to_data(reply: Reply) -> dict[str, Any]:
    """An agent's reply as JSON data."""
    return {
        "agent": reply.agent,
        "content": reply.content,
        "role": reply.role,
        "tool_calls": to_plain(reply.tool_calls),
        "tool_call_id": reply.tool_call_id,
        "usage": None if reply.usage is None else attrs.asdict(reply.usage),
    }


def reply_from_data(data: Mapping[str, Any]) -> Reply:
    """Undo :func:`reply_to_data`."""
    usage = data.get("usage")
    return Reply(
        agent=data["agent"],
        content=data["content"],
        role=data.get("role", "assistant"),
        tool_calls=data.get("tool_calls") or (),
        tool_call_id=data.get("tool_call_id"),
        usage=None if usage is None else Usage(**usage),
    )
