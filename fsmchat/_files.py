"""Reading and writing files: specs and transcripts (the IO edge of the core)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from fsmchat._errors import Problem, SpecError
from fsmchat._spec import Spec, parse_spec

__all__ = ["load_spec", "write_json"]


def load_spec(path: str | os.PathLike[str]) -> Spec:
    """Read and build the spec at ``path`` (YAML or JSON).

    Raises:
        SpecError: the file cannot be read or holds problems (all of them).
    """
    name = os.fspath(path)
    try:
        text = Path(name).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problem = Problem(message=f"cannot read spec: {exc}", path=name, code="io")
        raise SpecError([problem]) from exc
    return parse_spec(text, path=name)


def write_json(path: str | os.PathLike[str], data: Any) -> None:
    """Write ``data`` as indented UTF-8 JSON, atomically (temp file + rename)."""
    target = Path(path)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(
        json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    os.replace(tmp, target)
