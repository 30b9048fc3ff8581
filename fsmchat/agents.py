"""Alias of the AutoGen-style agents, kept for programs that import ``fsmchat.agents``."""

from fsmchat.autogen._agents import (
    DEFAULT_MAX_CONSECUTIVE_AUTO_REPLY,
    AgentChatResult,
    AssistantAgent,
    ConversableAgent,
    FunctionAgent,
    UserProxyAgent,
    register_function,
)

__all__ = [
    "DEFAULT_MAX_CONSECUTIVE_AUTO_REPLY",
    "AgentChatResult",
    "AssistantAgent",
    "ConversableAgent",
    "FunctionAgent",
    "UserProxyAgent",
    "register_function",
]
