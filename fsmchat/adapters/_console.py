"""A person at this terminal: the console implementation of the human port."""

from __future__ import annotations

import sys

from fsmchat._core.errors import HumanError
from fsmchat._run.driver import EXIT_WORDS

__all__ = ["ConsoleHuman"]


class ConsoleHuman:
    """A person at this terminal (reads stdin, prompts on stderr).

    Args:
        end_on_eof: end of input (Ctrl-D, or the end of piped input) and
            Ctrl-C at the prompt answer ``exit``, which ends the chat as if the
            person had typed it (``fsmchat run``); otherwise end of input is a
            :class:`~fsmchat.HumanError` and Ctrl-C a ``KeyboardInterrupt``.
    """

    def __init__(self, *, end_on_eof: bool = False) -> None:
        self.end_on_eof = end_on_eof

    def input(self, prompt: str) -> str:
        """Show ``prompt`` on stderr and return one line of stdin (without its newline).

        Raises:
            HumanError: at end of input, unless ``end_on_eof``.
        """
        sys.stderr.write(prompt)
        sys.stderr.flush()
        try:
            line = sys.stdin.readline()
        except KeyboardInterrupt:
            if not self.end_on_eof:
                raise
            return self._ended("^C")
        if not line:
            if self.end_on_eof:
                return self._ended("^D")
            msg = "no more input on stdin (end of file) while a human answer was needed"
            raise HumanError(msg)
        return line.rstrip("\n")

    def _ended(self, key: str) -> str:
        """Show which key ended the chat and answer the exit word."""
        sys.stderr.write(f"{key} {EXIT_WORDS[0]}\n")
        sys.stderr.flush()
        return EXIT_WORDS[0]
