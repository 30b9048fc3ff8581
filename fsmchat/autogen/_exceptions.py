"""The exceptions AutoGen programs catch, with AutoGen's names and messages.

AutoGen keeps them in ``autogen.exception_utils``; here they also belong to the
fsmchat error tree, so ``except FsmchatError`` catches them too.
"""

from __future__ import annotations

from fsmchat._core.errors import FsmchatError, SpeakerSelectionError

__all__ = [
    "AgentNameConflict",
    "InvalidCarryOverType",
    "InvalidGroupChat",
    "InvalidMessage",
    "NoEligibleSpeaker",
    "SpeakerSelectionError",
    "UndefinedNextAgent",
]


class AgentNameConflict(FsmchatError):
    """Several agents of a group chat have the name asked for."""

    def __init__(
        self, msg: str = "Found multiple agents with the same name.", *args: object
    ) -> None:
        super().__init__(msg, *args)
        self.message = msg


class NoEligibleSpeaker(FsmchatError):
    """No agent may speak next (a selection function can raise it to end a group chat)."""

    def __init__(self, message: str = "No eligible speakers.") -> None:
        super().__init__(message)
        self.message = message


class UndefinedNextAgent(FsmchatError):
    """``next_agent`` was given agents that are not members of the group chat."""

    def __init__(
        self,
        message: str = "The provided agents list does not overlap with agents in the group.",
    ) -> None:
        super().__init__(message)
        self.message = message


class InvalidCarryOverType(FsmchatError, ValueError):
    """A ``carryover`` that is neither a string nor a list of strings."""


class InvalidGroupChat(FsmchatError, ValueError):
    """A group chat argument AutoGen refuses (with AutoGen's message)."""


class InvalidMessage(FsmchatError, ValueError):
    """A message that is not a valid chat message (no content and no call)."""
