"""AutoGen's ``autogen.agentchat.user_proxy_agent`` path."""

from fsmchat.autogen._roles import UserProxyAgent

__all__ = ["UserProxyAgent"]
