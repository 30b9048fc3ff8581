"""Adapters: every outside system fsmchat talks to, one module (or a few) each.

* a model endpoint: ``OpenAIChatModel`` (``_openai``, on the ``openai`` SDK;
  its clients ``_clients``, transports ``_transport``, wire format ``_wire``,
  structured output ``_structured``, config-list entries ``_endpoints``),
  config lists ``_config``, token counting ``_tokens``, the SQLite response
  cache ``_cache``;
* code execution: ``LocalCodeRunner`` (``_code``: the host or a bubblewrap
  sandbox, ``_sandbox``, ``_cgroup``), ``DockerCodeRunner`` (``_docker``), and
  what both share (``_blocks``, the work dir ``_workdir``); ``CodeResult``;
* a person at the terminal (``_console``), SPIN and the C compiler (``_spin``),
  a local Temporal dev server (``_temporal_dev``).

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
