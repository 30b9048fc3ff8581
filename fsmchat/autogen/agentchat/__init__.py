"""AutoGen's ``autogen.agentchat`` path: the agents, group chats and chat functions."""

from fsmchat.autogen._agent import ConversableAgent
from fsmchat.autogen._chats import (
    AgentChatResult as ChatResult,
)
from fsmchat.autogen._chats import (
    a_initiate_chats,
    gather_usage_summary,
    initiate_chats,
)
from fsmchat.autogen._groupchat import GroupChat
from fsmchat.autogen._manager import GroupChatManager
from fsmchat.autogen._roles import AssistantAgent, UserProxyAgent
from fsmchat.autogen._session import Agent
from fsmchat.autogen._tools import register_function
from fsmchat.autogen.agentchat import (
    agent,
    assistant_agent,
    chat,
    conversable_agent,
    groupchat,
    user_proxy_agent,
    utils,
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
    "agent",
    "assistant_agent",
    "chat",
    "conversable_agent",
    "gather_usage_summary",
    "groupchat",
    "initiate_chats",
    "register_function",
    "user_proxy_agent",
    "utils",
]
