"""AutoGen's ``autogen.agentchat.assistant_agent`` path."""

from fsmchat.autogen._roles import AssistantAgent

__all__ = ["AssistantAgent"]
