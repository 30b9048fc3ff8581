"""AutoGen's ``autogen.agentchat.groupchat`` path."""

from fsmchat.autogen import (
    AgentNameConflict,
    GroupChat,
    GroupChatManager,
    NoEligibleSpeaker,
    UndefinedNextAgent,
)

__all__ = [
    "AgentNameConflict",
    "GroupChat",
    "GroupChatManager",
    "NoEligibleSpeaker",
    "UndefinedNextAgent",
]
