"""A module a spec names with ``function:``; tests check whether a worker imported it."""

from __future__ import annotations

from fsmchat._core.state import ChatView


def shout(chat: ChatView) -> str:
    """Reply with the last message in capitals."""
    return chat.last_content.upper()
