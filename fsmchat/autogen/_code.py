"""Code execution: the reply that runs the code blocks an agent receives.

:class:`CodeMixin` is the part of :class:`~fsmchat.autogen.ConversableAgent`
behind ``code_execution_config``: ``generate_code_execution_reply`` scans the
last messages (``last_n_messages``: an int, or ``"auto"`` = the messages since
this agent last spoke), runs the first message's fenced code blocks with a
:class:`~fsmchat.CodeRunner` (fsmchat's sandbox by default, Docker with
``use_docker``) and replies with AutoGen's text::

    exitcode: 0 (execution succeeded)
    Code output: \\n<output of each block>
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from fsmchat._core.codeblocks import CodeBlock, extract_code_blocks
from fsmchat._core.errors import InvalidArgument
from fsmchat._run.ports import CodeResult
from fsmchat.autogen._session import notice
from fsmchat.autogen._utils import content_str, did_you_mean
from fsmchat.autogen.coding import CodeExecutor, CodeExecutorFactory
from fsmchat.autogen.coding._run import executor_reply

__all__ = ["CodeMixin", "code_output", "code_setup"]

CODE_OPTIONS = (
    "commandline-local",
    "cpu_seconds",
    "env",
    "executor",
    "keep_secrets",
    "last_n_messages",
    "max_file_mb",
    "max_output",
    "max_processes",
    "memory_mb",
    "sandbox",
    "timeout",
    "tmp_mb",
    "use_docker",
    "work_dir",
)


def code_output(results: Sequence[CodeResult]) -> tuple[int, str]:
    """AutoGen's ``(exitcode, logs)`` of a run: each block's output after a newline.

    The runner trims the output's newlines; a non-empty output gets its final
    newline back, as the program printed it (AutoGen keeps the raw output).
    """
    logs = ""
    exitcode = 0
    for r in results:
        exitcode = 1 if r.timed_out else r.exit_code
        output = r.output + "\n" if r.output else ""
        logs += "\n" + ("Timeout" if r.timed_out else output)
        if exitcode != 0:
            break
    return exitcode, logs


class CodeMixin:
    """``code_execution_config``, ``execute_code_blocks`` and the code execution reply."""

    if TYPE_CHECKING:  # provided by ConversableAgent

        @property
        def name(self) -> str: ...

    output: Callable[[str], object]
    _code_execution_config: dict[str, Any] | Literal[False]
    _runner: Any
    _oai_messages: defaultdict[Any, list[dict[str, Any]]]

    @property
    def code_execution_config(self) -> dict[str, Any] | Literal[False]:
        """The code execution options (``False`` when code is not run)."""
        return self._code_execution_config

    @property
    def use_docker(self) -> bool | str | None:
        """``code_execution_config["use_docker"]`` (``None`` without code execution)."""
        config = self._code_execution_config
        return None if config is False else config.get("use_docker", False)

    def execute_code_blocks(
        self, code_blocks: Sequence[tuple[str, str]]
    ) -> tuple[int, str]:
        """Run ``(language, code)`` blocks in order, stopping at the first failure.

        Returns:
            AutoGen's ``(exitcode, logs)``.
        """
        if self._runner is None:
            msg = f"agent {self.name!r} has no code execution (code_execution_config=False)"
            raise InvalidArgument(msg)
        blocks = [CodeBlock(language=lang, code=code) for lang, code in code_blocks]
        notice(
            self.output,
            "\n".join(
                f"\n>>>>>>>> EXECUTING CODE BLOCK {i} (inferred language is {b.language or 'unknown'})..."
                for i, b in enumerate(blocks)
            ),
        )
        return code_output(self._runner.run(blocks))

    def generate_code_execution_reply(
        self,
        messages: list[dict[str, Any]] | None = None,
        sender: Any = None,
        config: Any = None,
    ) -> tuple[bool, str | None]:
        """Run the code of the last messages and reply with AutoGen's exit code and output.

        Raises:
            ValueError: ``last_n_messages`` is neither an int >= 0 nor ``"auto"``.
        """
        code_config = config if config is not None else self._code_execution_config
        if code_config is False or self._runner is None:
            return False, None
        if messages is None:
            messages = self._oai_messages.get(sender, [])
        scan = code_config.get("last_n_messages", "auto")
        if scan != "auto" and not (
            isinstance(scan, int | float) and not isinstance(scan, bool) and scan >= 0
        ):
            msg = "last_n_messages must be either a non-negative integer, or the string 'auto'."
            raise ValueError(msg)
        if scan == "auto":
            scan = 0
            for m in reversed(messages):
                if m.get("role") != "user":
                    break
                scan += 1
        for message in list(reversed(messages))[: int(scan)]:
            content = message.get("content")
            if not content or callable(content):
                continue
            if isinstance(self._runner, CodeExecutor):  # AutoGen's executor API
                done, reply = executor_reply(
                    self._runner, content, functools.partial(notice, self.output)
                )
                if done:
                    return True, reply
                continue
            blocks = [b for b in extract_code_blocks(content_str(content)) if b.is_code]
            if not blocks:
                continue
            exitcode, logs = self.execute_code_blocks(
                [(b.language, b.code) for b in blocks]
            )
            status = "execution succeeded" if exitcode == 0 else "execution failed"
            return True, f"exitcode: {exitcode} ({status})\nCode output: {logs}"
        return False, None


def code_setup(
    name: str, config: Mapping[str, Any] | Literal[False] | None
) -> tuple[dict[str, Any] | Literal[False], Any]:
    """The checked ``code_execution_config`` and the code runner it asks for.

    Raises:
        InvalidArgument: not a dict, an unknown key, or a bad ``last_n_messages``.
        CodeRunError: Docker was asked for and is unavailable.
    """
    if config is None or config is False:
        return False, None
    if not isinstance(config, Mapping):
        msg = f"agent {name!r}: code_execution_config must be a dict or False, got {type(config).__name__}"
        raise InvalidArgument(msg)
    for key in config:
        if key not in CODE_OPTIONS:
            hint = (
                did_you_mean(str(key), CODE_OPTIONS)
                or f"; expected one of {', '.join(CODE_OPTIONS)}"
            )
            msg = f"agent {name!r}: unknown code_execution_config key {key!r}{hint}"
            raise InvalidArgument(msg)
    scan = config.get("last_n_messages", "auto")
    if scan != "auto" and not (
        isinstance(scan, int) and not isinstance(scan, bool) and scan >= 0
    ):
        msg = f"agent {name!r}: last_n_messages must be an int >= 0 or 'auto', got {scan!r}"
        raise InvalidArgument(msg)
    executor = config.get("executor")
    if isinstance(executor, str | CodeExecutor):  # AutoGen's executor API
        return dict(config), CodeExecutorFactory.create(config)
    if executor is not None:
        return dict(config), executor
    from fsmchat.adapters._code import LocalCodeRunner
    from fsmchat.adapters._docker import DockerCodeRunner

    options = {k: config[k] for k in ("timeout", "max_output") if k in config}
    use_docker = config.get("use_docker", False)
    if use_docker:
        image = use_docker if isinstance(use_docker, str) else "python:3-slim"
        options.update({k: config[k] for k in ("memory_mb", "env") if k in config})
        runner: Any = DockerCodeRunner(
            image, work_dir=config.get("work_dir"), **options
        )
        runner.check()
    else:
        options.update(
            {
                k: config[k]
                for k in (
                    *("cpu_seconds", "memory_mb", "env", "keep_secrets", "sandbox"),
                    *("max_processes", "tmp_mb", "max_file_mb"),
                )
                if k in config
            }
        )
        runner = LocalCodeRunner(config.get("work_dir"), **options)
    return dict(config), runner
