"""How real OpenAI-compatible servers take ``response_format``, answer and fail.

A :class:`Dialect` makes :class:`~fsmchat.testing.FakeOpenAIServer` behave like
one server family, from its documented request and response shapes:

``openai``
    OpenAI's API: ``json_schema`` (needs ``json_schema.name`` and ``schema``)
    and ``json_object`` (needs the word "json" in the messages) are taken; an
    unknown key such as ``response_format.schema`` is a 400 ``unknown_parameter``.
    Errors are ``{"error": {"message", "type", "param", "code"}}``; answers
    carry ``system_fingerprint``, ``refusal``/``annotations`` on the message and
    token details in ``usage``.
``vllm``
    vLLM's ``vllm serve``: ``json_schema`` and ``json_object`` are taken (guided
    decoding; a stray ``schema`` key is ignored with a log line). Errors are
    vLLM's ``ErrorResponse``: ``{"object": "error", "message", "type":
    "BadRequestError", "param", "code": 400}``; choices carry ``stop_reason``,
    messages ``reasoning_content`` and an empty ``tool_calls`` list.
``ollama``
    Ollama's ``/v1`` compatibility layer (0.5+): ``json_schema`` becomes the
    request's ``format`` schema, ``json_object`` becomes ``format: "json"`` (a
    ``schema`` key is dropped). Errors are OpenAI-shaped with type
    ``invalid_request_error``; answers carry ``system_fingerprint: "fp_ollama"``.
``llama-cpp-python``
    ``python -m llama_cpp.server``: its request model knows only ``text`` and
    ``json_object`` (with an optional ``schema``, compiled to a grammar); a
    ``json_schema`` request fails validation and the server's catch-all error
    handler answers **HTTP 500** ``{"error": {"message": "<validation text
    naming response_format>", "type": "internal_server_error"}}``.
``plain``
    A server (or proxy) without structured output: any ``response_format``
    other than ``text`` is a 400 saying ``response_format`` is not supported.

The dialect checks the request before the test's handler sees it; the
handler's answers (a ``str`` or a :func:`completion` dict) are then dressed in
the dialect's response shape.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

import attrs

__all__ = ["DIALECTS", "Dialect", "schema_in_request"]


def _openai_error(
    status: int, message: str, param: str | None, code: str | None
) -> Any:
    kind = "invalid_request_error" if status < 500 else "server_error"
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


def _vllm_error(status: int, message: str, param: str | None, code: str | None) -> Any:
    return {
        "object": "error",
        "message": message,
        "type": "BadRequestError",
        "param": param,
        "code": status,
    }


def _llama_cpp_error(
    status: int, message: str, param: str | None, code: str | None
) -> Any:
    kind = "internal_server_error" if status >= 500 else "invalid_request_error"
    return {"error": {"message": message, "type": kind, "param": None, "code": None}}


def _kind(rf: Any) -> str:
    """``absent``, ``text``, ``json_schema``, ``json_object``, ``json_object+schema``, or the odd type."""
    if rf is None:
        return "absent"
    if not isinstance(rf, Mapping):
        return repr(rf)
    kind = str(rf.get("type"))
    if kind == "json_object" and "schema" in rf:
        return "json_object+schema"
    return kind


def _openai_check(body: Mapping[str, Any]) -> tuple[int, str, str | None] | None:
    rf = body.get("response_format")
    kind = _kind(rf)
    if kind in ("absent", "text"):
        return None
    if kind == "json_schema":
        spec = rf.get("json_schema") if isinstance(rf, Mapping) else None
        if not isinstance(spec, Mapping) or "name" not in spec:
            return (
                400,
                "Missing required parameter: 'response_format.json_schema.name'.",
                "missing_required_parameter",
            )
        return None
    if kind == "json_object+schema":
        return 400, "Unknown parameter: 'response_format.schema'.", "unknown_parameter"
    if kind == "json_object":
        if "json" not in json.dumps(body.get("messages", [])).lower():
            return (
                400,
                "'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'.",
                None,
            )
        return None
    return (
        400,
        f"Invalid value: '{kind}'. Supported values are: 'text', 'json_object', and 'json_schema'.",
        "invalid_value",
    )


def _vllm_check(body: Mapping[str, Any]) -> tuple[int, str, str | None] | None:
    kind = _kind(body.get("response_format"))
    if kind in ("absent", "text", "json_object", "json_object+schema", "json_schema"):
        return None
    return (
        400,
        f"1 validation error for ChatCompletionRequest\nresponse_format.type\n  Input should be 'text', 'json_object' or 'json_schema' [input_value='{kind}']",
        None,
    )


def _ollama_check(body: Mapping[str, Any]) -> tuple[int, str, str | None] | None:
    kind = _kind(body.get("response_format"))
    if kind in ("absent", "text", "json_object", "json_object+schema", "json_schema"):
        return None
    return 400, f"invalid response_format type: {kind}", None


def _llama_cpp_check(body: Mapping[str, Any]) -> tuple[int, str, str | None] | None:
    kind = _kind(body.get("response_format"))
    if kind in ("absent", "text", "json_object", "json_object+schema"):
        return None
    given = kind.split("+")[0]
    message = (
        "[{'type': 'literal_error', 'loc': ('body', 'response_format', 'type'), "
        "'msg': \"Input should be 'text' or 'json_object'\", "
        f"'input': '{given}', 'ctx': {{'expected': \"'text' or 'json_object'\"}}}}]"
    )
    return 500, message, None


def _plain_check(body: Mapping[str, Any]) -> tuple[int, str, str | None] | None:
    kind = _kind(body.get("response_format"))
    if kind in ("absent", "text"):
        return None
    return 400, f"response_format of type {kind} is not supported by this server", None


def _openai_shape(body: dict[str, Any]) -> dict[str, Any]:
    body["system_fingerprint"] = "fp_fake0000"
    body["service_tier"] = "default"
    for choice in body["choices"]:
        choice.setdefault("logprobs", None)
        choice["message"].setdefault("refusal", None)
        choice["message"].setdefault("annotations", [])
    if "usage" in body:
        body["usage"]["prompt_tokens_details"] = {"cached_tokens": 0, "audio_tokens": 0}
        body["usage"]["completion_tokens_details"] = {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
        }
    return body


def _vllm_shape(body: dict[str, Any]) -> dict[str, Any]:
    body["prompt_logprobs"] = None
    for choice in body["choices"]:
        choice.setdefault("logprobs", None)
        choice["stop_reason"] = None
        choice["message"].setdefault("reasoning_content", None)
        choice["message"].setdefault("tool_calls", [])
    if "usage" in body:
        body["usage"]["prompt_tokens_details"] = None
    return body


def _ollama_shape(body: dict[str, Any]) -> dict[str, Any]:
    body["id"] = "chatcmpl-414"
    body["system_fingerprint"] = "fp_ollama"
    return body


def _llama_cpp_shape(body: dict[str, Any]) -> dict[str, Any]:
    body["id"] = "chatcmpl-1f0e9b1c-0f8e-4bd7-a5a5-2c1d0c4f9b3a"
    for choice in body["choices"]:
        choice.setdefault("logprobs", None)
    return body


@attrs.frozen
class Dialect:
    """One server family's ``response_format`` rules and body shapes (see module doc).

    Attributes:
        name: the dialect's name (a key of :data:`DIALECTS`).
        check: returns ``(status, message, code)`` when the server refuses the
            request, ``None`` when it takes it.
        error: builds the server's error body from status, message, param, code.
        shape: adds the server's own fields to a completion body (in place).
    """

    name: str
    check: Callable[[Mapping[str, Any]], tuple[int, str, str | None] | None]
    error: Callable[[int, str, str | None, str | None], Any]
    shape: Callable[[dict[str, Any]], dict[str, Any]]

    def refusal(self, body: Any) -> tuple[int, Any] | None:
        """``(status, error body)`` when this server would refuse ``body``."""
        if not isinstance(body, Mapping):
            return 400, self.error(
                400, "the request body is not a JSON object", None, None
            )
        found = self.check(body)
        if found is None:
            return None
        status, message, code = found
        return status, self.error(status, message, "response_format", code)


DIALECTS: Mapping[str, Dialect] = {
    d.name: d
    for d in (
        Dialect(
            name="openai", check=_openai_check, error=_openai_error, shape=_openai_shape
        ),
        Dialect(name="vllm", check=_vllm_check, error=_vllm_error, shape=_vllm_shape),
        Dialect(
            name="ollama", check=_ollama_check, error=_openai_error, shape=_ollama_shape
        ),
        Dialect(
            name="llama-cpp-python",
            check=_llama_cpp_check,
            error=_llama_cpp_error,
            shape=_llama_cpp_shape,
        ),
        Dialect(
            name="plain", check=_plain_check, error=_openai_error, shape=lambda b: b
        ),
    )
}
"""The dialects by name."""


def schema_in_request(body: Mapping[str, Any]) -> Any:
    """The JSON schema a chat request asks the answer to follow, wherever it travels.

    Looks in ``response_format`` (``json_schema.schema`` or llama-cpp-python's
    ``schema``), then in the system messages (fsmchat's plain-instruction form:
    the schema as JSON after "JSON Schema"). Returns ``None`` when there is none.
    """
    rf = body.get("response_format")
    if isinstance(rf, Mapping):
        spec = rf.get("json_schema")
        if isinstance(spec, Mapping) and "schema" in spec:
            return spec["schema"]
        if "schema" in rf:
            return rf["schema"]
    decoder = json.JSONDecoder()
    for m in body.get("messages", []):
        text = m.get("content") if isinstance(m, Mapping) else None
        if m.get("role") != "system" or not isinstance(text, str):
            continue
        at = text.find("JSON Schema")
        start = text.find("{", at) if at >= 0 else -1
        if start >= 0:
            try:
                return decoder.raw_decode(text, start)[0]
            except ValueError:
                continue
    return None
