"""A package the reference tests allow: what it defines may run, nothing it merely holds may.

Every name below is a way a reference could try to leave this package: imported
modules and functions, builtins, classes, instances, a lazy module attribute,
re-exports (one from an allowed module, one from a disallowed one).
"""

from __future__ import annotations

import functools
import json
import os
from json import dumps
from os import spawnv
from pathlib import Path

from fsmchat.examples.counting import add_one
from fsmchat.examples.counting import last_number as exported_number
from tests.security.refpkg.inner import inner_ok

__all__ = ["exported_dumps", "exported_number", "inner_ok", "ok"]

#: Where the lazy attribute would leave its mark if anything ran it.
MARK = Path(os.environ.get("REFPKG_MARK", os.devnull))
exported_dumps = json.dumps
shout = print
partial_ok = functools.partial(add_one, stop_after=3)
lam = lambda chat: True  # noqa: E731 - a lambda is a function defined here


def ok(chat: object) -> bool:
    """A guard defined here: the one kind of thing a reference may bind."""
    return True


class Checker:
    """A class defined here (a reference never binds a class)."""

    def __call__(self, chat: object) -> bool:
        return True

    def method(self, chat: object) -> bool:
        return True

    @staticmethod
    def static(chat: object) -> bool:
        return True


checker = Checker()
bound = checker.method


def __getattr__(name: str) -> object:
    """A lazy module attribute: resolving must never run this."""
    MARK.write_text(f"__getattr__ ran for {name}")
    raise AttributeError(name)


# Referenced by name so linters keep the imports this module exists to hold.
HELD = (dumps, spawnv, add_one, inner_ok)
