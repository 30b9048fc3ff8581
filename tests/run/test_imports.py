"""``import fsmchat`` is light: public names load on first use, heavy modules only when needed."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import fsmchat
from tests.helpers import SPECS

HEAVY = (
    "sqlite3",
    "asyncio",
    "ssl",
    "openai",
    "yaml",
    "rich",
    "matplotlib",
    "click",
    "transitions",
    "fsmchat._record",
    "fsmchat.adapters._openai",
)


def _loaded_after(code: str) -> list[str]:
    """The HEAVY modules loaded after running ``code`` in a fresh interpreter."""
    probe = (
        f"import json, sys\n{code}\n"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    loaded: list[str] = json.loads(out.stdout.splitlines()[-1])
    return loaded


def test_import_fsmchat_loads_none_of_the_heavy_modules() -> None:
    """import fsmchat imports no sqlite3, asyncio, openai, yaml, record layer, rich, matplotlib."""
    assert _loaded_after("import fsmchat") == []


def test_a_function_only_chat_loads_only_what_it_uses() -> None:
    """Loading and running specs/counting.yaml needs yaml and transitions, nothing else heavy."""
    code = (
        "import fsmchat\n"
        f"spec = fsmchat.load_spec({str(SPECS / 'counting.yaml')!r})\n"
        "assert len(fsmchat.run_chat(spec).messages) == 21"
    )
    assert _loaded_after(code) == ["yaml", "transitions"]


def test_the_probe_sees_a_heavy_import() -> None:
    """The probe reports a heavy module once something imports it (so the tests above can fail)."""
    assert _loaded_after("import fsmchat, sqlite3") == ["sqlite3"]


def test_every_public_name_resolves_to_its_module() -> None:
    """Each name in __all__ loads on first use and is the object its module defines."""
    for name in fsmchat.__all__:
        value = getattr(fsmchat, name)
        if isinstance(value, type) or callable(value):
            where = value.__module__
            assert where.startswith("fsmchat."), (name, where)
            assert getattr(sys.modules[where], name) is value
    assert set(fsmchat.__all__) <= set(dir(fsmchat))


def test_an_unknown_name_is_an_attribute_error() -> None:
    """A name fsmchat does not define raises AttributeError (so hasattr works)."""
    with pytest.raises(AttributeError, match="no attribute 'run_chatt'"):
        fsmchat.run_chatt  # type: ignore[attr-defined]  # noqa: B018
    assert not hasattr(fsmchat, "nothing_here")
