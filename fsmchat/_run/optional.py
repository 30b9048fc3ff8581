"""Check, before a command or object starts work, that the packages it needs are there.

fsmchat imports its heavier packages (``openai``, ``python-dotenv``,
``matplotlib``, ``graphviz``) only where they are used. A missing one must not
surface as a ``ModuleNotFoundError`` traceback in the middle of a chat: callers
ask :func:`require` first, which raises :class:`MissingDependency` with the
install line in its message. :func:`missing` answers the same question without
raising (for a part that can be skipped, such as the benchmark's chart).

Only the module's *presence* is checked (``importlib.util.find_spec``), so the
check does not pay for importing it; a module set to ``None`` in
``sys.modules`` (how Python marks a blocked import) counts as missing.
"""

from __future__ import annotations

import importlib.util
import sys

import attrs

from fsmchat._core.errors import FsmchatError

__all__ = ["PACKAGES", "MissingDependency", "Package", "missing", "require"]


class MissingDependency(FsmchatError, ImportError):
    """A package that a command or object needs is not installed."""


@attrs.frozen
class Package:
    """An importable module and how to install it."""

    module: str
    install: str


PACKAGES: dict[str, Package] = {
    p.module: p
    for p in (
        Package(module="openai", install="pip install 'openai>=1.40'"),
        Package(module="dotenv", install="pip install 'python-dotenv>=1.0'"),
        Package(module="matplotlib", install="pip install 'fsmchat[bench]'"),
        Package(module="graphviz", install="pip install 'fsmchat[diagrams]'"),
    )
}
"""The optional (or easily lost) packages fsmchat checks for, by module name."""


def _present(module: str) -> bool:
    if module in sys.modules:
        return sys.modules[module] is not None
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def missing(*modules: str) -> list[Package]:
    """The packages among ``modules`` that cannot be imported, in order."""
    return [
        PACKAGES.get(m, Package(module=m, install=f"pip install {m}"))
        for m in modules
        if not _present(m)
    ]


def require(*modules: str, purpose: str) -> None:
    """Raise unless every one of ``modules`` can be imported.

    Args:
        modules: module names (``"openai"``, ``"dotenv"``, ...).
        purpose: what needs them, for the message (e.g. ``"fsmchat run --config"``).

    Raises:
        MissingDependency: naming each missing module and its install line.
    """
    gone = missing(*modules)
    if not gone:
        return
    names = " and ".join(repr(p.module) for p in gone)
    lines = "; ".join(p.install for p in gone)
    noun = "package" if len(gone) == 1 else "packages"
    msg = f"{purpose} needs the {names} {noun}, not installed here: {lines}"
    raise MissingDependency(msg)
