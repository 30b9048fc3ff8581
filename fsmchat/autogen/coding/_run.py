"""Running AutoGen-style code blocks on one of fsmchat's code runners.

AutoGen's command-line executors join the output of the blocks they ran and
stop at the first failure; a timeout reads ``Timeout`` with exit code 124 and
a language they cannot run reads ``unknown language <lang>`` with exit code 1.
The runner does the running (sandboxed unless asked otherwise).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, ClassVar

from fsmchat._core.codeblocks import CodeBlock as Block
from fsmchat._core.codeblocks import normalize_language
from fsmchat.autogen.coding.base import CodeBlock, CodeExtractor, CommandLineCodeResult
from fsmchat.autogen.coding.markdown_code_extractor import MarkdownCodeExtractor

__all__ = ["SUPPORTED_LANGUAGES", "CommandLineExecutor", "executor_reply", "run_blocks"]

SUPPORTED_LANGUAGES = ("bash", "shell", "sh", "pwsh", "powershell", "ps1", "python")
_RUNNABLE = ("python", "sh", "bash")


def run_blocks(runner: Any, code_blocks: Sequence[CodeBlock]) -> CommandLineCodeResult:
    """Run ``code_blocks`` one after the other on ``runner``; AutoGen's joint result."""
    logs = ""
    exit_code = 0
    for block in code_blocks:
        language = normalize_language(block.language)
        if language not in _RUNNABLE:
            return CommandLineCodeResult(
                exit_code=1, output=logs + f"\nunknown language {block.language}"
            )
        (result,) = runner.run([Block(language=language, code=block.code)])
        if result.timed_out:
            return CommandLineCodeResult(exit_code=124, output=logs + "\nTimeout")
        logs += result.output + "\n" if result.output else ""
        exit_code = result.exit_code
        if exit_code != 0:
            break
    return CommandLineCodeResult(exit_code=exit_code, output=logs)


class CommandLineExecutor:
    """What AutoGen's command-line executors share: a runner over a work dir.

    Subclasses call ``__init__`` first, then set ``_runner`` (one of
    fsmchat's code runners).
    """

    SUPPORTED_LANGUAGES: ClassVar[list[str]] = list(SUPPORTED_LANGUAGES)
    _runner: Any

    def __init__(self, timeout: int, work_dir: Path | str) -> None:
        """Check ``timeout`` and make ``work_dir`` (AutoGen's checks and messages).

        Raises:
            ValueError: ``timeout`` is under 1 second.
        """
        if timeout < 1:
            msg = "Timeout must be greater than or equal to 1."
            raise ValueError(msg)
        self._work_dir = Path(work_dir)
        self._work_dir.mkdir(parents=True, exist_ok=True)
        self._timeout = timeout

    @property
    def timeout(self) -> int:
        """Seconds each block may run."""
        return self._timeout

    @property
    def work_dir(self) -> Path:
        """The directory the blocks run in (mounted into a container for Docker)."""
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


def executor_reply(
    executor: Any, content: Any, say: Callable[[str], object]
) -> tuple[bool, str | None]:
    """AutoGen's reply with a code executor: run the message's blocks, say so, report.

    Returns:
        ``(False, None)`` when the message has no code block.
    """
    blocks = executor.code_extractor.extract_code_blocks(content)
    if not blocks:
        return False, None
    if len(blocks) == 1:
        say(
            "\n>>>>>>>> EXECUTING CODE BLOCK "
            f"(inferred language is {blocks[0].language})..."
        )
    else:
        languages = ", ".join(b.language for b in blocks)
        say(
            f"\n>>>>>>>> EXECUTING {len(blocks)} CODE BLOCKS "
            f"(inferred languages are [{languages}])..."
        )
    result = executor.execute_code_blocks(blocks)
    status = "execution succeeded" if result.exit_code == 0 else "execution failed"
    return (
        True,
        f"exitcode: {result.exit_code} ({status})\nCode output: {result.output}",
    )
