"""The ``fsmchat`` command line: argv -> library call -> print.

The only place in fsmchat that prints or exits.
"""

from fsmchat.adapters._console import ConsoleHuman
from fsmchat.cli._main import main

__all__ = ["ConsoleHuman", "main"]
