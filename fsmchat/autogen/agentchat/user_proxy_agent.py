"""AutoGen's ``autogen.agentchat.user_proxy_agent`` path."""

from fsmchat.autogen import UserProxyAgent

__all__ = ["UserProxyAgent"]
