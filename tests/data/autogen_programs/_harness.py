"""Run one ported notebook and dump what it left behind (standard library only).

    python _harness.py PROGRAM OUT.json [--autogen]

The program runs as ``__main__`` in the current directory. With ``--autogen``
its ``fsmchat.autogen`` imports are read as ``autogen`` (the reference run on
real AutoGen); nothing else in the program changes. Afterwards OUT.json holds,
for every agent in the program's globals, its ``chat_messages`` by peer name,
and for every group chat its ``messages``; an exception is recorded as
``{"error": "<type>: <message>"}`` (its traceback goes to stderr).
"""

from __future__ import annotations

import ast
import asyncio
import inspect
import json
import sys
import traceback
import types
from pathlib import Path
from typing import Any


def _plain(value: Any) -> Any:
    """JSON-able form of a message field (tool calls, functions...)."""
    return json.loads(json.dumps(value, default=repr, sort_keys=True))


def _state(ns: dict[str, Any]) -> dict[str, Any]:
    agents: dict[str, Any] = {}
    groups: dict[str, Any] = {}
    seen: set[int] = set()
    for key, value in ns.items():
        if id(value) in seen:
            continue
        seen.add(id(value))
        chats = getattr(value, "chat_messages", None)
        if isinstance(chats, dict) and isinstance(getattr(value, "name", None), str):
            agents[value.name] = {
                getattr(peer, "name", repr(peer)): _plain(msgs)
                for peer, msgs in chats.items()
            }
        messages = getattr(value, "messages", None)
        if isinstance(messages, list) and hasattr(value, "agents") and hasattr(value, "max_round"):
            groups[key] = _plain(messages)
    return {"agents": dict(sorted(agents.items())), "groupchats": groups}


def main() -> int:
    program, out = Path(sys.argv[1]), Path(sys.argv[2])
    source = program.read_text(encoding="utf-8")
    if "--autogen" in sys.argv[3:]:
        source = source.replace("fsmchat.autogen", "autogen")
    main_module = types.ModuleType("__main__")  # the program is the real __main__
    main_module.__file__ = str(program)
    sys.modules["__main__"] = main_module
    ns = main_module.__dict__
    result: dict[str, Any] = {"error": None}
    try:
        # a notebook may await at top level, as Jupyter allows
        code = compile(
            source, str(program), "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True
        )
        if code.co_flags & inspect.CO_COROUTINE:
            asyncio.run(eval(code, ns))
        else:
            exec(code, ns)
    except BaseException as exc:  # noqa: BLE001 - any failure is the result
        traceback.print_exc()
        result["error"] = f"{type(exc).__name__}: {exc}"
    sys.stdout.flush()
    try:
        result.update(_state(ns))
    except Exception as exc:  # noqa: BLE001
        result["state_error"] = f"{type(exc).__name__}: {exc}"
    out.write_text(json.dumps(result, indent=1, sort_keys=True), encoding="utf-8")
    return 1 if result["error"] else 0


if __name__ == "__main__":
    sys.exit(main())
