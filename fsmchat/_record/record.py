"""Durable chats: an append-only record on disk, resume, and deterministic replay.

A *record* is a JSON Lines file: one JSON object per line, in the order things
happened. Format ``fsmchat.record/1``::

    {"type": "header", "format": "fsmchat.record/1",
     "spec": {"path": ..., "abspath": ..., "name": ..., "sha256": ...},
     "routing": {"graph": ..., "conditions": ...},
     "options": {"message": ..., "max_round": ..., "max_retries": ..., "context": ...}}
    {"type": "message", "index": 0, "message": {"name": ..., "role": ..., "content": ...}, "usage": null}
    {"type": "decision", "index": 0, "decision": {...Decision.to_dict()...}, "answers": [...]}
    {"type": "pause", "agent": ..., "request": "reply" | "choose" | "judge", "round": ...}
    {"type": "stop", "reason": ...}
    {"type": "end", "reason": ..., "round": ..., "detail": ...}

Rules / theory of operation
---------------------------
* **Durability.** :class:`RecordWriter` writes each line with one ``write``,
  flushes it and ``os.fsync``s the file before returning, and the driver calls it
  (through ``on_message`` / ``on_decision``) before it calls the next port. So
  when a model or an agent is asked for step *n*, everything up to step *n - 1*
  is on disk. A new file's directory entry is fsynced too. One process at a time
  appends: the writer holds an exclusive ``flock`` (released by the kernel even
  on ``SIGKILL``).
* **Torn lines.** Appends only ever grow the file, so a crash leaves a complete
  prefix plus at most one partial line. :func:`read_record` accepts a damaged
  *last* line (no newline, invalid JSON, or trailing NUL bytes left by a lost
  block) and reports it as :class:`TornLine`; :meth:`RecordWriter.open` cuts the
  file back to the complete prefix before appending. A damaged line *followed
  by* complete lines cannot come from a crash: that is corruption, a
  :class:`RecordError`.
* **Decisions carry their answers.** A :class:`~fsmchat.Decision` keeps each
  attempt's raw text, but not the value the port understood (a name or a list
  of verdicts), so the decision line also stores ``answers``: one encoded
  :attr:`Answer.value <fsmchat.Answer.value>` per attempt. Replaying a decision
  is feeding those values back, with the recorded raw text, usage and latency.
  A step is durable once its decision line is: a crash after a model answered
  but before the line was written costs that step's calls again, never more.
* **Spec identity.** The header holds :func:`spec_digest` of the spec: a hash
  of its data, so comments and layout may change, its meaning may not (unless
  forced, and then every step is still checked).
* **Pauses.** A ``pause`` line says the chat stopped to wait for a person
  (``--no-wait``); each run that stops there adds one. The person's answer,
  given to a later run, becomes the next message (or decision) line.
* **Resume and replay go through the real engine.** :class:`Cassette` is a
  selector and a responder answering from the record; :func:`resume` builds an
  :class:`~fsmchat.Engine` from the header and drives it with the cassette
  through :func:`fsmchat.run_chat`. The engine re-evaluates every guard and
  re-validates every answer, and each message and decision it produces must be
  equal to the recorded line, so a record that does not fit the spec (edited,
  or written by another spec) fails at the first line that does not fit, with
  the line number, the round and why. What the engine produces past the end of
  the record (the routing step after a last message whose decision line was
  lost) is handed back as ``tail`` for the caller to append.
* **Why JSONL + fsync rather than SQLite in WAL mode.** A chat record is a
  strictly append-only log written by one process; JSONL makes each step one
  ``write`` + ``fsync`` (SQLite's WAL commit is also an fsync per transaction, so
  it buys no speed here), the only crash artefact is a torn last line that is
  easy to detect and cut, and the file stays readable and diffable with ``cat``,
  ``jq`` and ``git`` — a record is also a test cassette. We need no queries,
  no concurrent writers and no in-place updates, which is what SQLite is for.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

import attrs

from fsmchat._core.engine import Engine, Routing
from fsmchat._core.errors import EngineError, InvalidArgument, RecordError
from fsmchat._core.events import (
    Answer,
    AskAgent,
    AskHuman,
    Choose,
    Finished,
    Judge,
    Reply,
    Request,
    Stop,
)
from fsmchat._core.source import compose
from fsmchat._core.spec import Spec
from fsmchat._core.state import Decision, Message, Usage
from fsmchat._run.driver import ChatResult, run_chat

try:  # POSIX advisory locks; elsewhere one writer per record is the user's job
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "RECORD_FORMAT",
    "Cassette",
    "DecisionEntry",
    "EndEntry",
    "Entry",
    "MessageEntry",
    "PauseEntry",
    "Record",
    "RecordError",
    "RecordHeader",
    "RecordWriter",
    "Resumed",
    "StopEntry",
    "TornLine",
    "check_header",
    "read_record",
    "replay_record",
    "resume",
    "resume_engine",
    "spec_digest",
    "stop_reason",
]

RECORD_FORMAT = "fsmchat.record/1"


# -- values ------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class RecordHeader:
    """The first line of a record: which spec, and the engine's options.

    Attributes:
        spec_path: the spec's path as given when the chat started.
        spec_abspath: the same, absolute.
        spec_name: the spec's ``name``.
        spec_hash: :func:`spec_digest` of the spec's text.
        routing: how the spec's edges and conditions were used.
        message: the first message (``None``: the start agent was asked).
        max_round, max_retries, context: the engine's effective options.
        selection: how open choices were settled when no model was used
            (``"fsm"``, ``"round_robin"``, ``"random"``, ``"manual"``) and the
            random seed, so a resume cannot silently switch policy or seed
            (``None``: not recorded).
    """

    spec_path: str
    spec_abspath: str
    spec_name: str
    spec_hash: str
    routing: Routing = attrs.field(factory=Routing)
    message: str | None = None
    max_round: int = 10
    max_retries: int = 2
    context: int | None = None
    selection: tuple[str, int | None] | None = None
    format: str = RECORD_FORMAT

    @classmethod
    def for_engine(
        cls,
        engine: Engine,
        *,
        spec_path: str,
        spec_hash: str,
        selection: tuple[str, int | None] | None = None,
    ) -> RecordHeader:
        """The header of a new record for ``engine`` (built but not yet driven)."""
        first = engine.messages[0].content if engine.messages else None
        return cls(
            spec_path=spec_path,
            spec_abspath=os.path.abspath(spec_path),
            spec_name=engine.spec.name,
            spec_hash=spec_hash,
            routing=engine.routing,
            message=first,
            max_round=engine.max_round,
            max_retries=engine.max_retries,
            context=engine.context,
            selection=selection,
        )

    def to_dict(self) -> dict[str, Any]:
        """Return the header line's JSON data."""
        return {
            "type": "header",
            "format": self.format,
            "spec": {
                "path": self.spec_path,
                "abspath": self.spec_abspath,
                "name": self.spec_name,
                "sha256": self.spec_hash,
            },
            "routing": {
                "graph": self.routing.graph,
                "conditions": self.routing.conditions,
            },
            "options": {
                "message": self.message,
                "max_round": self.max_round,
                "max_retries": self.max_retries,
                "context": self.context,
            },
            "selection": None
            if self.selection is None
            else {"method": self.selection[0], "seed": self.selection[1]},
        }

    def engine(self, spec: Spec) -> Engine:
        """Build a new engine for ``spec`` with this header's options.

        Raises:
            InvalidArgument: an option is out of range.
        """
        return Engine(
            spec,
            routing=self.routing,
            message=self.message,
            max_retries=self.max_retries,
            context=self.context,
            max_round=self.max_round,
        )


@attrs.frozen(kw_only=True)
class MessageEntry:
    """A recorded message (``usage``: what the agent's model call used)."""

    line: int
    index: int
    message: Message
    usage: Usage | None = None


@attrs.frozen(kw_only=True)
class DecisionEntry:
    """A recorded routing step, with each attempt's answer value (encoded)."""

    line: int
    index: int
    decision: Decision
    answers: tuple[Any, ...]
    data: Mapping[str, Any] = attrs.field(eq=False, repr=False)


@attrs.frozen(kw_only=True)
class PauseEntry:
    """The chat stopped to wait for a person (``request``: reply, choose, judge)."""

    line: int
    agent: str
    request: str
    round: int


@attrs.frozen(kw_only=True)
class StopEntry:
    """The chat was ended by a Stop event (e.g. a human typed ``exit``)."""

    line: int
    reason: str


@attrs.frozen(kw_only=True)
class EndEntry:
    """The chat finished: the engine's :class:`~fsmchat.Finished`, as data."""

    line: int
    reason: str
    round: int
    detail: str = ""


Entry = MessageEntry | DecisionEntry | PauseEntry | StopEntry | EndEntry


@attrs.frozen(kw_only=True)
class TornLine:
    """A damaged last line, left by a crash in the middle of a write.

    Attributes:
        line: its 1-based number.
        offset: the byte offset where it starts (= size of the complete prefix).
        size: how many bytes it holds.
        why: what is wrong with it.
    """

    line: int
    offset: int
    size: int
    why: str

    def describe(self, path: str) -> str:
        """The warning to show, e.g. ``record X: line 7 is incomplete ...``."""
        kept = self.line - 1
        s = "" if kept == 1 else "s"
        return (
            f"record {path}: line {self.line} is incomplete (torn write: {self.why}); "
            f"keeping the {kept} complete record{s}"
        )


@attrs.frozen(kw_only=True)
class Record:
    """A record as read from disk: header, entries, and any torn last line.

    Attributes:
        path: the file.
        header: ``None`` when the file is empty or even line 1 is torn.
        entries: every complete line after the header, in order.
        torn: the damaged last line, if any (not part of ``entries``).
        size: bytes of the complete prefix.
    """

    path: str
    header: RecordHeader | None
    entries: tuple[Entry, ...] = ()
    torn: TornLine | None = None
    size: int = 0

    @property
    def messages(self) -> tuple[Message, ...]:
        """The recorded transcript."""
        return tuple(e.message for e in self.entries if isinstance(e, MessageEntry))

    @property
    def decisions(self) -> tuple[Decision, ...]:
        """The recorded trace."""
        return tuple(e.decision for e in self.entries if isinstance(e, DecisionEntry))

    @property
    def end(self) -> EndEntry | None:
        """The end line, if the chat finished."""
        last = self.entries[-1] if self.entries else None
        return last if isinstance(last, EndEntry) else None

    @property
    def pause(self) -> PauseEntry | None:
        """The pause line, if the record ends waiting for a person."""
        last = self.entries[-1] if self.entries else None
        return last if isinstance(last, PauseEntry) else None

    @property
    def lines(self) -> int:
        """Complete lines, header included."""
        return (0 if self.header is None else 1) + len(self.entries)


# -- hashing, encoding ---------------------------------------------------------


def spec_digest(text: str) -> str:
    """Return the sha256 of a spec's *data* (comments and layout do not count).

    YAML/JSON text is parsed and re-serialised canonically (sorted keys) before
    hashing, so reformatting a spec or editing its comments keeps its records
    valid, while any change of meaning does not. Text that does not parse is
    hashed as is.
    """
    data, _, problems = compose(text, path="<spec>")
    if problems:
        canonical = text
    else:
        canonical = json.dumps(
            data, sort_keys=True, ensure_ascii=False, separators=(",", ":")
        )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _json_default(value: Any) -> Any:
    if isinstance(value, tuple | set | frozenset):
        return list(value)
    if attrs.has(type(value)):
        return attrs.asdict(value)
    return repr(value)


def _dumps(obj: Any, *, ensure_ascii: bool = False) -> str:
    return json.dumps(
        obj, ensure_ascii=ensure_ascii, separators=(",", ":"), default=_json_default
    )


def _normal(obj: Any) -> Any:
    """``obj`` as it reads back from a record line (tuples become lists, ...)."""
    return json.loads(_dumps(obj))


_SCALARS = (str, bool, int, float, type(None))


def _encode_value(value: Any) -> Any:
    """Encode an :class:`Answer` value so that it decodes to an equal-acting value."""
    if value is None or isinstance(value, str | bool):
        return {"value": value}
    if isinstance(value, list | tuple) and all(isinstance(v, _SCALARS) for v in value):
        return {type(value).__name__: list(value)}
    return {"repr": repr(value), "str": str(value)}


class _Opaque:
    """Stands in for an answer value that JSON cannot hold (same repr and str)."""

    def __init__(self, text_repr: str, text_str: str) -> None:
        self._repr = text_repr
        self._str = text_str

    def __repr__(self) -> str:
        return self._repr

    def __str__(self) -> str:
        return self._str


def _decode_value(data: Any) -> Any:
    if not isinstance(data, Mapping) or len(data) not in (1, 2):
        msg = f"expected an encoded answer like {{'value': ...}}, got {data!r:.80}"
        raise ValueError(msg)
    if "value" in data:
        return data["value"]
    if "list" in data:
        return list(data["list"])
    if "tuple" in data:
        return tuple(data["tuple"])
    if "repr" in data:
        return _Opaque(str(data["repr"]), str(data.get("str", data["repr"])))
    msg = f"unknown answer encoding {sorted(data)!r}"
    raise ValueError(msg)


def stop_reason(finished: Finished) -> str | None:
    """The Stop reason if ``finished`` came from a :class:`~fsmchat.Stop` event, else ``None``."""
    return finished.detail if finished.reason == "stopped" else None


# -- reading -------------------------------------------------------------------


def read_record(path: str | os.PathLike[str]) -> Record:
    """Read a record, tolerating a torn last line (see :class:`TornLine`).

    Returns:
        The :class:`Record`; an empty file gives a record without header.

    Raises:
        RecordError: the file cannot be read, is not an fsmchat record, or is
            corrupt before its last line (the message names the line).
    """
    name = os.fspath(path)
    try:
        data = Path(name).read_bytes()
    except FileNotFoundError as exc:
        msg = f"record {name} does not exist"
        raise RecordError(msg, path=name) from exc
    except OSError as exc:
        msg = f"cannot read record {name}: {exc}"
        raise RecordError(msg, path=name) from exc
    return _parse_record(name, data)


def _parse_record(name: str, data: bytes) -> Record:
    pieces = data.split(b"\n")
    parser = _Parser(name)
    offset = 0
    torn: TornLine | None = None
    for i, raw in enumerate(pieces):
        lineno = i + 1
        last = i == len(pieces) - 1
        if last and not raw:
            break  # the file ends with a newline
        rest = data[offset + len(raw) + 1 :]
        if last:
            torn = TornLine(
                line=lineno, offset=offset, size=len(raw), why="no newline at its end"
            )
            break
        try:
            obj = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            if rest.strip(b"\0 \t\r\n"):
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
        parser.add(obj, lineno)
        offset += len(raw) + 1
    if torn is not None and torn.line == 1 and not _header_like(data):
        msg = (
            f"{name} is not an fsmchat record: its first line is not a record header "
            f"(it starts {data[:40]!r}); refusing to read or change it. Pass the path "
            f"of a record file, or a new path to start one"
        )
        raise RecordError(msg, path=name, line=1)
    return Record(
        path=name,
        header=parser.header,
        entries=tuple(parser.entries),
        torn=torn,
        size=offset,
    )


_HEADER_START = b'{"type":"header"'


def _header_like(data: bytes) -> bool:
    """True when ``data`` could be a torn write of a record's first line."""
    head = data.rstrip(b"\0\n")
    return _HEADER_START.startswith(head) or head.startswith(_HEADER_START)


class _Parser:
    """Checks the lines' shapes and order as they are read."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.header: RecordHeader | None = None
        self.entries: list[Entry] = []
        self.messages = 0
        self.decisions = 0

    def fail(self, line: int, why: str) -> RecordError:
        return RecordError(
            f"record {self.path}: line {line}: {why}", path=self.path, line=line
        )

    def add(self, obj: Any, line: int) -> None:
        if not isinstance(obj, dict):
            raise self.fail(line, f"expected a JSON object, got {type(obj).__name__}")
        kind = obj.get("type")
        if self.header is None:
            if kind != "header":
                why = (
                    f"expected the record header (type 'header'), got type {kind!r}; "
                    f"is {self.path} an fsmchat record?"
                )
                raise self.fail(line, why)
            self.header = self._header(obj, line)
            return
        if self.entries and isinstance(self.entries[-1], EndEntry):
            raise self.fail(
                line,
                "the chat ended on the line before; nothing may follow the end line",
            )
        try:
            entry = self._entry(kind, obj, line)
        except RecordError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            why = f"malformed {kind!r} line: {type(exc).__name__}: {exc}"
            raise self.fail(line, why) from exc
        if (
            self.entries
            and isinstance(self.entries[-1], StopEntry)
            and not isinstance(entry, EndEntry)
        ):
            raise self.fail(line, "after a stop line only the end line may follow")
        self.entries.append(entry)

    def _header(self, obj: Mapping[str, Any], line: int) -> RecordHeader:
        fmt = obj.get("format")
        if fmt != RECORD_FORMAT:
            why = f"unsupported record format {fmt!r}; this fsmchat reads {RECORD_FORMAT!r}"
            raise self.fail(line, why)
        try:
            spec = obj["spec"]
            routing = obj.get("routing") or {}
            opts = obj.get("options") or {}
            sel = obj.get("selection")
            return RecordHeader(
                spec_path=str(spec["path"]),
                spec_abspath=str(spec.get("abspath") or spec["path"]),
                spec_name=str(spec["name"]),
                spec_hash=str(spec["sha256"]),
                routing=Routing(
                    graph=routing.get("graph", "spec"),
                    conditions=routing.get("conditions", "guards"),
                ),
                message=opts.get("message"),
                max_round=int(opts["max_round"]),
                max_retries=int(opts["max_retries"]),
                context=opts.get("context"),
                selection=None
                if sel is None
                else (
                    str(sel["method"]),
                    None if sel["seed"] is None else int(sel["seed"]),
                ),
            )
        except (KeyError, TypeError, ValueError) as exc:
            why = f"malformed header: {type(exc).__name__}: {exc}"
            raise self.fail(line, why) from exc

    def _entry(self, kind: Any, obj: Mapping[str, Any], line: int) -> Entry:
        if kind == "message":
            index = int(obj["index"])
            if index != self.messages:
                why = (
                    f"message index {index}, expected {self.messages}: a message "
                    f"was {'duplicated' if index < self.messages else 'lost'}"
                )
                raise self.fail(line, why)
            self.messages += 1
            usage = obj.get("usage")
            return MessageEntry(
                line=line,
                index=index,
                message=Message.from_dict(obj["message"]),
                usage=None if usage is None else Usage(**usage),
            )
        if kind == "decision":
            index = int(obj["index"])
            if index != self.decisions:
                why = (
                    f"decision index {index}, expected {self.decisions}: a decision "
                    f"was {'duplicated' if index < self.decisions else 'lost'}"
                )
                raise self.fail(line, why)
            self.decisions += 1
            data = obj["decision"]
            decision = Decision.from_dict(data)
            answers = tuple(obj.get("answers") or ())
            if len(answers) != len(decision.attempts):
                why = (
                    f"the decision has {len(decision.attempts)} attempt(s) but "
                    f"{len(answers)} recorded answer(s)"
                )
                raise self.fail(line, why)
            for a in answers:
                _decode_value(a)
            return DecisionEntry(
                line=line, index=index, decision=decision, answers=answers, data=data
            )
        if kind == "pause":
            return PauseEntry(
                line=line,
                agent=str(obj["agent"]),
                request=str(obj.get("request", "reply")),
                round=int(obj["round"]),
            )
        if kind == "stop":
            return StopEntry(line=line, reason=str(obj["reason"]))
        if kind == "end":
            return EndEntry(
                line=line,
                reason=str(obj["reason"]),
                round=int(obj["round"]),
                detail=str(obj.get("detail", "")),
            )
        kinds = "header, message, decision, pause, stop, end"
        raise self.fail(line, f"unknown line type {kind!r} (expected one of {kinds})")


# -- writing -------------------------------------------------------------------


class RecordWriter:
    """Appends lines to a record, each one flushed and fsynced before returning.

    Open with :meth:`open`, which locks the file, reads what is there, and cuts
    a torn last line. Use as a context manager (or call :meth:`close`).
    """

    def __init__(self, path: str, file: IO[bytes], record: Record) -> None:
        self.path = path
        self._file = file
        self.record = record
        self._messages = len(record.messages)
        self._decisions = len(record.decisions)
        self.lines = record.lines

    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> RecordWriter:
        """Lock ``path`` (created if missing), read it, and cut a torn last line.

        ``writer.record`` is what was read (with ``torn`` set if a line was
        cut); a record without header needs :meth:`write_header` first.

        Raises:
            RecordError: the file cannot be opened or locked (another process
                is writing it), or :func:`read_record` refuses it.
        """
        name = os.fspath(path)
        existed = os.path.exists(name)
        try:
            file = open(name, "a+b")  # noqa: SIM115 - kept open by the writer
        except OSError as exc:
            msg = f"cannot open record {name}: {exc}"
            raise RecordError(msg, path=name) from exc
        try:
            _lock(file, name)
            file.seek(0)
            record = _parse_record(name, file.read())
            if record.torn is not None:
                file.truncate(record.size)
                file.flush()
                os.fsync(file.fileno())
            if not existed:
                _fsync_dir(name)
        except BaseException:
            file.close()
            raise
        return cls(name, file, record)

    def write_header(self, header: RecordHeader) -> None:
        """Write the header line (only into a record without one).

        Raises:
            RecordError: the record already has a header, or the write failed.
        """
        if self.record.header is not None or self.lines:
            msg = f"record {self.path} already has a header"
            raise RecordError(msg, path=self.path, line=1)
        self._write(header.to_dict())
        self.record = attrs.evolve(self.record, header=header)

    def write_message(self, message: Message, *, usage: Usage | None = None) -> None:
        """Append a message line."""
        self._write(
            {
                "type": "message",
                "index": self._messages,
                "message": message.to_dict(),
                "usage": None if usage is None else attrs.asdict(usage),
            }
        )
        self._messages += 1

    def write_decision(
        self, decision: Decision, *, answers: Sequence[Any] = ()
    ) -> None:
        """Append a decision line; ``answers``: the port's value for each attempt.

        Raises:
            RecordError: ``answers`` does not have one value per attempt.
        """
        if len(answers) != len(decision.attempts):
            msg = (
                f"record {self.path}: decision at round {decision.round} has "
                f"{len(decision.attempts)} attempt(s) but {len(answers)} answer value(s) were given"
            )
            raise RecordError(msg, path=self.path)
        self._write(
            {
                "type": "decision",
                "index": self._decisions,
                "decision": decision.to_dict(),
                "answers": [_encode_value(v) for v in answers],
            }
        )
        self._decisions += 1

    def write_pause(self, *, agent: str, request: str, round: int) -> None:
        """Append a pause line: the chat waits for a person."""
        self._write(
            {"type": "pause", "agent": agent, "request": request, "round": round}
        )

    def write_stop(self, reason: str) -> None:
        """Append a stop line (a Stop event ended the chat)."""
        self._write({"type": "stop", "reason": reason})

    def write_end(self, finished: Finished) -> None:
        """Append the end line."""
        self._write(
            {
                "type": "end",
                "reason": finished.reason,
                "round": finished.round,
                "detail": finished.detail,
            }
        )

    def close(self) -> None:
        """Release the lock and close the file."""
        self._file.close()

    def __enter__(self) -> RecordWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _write(self, obj: Mapping[str, Any]) -> None:
        try:
            text = _dumps(obj) + "\n"
            try:
                data = text.encode("utf-8")
            except UnicodeEncodeError:  # a lone surrogate: keep it as a JSON \\u escape
                data = (_dumps(obj, ensure_ascii=True) + "\n").encode("ascii")
            self._file.write(data)
            self._file.flush()
            os.fsync(self._file.fileno())
        except (OSError, ValueError) as exc:
            msg = f"cannot append to record {self.path}: {exc}"
            raise RecordError(msg, path=self.path, line=self.lines + 1) from exc
        self.lines += 1


def _lock(file: IO[bytes], name: str) -> None:
    if fcntl is None:  # pragma: no cover - Windows
        return
    try:
        fcntl.flock(file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        msg = (
            f"record {name} is in use by another fsmchat process; wait for it to "
            f"finish (or stop it) before resuming this chat"
        )
        raise RecordError(msg, path=name) from exc


def _fsync_dir(name: str) -> None:
    directory = os.path.dirname(os.path.abspath(name))
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover - e.g. platforms without directory fds
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


# -- replaying -----------------------------------------------------------------


class _EndOfRecord(Exception):
    """The cassette has nothing left for ``request``."""

    def __init__(self, request: Request) -> None:
        self.request = request
        super().__init__("end of record")


def _short(text: str, n: int = 40) -> str:
    return repr(text if len(text) <= n else text[: n - 3] + "...")


def _what(entry: Entry | None) -> str:
    if entry is None:
        return "nothing more"
    if isinstance(entry, MessageEntry):
        m = entry.message
        return f"a message from {m.name!r} ({_short(m.content)})"
    if isinstance(entry, DecisionEntry):
        d = entry.decision
        return f"a routing decision {d.source!r} -> {d.target!r} ({d.reason})"
    if isinstance(entry, PauseEntry):
        return f"a pause waiting for {entry.agent!r}"
    if isinstance(entry, StopEntry):
        return f"a stop ({entry.reason})"
    return f"the end of the chat ({entry.reason})"


def _differences(expected: Mapping[str, Any], got: Mapping[str, Any]) -> str:
    keys = [
        k
        for k in (*expected, *(k for k in got if k not in expected))
        if expected.get(k) != got.get(k)
    ]
    parts = [
        f"{k}: recorded {json.dumps(expected.get(k))[:120]}, spec gives {json.dumps(got.get(k))[:120]}"
        for k in keys
    ]
    return "; ".join(parts)


class Cassette:
    """The replay ports: a selector and a responder answering from a record.

    Pass it as ``selector=`` and as every agent's responder, and its
    :meth:`on_message` / :meth:`on_decision` as the driver's callbacks: each
    request is answered from the next recorded line, and each message and
    decision the engine produces is checked against the record. Nothing else is
    ever called, so a replay makes no model call and runs no agent code.

    Raises (from its methods):
        RecordError: the engine asks for something the record does not have
            at that point (the line number and the round say where).
    """

    can_judge = True

    def __init__(self, record: Record, spec: Spec) -> None:
        self.record = record
        self.spec = spec
        self._entries = record.entries
        self._pos = 0
        self.tail: list[Message | Decision] = []
        self.answered = 0

    # -- position --------------------------------------------------------

    @property
    def exhausted(self) -> bool:
        """True when every recorded line was consumed."""
        return self._pos >= len(self._entries)

    def _peek(self) -> Entry | None:
        return self._entries[self._pos] if self._pos < len(self._entries) else None

    def _line(self) -> int:
        entry = self._peek()
        if entry is not None:
            return entry.line
        return self.record.lines + 1

    def _diverge(self, round: int, why: str, line: int | None = None) -> RecordError:
        line = self._line() if line is None else line
        path = self.record.path
        msg = (
            f"record {path}: line {line} does not fit spec {self.spec.name!r} at round "
            f"{round}: {why}. The record was written by another spec or edited; replay "
            f"it with the spec it was recorded with (--spec), or start a new record"
        )
        return RecordError(msg, path=path, line=line)

    def _skip_pause(self, agent: str, kind: str, round: int) -> None:
        """Consume the pause lines of this wait (one per run that paused here)."""
        while isinstance(entry := self._peek(), PauseEntry):
            if entry.agent != agent or entry.request != kind or entry.round != round:
                why = (
                    f"the record pauses for {entry.agent!r} ({entry.request}), but the "
                    f"chat waits for {agent!r} ({kind})"
                )
                raise self._diverge(round, why)
            self._pos += 1

    # -- ports -----------------------------------------------------------

    def respond(self, request: AskAgent | AskHuman) -> Reply | Stop:
        """Answer an agent (or human) request with the next recorded message."""
        name = request.agent.name
        round = request.chat.round + 1
        if isinstance(request, AskHuman):
            self._skip_pause(name, "reply", request.chat.round)
        entry = self._peek()
        if entry is None:
            raise _EndOfRecord(request)
        if isinstance(entry, StopEntry):
            self._pos += 1
            self.answered += 1
            return Stop(reason=entry.reason)
        if not isinstance(entry, MessageEntry) or entry.message.name != name:
            after = request.chat.last
            prev = (
                f" after {after.name!r} said {_short(after.content)}" if after else ""
            )
            why = f"the spec gives the floor to {name!r}{prev}, but the record has {_what(entry)}"
            raise self._diverge(round, why)
        m = entry.message
        self.answered += 1
        return Reply(
            agent=m.name,
            content=m.content,
            role=m.role,
            tool_calls=m.tool_calls,
            tool_call_id=m.tool_call_id,
            usage=entry.usage,
        )

    def select(self, request: Choose | Judge) -> Answer:
        """Answer a decision request with the next recorded answer of this step."""
        kind = "choose" if isinstance(request, Choose) else "judge"
        if request.attempt == 1:
            self._skip_pause(request.speaker, kind, request.round)
        entry = self._peek()
        if entry is None:
            raise _EndOfRecord(request)
        d = entry.decision if isinstance(entry, DecisionEntry) else None
        if (
            not isinstance(entry, DecisionEntry)
            or d is None
            or d.kind != kind
            or d.source != request.speaker
        ):
            what = (
                "the choice of the next speaker"
                if kind == "choose"
                else "verdicts on natural-language conditions"
            )
            why = f"the spec asks for {what} after {request.speaker!r}, but the record has {_what(entry)}"
            if d is not None:
                why += f" settled by {d.kind or 'the spec alone'}"
            raise self._diverge(request.round, why)
        k = request.attempt - 1
        if k >= len(entry.answers):
            why = (
                f"the engine refused answer {k} ({request.problem}) and asks again, "
                f"but the record has only {len(entry.answers)} answer(s) for this step"
            )
            raise self._diverge(request.round, why)
        attempt = d.attempts[k]
        self.answered += 1
        return Answer(
            value=_decode_value(entry.answers[k]),
            raw=attempt.raw,
            usage=attempt.usage,
            latency=attempt.latency,
            request=attempt.request,
        )

    # -- checks ----------------------------------------------------------

    def on_message(self, message: Message) -> None:
        """Check a message the engine appended against the next recorded line."""
        entry = self._peek()
        if entry is None:
            self.tail.append(message)
            return
        if not isinstance(entry, MessageEntry) or _normal(
            entry.message.to_dict()
        ) != _normal(message.to_dict()):
            why = f"the chat produces a message from {message.name!r} ({_short(message.content)}), but the record has {_what(entry)}"
            raise self._diverge(len(self._messages_so_far()) + 1, why)
        self._pos += 1

    def _messages_so_far(self) -> list[Entry]:
        return [e for e in self._entries[: self._pos] if isinstance(e, MessageEntry)]

    def on_decision(self, decision: Decision) -> None:
        """Check a routing decision the engine made against the next recorded line."""
        entry = self._peek()
        if entry is None:
            self.tail.append(decision)
            return
        got = _normal(decision.to_dict())
        if not isinstance(entry, DecisionEntry):
            why = (
                f"the spec routes {decision.source!r} -> {decision.target!r} "
                f"({decision.reason}), but the record has {_what(entry)}"
            )
            raise self._diverge(decision.round, why)
        expected = _normal(dict(entry.data))
        expected.pop("retries", None)
        got.pop("retries", None)
        if expected != got:
            why = (
                f"the routing step after {decision.source!r} differs: "
                f"{_differences(expected, got)}"
            )
            raise self._diverge(decision.round, why)
        self._pos += 1

    def on_finished(self, finished: Finished) -> None:
        """Check the end of the chat against the record's remaining lines."""
        entry = self._peek()
        if entry is None:
            return
        if isinstance(entry, EndEntry):
            got = (finished.reason, finished.round, finished.detail)
            expected = (entry.reason, entry.round, entry.detail)
            if got != expected:
                why = f"the chat ends with {got!r}, the record with {expected!r}"
                raise self._diverge(finished.round, why)
            self._pos += 1
            return
        why = (
            f"the chat ended ({finished.reason}: {finished.detail}) but the record "
            f"continues with {_what(entry)}"
        )
        raise self._diverge(finished.round, why)


@attrs.frozen(kw_only=True)
class Resumed:
    """An engine rebuilt from a record.

    Attributes:
        engine: at the recorded chat's last step; drive it on with
            ``run_chat(spec, ..., engine=engine)``.
        record: what was replayed.
        tail: messages and decisions the engine produced beyond the record (a
            step whose line was lost in a crash and that the spec settles
            alone); append them before driving on.
        finished: the engine's :class:`~fsmchat.Finished`, or ``None``.
        replayed: requests answered from the record.
    """

    engine: Engine
    record: Record
    tail: tuple[Message | Decision, ...] = ()
    finished: Finished | None = None
    replayed: int = 0
    result: ChatResult | None = None


def resume(
    spec: Spec,
    record: Record,
    *,
    routing: Routing | None = None,
    on_message: Callable[[Message], object] | None = None,
    on_decision: Callable[[Decision], object] | None = None,
    advance: Any = None,
) -> Resumed:
    """Rebuild a chat's engine by replaying ``record`` through the real engine.

    The engine is built from the record's header, then driven by a
    :class:`Cassette`: recorded messages are fed as replies and each recorded
    decision's answers as answers, so every guard is evaluated again and every
    answer validated again; each produced message and decision must equal its
    line.

    Args:
        spec: the spec (check it against the header first: :func:`check_header`).
        record: what :func:`read_record` returned.
        routing: must equal the header's routing when given.
        on_message, on_decision: called for each replayed message / decision
            (e.g. to print the transcript so far).
        advance: a model-free selector (round robin, seeded random) to step
            through the recorded choices, so that its state continues where the
            recorded chat's left off; its answers are not used.

    Returns:
        :class:`Resumed`.

    Raises:
        RecordError: the record has no header, or a line does not fit the spec
            (the message names the line and the round).
        InvalidArgument: ``routing`` differs from the header's.
    """
    header = record.header
    if header is None:
        msg = f"record {record.path} has no header: there is no chat to resume"
        raise RecordError(msg, path=record.path, line=1)
    if routing is not None and routing != header.routing:
        msg = (
            f"record {record.path} was made with routing {header.routing!r}, "
            f"not {routing!r}: resume it with the routing it was recorded with"
        )
        raise InvalidArgument(msg)
    cassette = Cassette(record, spec)

    def seen_message(m: Message) -> None:
        tail = len(cassette.tail)
        cassette.on_message(m)
        if on_message is not None and len(cassette.tail) == tail:
            on_message(m)

    def seen_decision(d: Decision) -> None:
        tail = len(cassette.tail)
        cassette.on_decision(d)
        if on_decision is not None and len(cassette.tail) == tail:
            on_decision(d)

    selector: Any = cassette if advance is None else _Advancing(cassette, advance)
    try:
        engine = header.engine(spec)
        for m in engine.messages:
            seen_message(m)
        for d in engine.trace:
            seen_decision(d)
        result: ChatResult | None = run_chat(
            spec,
            selector=selector,
            responders=dict.fromkeys(spec.names, cassette),
            routing=header.routing,
            engine=engine,
            on_message=seen_message,
            on_decision=seen_decision,
        )
    except _EndOfRecord:
        result = None
    except EngineError as exc:
        msg = f"record {record.path}: replay stopped at line {cassette._line()}: {exc}"
        raise RecordError(msg, path=record.path, line=cassette._line()) from exc
    finished = None if result is None else result.finished
    if finished is not None:
        cassette.on_finished(finished)
    return Resumed(
        engine=engine,
        record=record,
        tail=tuple(cassette.tail),
        finished=finished,
        replayed=cassette.answered,
        result=result,
    )


class _Advancing:
    """Answers from the cassette and steps a model-free selector alongside."""

    can_judge = True

    def __init__(self, cassette: Cassette, selector: Any) -> None:
        self.cassette = cassette
        self.selector = selector

    def select(self, request: Choose | Judge) -> Answer:
        answer = self.cassette.select(request)
        if isinstance(request, Choose) or getattr(self.selector, "can_judge", False):
            self.selector.select(request)
        return answer


def resume_engine(spec: Spec, record: Record, routing: Routing | None = None) -> Engine:
    """Rebuild the engine of a recorded chat (see :func:`resume`).

    Returns:
        The engine, at the step after the record's last line.

    Raises:
        RecordError: the record has no header or does not fit ``spec``.
    """
    return resume(spec, record, routing=routing).engine


def replay_record(
    spec: Spec,
    record: Record,
    *,
    on_message: Callable[[Message], object] | None = None,
    on_decision: Callable[[Decision], object] | None = None,
) -> Resumed:
    """Re-run a recorded chat from its recorded answers: no model call, no agent code.

    Returns:
        :class:`Resumed` (``finished`` is ``None`` when the record stops before
        the chat does).

    Raises:
        RecordError: a line does not fit ``spec``.
    """
    return resume(spec, record, on_message=on_message, on_decision=on_decision)


def check_header(
    record: Record, spec: Spec, spec_hash: str, *, force: bool = False
) -> list[str]:
    """Check that ``record`` was written for ``spec``.

    Returns:
        Warnings (when ``force`` let a mismatch through).

    Raises:
        RecordError: the record has no header, or was written for another
            spec (different name or content hash) and ``force`` is false.
    """
    header = record.header
    if header is None:
        msg = f"record {record.path} has no header"
        raise RecordError(msg, path=record.path, line=1)
    problems = []
    if header.spec_name != spec.name:
        problems.append(f"spec name {header.spec_name!r} (this spec is {spec.name!r})")
    if header.spec_hash != spec_hash:
        problems.append(
            f"spec content sha256 {header.spec_hash[:12]}… (this spec's is {spec_hash[:12]}…)"
        )
    if not problems:
        return []
    what = " and ".join(problems)
    if force:
        return [
            f"record {record.path} was written for {what}; replaying it through this "
            f"spec anyway (--force): every step is still checked"
        ]
    msg = (
        f"record {record.path} (line 1) was written for {header.spec_path} with {what}: "
        f"the spec changed since the chat was recorded. Use the spec it was recorded "
        f"with, start a new record, or pass --force to check the record against this "
        f"spec step by step"
    )
    raise RecordError(msg, path=record.path, line=1)
