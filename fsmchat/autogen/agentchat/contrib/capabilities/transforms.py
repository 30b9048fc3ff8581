"""AutoGen's message transforms: limit the history by count or by tokens.

:class:`MessageHistoryLimiter` keeps the last ``max_messages`` (and the first,
if asked); :class:`MessageTokenLimiter` cuts each message to
``max_tokens_per_message`` and the history to ``max_tokens`` (newest kept),
unless the whole history is under ``min_tokens``. Tokens are counted as
fsmchat's adapters count them (``cl100k_base``, offline).
"""

from __future__ import annotations

import copy
from typing import Any, Protocol

from fsmchat.adapters._tokens import count_tokens

__all__ = ["MessageHistoryLimiter", "MessageTokenLimiter", "MessageTransform"]


class MessageTransform(Protocol):
    """What :class:`TransformMessages` needs of a transform."""

    def apply_transform(self, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The messages, transformed."""
        ...  # pragma: no cover

    def get_logs(
        self,
        pre_transform_messages: list[dict[str, Any]],
        post_transform_messages: list[dict[str, Any]],
    ) -> tuple[str, bool]:
        """A line saying what changed, and whether anything did."""
        ...  # pragma: no cover


def _positive_or_none(value: int | None, name: str) -> int | None:
    if value is not None and value < 1:
        msg = f"{name} must be None or greater than 0"
        raise ValueError(msg)
    return value


class MessageHistoryLimiter:
    """Keeps the last ``max_messages`` messages (and the first with ``keep_first_message``)."""

    def __init__(
        self, max_messages: int | None = None, keep_first_message: bool = False
    ) -> None:
        self._max_messages = _positive_or_none(max_messages, "max_messages")
        self._keep_first_message = keep_first_message

    def apply_transform(self, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The last messages; a tool response is never kept without its call."""
        if self._max_messages is None or len(messages) <= self._max_messages:
            return messages
        first = [messages[0]] if self._keep_first_message else []
        room = self._max_messages - len(first)
        kept = messages[len(messages) - room :] if room > 0 else []
        while kept and kept[0].get("role") == "tool":
            kept = kept[1:]
        return first + kept

    def get_logs(
        self,
        pre_transform_messages: list[dict[str, Any]],
        post_transform_messages: list[dict[str, Any]],
    ) -> tuple[str, bool]:
        """How many messages were removed."""
        removed = len(pre_transform_messages) - len(post_transform_messages)
        if removed > 0:
            return (
                f"Removed {removed} messages. Number of messages reduced from {len(pre_transform_messages)} to {len(post_transform_messages)}.",
                True,
            )
        return "No messages were removed.", False


def _text_tokens(content: Any) -> int:
    if isinstance(content, str):
        return count_tokens(content)
    if isinstance(content, list):
        return sum(
            count_tokens(p.get("text", "")) for p in content if isinstance(p, dict)
        )
    return 0


def _truncate(text: str, n_tokens: int) -> str:
    """The longest prefix of ``text`` that counts at most ``n_tokens`` tokens."""
    if count_tokens(text) <= n_tokens:
        return text
    low, high = 0, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if count_tokens(text[:middle]) <= n_tokens:
            low = middle
        else:
            high = middle - 1
    return text[:low]


class MessageTokenLimiter:
    """Cuts messages to a token budget per message and for the whole history."""

    def __init__(
        self,
        max_tokens_per_message: int | None = None,
        max_tokens: int | None = None,
        min_tokens: int | None = None,
        model: str = "gpt-3.5-turbo-0613",
        filter_dict: dict[str, Any] | None = None,
        exclude_filter: bool = True,
    ) -> None:
        self._max_tokens_per_message = _positive_or_none(
            max_tokens_per_message, "max_tokens_per_message"
        )
        self._max_tokens = _positive_or_none(max_tokens, "max_tokens")
        if min_tokens is not None and min_tokens < 0:
            msg = "min_tokens must be None or greater than or equal to 0"
            raise ValueError(msg)
        if (
            min_tokens is not None
            and max_tokens is not None
            and min_tokens > max_tokens
        ):
            msg = "min_tokens must not be more than max_tokens"
            raise ValueError(msg)
        self._min_tokens = min_tokens or 0
        self._model = model
        self._filter_dict = filter_dict
        self._exclude_filter = exclude_filter

    def apply_transform(self, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The newest messages that fit, each cut to its own budget."""
        if sum(_text_tokens(m.get("content")) for m in messages) < self._min_tokens:
            return messages
        budget = self._max_tokens
        kept: list[dict[str, Any]] = []
        for message in reversed(copy.deepcopy(messages)):
            content = message.get("content")
            if isinstance(content, str):
                limit = self._max_tokens_per_message
                if budget is not None:
                    limit = budget if limit is None else min(limit, budget)
                if limit is not None:
                    message["content"] = _truncate(content, limit)
            used = _text_tokens(message.get("content"))
            if budget is not None:
                if budget <= 0:
                    break
                budget -= used
            kept.insert(0, message)
        return kept

    def get_logs(
        self,
        pre_transform_messages: list[dict[str, Any]],
        post_transform_messages: list[dict[str, Any]],
    ) -> tuple[str, bool]:
        """How many tokens were cut."""
        before = sum(_text_tokens(m.get("content")) for m in pre_transform_messages)
        after = sum(_text_tokens(m.get("content")) for m in post_transform_messages)
        if after < before:
            return (
                f"Truncated {before - after} tokens. Number of tokens reduced from {before} to {after}",
                True,
            )
        return "No tokens were truncated.", False
