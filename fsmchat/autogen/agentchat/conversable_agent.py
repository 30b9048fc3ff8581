"""AutoGen's ``autogen.agentchat.conversable_agent`` path."""

from fsmchat.autogen import Agent, ChatResult, ConversableAgent, register_function

__all__ = ["Agent", "ChatResult", "ConversableAgent", "register_function"]
