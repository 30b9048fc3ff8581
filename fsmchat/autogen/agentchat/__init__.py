"""AutoGen's ``autogen.agentchat`` path: the agents, group chats and chat functions."""

from fsmchat.autogen import (
    Agent,
    AssistantAgent,
    ChatResult,
    ConversableAgent,
    GroupChat,
    GroupChatManager,
    UserProxyAgent,
    a_initiate_chats,
    gather_usage_summary,
    initiate_chats,
    register_function,
)

__all__ = [
    "Agent",
    "AssistantAgent",
    "ChatResult",
    "ConversableAgent",
    "GroupChat",
    "GroupChatManager",
    "UserProxyAgent",
    "a_initiate_chats",
    "gather_usage_summary",
    "initiate_chats",
    "register_function",
]
