"""Ports: the one-method interfaces between the engine's driver and the world.

* :class:`Selector` answers :class:`~fsmchat.Choose` and :class:`~fsmchat.Judge`
  requests (a policy, a human, or a model). ``can_judge`` says whether it can
  judge natural-language conditions; policies such as round-robin cannot.
* :class:`Responder` produces an agent's reply (a function agent's callable, an
  LLM agent's model call, ...); a :class:`TurnResponder` given per agent
  (``responders=``) may also answer a human agent's turn, or stop the chat.
* :class:`Human` reads a line from a person, like :func:`input`.
* :class:`CodeRunner` runs code blocks (``fsmchat.adapters`` has the local
  and Docker ones) and returns a :class:`CodeResult` per block.
* :class:`ChatModel` completes one OpenAI-style chat request (the only port
  that talks to a model endpoint; ``fsmchat.adapters`` has the OpenAI one).

Async forms (``AsyncSelector``, ``AsyncResponder``, ``AsyncHuman``) have the same
shape with ``a``-prefixed coroutine methods; :func:`fsmchat.arun_chat` uses
them when a port has them and falls back to the sync method otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import attrs

from fsmchat._core.events import Answer, AskAgent, AskHuman, Choose, Judge, Reply, Stop
from fsmchat._core.state import Usage

if (
    TYPE_CHECKING
):  # only a type here: `fsmchat run` of a spec without code does not load it
    from fsmchat._core.codeblocks import CodeBlock

__all__ = [
    "AsyncChatModel",
    "AsyncHuman",
    "AsyncResponder",
    "AsyncSelector",
    "AsyncTurnResponder",
    "ChatModel",
    "ChatRequest",
    "ChatResponse",
    "CodeResult",
    "CodeRunner",
    "Human",
    "Responder",
    "Selector",
    "TurnResponder",
    "to_plain",
]


@runtime_checkable
class Selector(Protocol):
    """Answers decision requests. The engine validates every answer."""

    can_judge: bool

    def select(self, request: Choose | Judge) -> Answer: ...


@runtime_checkable
class AsyncSelector(Protocol):
    """The async form of :class:`Selector`."""

    can_judge: bool

    async def aselect(self, request: Choose | Judge) -> Answer: ...


@runtime_checkable
class Responder(Protocol):
    """Produces the reply of the agent named in ``request``."""

    def respond(self, request: AskAgent) -> Reply: ...


@runtime_checkable
class AsyncResponder(Protocol):
    """The async form of :class:`Responder`."""

    async def arespond(self, request: AskAgent) -> Reply: ...


@runtime_checkable
class TurnResponder(Protocol):
    """A per-agent responder (``responders={name: ...}``) that may also stop the chat.

    It answers its agent's turn — an :class:`~fsmchat.AskHuman` too, when the
    agent is a human one — with a reply, or with a :class:`~fsmchat.Stop`.
    """

    def respond(self, request: AskAgent | AskHuman) -> Reply | Stop: ...


@runtime_checkable
class AsyncTurnResponder(Protocol):
    """The async form of :class:`TurnResponder`."""

    async def arespond(self, request: AskAgent | AskHuman) -> Reply | Stop: ...


@runtime_checkable
class Human(Protocol):
    """A person at a prompt: returns the line they typed (``""`` for Enter)."""

    def input(self, prompt: str) -> str: ...


@runtime_checkable
class AsyncHuman(Protocol):
    """The async form of :class:`Human`."""

    async def ainput(self, prompt: str) -> str: ...


def _to_tuple(items: Sequence[Any]) -> tuple[Any, ...]:
    return tuple(items)


@attrs.frozen(kw_only=True)
class ChatRequest:
    """One chat-completion request, endpoint-neutral.

    Attributes:
        messages: OpenAI-style messages (``role``, ``content``, optional ``name``,
            ``tool_calls``, ``tool_call_id``).
        model: the model name, or ``None`` for the configured default.
        response_format: an OpenAI ``response_format`` (e.g. a strict
            ``json_schema``), or ``None``.
        tools: OpenAI tool definitions, or empty.
        functions: legacy OpenAI function definitions (sent as ``functions``),
            or empty.
        temperature: sampling temperature, or ``None`` for the configured one.
        purpose: what the call is for (``"reply"``, ``"choose"``, ``"judge"``);
            for accounting and logs, not sent to the endpoint.
    """

    messages: tuple[Mapping[str, Any], ...] = attrs.field(converter=_to_tuple)
    model: str | None = None
    response_format: Mapping[str, Any] | None = None
    tools: tuple[Mapping[str, Any], ...] = attrs.field(default=(), converter=_to_tuple)
    functions: tuple[Mapping[str, Any], ...] = attrs.field(
        default=(), converter=_to_tuple
    )
    temperature: float | None = None
    purpose: str = "reply"


@attrs.frozen(kw_only=True)
class ChatResponse:
    """What a model answered.

    Attributes:
        content: the text (``None`` when the model only called tools).
        tool_calls: OpenAI-style tool calls, if any.
        function_call: a legacy OpenAI function call (``name``, ``arguments``),
            or ``None``.
        usage: tokens used (reported by the endpoint, or counted locally).
        model: the model that answered.
        cached: True when served from the response cache (no request made).
        latency: seconds the call took (0 for a cache hit).
    """

    content: str | None
    tool_calls: tuple[Mapping[str, Any], ...] = attrs.field(
        default=(), converter=_to_tuple
    )
    function_call: Mapping[str, Any] | None = None
    usage: Usage = attrs.field(factory=Usage)
    model: str = ""
    cached: bool = False
    latency: float = 0.0


@runtime_checkable
class ChatModel(Protocol):
    """Completes one chat request. Adapters raise :class:`~fsmchat.LLMError`."""

    def complete(self, request: ChatRequest) -> ChatResponse: ...


@runtime_checkable
class AsyncChatModel(Protocol):
    """The async form of :class:`ChatModel`."""

    async def acomplete(self, request: ChatRequest) -> ChatResponse: ...


@attrs.frozen(kw_only=True)
class CodeResult:
    """What running one code block gave.

    Attributes:
        language: the block's language.
        exit_code: the process's exit status; negative ``-N`` when it was killed
            by signal ``N``; 124 when it timed out; 1 for an unsupported
            language or a missing interpreter (nothing ran).
        output: stdout and stderr, interleaved, capped (see ``max_output``).
        timed_out: True when the block was killed for running too long.
        dropped: how many output bytes the cap dropped.
    """

    language: str
    exit_code: int
    output: str
    timed_out: bool = False
    dropped: int = 0

    @property
    def ok(self) -> bool:
        """True when the block ran and exited with status 0."""
        return self.exit_code == 0 and not self.timed_out


@runtime_checkable
class CodeRunner(Protocol):
    """Runs code blocks in order, stopping after the first one that fails."""

    def run(self, blocks: Sequence[CodeBlock]) -> tuple[CodeResult, ...]: ...


def to_plain(value: Any) -> Any:
    """Return ``value`` with mappings as dicts (text keys) and tuples as lists.

    What a request looks like as JSON: for the SDK, the cache key and the
    Decision record alike.
    """
    if isinstance(value, Mapping):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_plain(v) for v in value]
    return value
