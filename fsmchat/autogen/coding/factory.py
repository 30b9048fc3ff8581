"""AutoGen's ``autogen.coding.factory``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fsmchat.autogen.coding.base import CodeExecutor

__all__ = ["CodeExecutorFactory"]


class CodeExecutorFactory:
    """Builds the code executor a ``code_execution_config`` names."""

    @staticmethod
    def create(code_execution_config: Mapping[str, Any]) -> CodeExecutor:
        """The ``executor`` of the config: an executor object or ``"commandline-local"``.

        Raises:
            ValueError: no executor, or one fsmchat does not provide.
        """
        executor = code_execution_config.get("executor")
        if isinstance(executor, CodeExecutor):
            return executor
        if executor == "commandline-local":
            from fsmchat.autogen.coding.local_commandline_code_executor import (
                LocalCommandLineCodeExecutor,
            )

            return LocalCommandLineCodeExecutor(
                **code_execution_config.get("commandline-local", {})
            )
        msg = f"Unknown code executor {executor}"
        raise ValueError(msg)
