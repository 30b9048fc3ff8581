"""AutoGen's ``autogen.agentchat.assistant_agent`` path."""

from fsmchat.autogen import AssistantAgent

__all__ = ["AssistantAgent"]
