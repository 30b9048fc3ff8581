"""AutoGen's ``AgentCapability``: something that adds behaviour to an agent."""

from __future__ import annotations

from typing import Any

__all__ = ["AgentCapability"]


class AgentCapability:
    """The base class of a capability; subclasses implement :meth:`add_to_agent`."""

    def __init__(self) -> None:
        """A capability that is not yet added to any agent."""

    def add_to_agent(self, agent: Any) -> None:
        """Add the capability to ``agent`` (usually through ``agent.register_hook``).

        Raises:
            NotImplementedError: always, in the base class.
        """
        raise NotImplementedError
