"""AutoGen's ``TransformMessages``: message transforms run before each reply."""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Any

from fsmchat.autogen.agentchat.contrib.capabilities.transforms import MessageTransform

__all__ = ["TransformMessages"]


class TransformMessages:
    """Applies ``transforms`` in order to the messages an agent replies to.

    Args:
        transforms: each has ``apply_transform(messages)`` and ``get_logs(pre, post)``.
        verbose: print (as the agent prints) each transform's log when it changed something.
    """

    def __init__(
        self, *, transforms: Sequence[MessageTransform] = (), verbose: bool = True
    ) -> None:
        self._transforms = list(transforms)
        self._verbose = verbose
        self._output: Callable[[str], object] | None = None

    def add_to_agent(self, agent: Any) -> None:
        """Run the transforms on ``agent``'s messages before each of its replies."""
        agent.register_hook(
            "process_all_messages_before_reply", self._transform_messages
        )

    def _transform_messages(
        self, messages: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """A transformed copy of ``messages`` (a leading system message is kept)."""
        result = copy.deepcopy(messages)
        system = None
        if result and result[0].get("role") == "system":
            system = result.pop(0)
        for transform in self._transforms:
            before = copy.deepcopy(result) if self._verbose else result
            result = transform.apply_transform(result)
            if self._verbose:
                log, changed = transform.get_logs(before, result)
                if changed and self._output is not None:
                    self._output(log)
        return [system, *result] if system is not None else result
