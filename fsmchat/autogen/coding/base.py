"""AutoGen's ``autogen.coding.base``: code blocks, results and the executor protocols."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, Protocol, TypedDict, runtime_checkable

import attrs

__all__ = [
    "CodeBlock",
    "CodeExecutionConfig",
    "CodeExecutor",
    "CodeExtractor",
    "CodeResult",
    "CommandLineCodeResult",
]


@attrs.frozen(kw_only=True)
class CodeBlock:
    """A fenced code block: its ``code`` and its ``language``."""

    code: str
    language: str


@attrs.frozen(kw_only=True)
class CodeResult:
    """What running code blocks gave: the ``exit_code`` and the ``output``."""

    exit_code: int
    output: str


@attrs.frozen(kw_only=True)
class CommandLineCodeResult(CodeResult):
    """A command-line run's result; ``code_file`` names the first block's file."""

    code_file: str | None = None


@runtime_checkable
class CodeExtractor(Protocol):
    """Finds the code blocks of a message."""

    def extract_code_blocks(self, message: Any) -> list[CodeBlock]:
        """Return the message's code blocks, in order."""
        ...  # pragma: no cover


@runtime_checkable
class CodeExecutor(Protocol):
    """Runs code blocks (``code_execution_config={"executor": ...}``)."""

    @property
    def code_extractor(self) -> CodeExtractor:
        """The extractor that finds the blocks this executor runs."""
        ...  # pragma: no cover

    def execute_code_blocks(self, code_blocks: list[CodeBlock]) -> CodeResult:
        """Run ``code_blocks`` in order and return the joint result."""
        ...  # pragma: no cover

    def restart(self) -> None:
        """Start afresh (a no-op for executors without state)."""
        ...  # pragma: no cover


class CodeExecutionConfig(TypedDict, total=False):
    """The keys of ``code_execution_config`` AutoGen documents."""

    executor: Literal["ipython-embedded", "commandline-local"] | CodeExecutor
    last_n_messages: int | Literal["auto"]
    timeout: int
    use_docker: bool | str | list[str]
    work_dir: str
    commandline_local: Mapping[str, Any]
