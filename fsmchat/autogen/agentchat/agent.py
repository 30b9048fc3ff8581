"""AutoGen's ``autogen.agentchat.agent`` path: the agent protocol."""

from fsmchat.autogen._session import Agent

#: AutoGen's agent-with-a-system-message protocol; every facade agent is one.
LLMAgent = Agent

__all__ = ["Agent", "LLMAgent"]
