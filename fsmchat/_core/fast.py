"""Constructors of the round's value objects that skip attrs' ``__init__`` (issue 26).

A round builds a :class:`~fsmchat.Message` and a :class:`~fsmchat.Decision`
(and a :class:`~fsmchat.Reply` when the reply is not plain text); a chat builds
one :class:`~fsmchat.AskAgent` per agent. Their attrs ``__init__`` (keyword parsing, defaults,
converters, ``object.__setattr__`` per field) costs about three times storing
the slots directly, and these classes' ``__init__`` does nothing but store:
no validator, no ``__attrs_post_init__``, and the one converter
(``tuple`` of ``tool_calls``) is given a tuple here. :func:`_slot_setters`
checks that at import, field by field, so a new field or a validator makes
this module fail loudly instead of building half an object; a test compares
every constructor here with the class's own, field by field.

The objects are the same classes, equal to and indistinguishable from ones
built by their ``__init__``.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs

from fsmchat._core.events import AskAgent, AskHuman, Reply
from fsmchat._core.spec import AgentSpec
from fsmchat._core.state import Attempt, ChatView, Decision, GuardResult, Message

__all__ = ["ask", "decision", "message", "message_of", "reply"]

_new = object.__new__


def _slot_setters(cls: type, names: tuple[str, ...]) -> tuple[Callable[..., None], ...]:
    """The slot setters of ``cls``'s fields ``names``, checked to be all of a plain ``__init__``."""
    fields = attrs.fields(cls)
    plain = (
        tuple(f.name for f in fields) == names
        and all(f.validator is None and f.init for f in fields)
        and not hasattr(cls, "__attrs_post_init__")
        and "__slots__" in cls.__dict__
    )
    if not plain:  # pragma: no cover - a changed class must change this module
        msg = f"{cls.__name__}'s __init__ is no longer plain storage of {names}"
        raise TypeError(msg)
    return tuple(cls.__dict__[name].__set__ for name in names)


(_m_name, _m_content, _m_role, _m_tool_calls, _m_tool_call_id) = _slot_setters(
    Message, ("name", "content", "role", "tool_calls", "tool_call_id")
)


def message_of(event: Reply) -> Message:
    """The message of a reply: ``Message(name=event.agent, content=..., ...)``."""
    m = _new(Message)
    _m_name(m, event.agent)
    _m_content(m, event.content)
    _m_role(m, event.role)
    _m_tool_calls(m, event.tool_calls)  # a tuple: Reply's converter made it one
    _m_tool_call_id(m, event.tool_call_id)
    return m


def message(name: str, content: str, role: str) -> Message:
    """``Message(name=name, content=content, role=role)`` (no tool use)."""
    m = _new(Message)
    _m_name(m, name)
    _m_content(m, content)
    _m_role(m, role)
    _m_tool_calls(m, ())
    _m_tool_call_id(m, None)
    return m


(
    _r_agent,
    _r_content,
    _r_role,
    _r_tool_calls,
    _r_tool_call_id,
    _r_usage,
) = _slot_setters(
    Reply, ("agent", "content", "role", "tool_calls", "tool_call_id", "usage")
)


def reply(agent: str, content: str, role: str) -> Reply:
    """``Reply(agent=agent, content=content, role=role)`` (no tool use, no usage)."""
    r = _new(Reply)
    _r_agent(r, agent)
    _r_content(r, content)
    _r_role(r, role)
    _r_tool_calls(r, ())
    _r_tool_call_id(r, None)
    _r_usage(r, None)
    return r


(
    _d_round,
    _d_source,
    _d_candidates,
    _d_guards,
    _d_kind,
    _d_attempts,
    _d_edge,
    _d_target,
    _d_reason,
) = _slot_setters(
    Decision,
    (
        "round",
        "source",
        "candidates",
        "guards",
        "kind",
        "attempts",
        "edge",
        "target",
        "reason",
    ),
)


def decision(
    round: int,
    source: str,
    candidates: tuple[str, ...],
    guards: tuple[GuardResult, ...],
    kind: str | None,
    attempts: tuple[Attempt, ...],
    edge: int | None,
    target: str | None,
    reason: str,
) -> Decision:
    """``Decision(round=..., ...)`` with every field given."""
    d = _new(Decision)
    _d_round(d, round)
    _d_source(d, source)
    _d_candidates(d, candidates)
    _d_guards(d, guards)
    _d_kind(d, kind)
    _d_attempts(d, attempts)
    _d_edge(d, edge)
    _d_target(d, target)
    _d_reason(d, reason)
    return d


_asks = {cls: _slot_setters(cls, ("agent", "chat")) for cls in (AskAgent, AskHuman)}


def ask(
    cls: type[AskAgent] | type[AskHuman], agent: AgentSpec, chat: ChatView
) -> AskAgent | AskHuman:
    """``cls(agent=agent, chat=chat)``: the request the engine makes once per agent and chat."""
    set_agent, set_chat = _asks[cls]
    r = _new(cls)
    set_agent(r, agent)
    set_chat(r, chat)
    return r
