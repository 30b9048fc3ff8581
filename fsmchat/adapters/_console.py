"""A person at this terminal: the console implementation of the human port."""

from __future__ import annotations

import sys

from fsmchat._core.errors import HumanError

__all__ = ["ConsoleHuman"]


class ConsoleHuman:
    """A person at this terminal (reads stdin, prompts on stderr)."""

    def input(self, prompt: str) -> str:
        """Show ``prompt`` on stderr and return one line of stdin (without its newline).

        Raises :class:`HumanError` at end of file.
        """
        sys.stderr.write(prompt)
        sys.stderr.flush()
        line = sys.stdin.readline()
        if not line:
            msg = "no more input on stdin (end of file) while a human answer was needed"
            raise HumanError(msg)
        return line.rstrip("\n")
