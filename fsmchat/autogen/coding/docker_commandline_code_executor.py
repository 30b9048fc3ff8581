"""AutoGen's ``autogen.coding.docker_commandline_code_executor``.

:class:`DockerCommandLineCodeExecutor` runs each block in a Docker container
with ``work_dir`` mounted, through fsmchat's
:class:`~fsmchat.adapters.DockerCodeRunner` (no network, bounded memory). The
container lives for one block, so ``container_name``, ``auto_remove`` and
``stop_container`` have nothing to manage; ``bind_dir`` and
``execution_policies`` are refused.
"""

from __future__ import annotations

import os
from pathlib import Path
from types import TracebackType
from typing import Any

from fsmchat.adapters import DockerCodeRunner
from fsmchat.autogen.coding._run import CommandLineExecutor
from fsmchat.autogen.coding.local_commandline_code_executor import refuse_unsupported

__all__ = ["DockerCommandLineCodeExecutor"]


class DockerCommandLineCodeExecutor(CommandLineExecutor):
    """Runs code blocks in Docker containers of ``image`` with ``work_dir`` mounted."""

    def __init__(
        self,
        image: str = "python:3-slim",
        container_name: str | None = None,
        timeout: int = 60,
        work_dir: Path | str = Path(),
        bind_dir: Path | str | None = None,
        auto_remove: bool = True,
        stop_container: bool = True,
        execution_policies: Any = None,
    ) -> None:
        super().__init__(timeout, work_dir)
        refuse_unsupported(
            "DockerCommandLineCodeExecutor",
            bind_dir=bind_dir,
            execution_policies=execution_policies,
        )
        self._image = image
        self.container_name = container_name
        self.auto_remove = auto_remove
        self.stop_container = stop_container
        self._runner = DockerCodeRunner(
            image, work_dir=os.fspath(self._work_dir.resolve()), timeout=timeout
        )
        self._runner.check()

    @property
    def bind_dir(self) -> Path:
        """The directory Docker binds (the work dir)."""
        return self._work_dir

    def restart(self) -> None:
        """Nothing to restart: each block gets a fresh container."""

    def stop(self) -> None:
        """Nothing to stop: no container outlives its block."""

    def __enter__(self) -> DockerCommandLineCodeExecutor:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
