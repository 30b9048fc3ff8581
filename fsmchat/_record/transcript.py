"""One reader for every file that holds a chat: records, ``--json`` files, AutoGen lists.

:func:`read_transcript` is what ``fsmchat verify``, ``fsmchat draw --trace``
(and a viewer) call on a path: it tells a record (JSON Lines whose first line
is a record header) from a JSON document and returns the messages and the
routing trace as a :class:`~fsmchat.Transcript`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from fsmchat._core.errors import InvalidArgument
from fsmchat._core.spec import Spec
from fsmchat._core.transcript import Transcript, load_transcript
from fsmchat._record.reader import (
    CONFIGURED,
    KeyChoice,
    parse_record,
    record_key,
    unkeyed_check,
)
from fsmchat._run.files import read_text

__all__ = ["read_transcript"]


#: How every record starts (the writer puts ``type`` first).
_RECORD_START = b'{"type":"header"'


def read_transcript(
    path: str | os.PathLike[str],
    *,
    spec: Spec | None = None,
    key: KeyChoice = CONFIGURED,
    accept_v1: bool = False,
    accept_unkeyed: bool = False,
) -> Transcript:
    """Read the chat in the file ``path``.

    Accepted: a record (``fsmchat run --record``, ``fsmchat.run_durable``: its
    complete lines; a torn last line is left out with a note), a ``fsmchat run
    --json`` file, and an AutoGen/AG2 message list (``groupchat.messages`` or
    ``chat_messages[agent]`` saved as JSON; see :func:`fsmchat._core.transcript.load_transcript`
    for how nameless messages are attributed with ``spec``). A record is read
    as :func:`~fsmchat.replay_durable` reads it: ``key``, ``accept_v1`` and
    ``accept_unkeyed`` mean the same there.

    Returns:
        A :class:`~fsmchat.Transcript`: ``messages`` (tuple of
        :class:`~fsmchat.Message`), ``decisions`` (the routing trace, tuple of
        :class:`~fsmchat.Decision`; empty for an AutoGen list) and ``notes``
        (tuple of strings worth showing the user).

    Raises:
        RecordError: a record that is malformed, breaks its hash chain or
            MAC, or is refused (format 1, or no MAC while a key is configured;
            the message names the file and the line).
        InvalidArgument: the file cannot be read, is not JSON, or holds none of
            the accepted shapes (the message names the file, and the line and
            column for JSON errors).
    """
    # Long for its docstring: three file shapes, each read and checked in a few lines.
    name = os.fspath(path)
    try:
        data = Path(name).read_bytes()
    except OSError as exc:
        msg = f"{name}: cannot read file: {exc.strerror or exc}"
        raise InvalidArgument(msg) from exc
    if data.lstrip().startswith(_RECORD_START):
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
        return Transcript(
            messages=record.messages, decisions=record.decisions, notes=tuple(notes)
        )
    text, problem = read_text(name)
    if problem is not None:
        raise InvalidArgument(str(problem))
    try:
        loaded = json.loads(text)
    except json.JSONDecodeError as exc:
        msg = f"{name}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}"
        raise InvalidArgument(msg) from exc
    try:
        return load_transcript(loaded, spec=spec)
    except InvalidArgument as exc:
        msg = f"{name}: {exc}"
        raise InvalidArgument(msg) from exc
