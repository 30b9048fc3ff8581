"""A submodule of the allowed test package: its functions are defined here."""

from __future__ import annotations


def inner_ok(chat: object) -> bool:
    """Defined here; the package re-exports it in its ``__all__``."""
    return True
