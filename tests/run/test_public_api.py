"""The public surface: explicit, sorted, and free of heavy imports."""

from __future__ import annotations

import subprocess
import sys

import fsmchat


def test_all_is_sorted_and_complete() -> None:
    """fsmchat.__all__ is sorted (constants, classes, functions) and every name exists."""

    def isort_key(name: str) -> tuple[int, str]:
        group = 0 if name.isupper() else 1 if name[0].isupper() else 2
        return group, name

    assert list(fsmchat.__all__) == sorted(fsmchat.__all__, key=isort_key)
    for name in fsmchat.__all__:
        assert hasattr(fsmchat, name), name


def test_import_does_not_import_openai() -> None:
    """`import fsmchat` leaves openai unimported (checked in a fresh process)."""
    code = "import fsmchat, sys; assert 'openai' not in sys.modules, 'openai imported'"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_errors_subclass_builtins() -> None:
    """Errors can be caught by their built-in category."""
    assert issubclass(fsmchat.SpecError, ValueError)
    assert issubclass(fsmchat.InvalidArgument, TypeError)
    assert issubclass(fsmchat.EngineError, RuntimeError)
    assert issubclass(fsmchat.LLMError, fsmchat.BoundaryError)
