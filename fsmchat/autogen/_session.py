"""One chat session on the engine: the plumbing shared by two-agent and group chats.

A chat of AutoGen agents runs as an FSM on :func:`fsmchat.run_chat` (or
:func:`fsmchat.arun_chat`). Whoever starts one (``initiate_chat``, a group chat
manager) opens a :class:`Session` and gives the engine one :class:`AgentResponder`
per agent. A responder asks its agent for a reply with the agent's public
``generate_reply`` (or ``a_generate_reply``), has the agent ``send`` it to its
partner (the other agent, or the manager) without asking for a reply, and hands
the message as received to the engine. A reply of ``None`` becomes a
:class:`~fsmchat.Stop` with the reason the agent gave.

While a session runs it is the *current* session (a context variable, so async
tasks and nested chats each see their own): agents find it with
:func:`current_session` to say why they stop (``stop``), to report a model's
usage and to print notices. No object's private attribute is touched from here.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from typing import Any, Protocol, runtime_checkable

import attrs

from fsmchat._core.events import AskAgent, AskHuman, Reply, Stop
from fsmchat._core.spec import AgentSpec, Edge, Spec
from fsmchat._core.state import Usage
from fsmchat._run.twins import Steps, call, twins
from fsmchat.autogen._utils import content_str, message_to_dict

__all__ = [
    "UNLIMITED_ROUNDS",
    "Agent",
    "AgentResponder",
    "Session",
    "current_session",
    "notice",
    "stop_chat",
    "two_agent_spec",
]

UNLIMITED_ROUNDS = 1_000_000_000
_CURRENT: ContextVar[Session | None] = ContextVar(
    "fsmchat_autogen_session", default=None
)


@runtime_checkable
class Agent(Protocol):
    """What a chat needs of an agent (AutoGen's ``Agent``): a user class with
    these members takes part in chats like a :class:`ConversableAgent`.

    Each ``a_`` method is the async form of the method without the prefix and
    takes the same arguments.
    """

    @property
    def name(self) -> str: ...

    @property
    def description(self) -> str: ...

    def send(
        self,
        message: dict[str, Any] | str,
        recipient: Agent,
        request_reply: bool | None = None,
        silent: bool = False,
    ) -> Any: ...

    async def a_send(self, *args: Any, **kwargs: Any) -> Any: ...

    def receive(
        self,
        message: dict[str, Any] | str,
        sender: Agent,
        request_reply: bool | None = None,
        silent: bool = False,
    ) -> Any: ...

    async def a_receive(self, *args: Any, **kwargs: Any) -> Any: ...

    def generate_reply(
        self,
        messages: list[dict[str, Any]] | None = None,
        sender: Agent | None = None,
        **kwargs: Any,
    ) -> str | dict[str, Any] | None: ...

    async def a_generate_reply(
        self, *args: Any, **kwargs: Any
    ) -> str | dict[str, Any] | None: ...


class Session:
    """One running chat: how it prints, why an agent stopped, what models used.

    Attributes:
        silent: print nothing.
        stop_reason: why the agent replying now ended the chat (set by ``stop``).
        usage: the last model usage of each agent, by name (the engine's accounting).
        last_message: the dict of the last message said (what termination checks read).
    """

    def __init__(self, *, silent: bool) -> None:
        self.silent = silent
        self.stop_reason: str | None = None
        self.usage: dict[str, Usage] = {}
        self.last_message: dict[str, Any] | None = None

    @contextlib.contextmanager
    def active(self) -> Iterator[Session]:
        """Make this the current session for the ``with`` block."""
        token = _CURRENT.set(self)
        try:
            yield self
        finally:
            _CURRENT.reset(token)

    def stop(self, reason: str) -> None:
        """Record why the replying agent ends the chat."""
        self.stop_reason = reason


def current_session() -> Session | None:
    """The session of the chat running in this context, or ``None``."""
    return _CURRENT.get()


def notice(output: Callable[[str], object], text: str) -> None:
    """Print ``text`` with ``output`` unless the chat running now is silent."""
    session = current_session()
    if session is None or not session.silent:
        output(text)


def stop_chat(reason: str) -> None:
    """Record why the replying agent ends the chat running now (outside a chat: nothing)."""
    session = current_session()
    if session is not None:
        session.stop(reason)


@attrs.define(eq=False)
class AgentResponder:
    """The engine's responder for one agent: its reply, sent to ``partner``.

    ``partner`` is the other agent of a two-agent chat, or the group chat's
    manager. The engine gets the message as ``partner`` received it (after the
    agent's ``process_message_before_send`` hooks).
    """

    agent: Any
    partner: Any
    session: Session
    before_send: Callable[[Any], Any] | None = None
    state: str = attrs.field(
        default=attrs.Factory(lambda self: self.agent.name, takes_self=True)
    )

    def _messages(self) -> list[dict[str, Any]] | None:
        book = getattr(
            self.agent, "chat_messages", None
        )  # a plain ``Agent`` may keep none
        return None if book is None else book.get(self.partner, [])

    def _respond(self, request: AskAgent | AskHuman) -> Steps[Reply | Stop]:
        """Ask the agent (``generate_reply``; async: ``a_generate_reply``) and pass its message on."""
        self.session.stop_reason = None
        agent = self.agent
        reply = yield call(
            agent, "generate_reply", messages=self._messages(), sender=self.partner
        )
        if reply is None:
            return Stop(reason=self.session.stop_reason or f"{agent.name} has no reply")
        if self.before_send is not None:
            reply = self.before_send(reply)
        yield call(
            agent, "send", reply, self.partner, False, silent=self.session.silent
        )
        received = (
            _last_of(self.partner, agent)
            or _last_of(agent, self.partner)
            or message_to_dict(reply)
        )
        self.session.last_message = received
        return to_reply(self.state, received, self.session.usage.pop(agent.name, None))

    respond, arespond = twins(_respond)


def _last_of(owner: Any, other: Any) -> dict[str, Any] | None:
    """The last message of ``owner``'s conversation with ``other``, if it keeps one."""
    book = getattr(owner, "chat_messages", None)
    messages = None if book is None else book.get(other)
    return dict(messages[-1]) if messages else None


def to_reply(
    name: str, message: Mapping[str, Any], usage: Usage | None = None
) -> Reply:
    """The engine's :class:`Reply` for an AutoGen message dict said by ``name``."""
    responses = list(message.get("tool_responses") or ())
    return Reply(
        agent=name,
        content=content_str(message.get("content")),
        role=str(message.get("role") or "user"),
        tool_calls=tuple(message.get("tool_calls") or ()),
        tool_call_id=message.get("tool_call_id")
        or (responses[0].get("tool_call_id") if len(responses) == 1 else None),
        usage=usage,
    )


def agent_spec(agent: Any, name: str | None = None) -> AgentSpec:
    """The FSM state of an agent, named ``name`` (default its name; its replies come from its responder)."""
    system = getattr(agent, "system_message", "")
    description = getattr(agent, "description", None)
    return AgentSpec(
        name=name or agent.name,
        kind="llm",
        system_message=system if isinstance(system, str) else "",
        description=description if isinstance(description, str) else "",
    )


def state_names(a: Any, b: Any) -> tuple[str, str]:
    """The states of ``a`` and ``b`` in their two-agent chat: their names, the
    second suffixed ``_2`` when both have one name (AutoGen lets such agents chat)."""
    return (a.name, b.name if b.name != a.name else f"{b.name}_2")


def two_agent_spec(a: Any, b: Any, max_turns: int | None) -> Spec:
    """The two-state FSM of a chat between ``a`` (who starts) and ``b`` (see :func:`state_names`)."""
    first, second = state_names(a, b)
    return Spec(
        agents=[agent_spec(a, first), agent_spec(b, second)],
        transitions=[
            Edge(source=first, target=second),
            Edge(source=second, target=first),
        ],
        start=first,
        max_round=UNLIMITED_ROUNDS if max_turns is None else 2 * max_turns,
        allow_repeat_speaker=False,
        name=f"{a.name}-{b.name}",
        description=f"A two-agent chat between {a.name} and {b.name}.",
    )
