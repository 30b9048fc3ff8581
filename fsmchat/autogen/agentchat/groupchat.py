"""AutoGen's ``autogen.agentchat.groupchat`` path."""

from fsmchat.autogen._exceptions import (
    AgentNameConflict,
    NoEligibleSpeaker,
    UndefinedNextAgent,
)
from fsmchat.autogen._groupchat import GroupChat
from fsmchat.autogen._manager import GroupChatManager

__all__ = [
    "AgentNameConflict",
    "GroupChat",
    "GroupChatManager",
    "NoEligibleSpeaker",
    "UndefinedNextAgent",
]
