"""AutoGen's ``autogen.exception_utils`` path."""

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
    "UndefinedNextAgent",
]
