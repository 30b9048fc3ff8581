"""Alias of the AutoGen-style agents, kept for programs that import ``fsmchat.agents``."""

from fsmchat.autogen import (
    AgentChatResult,
    AssistantAgent,
    ChatResult,
    ConversableAgent,
    FunctionAgent,
    UserProxyAgent,
    register_function,
)

DEFAULT_MAX_CONSECUTIVE_AUTO_REPLY = ConversableAgent.MAX_CONSECUTIVE_AUTO_REPLY

__all__ = [
    "DEFAULT_MAX_CONSECUTIVE_AUTO_REPLY",
    "AgentChatResult",
    "AssistantAgent",
    "ChatResult",
    "ConversableAgent",
    "FunctionAgent",
    "UserProxyAgent",
    "register_function",
]
