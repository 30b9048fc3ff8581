"""What goes over the wire to an OpenAI-compatible endpoint, as plain functions.

Parsing a raw chat-completion body into a :class:`~fsmchat.ChatResponse` (or a
:class:`Failure` saying what is wrong with it), an HTTP error status into a
:class:`Failure` (retryable or not, and how long ``Retry-After`` asks to wait),
error texts from error bodies, usage (from the body, or counted offline), and
URLs safe to show. Nothing here
imports ``openai`` or does IO; :mod:`fsmchat.adapters._openai` calls it.
"""

from __future__ import annotations

import email.utils
import json
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from fsmchat._core.state import Usage
from fsmchat._core.text import preview
from fsmchat._run.ports import ChatResponse
from fsmchat.adapters import _structured

__all__ = ["Failure", "parse_response", "safe_url", "status_failure"]

_RETRYABLE_STATUS = frozenset({408, 409, 429})


class Failure(Exception):
    """One failed attempt at one endpoint (never leaves the adapter)."""

    def __init__(
        self,
        message: str,
        *,
        retryable: bool = False,
        retry_after: float | None = None,
        schema_rejected: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.retry_after = retry_after
        self.schema_rejected = schema_rejected


def safe_url(url: str) -> str:
    """The URL without user info, query or fragment (they may carry secrets)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def parse_response(
    label: str, kwargs: Mapping[str, Any], text: str, latency: float
) -> ChatResponse:
    try:
        body = json.loads(text)
    except ValueError:
        msg = f"{label}: malformed response: not JSON ({preview(text)})"
        raise Failure(msg) from None
    if not isinstance(body, dict):
        msg = (
            f"{label}: malformed response: expected a JSON object, got {preview(text)}"
        )
        raise Failure(msg)
    if "error" in body and "choices" not in body:
        msg = f"{label}: error in a 200 response: {_error_text(body)}"
        raise Failure(msg)
    choices = body.get("choices")
    if not isinstance(choices, list) or not choices:
        msg = f"{label}: malformed response: no 'choices' ({preview(text)})"
        raise Failure(msg)
    first = choices[0]
    message = first.get("message") if isinstance(first, dict) else None
    if not isinstance(message, dict):
        msg = f"{label}: malformed response: choices[0] has no 'message'"
        raise Failure(msg)
    content = message.get("content")
    if content is not None and not isinstance(content, str):
        msg = f"{label}: malformed response: message content is {type(content).__name__}, not a string"
        raise Failure(msg)
    tool_calls = message.get("tool_calls") or []
    if not isinstance(tool_calls, list) or not all(
        isinstance(c, dict) for c in tool_calls
    ):
        msg = f"{label}: malformed response: tool_calls is not a list of objects"
        raise Failure(msg)
    function_call = message.get("function_call") or None
    if function_call is not None and not isinstance(function_call, dict):
        msg = f"{label}: malformed response: function_call is not an object"
        raise Failure(msg)
    if content is None and not tool_calls and function_call is None:
        msg = f"{label}: malformed response: the message has neither content nor tool_calls"
        raise Failure(msg)
    return ChatResponse(
        content=content,
        tool_calls=tuple(tool_calls),
        function_call=function_call,
        usage=_usage(body.get("usage"), kwargs, content, tool_calls or function_call),
        model=str(body.get("model") or kwargs["model"]),
        latency=latency,
    )


def _error_text(body: Any) -> str:
    if isinstance(body, dict):
        err = body.get("error")
        if isinstance(err, dict) and err.get("message"):
            return str(err["message"])
        if isinstance(err, str):
            return err
        if body.get("message"):
            return str(body["message"])
    return preview(json.dumps(body))


def _usage(
    raw: Any, kwargs: Mapping[str, Any], content: str | None, tool_calls: Any
) -> Usage:
    if isinstance(raw, dict):
        prompt = raw.get("prompt_tokens")
        completion = raw.get("completion_tokens")
        if isinstance(prompt, int) and isinstance(completion, int):
            return Usage(prompt_tokens=prompt, completion_tokens=completion)
    from fsmchat.adapters._tokens import count_message_tokens, count_tokens

    out = content or ""
    if tool_calls:
        out += json.dumps(tool_calls)
    return Usage(
        prompt_tokens=count_message_tokens(kwargs["messages"]),
        completion_tokens=count_tokens(out),
    )


def _retry_after(headers: Any) -> float | None:
    if headers is None:
        return None
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return float(ms) / 1000
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return float(when.timestamp() - time.time())


def status_failure(label: str, exc: Any) -> Failure:
    status = int(exc.status_code)
    response = getattr(exc, "response", None)
    if 300 <= status < 400:  # redirects are never followed (see _clients)
        where = response.headers.get("location") if response is not None else None
        msg = (
            f"{label}: HTTP {status}: redirected to "
            f"{safe_url(where) if where else 'another address'}, not followed (a "
            f"redirect would re-send the prompt and the key): set base_url to the final address"
        )
        return Failure(msg)
    try:
        detail = _error_text(response.json()) if response is not None else str(exc)
    except ValueError:
        detail = preview(response.text) if response is not None else str(exc)
    msg = f"{label}: HTTP {status}: {detail}"
    retryable = status in _RETRYABLE_STATUS or status >= 500
    schema_rejected = _structured.is_rejection(status, detail)
    return Failure(
        msg,
        retryable=retryable,
        retry_after=_retry_after(getattr(response, "headers", None))
        if retryable
        else None,
        schema_rejected=schema_rejected,
    )
