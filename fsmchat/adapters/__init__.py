"""Adapters: the ports' implementations that talk to the outside world.

* ``OpenAIChatModel`` — any OpenAI-compatible chat endpoint (``_openai``);
* ``LocalCodeRunner``, ``DockerCodeRunner``, ``CodeResult`` — code execution
  (``_code``).

Every name is imported lazily, on first use: ``import fsmchat.adapters`` imports
neither ``openai`` nor ``subprocess``, and the openai SDK itself is imported
only when a model's client is built or called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fsmchat.adapters._code import CodeResult, LocalCodeRunner
    from fsmchat.adapters._docker import DockerCodeRunner
    from fsmchat.adapters._openai import OpenAIChatModel

__all__ = ["CodeResult", "DockerCodeRunner", "LocalCodeRunner", "OpenAIChatModel"]

_LAZY = {
    "CodeResult": "fsmchat.adapters._code",
    "DockerCodeRunner": "fsmchat.adapters._docker",
    "LocalCodeRunner": "fsmchat.adapters._code",
    "OpenAIChatModel": "fsmchat.adapters._openai",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        msg = f"module 'fsmchat.adapters' has no attribute {name!r}"
        raise AttributeError(msg)
    import importlib

    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
