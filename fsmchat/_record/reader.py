"""Reading a record: torn tails, the hash chain, and every field type-checked.

:func:`read_record` reads a whole record file; :func:`parse_record` does the
same on bytes already read (the writer uses it on the file it has locked).
Each complete line goes through three checks, in order:

1. it is JSON (else: a torn last line, or corruption if complete lines follow);
2. its hash continues the chain (format 2; an HMAC under the record key when
   the header says ``"mac"``; see :mod:`fsmchat._record.format`);
3. its fields have the types of the JSON Schema below (``LINE_SCHEMAS``), and
   its place in the record is right (indexes count up, nothing after the end).

Any failure is a :class:`~fsmchat.RecordError` naming the file and the line.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any, Final, Literal

import jsonschema

from fsmchat._core.engine import Routing
from fsmchat._core.errors import RecordError
from fsmchat._core.state import Decision, Message, Usage
from fsmchat._record.format import (
    FORMATS,
    LEGACY_FORMAT,
    MAC,
    DecisionEntry,
    EndEntry,
    Entry,
    MessageEntry,
    PauseEntry,
    Record,
    RecordHeader,
    StopEntry,
    TornLine,
    chain_hash,
    decode_value,
    split_hash,
)
from fsmchat._record.keys import RecordKey, configured_key, key_file
from fsmchat.adapters._files import FileTooBig, read_data

__all__ = [
    "CONFIGURED",
    "LINE_SCHEMAS",
    "KeyChoice",
    "parse_record",
    "read_record",
    "record_key",
    "unkeyed_check",
]

#: ``key=CONFIGURED``: the key of ``FSMCHAT_RECORD_KEY`` or the key file, if any.
CONFIGURED: Final = "configured"
#: What a ``key=`` parameter takes: ``CONFIGURED``, a key, its bytes, or ``None`` (no key).
KeyChoice = RecordKey | bytes | Literal["configured"] | None


def record_key(key: KeyChoice = CONFIGURED) -> RecordKey | None:
    """The record key ``key`` stands for (see :data:`KeyChoice`).

    Raises:
        RecordError: the configured key is unusable (too short, a key file
            others can read).
    """
    if key == CONFIGURED:
        return configured_key()
    if isinstance(key, bytes):
        return RecordKey(secret=key, source="key=")
    return key if isinstance(key, RecordKey) else None


_STR = {"type": "string"}
_INT = {"type": "integer", "minimum": 0}
_OPT_STR = {"type": ["string", "null"]}
_OPT_INT = {"type": ["integer", "null"], "minimum": 0}
_HASH = {"type": "string", "pattern": "^[0-9a-f]{64}$"}
_USAGE = {
    "type": ["object", "null"],
    "properties": {"prompt_tokens": _INT, "completion_tokens": _INT},
    "additionalProperties": False,
}
_MESSAGE = {
    "type": "object",
    "required": ["name", "role", "content"],
    "properties": {
        "name": {"type": "string", "minLength": 1},
        "role": _STR,
        "content": _STR,
        "tool_calls": {"type": "array", "items": {"type": "object"}},
        "tool_call_id": _OPT_STR,
    },
    "additionalProperties": False,
}
_ATTEMPT = {
    "type": "object",
    "required": ["raw"],
    "properties": {
        "raw": _STR,
        "error": _OPT_STR,
        "usage": _USAGE,
        "latency": {"type": ["number", "null"]},
        "request": {"type": ["object", "null"]},
    },
    "additionalProperties": False,
}
_GUARD = {
    "type": "object",
    "required": ["edge", "target", "kind", "result"],
    "properties": {
        "edge": {"type": "integer"},
        "target": _STR,
        "kind": _STR,
        "result": {"type": ["boolean", "null"]},
    },
    "additionalProperties": False,
}
_DECISION = {
    "type": "object",
    "required": ["round", "source", "candidates", "reason"],
    "properties": {
        "round": _INT,
        "source": _STR,
        "candidates": {"type": "array", "items": _STR},
        "guards": {"type": "array", "items": _GUARD},
        "kind": {"enum": ["choose", "judge", None]},
        "attempts": {"type": "array", "items": _ATTEMPT},
        "retries": _INT,
        "edge": _OPT_INT,
        "target": _OPT_STR,
        "reason": _STR,
    },
    "additionalProperties": False,
}


def _line(kind: str, required: list[str], **properties: Any) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["type", *required],
        "properties": {"type": {"const": kind}, "hash": _HASH, **properties},
        "additionalProperties": False,
    }


#: The JSON Schema of each line type (``hash`` is required by format 2 only).
LINE_SCHEMAS: Mapping[str, Mapping[str, Any]] = {
    "header": _line(
        "header",
        ["format", "spec", "options"],
        format={"enum": list(FORMATS)},
        mac={"const": MAC},
        spec={
            "type": "object",
            "required": ["path", "name", "sha256"],
            "properties": {
                "path": _STR,
                "abspath": _OPT_STR,
                "name": _STR,
                "sha256": _STR,
            },
            "additionalProperties": False,
        },
        routing={
            "type": ["object", "null"],
            "properties": {
                "graph": {"enum": ["spec", "complete"]},
                "conditions": {"enum": ["guards", "language", "ignore"]},
            },
            "additionalProperties": False,
        },
        options={
            "type": "object",
            "required": ["max_round", "max_retries"],
            "properties": {
                "message": _OPT_STR,
                "max_round": {"type": "integer", "minimum": 1},
                "max_retries": _INT,
                "context": _OPT_INT,
            },
            "additionalProperties": False,
        },
        selection={
            "type": ["object", "null"],
            "required": ["method", "seed"],
            "properties": {"method": _STR, "seed": {"type": ["integer", "null"]}},
            "additionalProperties": False,
        },
    ),
    "message": _line(
        "message", ["index", "message"], index=_INT, message=_MESSAGE, usage=_USAGE
    ),
    "decision": _line(
        "decision",
        ["index", "decision", "answers"],
        index=_INT,
        decision=_DECISION,
        answers={"type": "array", "items": {"type": "object"}},
    ),
    "pause": _line(
        "pause",
        ["agent", "request", "round"],
        agent=_STR,
        request={"enum": ["reply", "choose", "judge"]},
        round=_INT,
    ),
    "stop": _line("stop", ["reason"], reason=_STR),
    "end": _line("end", ["reason", "round"], reason=_STR, round=_INT, detail=_STR),
}

_VALIDATORS = {
    kind: jsonschema.Draft202012Validator(schema)
    for kind, schema in LINE_SCHEMAS.items()
}


def unkeyed_check(
    record: Record, key: RecordKey | None, *, accept_unkeyed: bool
) -> str | None:
    """Refuse a record without a MAC when a record key is configured, unless accepted.

    Returns:
        The warning to show when ``accept_unkeyed`` let such a record through,
        else ``None``.

    Raises:
        RecordError: a key is configured, the record's chain is unkeyed (a
            forger can strip a MAC and re-chain with SHA-256), and
            ``accept_unkeyed`` is false.
    """
    problem = None if key is None or not record.verified else record.unkeyed_problem()
    if problem is None:
        return None
    if not accept_unkeyed:
        raise RecordError(problem, path=record.path, line=1)
    return problem


def read_record(
    path: str | os.PathLike[str],
    *,
    key: KeyChoice = CONFIGURED,
    accept_v1: bool = False,
) -> Record:
    """Read a record, tolerating a torn last line (see :class:`~fsmchat._record.format.TornLine`).

    ``key``: the record key checking a keyed record's MAC (default: the
    configured one, see :mod:`fsmchat._record.keys`). ``accept_v1``: read a
    ``fsmchat.record/1`` record (no hash chain) instead of refusing it.

    Returns:
        The :class:`~fsmchat.Record`; an empty file gives a record without header.

    Raises:
        RecordError: the file cannot be read, is over the data-file size
            cap, is not an fsmchat record, a line is malformed or breaks the
            hash chain (or its MAC), the record is
            keyed and no key is configured, it is of format 1 and
            ``accept_v1`` is false, or it is corrupt before its last line (the
            message names the file and the line).
    """
    name = os.fspath(path)
    chosen = record_key(key)
    try:
        data = read_data(name)
    except FileTooBig as exc:
        raise RecordError(str(exc), path=name) from None
    except FileNotFoundError as exc:
        msg = f"record {name} does not exist"
        raise RecordError(msg, path=name) from exc
    except OSError as exc:
        msg = f"cannot read record {name}: {exc}"
        raise RecordError(msg, path=name) from exc
    return parse_record(name, data, key=chosen, accept_v1=accept_v1)


def parse_record(
    name: str, data: bytes, *, key: RecordKey | None = None, accept_v1: bool = False
) -> Record:
    """Parse the bytes of the record file ``name`` (see :func:`read_record`)."""
    pieces = data.split(b"\n")
    parser = _Parser(name, key, accept_v1)
    offset = 0
    torn: TornLine | None = None
    for i, raw in enumerate(pieces):
        lineno = i + 1
        last = i == len(pieces) - 1
        if last and not raw:
            break  # the file ends with a newline
        if last:
            torn = TornLine(
                line=lineno, offset=offset, size=len(raw), why="no newline at its end"
            )
            break
        try:
            obj = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            if lineno == 1 and not _header_like(data):
                raise _not_a_record(name, data) from None
            if data[offset + len(raw) + 1 :].strip(b"\0 \t\r\n"):
                msg = (
                    f"record {name}: line {lineno} is not valid JSON ({exc}) but complete "
                    f"lines follow it, so it is not a torn write: the record is corrupt. "
                    f"Restore it from a backup, or cut it to its first {lineno - 1} lines "
                    f"(head -n {lineno - 1}) to resume from there"
                )
                raise RecordError(msg, path=name, line=lineno) from exc
            torn = TornLine(
                line=lineno,
                offset=offset,
                size=len(data) - offset,
                why=f"invalid JSON: {exc}" if raw.strip(b"\0") else "NUL bytes",
            )
            break
        parser.add(obj, raw, lineno)
        offset += len(raw) + 1
    if torn is not None and torn.line == 1 and not _header_like(data):
        raise _not_a_record(name, data)
    return Record(
        path=name,
        header=parser.header,
        entries=tuple(parser.entries),
        torn=torn,
        size=offset,
        verified=parser.chained,
        last_hash=parser.last_hash,
        keyed=parser.mac is not None,
    )


_HEADER_START = b'{"type":"header"'


def _not_a_record(name: str, data: bytes) -> RecordError:
    msg = (
        f"{name} is not an fsmchat record: its first line is not a record header "
        f"(it starts {data[:40]!r}); refusing to read or change it. Pass the path "
        f"of a record file, or a new path to start one"
    )
    return RecordError(msg, path=name, line=1)


def _header_like(data: bytes) -> bool:
    """True when ``data`` could be a torn write of a record's first line."""
    head = data.rstrip(b"\0\n")
    return _HEADER_START.startswith(head) or head.startswith(_HEADER_START)


def _where(error: jsonschema.ValidationError) -> str:
    path = ".".join(str(p) for p in error.absolute_path)
    return f"{path}: " if path else ""


class _Parser:
    """Checks the lines' chain, types and order as they are read."""

    def __init__(self, path: str, key: RecordKey | None, accept_v1: bool) -> None:
        self.path = path
        self.key = key
        self.accept_v1 = accept_v1
        self.mac: bytes | None = None
        self.header: RecordHeader | None = None
        self.entries: list[Entry] = []
        self.messages = 0
        self.decisions = 0
        self.chained = True
        self.last_hash = ""

    def fail(self, line: int, why: str) -> RecordError:
        return RecordError(
            f"record {self.path}: line {line}: {why}", path=self.path, line=line
        )

    def add(self, obj: Any, raw: bytes, line: int) -> None:
        if not isinstance(obj, dict):
            raise self.fail(line, f"expected a JSON object, got {type(obj).__name__}")
        kind = obj.get("type")
        if self.header is None and kind != "header":
            why = (
                f"expected the record header (type 'header'), got type {kind!r}; "
                f"is {self.path} an fsmchat record?"
            )
            raise self.fail(line, why)
        if self.header is None:
            fmt = obj.get("format")
            if fmt not in FORMATS:
                why = f"unsupported record format {fmt!r}; this fsmchat reads {' and '.join(map(repr, FORMATS))}"
                raise self.fail(line, why)
            self.chained = fmt != LEGACY_FORMAT
            self._trust(obj, line)
        self._check_chain(obj, raw, line)
        validator = _VALIDATORS.get(kind) if isinstance(kind, str) else None
        if validator is None or not isinstance(kind, str):
            kinds = ", ".join(LINE_SCHEMAS)
            raise self.fail(
                line, f"unknown line type {kind!r} (expected one of {kinds})"
            )
        error = jsonschema.exceptions.best_match(validator.iter_errors(obj))
        if error is not None:
            why = f"malformed {kind} line: {_where(error)}{error.message}"
            raise self.fail(line, why)
        if self.header is None:
            self.header = self._header(obj)
            return
        self.entries.append(self._entry(kind, obj, line))

    def _trust(self, header: Mapping[str, Any], line: int) -> None:
        """Refuse a downgrade to format 1 unless accepted; take the key of a keyed record."""
        if not self.chained and not self.accept_v1:
            why = (
                f"the record is in the old format {LEGACY_FORMAT!r}, which has no hash "
                f"chain: anyone can rewrite a record in it to hide an edit, so it is "
                f"refused. If you trust the file, pass --accept-v1 (accept_v1=True)"
            )
            raise self.fail(line, why)
        if "mac" not in header:
            return
        if not self.chained:
            raise self.fail(
                line, f"a {LEGACY_FORMAT!r} record has no MAC, but its header names one"
            )
        if self.key is None:
            why = (
                f"the record is sealed with a record key (its chain is an HMAC), but "
                f"no key is configured, so none of its lines can be checked: set "
                f"FSMCHAT_RECORD_KEY, or put the key in {key_file()} (mode 0600)"
            )
            raise self.fail(line, why)
        self.mac = self.key.secret

    def _check_chain(self, obj: Mapping[str, Any], raw: bytes, line: int) -> None:
        if not self.chained:
            if "hash" in obj:
                why = f"a {LEGACY_FORMAT!r} record has no hashes, but this line has one"
                raise self.fail(line, why)
            return
        sealed = split_hash(raw)
        if sealed is None:
            why = (
                "the line has no hash at its end, so it was not written by fsmchat "
                "(or was edited): the record cannot be trusted from here"
            )
            raise self.fail(line, why)
        body, stored = sealed
        expected = chain_hash(self.last_hash, body, self.mac)
        if stored != expected:
            what = "MAC" if self.mac is not None else "hash chain"
            other = (
                ""
                if self.mac is None
                else f", or the record was sealed with another key than {self.key.source if self.key else '?'}"
            )
            why = (
                f"the {what} breaks here (stored {stored[:12]}…, the line and "
                f"the one before give {expected[:12]}…): this line or the one before "
                f"it was changed, lost or repeated after it was written (an edit or bit "
                f"rot){other}. Restore the record from a backup, or cut it to its first "
                f"{line - 1} lines (head -n {line - 1}) to resume from there"
            )
            raise self.fail(line, why)
        self.last_hash = stored

    def _header(self, obj: Mapping[str, Any]) -> RecordHeader:
        spec = obj["spec"]
        routing = obj.get("routing") or {}
        opts = obj["options"]
        sel = obj.get("selection")
        return RecordHeader(
            spec_path=spec["path"],
            spec_abspath=spec.get("abspath") or spec["path"],
            spec_name=spec["name"],
            spec_hash=spec["sha256"],
            routing=Routing(
                graph=routing.get("graph", "spec"),
                conditions=routing.get("conditions", "guards"),
            ),
            message=opts.get("message"),
            max_round=opts["max_round"],
            max_retries=opts["max_retries"],
            context=opts.get("context"),
            selection=None if sel is None else (sel["method"], sel["seed"]),
            format=obj["format"],
            mac="mac" in obj,
        )

    def _entry(self, kind: str, obj: Mapping[str, Any], line: int) -> Entry:
        last = self.entries[-1] if self.entries else None
        if isinstance(last, EndEntry):
            why = "the chat ended on the line before; nothing may follow the end line"
            raise self.fail(line, why)
        if isinstance(last, StopEntry) and kind != "end":
            raise self.fail(line, "after a stop line only the end line may follow")
        if kind == "message":
            return self._message(obj, line)
        if kind == "decision":
            return self._decision(obj, line)
        if kind == "pause":
            return PauseEntry(
                line=line,
                agent=obj["agent"],
                request=obj["request"],
                round=obj["round"],
            )
        if kind == "stop":
            return StopEntry(line=line, reason=obj["reason"])
        return EndEntry(
            line=line,
            reason=obj["reason"],
            round=obj["round"],
            detail=obj.get("detail", ""),
        )

    def _index(self, what: str, index: int, expected: int, line: int) -> None:
        if index != expected:
            why = (
                f"{what} index {index}, expected {expected}: a {what} "
                f"was {'duplicated' if index < expected else 'lost'}"
            )
            raise self.fail(line, why)

    def _message(self, obj: Mapping[str, Any], line: int) -> MessageEntry:
        self._index("message", obj["index"], self.messages, line)
        self.messages += 1
        usage = obj.get("usage")
        return MessageEntry(
            line=line,
            index=obj["index"],
            message=Message.from_dict(obj["message"]),
            usage=None if usage is None else Usage(**usage),
        )

    def _decision(self, obj: Mapping[str, Any], line: int) -> DecisionEntry:
        self._index("decision", obj["index"], self.decisions, line)
        self.decisions += 1
        data = obj["decision"]
        decision = Decision.from_dict(data)
        answers = tuple(obj["answers"])
        if len(answers) != len(decision.attempts):
            why = (
                f"the decision has {len(decision.attempts)} attempt(s) but "
                f"{len(answers)} recorded answer(s)"
            )
            raise self.fail(line, why)
        for k, a in enumerate(answers):
            try:
                decode_value(a)
            except ValueError as exc:
                raise self.fail(
                    line, f"malformed decision line: answers.{k}: {exc}"
                ) from exc
        return DecisionEntry(
            line=line, index=obj["index"], decision=decision, answers=answers, data=data
        )
