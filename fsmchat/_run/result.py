"""What a finished chat leaves: its :class:`ChatResult` and the :class:`UsageCount` in it.

The value that :func:`~fsmchat.run_chat`, :func:`~fsmchat.arun_chat`, recorded
runs, replays and Temporal workflows all return; apart from the driver so that
what reads results (the CLI, the record layer, the facade) need not know the loop.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from fsmchat._core.events import Finished
from fsmchat._core.state import Decision, Message, Usage

__all__ = ["ChatResult", "UsageCount"]


@attrs.frozen(kw_only=True)
class UsageCount:
    """Model calls and tokens, summed."""

    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0

    def add(self, usage: Usage | None, calls: int = 1) -> UsageCount:
        u = usage or Usage()
        return UsageCount(
            calls=self.calls + calls,
            prompt_tokens=self.prompt_tokens + u.prompt_tokens,
            completion_tokens=self.completion_tokens + u.completion_tokens,
        )


@attrs.frozen(kw_only=True)
class ChatResult:
    """What a finished chat leaves: transcript, trace, why it ended, usage.

    Attributes:
        messages: the transcript.
        trace: one :class:`Decision` per routing step.
        finished: why the chat ended.
        agent_usage: model calls and tokens per agent (LLM agents only).
        routing_usage: model calls and tokens spent on routing decisions.
        engine_seconds: time spent inside the engine (ports excluded).
    """

    spec_name: str
    messages: tuple[Message, ...]
    trace: tuple[Decision, ...]
    finished: Finished
    agent_usage: Mapping[str, UsageCount] = attrs.field(factory=dict)
    routing_usage: UsageCount = attrs.field(factory=UsageCount)
    engine_seconds: float = attrs.field(default=0.0, eq=False)

    @property
    def chat_history(self) -> list[dict[str, Any]]:
        """The transcript as AutoGen-style dicts."""
        return [m.to_dict() for m in self.messages]

    @property
    def summary(self) -> str:
        """The last message's content (AutoGen's ``last_msg`` summary)."""
        return self.messages[-1].content if self.messages else ""

    def to_dict(self) -> dict[str, Any]:
        """Return transcript, trace, ending and usage as JSON-ready data."""
        return {
            "format": "fsmchat.transcript/1",
            "spec": self.spec_name,
            "messages": self.chat_history,
            "trace": [d.to_dict() for d in self.trace],
            "finished": {
                "reason": self.finished.reason,
                "round": self.finished.round,
                "detail": self.finished.detail,
            },
            "usage": {
                "agents": {
                    k: attrs.asdict(v) for k, v in sorted(self.agent_usage.items())
                },
                "routing": attrs.asdict(self.routing_usage),
            },
        }
