"""Reading what the viewer shows: a record, a transcript, or a bench folder.

All reading of chats goes through :func:`read_chat`, the one place that knows the
file formats: a record (``fsmchat run --record``, JSONL: finished, paused or torn),
``fsmchat run --json`` output, or an AutoGen message list. Once the record module
offers a single ``load_transcript(path)`` for all three kinds, this function
becomes a call to it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import attrs

from fsmchat._core.engine import Routing
from fsmchat._core.errors import InvalidArgument
from fsmchat._core.spec import Spec
from fsmchat._core.state import Decision, Message, Usage
from fsmchat._core.transcript import load_transcript
from fsmchat._record.format import MessageEntry
from fsmchat._record.reader import read_record, record_key, unkeyed_check
from fsmchat._record.specfile import load_record_spec
from fsmchat._run.files import load_spec, read_text

__all__ = [
    "LoadedChat",
    "SpecNeeded",
    "find_spec",
    "is_bench_folder",
    "read_bench",
    "read_chat",
]


class SpecNeeded(InvalidArgument):
    """A transcript names no spec file: the caller must say which (``--spec``)."""


@attrs.frozen(kw_only=True)
class LoadedChat:
    """A chat as read from disk, whatever its format.

    Attributes:
        kind: ``"record"``, ``"transcript"`` (fsmchat JSON) or ``"messages"``
            (an AutoGen list).
        messages: the transcript, oldest first.
        decisions: the routing trace (empty for an AutoGen list).
        usage: tokens of each message's agent call, by message index.
        status: ``"finished"``, ``"paused"``, ``"torn"``, ``"running"`` (a
            record without an end line) or ``"unknown"``.
        detail: why the chat ended or paused, in a few words.
        spec_path: the spec the file names (a record, or ``fsmchat run --json``
            output), else ``None``.
        notes: remarks about reading it (inferred speakers, a torn line).
        routing: how the chat used the spec (records only; ``None``: the default).
    """

    kind: str
    messages: tuple[Message, ...]
    decisions: tuple[Decision, ...] = ()
    usage: tuple[tuple[int, Usage], ...] = ()
    status: str = "unknown"
    detail: str = ""
    spec_path: str | None = None
    notes: tuple[str, ...] = ()
    routing: Routing | None = None


def read_chat(path: str, *, spec: Spec | None = None) -> LoadedChat:
    """Read the chat at ``path``: a record (JSONL) or a transcript (JSON).

    Raises:
        RecordError: a record is corrupt before its last line.
        InvalidArgument: the file cannot be read or has no known shape.
    """
    text, problem = read_text(path)
    if problem is not None:
        raise InvalidArgument(str(problem))
    if _looks_like_record(path, text):
        return _record(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        msg = f"{path}:{exc.lineno}:{exc.colno}: not a record or transcript JSON: {exc.msg}"
        raise InvalidArgument(msg) from None
    try:
        transcript = load_transcript(data, spec=spec)
    except InvalidArgument as exc:
        msg = f"{path}: {exc}"
        raise InvalidArgument(msg) from None
    finished = data.get("finished") if isinstance(data, dict) else None
    status, detail = "unknown", "the file does not say how the chat ended"
    if isinstance(finished, dict):
        status = "failed" if finished.get("reason") == "error" else "finished"
        detail = str(finished.get("reason", ""))
        if finished.get("detail"):
            detail += f": {finished['detail']}"
    elif isinstance(data, dict) and "finished" in data and finished is None:
        # `fsmchat replay --json` of a record whose chat is not over yet.
        status, detail = "paused", "the record ends before the chat does"
    named = data.get("spec_path") if isinstance(data, dict) else None
    return LoadedChat(
        kind="transcript" if isinstance(data, dict) else "messages",
        messages=transcript.messages,
        decisions=transcript.decisions,
        status=status,
        detail=detail,
        spec_path=None
        if not isinstance(named, str)
        else _spec_of_record(path, named, str(data.get("spec_abspath") or named)),
        notes=transcript.notes,
    )


def _looks_like_record(path: str, text: str) -> bool:
    """A record is JSON Lines: ``{"type": ...}`` objects, one per line (or nothing yet)."""
    head = text.lstrip()
    return head == "" or head.startswith('{"type"') or path.endswith(".jsonl")


def _record(path: str) -> LoadedChat:
    # Showing is not trusting: an old or unkeyed record is shown, with a note.
    key = record_key()
    record = read_record(path, key=key, accept_v1=True)
    if record.header is None and not record.entries and record.torn is None:
        return LoadedChat(
            kind="record",
            messages=(),
            status="running",
            detail="the record is empty (the chat has not started)",
        )
    status, detail, notes = "running", "no end line yet", []
    if record.end is not None:
        status = "finished"
        detail = record.end.reason + (
            f": {record.end.detail}" if record.end.detail else ""
        )
    elif record.pause is not None:
        status = "paused"
        detail = f"waiting for {record.pause.agent} ({record.pause.request})"
    if record.torn is not None:
        status = "torn"
        detail = record.torn.why
        notes.append(record.torn.describe(path))
    for note in (
        record.unverified_warning(),
        unkeyed_check(record, key, accept_unkeyed=True),
    ):
        if note is not None:
            notes.append(note)
    usage = tuple(
        (e.index, e.usage)
        for e in record.entries
        if isinstance(e, MessageEntry) and e.usage is not None
    )
    header = record.header
    return LoadedChat(
        kind="record",
        messages=record.messages,
        decisions=record.decisions,
        usage=usage,
        status=status,
        detail=detail,
        spec_path=None
        if header is None
        else _spec_of_record(path, header.spec_path, header.spec_abspath),
        notes=tuple(notes),
        routing=None if header is None else header.routing,
    )


def _spec_of_record(record_path: str, spec_path: str, abspath: str) -> str:
    """The record's spec: as given, else absolute, else beside the record."""
    for candidate in (
        abspath,
        spec_path,
        os.path.join(os.path.dirname(record_path), spec_path),
    ):
        if os.path.isfile(candidate):
            return candidate
    return abspath


def find_spec(path: str | None, chat: LoadedChat, source: str) -> Spec:
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
    text, problem = read_text(str(folder / "results.json"))
    if problem is not None:
        raise InvalidArgument(str(problem))
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        msg = f"{folder / 'results.json'}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}"
        raise InvalidArgument(msg) from None
    if not isinstance(data, dict) or data.get("format") != "fsmchat.bench/1":
        msg = f"{folder / 'results.json'}: not a fsmchat bench result (format 'fsmchat.bench/1')"
        raise InvalidArgument(msg)
    png = folder / "results.png"
    return data, png.read_bytes() if png.is_file() else None
