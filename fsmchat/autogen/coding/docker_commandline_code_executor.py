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
from typing import Any, ClassVar

from fsmchat.adapters import DockerCodeRunner
from fsmchat.autogen.coding._run import SUPPORTED_LANGUAGES, run_blocks
from fsmchat.autogen.coding.base import CodeBlock, CodeExtractor, CommandLineCodeResult
from fsmchat.autogen.coding.local_commandline_code_executor import refuse_unsupported
from fsmchat.autogen.coding.markdown_code_extractor import MarkdownCodeExtractor

__all__ = ["DockerCommandLineCodeExecutor"]


class DockerCommandLineCodeExecutor:
    """Runs code blocks in Docker containers of ``image`` with ``work_dir`` mounted."""

    SUPPORTED_LANGUAGES: ClassVar[list[str]] = list(SUPPORTED_LANGUAGES)

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
        if timeout < 1:
            msg = "Timeout must be greater than or equal to 1."
            raise ValueError(msg)
        refuse_unsupported(
            "DockerCommandLineCodeExecutor",
            bind_dir=bind_dir,
            execution_policies=execution_policies,
        )
        self._work_dir = Path(work_dir)
        self._work_dir.mkdir(parents=True, exist_ok=True)
        self._timeout = timeout
        self._image = image
        self.container_name = container_name
        self.auto_remove = auto_remove
        self.stop_container = stop_container
        self._runner = DockerCodeRunner(
            image, work_dir=os.fspath(self._work_dir.resolve()), timeout=timeout
        )
        self._runner.check()

    @property
    def timeout(self) -> int:
        """Seconds each block may run."""
        return self._timeout

    @property
    def work_dir(self) -> Path:
        """The host directory mounted into the containers."""
        return self._work_dir

    @property
    def bind_dir(self) -> Path:
        """The directory Docker binds (the work dir)."""
        return self._work_dir

    @property
    def code_extractor(self) -> CodeExtractor:
        """A :class:`MarkdownCodeExtractor`."""
        return MarkdownCodeExtractor()

    def execute_code_blocks(
        self, code_blocks: list[CodeBlock]
    ) -> CommandLineCodeResult:
        """Run ``code_blocks`` in order, stopping at the first failure."""
        return run_blocks(self._runner, code_blocks)

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
