"""The ``fsmchat`` command line: argv -> library call -> print.

The only place in fsmchat that prints or exits. Importing it loads click and
nothing else of weight: each command's module is imported when it runs.
"""

from __future__ import annotations

from typing import Any

from fsmchat.cli._main import main

__all__ = ["ConsoleHuman", "main"]


def __getattr__(name: str) -> Any:
    """``ConsoleHuman``, imported on first use (it loads the chat driver)."""
    if name == "ConsoleHuman":
        from fsmchat.adapters._console import ConsoleHuman

        return ConsoleHuman
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)
