"""The counting experiment of autogen #1400, as reply functions and guards.

Every agent adds 1 to the previous number; after 20 the next one says
``TERMINATE``. Who speaks next follows the #1400 rules:

* Engineer -> Executor if the Engineer's number is a multiple of 3, else Critic;
* Critic -> Planner if the Critic's number is a multiple of 5, else Engineer.
"""

from __future__ import annotations

import functools
import re

from fsmchat._core.state import ChatView

__all__ = ["add_one", "last_number", "last_number_is_multiple"]

_LAST_NUMBER = re.compile(r"(-?\d+)\D*$")


def last_number(chat: ChatView) -> int | None:
    """The last integer in the last message, or ``None`` if it has none."""
    return _number_in(chat.last_content)


@functools.lru_cache(maxsize=64)
def _number_in(text: str) -> int | None:
    # A round reads the same message up to three times (reply, guard, negated
    # guard): parse each text once.
    found = _LAST_NUMBER.search(text)
    return int(found.group(1)) if found else None


def add_one(chat: ChatView, *, stop_after: int = 20) -> str:
    """Reply with the previous number plus one; after ``stop_after``, ``TERMINATE``."""
    n = _number_in(chat.last_content)
    if n is None:
        return "TERMINATE"
    if n >= stop_after:
        return "TERMINATE"
    return str(n + 1)


def last_number_is_multiple(chat: ChatView, *, of: int) -> bool:
    """True when the last message's number is a multiple of ``of``."""
    n = _number_in(chat.last_content)
    return n is not None and n % of == 0
