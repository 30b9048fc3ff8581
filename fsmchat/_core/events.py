"""What the engine asks for (requests) and what it is fed back (events).

The engine is sans-IO: :meth:`Engine.next_request` returns one of the request
types below and :meth:`Engine.receive` takes one of the event types. A driver
(:func:`fsmchat.run_chat`, :func:`fsmchat.arun_chat`, or your own loop) connects
them to ports: agents, models, humans.

Requests:
    AskAgent   an LLM or function agent must reply
    AskHuman   a human agent must reply
    Choose     pick the next speaker among ``candidates`` (answer: a name)
    Judge      say which natural-language conditions hold (answer: booleans)
    Finished   the chat is over; ``reason`` says why

Events:
    Reply      the asked agent's message
    Answer     a decision port's answer to Choose or Judge
    Stop       end the chat now (e.g. the human typed ``exit``)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from fsmchat._core.errors import NoRoute
from fsmchat._core.spec import AgentSpec
from fsmchat._core.state import ChatView, Message, Usage, _to_tuple

__all__ = [
    "Answer",
    "AskAgent",
    "AskHuman",
    "Candidate",
    "Choose",
    "Condition",
    "Event",
    "Finished",
    "Judge",
    "Reply",
    "Request",
    "Stop",
]


@attrs.frozen(kw_only=True)
class AskAgent:
    """Agent ``agent`` must reply; ``chat`` is the conversation so far."""

    agent: AgentSpec
    chat: ChatView = attrs.field(eq=False)


@attrs.frozen(kw_only=True)
class AskHuman:
    """Human agent ``agent`` must reply; ``chat`` is the conversation so far."""

    agent: AgentSpec
    chat: ChatView = attrs.field(eq=False)


@attrs.frozen(kw_only=True)
class Candidate:
    """A legal next speaker, with what a selector may be told about it."""

    name: str
    description: str
    condition: str | None = None


@attrs.frozen(kw_only=True)
class Condition:
    """A natural-language edge condition to be judged."""

    target: str
    text: str
    description: str = ""


@attrs.frozen(kw_only=True)
class Choose:
    """Pick the next speaker among ``candidates``; only their names are legal.

    Attributes:
        speaker: who has just spoken.
        candidates: the legal successors, in priority order.
        context: the recent messages the selector may read (bounded by the
            spec's ``selection.context``).
        attempt: 1 for the first ask, 2 for the first re-ask, ...
        problem: why the previous answer was refused (``None`` at first).
        round: messages so far.
    """

    speaker: str
    candidates: tuple[Candidate, ...]
    context: tuple[Message, ...] = attrs.field(eq=False)
    attempt: int = 1
    problem: str | None = None
    round: int = 0

    @property
    def names(self) -> tuple[str, ...]:
        """The legal answers."""
        return tuple(c.name for c in self.candidates)


@attrs.frozen(kw_only=True)
class Judge:
    """Say which of ``conditions`` hold; answer one boolean per condition, in order."""

    speaker: str
    conditions: tuple[Condition, ...]
    context: tuple[Message, ...] = attrs.field(eq=False)
    attempt: int = 1
    problem: str | None = None
    round: int = 0


@attrs.frozen(kw_only=True)
class Finished:
    """The chat is over.

    ``reason`` is one of ``"terminate_when"``, ``"max_round"``, ``"end agent"``,
    ``"no successor"``, ``"no route"`` or ``"stopped"``; ``error`` holds the
    :class:`NoRoute` when the reason is ``"no route"``.
    """

    reason: str
    round: int
    detail: str = ""
    error: NoRoute | None = attrs.field(default=None, eq=False)


Request = AskAgent | AskHuman | Choose | Judge | Finished


@attrs.frozen(kw_only=True)
class Reply:
    """The message of the agent the engine asked for."""

    agent: str
    content: str
    role: str = "assistant"
    tool_calls: tuple[Mapping[str, Any], ...] = attrs.field(
        default=(), converter=_to_tuple, eq=False
    )
    tool_call_id: str | None = None
    usage: Usage | None = None


@attrs.frozen(kw_only=True)
class Answer:
    """A decision port's answer.

    ``value`` is what the port understood: a name for :class:`Choose`, a
    sequence of booleans for :class:`Judge`, or ``None`` if it could not parse
    anything. ``raw`` is the text as received. The engine validates ``value``;
    nothing a port returns is trusted.
    """

    value: str | Sequence[bool] | None
    raw: str = ""
    usage: Usage | None = None
    latency: float | None = None
    request: Mapping[str, Any] | None = attrs.field(default=None, eq=False)


@attrs.frozen(kw_only=True)
class Stop:
    """End the chat now; ``reason`` is recorded."""

    reason: str = "stopped"


Event = Reply | Answer | Stop
