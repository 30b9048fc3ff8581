"""Structured output, negotiated per endpoint: ``json_schema``, ``json_object``, or none.

OpenAI-compatible servers disagree on how a request asks for JSON that follows a
schema, and on how they refuse a form they do not know:

==================  ===================================  =============================
mode                what is sent                          who takes it
==================  ===================================  =============================
``json_schema``     ``{"type": "json_schema",             OpenAI, Azure OpenAI, vLLM,
                    "json_schema": {"name", "strict",     Ollama (0.5+), LM Studio
                    "schema"}}``
``json_object``     ``{"type": "json_object",             llama-cpp-python's server
                    "schema": {...}}``                    (``python -m llama_cpp.server``),
                                                          which answers ``json_schema``
                                                          with HTTP 500
``none``            no ``response_format``; the schema    any chat-completions server
                    is appended to the system message
==================  ===================================  =============================

Rules / theory of operation
---------------------------
* Every endpoint starts at ``json_schema`` (or at the mode its config entry
  forces with ``"structured_output": "json_schema" | "json_object" | "none"``).
* A *rejection* — any HTTP 4xx or 5xx whose error text mentions
  ``response_format``, ``json_schema`` or ``schema`` — moves a non-forced
  endpoint one step down the table, and the same request is sent again at once
  (no retry budget is spent, no wait). A forced endpoint is never moved: its
  rejection is an ordinary failure.
* What an endpoint settled on is remembered by :class:`Negotiator` for as long
  as the chat model lives (one run), so only the first decision pays for the
  discovery. The negotiator is guarded by a lock: threads and concurrent tasks
  share it safely, and a mode only ever moves down.
* Whatever the mode, the answer is *not* trusted here: callers parse and
  validate it (the engine accepts only a legal name or a well-formed verdict
  list and re-asks otherwise), so a server that ignores ``response_format``
  altogether cannot produce an illegal transition.

This module is pure data handling (no ``openai``, no IO); the adapter in
:mod:`fsmchat.adapters._openai` calls it while building a request and when a
request failed.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Mapping, Sequence
from typing import Any, Literal, cast

from fsmchat._core.errors import InvalidArgument
from fsmchat._run.ports import to_plain

__all__ = [
    "CONFIG_KEY",
    "OUTPUT_MODES",
    "Mode",
    "Negotiator",
    "apply",
    "forced_mode",
    "is_rejection",
]

Mode = Literal["json_schema", "json_object", "none"]
OUTPUT_MODES: tuple[Mode, ...] = ("json_schema", "json_object", "none")
"""The modes, most structured first: negotiation only ever moves right."""

CONFIG_KEY = "structured_output"
"""The config-list key that forces a mode for one endpoint."""

_LOG = logging.getLogger("fsmchat")
_WHAT = {
    "json_object": "llama-cpp-python's json_object + schema",
    "none": "plain JSON instructions (no response_format: the schema is not enforced "
    "by the server, answers are still validated)",
}

_REJECTION = re.compile(r"response_format|json_schema|schema", re.IGNORECASE)


def forced_mode(config: Mapping[str, Any], index: int) -> Mode | None:
    """The mode config-list entry ``index`` forces, or ``None`` to negotiate.

    Raises:
        InvalidArgument: ``structured_output`` is set to something else than
            one of :data:`OUTPUT_MODES`.
    """
    value = config.get(CONFIG_KEY)
    if value is None:
        return None
    if value not in OUTPUT_MODES:
        choices = ", ".join(repr(m) for m in OUTPUT_MODES)
        msg = (
            f"config_list[{index}].{CONFIG_KEY} is {value!r}; use one of {choices} "
            f"(or leave it out to negotiate)"
        )
        raise InvalidArgument(msg)
    return cast(Mode, value)


def is_rejection(status: int, detail: str) -> bool:
    """Whether an HTTP error means "this server does not take that response_format"."""
    return status >= 400 and _REJECTION.search(detail) is not None


class Negotiator:
    """What each endpoint settled on, shared by every request of one chat model.

    Endpoints are named by any hashable key (the adapter uses the config-list
    index). Thread-safe; modes only move down :data:`OUTPUT_MODES`.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._modes: dict[object, Mode] = {}
        self._forced: dict[object, Mode] = {}

    def force(self, key: object, mode: Mode) -> None:
        """Pin ``key`` to ``mode`` for good (from the config list)."""
        with self._lock:
            self._forced[key] = mode
            self._modes[key] = mode

    def mode(self, key: object) -> Mode:
        """The mode to try first on ``key`` (``json_schema`` until told otherwise)."""
        with self._lock:
            return self._modes.get(key, "json_schema")

    def downgrade(self, key: object, rejected: Mode, *, why: str = "") -> Mode | None:
        """``key`` refused ``rejected``: return the next mode to try, or ``None``.

        A move is logged once on the ``fsmchat`` logger (``why``: the refusal,
        already free of secrets): INFO for ``json_object``, WARNING for ``none``.

        ``None`` means there is nothing left to try (the endpoint is forced, or
        even the plain request was refused); the failure is then an ordinary one.
        When another thread already moved ``key`` further down, that mode is
        returned, so concurrent requests never move an endpoint back up.
        """
        with self._lock:
            if key in self._forced:
                return None
            current = self._modes.get(key, "json_schema")
            if OUTPUT_MODES.index(current) > OUTPUT_MODES.index(rejected):
                return current
            if rejected == OUTPUT_MODES[-1]:
                return None
            following = OUTPUT_MODES[OUTPUT_MODES.index(rejected) + 1]
            self._modes[key] = following
        level = logging.WARNING if following == "none" else logging.INFO
        _LOG.log(
            level,
            "structured output: %s; using %s from now on",
            why or f"{rejected} refused",
            _WHAT[following],
        )
        return following

    def settled(self) -> dict[object, Mode]:
        """A copy of every endpoint's current mode (for logs and tests)."""
        with self._lock:
            return dict(self._modes)

    def __repr__(self) -> str:
        return f"<Negotiator {self.settled()!r}>"


def _schema_of(response_format: Mapping[str, Any]) -> tuple[str, Any] | None:
    """The ``(name, JSON schema)`` a ``response_format`` carries, if any."""
    if response_format.get("type") == "json_schema":
        spec = response_format.get("json_schema")
        if isinstance(spec, Mapping) and "schema" in spec:
            return str(spec.get("name") or "answer"), spec["schema"]
        return None
    if "schema" in response_format:
        return "answer", response_format["schema"]
    return None


def apply(
    response_format: Mapping[str, Any] | None,
    mode: Mode,
    messages: Sequence[Mapping[str, Any]],
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """The ``response_format`` and messages to send for ``mode``.

    Args:
        response_format: what the caller asked for, in OpenAI's ``json_schema``
            form (other forms are sent as they are in ``json_schema`` mode).
        mode: the endpoint's mode.
        messages: the request's messages (not modified).

    Returns:
        ``(response_format or None, messages)``. In ``json_object`` mode the
        schema travels as llama-cpp-python reads it (``{"type": "json_object",
        "schema": ...}``); in ``none`` mode no ``response_format`` is sent and
        the schema is added to the first system message (or a new one) as a
        plain instruction.
    """
    out = [dict(m) for m in messages]  # shallow: only system contents are replaced
    if response_format is None:
        return None, out
    plain = to_plain(response_format)
    if mode == "json_schema":
        return plain, out
    named = _schema_of(plain)
    if mode == "json_object":
        rf: dict[str, Any] = {"type": "json_object"}
        if named is not None:
            rf["schema"] = named[1]
        return rf, out
    if named is None:
        note = "Answer with one JSON object and nothing else."
    else:
        schema = json.dumps(named[1], ensure_ascii=False, sort_keys=False)
        note = (
            "Answer with one JSON object and nothing else, valid against this "
            f"JSON Schema ({named[0]}):\n{schema}"
        )
    for m in out:
        if m.get("role") == "system" and isinstance(m.get("content"), str):
            m["content"] = f"{m['content']}\n\n{note}"
            break
    else:
        out.insert(0, {"role": "system", "content": note})
    return None, out
