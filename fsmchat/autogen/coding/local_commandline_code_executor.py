"""AutoGen's ``autogen.coding.local_commandline_code_executor``.

:class:`LocalCommandLineCodeExecutor` runs each block as a local process in
``work_dir`` through fsmchat's :class:`~fsmchat.adapters.LocalCodeRunner`: in
the bubblewrap sandbox by default (``sandbox=False`` runs on the host and
warns). AutoGen's ``functions``, ``virtual_env_context`` and
``execution_policies`` are not supported and are refused.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from fsmchat._core.errors import InvalidArgument
from fsmchat.adapters import LocalCodeRunner
from fsmchat.autogen.coding._run import CommandLineExecutor

__all__ = ["LocalCommandLineCodeExecutor"]


def refuse_unsupported(owner: str, **options: Any) -> None:
    """Refuse AutoGen executor options fsmchat does not implement (given, not default)."""
    for name, value in options.items():
        if value:
            msg = f"{owner}: {name}= is not supported by fsmchat.autogen"
            raise InvalidArgument(msg)


class LocalCommandLineCodeExecutor(CommandLineExecutor):
    """Runs code blocks as local processes in ``work_dir`` (sandboxed by default)."""

    def __init__(
        self,
        timeout: int = 60,
        virtual_env_context: Any = None,
        work_dir: Path | str = Path(),
        functions: Sequence[Any] = (),
        functions_module: str = "functions",
        execution_policies: Any = None,
        *,
        sandbox: bool = True,
    ) -> None:
        super().__init__(timeout, work_dir)
        refuse_unsupported(
            "LocalCommandLineCodeExecutor",
            virtual_env_context=virtual_env_context,
            functions=list(functions),
            execution_policies=execution_policies,
        )
        self._functions_module = functions_module
        self._runner = LocalCodeRunner(
            os.fspath(self._work_dir), timeout=timeout, sandbox=sandbox
        )

    @property
    def functions_module(self) -> str:
        """AutoGen's module name for user functions (unused: functions are refused)."""
        return self._functions_module

    def restart(self) -> None:
        """Nothing to restart: each block is its own process."""
