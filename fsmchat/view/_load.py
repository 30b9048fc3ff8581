"""What the viewer reads besides the chat: the spec to draw it with, a bench folder.

The chat itself is read by :func:`fsmchat._record.chat.read_chat`, the one
reader of every file that holds a chat; showing is not trusting, so the viewer
reads an old or unkeyed record too, with a note (:func:`show_chat`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from fsmchat._core.errors import InvalidArgument
from fsmchat._core.spec import Spec
from fsmchat._record.chat import ChatFile, read_chat
from fsmchat._record.specfile import load_record_spec
from fsmchat.adapters._files import load_spec, read_json

__all__ = [
    "SpecNeeded",
    "find_spec",
    "is_bench_folder",
    "read_bench",
    "show_chat",
]


class SpecNeeded(InvalidArgument):
    """A transcript names no spec file: the caller must say which (``--spec``)."""


def show_chat(path: str, *, spec: Spec | None = None) -> ChatFile:
    """Read the chat at ``path`` to show it: an old (format 1) or unkeyed record
    is read, with a note, rather than refused (see :func:`~fsmchat._record.chat.read_chat`)."""
    return read_chat(path, spec=spec, accept_v1=True, accept_unkeyed=True)


def find_spec(path: str | None, chat: ChatFile, source: str) -> Spec:
    """Load ``--spec`` if given, else the spec a record names.

    Raises:
        SpecNeeded: no spec is known (a transcript without ``--spec``, or a
            record whose spec file is gone).
        SpecError: the spec given cannot be read or has problems.
        RecordError: the spec the record names is not a readable spec.
    """
    chosen = path or chat.spec_path
    if chosen is None and chat.kind == "record":
        msg = f"the record {source} has no complete header line yet: give its spec with --spec SPEC"
        raise SpecNeeded(msg)
    if chosen is None:
        msg = f"{source} names no spec file: say which spec it should follow with --spec SPEC"
        raise SpecNeeded(msg)
    if path is None and not os.path.isfile(chosen):
        msg = f"{source} names the spec {chosen!r}, which does not exist: give it with --spec SPEC"
        raise SpecNeeded(msg)
    if path is None:  # the record chose it: data only, its content never echoed
        return load_record_spec(source, chosen)
    return load_spec(chosen)


def is_bench_folder(path: str) -> bool:
    """True when ``path`` is a folder holding a ``fsmchat bench`` ``results.json``."""
    return Path(path).is_dir() and (Path(path) / "results.json").is_file()


def read_bench(path: str) -> tuple[dict[str, Any], bytes | None]:
    """Read a bench folder: ``results.json`` (as data) and ``results.png`` (bytes).

    Raises:
        InvalidArgument: ``results.json`` is not a bench result.
    """
    folder = Path(path)
    data = read_json(folder / "results.json")
    if not isinstance(data, dict) or data.get("format") != "fsmchat.bench/1":
        msg = f"{folder / 'results.json'}: not a fsmchat bench result (format 'fsmchat.bench/1')"
        raise InvalidArgument(msg)
    png = folder / "results.png"
    return data, png.read_bytes() if png.is_file() else None
