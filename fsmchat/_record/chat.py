"""One reader for every file that holds a chat: records, ``--json`` files, AutoGen lists.

:func:`read_chat` is what ``fsmchat verify``, ``draw --trace``, ``replay`` and
``view`` call on a path. It tells a record (JSON Lines of ``{"type": ...}``
objects, or a ``.jsonl`` file, or an empty file: a chat not started yet) from
a JSON document, reads either under the data-file size cap
(:data:`~fsmchat.adapters._files.MAX_DATA_BYTES`), and returns a
:class:`ChatFile`: the messages, the routing trace, how the chat ended and
which spec the file names. The callers differ only in what they trust: the
viewer and ``draw`` show an old or unkeyed record with a note
(``accept_v1=True, accept_unkeyed=True``), ``verify`` and ``replay`` refuse it
unless asked.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import attrs

from fsmchat._core.engine import Routing
from fsmchat._core.errors import InvalidArgument, RecordError
from fsmchat._core.spec import Spec
from fsmchat._core.state import Decision, Message, Usage
from fsmchat._core.transcript import Transcript, load_transcript
from fsmchat._record.format import MessageEntry, Record
from fsmchat._record.reader import (
    CONFIGURED,
    KeyChoice,
    parse_record,
    record_key,
    unkeyed_check,
)
from fsmchat._record.specfile import spec_file_of
from fsmchat.adapters._files import FileTooBig, parse_json, read_data

__all__ = ["ChatFile", "read_chat", "read_transcript"]


@attrs.frozen(kw_only=True)
class ChatFile:
    """A chat as read from a file, whatever its format.

    Attributes:
        kind: ``"record"``, ``"transcript"`` (``fsmchat run --json``) or
            ``"messages"`` (an AutoGen list).
        messages: the transcript, oldest first.
        trace: the routing trace, one :class:`~fsmchat.Decision` per step
            (empty for an AutoGen list).
        usage: tokens of each message's agent call, by message index (records).
        status: ``"finished"``, ``"failed"``, ``"paused"``, ``"torn"``,
            ``"running"`` (a record without an end line) or ``"unknown"``.
        detail: why the chat ended or paused, in a few words.
        spec_path: the spec file the chat names, found on disk if it is there
            (the path as written otherwise); ``None``: it names none.
        notes: remarks about reading it (inferred speakers, a torn line, an
            unverified or unkeyed record that was accepted).
        routing: how the chat used the spec (records with a header only).
        record: the :class:`~fsmchat.Record` itself (records only).
    """

    kind: str
    messages: tuple[Message, ...]
    trace: tuple[Decision, ...] = ()
    usage: tuple[tuple[int, Usage], ...] = ()
    status: str = "unknown"
    detail: str = ""
    spec_path: str | None = None
    notes: tuple[str, ...] = ()
    routing: Routing | None = None
    record: Record | None = attrs.field(default=None, eq=False, repr=False)

    def transcript(self) -> Transcript:
        """The messages, trace and notes as a :class:`~fsmchat.Transcript` (what ``verify`` checks)."""
        return Transcript(messages=self.messages, trace=self.trace, notes=self.notes)


#: How a record starts: the writer puts ``type`` first on every line.
_RECORD_START = b'{"type"'


def _is_record(name: str, data: bytes) -> bool:
    head = data.lstrip()
    return not head or head.startswith(_RECORD_START) or name.endswith(".jsonl")


def read_chat(
    path: str | os.PathLike[str],
    *,
    spec: Spec | None = None,
    key: KeyChoice = CONFIGURED,
    accept_v1: bool = False,
    accept_unkeyed: bool = False,
    record_only: bool = False,
) -> ChatFile:
    """Read the chat in the file ``path``.

    Accepted: a record (``fsmchat run --record``, :func:`~fsmchat.run_recorded`:
    its complete lines; a torn last line is left out with a note; an empty
    file is a chat not started yet), a ``fsmchat run --json`` file, and an
    AutoGen/AG2 message list (``groupchat.messages`` or
    ``chat_messages[agent]`` saved as JSON; nameless messages are attributed
    with ``spec``, see :func:`fsmchat._core.transcript.load_transcript`). A record
    is read as :func:`~fsmchat.replay_record` reads it: ``key``, ``accept_v1``
    and ``accept_unkeyed`` mean the same there. ``record_only``: every file
    is read as a record (what ``replay`` needs), so any other file is refused
    as not a record.

    Raises:
        RecordError: a record that is malformed, breaks its hash chain or
            MAC, or is refused (format 1, or no MAC while a key is configured;
            the message names the file and the line).
        InvalidArgument: the file cannot be read, is over the data-file size
            cap, is not JSON, or holds none of the accepted shapes (the
            message names the file, and the line and column for JSON errors);
            with ``record_only``, a file that cannot be read is a RecordError.
    """
    name = os.fspath(path)
    try:
        data = read_data(name)
    except (OSError, FileTooBig) as exc:
        why = (
            str(exc)
            if isinstance(exc, FileTooBig)
            else f"{name}: cannot read file: {exc.strerror or exc}"
        )
        if record_only:  # what replay_record and read_record say
            raise RecordError(why, path=name) from None
        if isinstance(exc, FileTooBig):
            raise
        raise InvalidArgument(why) from None
    if record_only or _is_record(name, data):
        return _from_record(
            name,
            data,
            key=key,
            accept_v1=accept_v1,
            accept_unkeyed=accept_unkeyed,
        )
    return _from_json(name, parse_json(name, data), spec)


def _from_json(name: str, data: Any, spec: Spec | None) -> ChatFile:
    try:
        transcript = load_transcript(data, spec=spec)
    except InvalidArgument as exc:
        msg = f"{name}: {exc}"
        raise InvalidArgument(msg) from None
    doc: Mapping[str, Any] = data if isinstance(data, Mapping) else {}
    finished = doc.get("finished")
    status, detail = "unknown", "the file does not say how the chat ended"
    if isinstance(finished, Mapping):
        status = "failed" if finished.get("reason") == "error" else "finished"
        detail = str(finished.get("reason", ""))
        if finished.get("detail"):
            detail += f": {finished['detail']}"
    elif "finished" in doc and finished is None:
        # `fsmchat replay --json` of a record whose chat is not over yet.
        status, detail = "paused", "the record ends before the chat does"
    named = doc.get("spec_path")
    return ChatFile(
        kind="transcript" if isinstance(data, Mapping) else "messages",
        messages=transcript.messages,
        trace=transcript.trace,
        status=status,
        detail=detail,
        spec_path=None
        if not isinstance(named, str)
        else spec_file_of(name, named, str(doc.get("spec_abspath") or named)),
        notes=transcript.notes,
    )


def _from_record(
    name: str,
    data: bytes,
    *,
    key: KeyChoice,
    accept_v1: bool,
    accept_unkeyed: bool,
) -> ChatFile:
    chosen = record_key(key)
    record = parse_record(name, data, key=chosen, accept_v1=accept_v1)
    notes = [
        note
        for note in (
            None if record.torn is None else record.torn.describe(name),
            record.unverified_warning(),
            unkeyed_check(record, chosen, accept_unkeyed=accept_unkeyed),
        )
        if note is not None
    ]
    status, detail = _record_status(record)
    header = record.header
    return ChatFile(
        kind="record",
        messages=record.messages,
        trace=record.trace,
        usage=tuple(
            (e.index, e.usage)
            for e in record.entries
            if isinstance(e, MessageEntry) and e.usage is not None
        ),
        status=status,
        detail=detail,
        spec_path=None
        if header is None
        else spec_file_of(name, header.spec_path, header.spec_abspath),
        notes=tuple(notes),
        routing=None if header is None else header.routing,
        record=record,
    )


def _record_status(record: Record) -> tuple[str, str]:
    """``(status, detail)`` of a record: how far its chat got."""
    if record.torn is not None:
        return "torn", record.torn.why
    if record.end is not None:
        end = record.end
        return "finished", end.reason + (f": {end.detail}" if end.detail else "")
    if record.pause is not None:
        return "paused", f"waiting for {record.pause.agent} ({record.pause.request})"
    if record.header is None:
        return "running", "the record is empty (the chat has not started)"
    return "running", "no end line yet"


def read_transcript(
    path: str | os.PathLike[str],
    *,
    spec: Spec | None = None,
    key: KeyChoice = CONFIGURED,
    accept_v1: bool = False,
    accept_unkeyed: bool = False,
) -> Transcript:
    """Deprecated (``fsmchat.read_transcript`` warns): ``read_chat(path, ...).transcript()``."""
    chat = read_chat(
        path,
        spec=spec,
        key=key,
        accept_v1=accept_v1,
        accept_unkeyed=accept_unkeyed,
    )
    return chat.transcript()
