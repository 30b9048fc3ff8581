"""Chat state as values: messages, the read-only view guards see, and decisions.

Everything here is a frozen attrs class or a cheap read-only view. The engine
owns the only mutable list of messages; guards and ports receive a
:class:`ChatView`, which exposes it without copying (so a routing step costs the
same at message 10 and at message 10,000).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, overload

import attrs

from fsmchat._core.errors import InvalidArgument

__all__ = [
    "Attempt",
    "ChatView",
    "Decision",
    "GuardResult",
    "Message",
    "Usage",
]


def _to_tuple(items: Iterable[Any]) -> tuple[Any, ...]:
    return tuple(items)


@attrs.frozen(kw_only=True)
class Message:
    """One message of a chat: who said it, in which role, and what.

    ``role`` follows OpenAI's roles (``user``, ``assistant``, ``tool``,
    ``system``); ``tool_calls`` and ``tool_call_id`` carry tool use.
    """

    name: str
    content: str
    role: str = "user"
    tool_calls: tuple[Mapping[str, Any], ...] = attrs.field(
        default=(), converter=_to_tuple, eq=False
    )
    tool_call_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the message as AutoGen stores it (``name``, ``role``, ``content``)."""
        out: dict[str, Any] = {
            "name": self.name,
            "role": self.role,
            "content": self.content,
        }
        if self.tool_calls:
            out["tool_calls"] = [dict(c) for c in self.tool_calls]
        if self.tool_call_id is not None:
            out["tool_call_id"] = self.tool_call_id
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Message:
        """Build a message from an AutoGen/OpenAI-style dict.

        Raises:
            InvalidArgument: ``data`` has no usable ``name``.
        """
        name = data.get("name")
        if not isinstance(name, str) or not name:
            msg = f"message has no speaker name: {dict(data)!r:.120}"
            raise InvalidArgument(msg)
        content = data.get("content")
        return cls(
            name=name,
            content="" if content is None else str(content),
            role=str(data.get("role") or "user"),
            tool_calls=tuple(data.get("tool_calls") or ()),
            tool_call_id=data.get("tool_call_id"),
        )


class _Messages(Sequence[Message]):
    """A read-only window onto the engine's message list (no copy)."""

    __slots__ = ("_items",)

    def __init__(self, items: list[Message]) -> None:
        self._items = items

    @overload
    def __getitem__(self, index: int) -> Message: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Message]: ...
    def __getitem__(self, index: int | slice) -> Message | Sequence[Message]:
        if isinstance(index, slice):
            return tuple(self._items[index])
        return self._items[index]

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[Message]:
        return iter(self._items)

    def __repr__(self) -> str:
        return f"<messages n={len(self._items)}>"


class ChatView:
    """What a guard or a port sees of a chat: read-only, cheap to build.

    Attributes:
        messages: every message so far, oldest first (a read-only sequence).
        speaker: the agent who spoke last (the FSM's current state).
        round: the number of messages so far (the first message is round 1).
    """

    __slots__ = ("_items", "messages", "speaker")

    def __init__(self, messages: Sequence[Message], speaker: str) -> None:
        self.messages = messages
        self.speaker = speaker
        # Guards read the last message on every routing step: skip the wrapper.
        items: Sequence[Message] = (
            messages._items if type(messages) is _Messages else messages
        )
        self._items = items

    @property
    def round(self) -> int:
        """The number of messages so far (read when asked: the view is live)."""
        return len(self._items)

    @property
    def last(self) -> Message | None:
        """The last message, or ``None`` before the first one."""
        items = self._items
        return items[-1] if items else None

    @property
    def last_content(self) -> str:
        """The last message's text (``""`` before the first one)."""
        items = self._items
        return items[-1].content if items else ""

    def __repr__(self) -> str:
        return f"<ChatView speaker={self.speaker!r} round={self.round}>"


@attrs.frozen(kw_only=True)
class Usage:
    """Tokens a model call used (as the endpoint or a local count reported)."""

    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
        )


@attrs.frozen(kw_only=True)
class GuardResult:
    """How one outgoing edge fared in a routing step.

    ``result`` is ``True``/``False`` for an evaluated deterministic guard or a
    judged condition, and ``None`` for an edge with no condition (or one that
    was never reached because an earlier edge decided).
    """

    edge: int
    target: str
    kind: str  # "when", "on", "open", "default"
    result: bool | None


@attrs.frozen(kw_only=True)
class Attempt:
    """One answer from a decision port, as received, and why it was refused."""

    raw: str
    error: str | None = None
    usage: Usage | None = None
    latency: float | None = None
    request: Mapping[str, Any] | None = attrs.field(default=None, eq=False)


@attrs.frozen(kw_only=True)
class Decision:
    """The record of one routing step (an entry of the chat's trace).

    Attributes:
        round: the number of messages when the step ran.
        source: the agent who had just spoken.
        candidates: the legal successors the step considered, in order.
        guards: per-edge results of deterministic guards and judged conditions.
        kind: ``"choose"`` or ``"judge"`` when a port was asked, else ``None``.
        attempts: every answer received, valid or not, oldest first.
        edge: index of the edge taken in the spec's ``transitions`` (``None``
            when the step ended the chat, or in a mode without spec edges).
        target: the agent chosen to speak next (``None`` if none was).
        reason: why ``target`` was chosen, e.g. ``"only successor"``,
            ``"guard"``, ``"chosen"``, ``"judged"``, ``"default edge"``,
            ``"no route"``.
    """

    round: int
    source: str
    candidates: tuple[str, ...]
    guards: tuple[GuardResult, ...] = ()
    kind: str | None = None
    attempts: tuple[Attempt, ...] = ()
    edge: int | None = None
    target: str | None = None
    reason: str = ""

    @property
    def retries(self) -> int:
        """How many answers were refused before the step settled."""
        return sum(1 for a in self.attempts if a.error is not None)

    @property
    def usage(self) -> Usage:
        """Tokens used by this step's port calls."""
        total = Usage()
        for a in self.attempts:
            if a.usage is not None:
                total = total + a.usage
        return total

    def to_dict(self) -> dict[str, Any]:
        """Return the decision as plain JSON-ready data."""
        return {
            "round": self.round,
            "source": self.source,
            "candidates": list(self.candidates),
            "guards": [attrs.asdict(g) for g in self.guards],
            "kind": self.kind,
            "attempts": [
                {
                    "raw": a.raw,
                    "error": a.error,
                    "usage": None if a.usage is None else attrs.asdict(a.usage),
                    "latency": a.latency,
                    "request": None if a.request is None else dict(a.request),
                }
                for a in self.attempts
            ],
            "retries": self.retries,
            "edge": self.edge,
            "target": self.target,
            "reason": self.reason,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Decision:
        """Rebuild a decision written by :meth:`to_dict`."""
        return cls(
            round=int(data["round"]),
            source=str(data["source"]),
            candidates=tuple(data.get("candidates") or ()),
            guards=tuple(GuardResult(**g) for g in data.get("guards") or ()),
            kind=data.get("kind"),
            attempts=tuple(
                Attempt(
                    raw=str(a.get("raw", "")),
                    error=a.get("error"),
                    usage=None if a.get("usage") is None else Usage(**a["usage"]),
                    latency=a.get("latency"),
                    request=a.get("request"),
                )
                for a in data.get("attempts") or ()
            ),
            edge=data.get("edge"),
            target=data.get("target"),
            reason=str(data.get("reason", "")),
        )
