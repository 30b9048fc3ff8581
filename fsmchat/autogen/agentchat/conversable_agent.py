"""AutoGen's ``autogen.agentchat.conversable_agent`` path."""

from fsmchat.autogen._agent import ConversableAgent
from fsmchat.autogen._chats import AgentChatResult as ChatResult
from fsmchat.autogen._session import Agent
from fsmchat.autogen._tools import register_function

__all__ = ["Agent", "ChatResult", "ConversableAgent", "register_function"]
