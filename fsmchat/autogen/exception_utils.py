"""AutoGen's ``autogen.exception_utils`` path."""

from fsmchat._core.errors import FsmchatError
from fsmchat.autogen._exceptions import (
    AgentNameConflict,
    InvalidCarryOverType,
    NoEligibleSpeaker,
    UndefinedNextAgent,
)

__all__ = [
    "AgentNameConflict",
    "InvalidCarryOverType",
    "NoEligibleSpeaker",
    "SenderRequired",
    "UndefinedNextAgent",
]


class SenderRequired(FsmchatError):
    """A sender is required but was not given."""

    def __init__(self, message: str = "Sender is required but not provided.") -> None:
        super().__init__(message)
        self.message = message
