"""The record format: its lines as values, the hash chain, and how values are encoded.

A *record* is a JSON Lines file: one JSON object per line, in the order things
happened. Format ``fsmchat.record/2``::

    {"type": "header", "format": "fsmchat.record/2", "mac": "hmac-sha256" (keyed records only),
     "spec": {"path": ..., "abspath": ..., "name": ..., "sha256": ...},
     "routing": {"graph": ..., "conditions": ...},
     "options": {"message": ..., "max_round": ..., "max_retries": ..., "context": ...},
     "selection": {"method": ..., "seed": ...} | null, "hash": ...}
    {"type": "message", "index": 0, "message": {"name": ..., "role": ..., "content": ...}, "usage": null, "hash": ...}
    {"type": "decision", "index": 0, "decision": {...Decision.to_dict()...}, "answers": [...], "hash": ...}
    {"type": "pause", "agent": ..., "request": "reply" | "choose" | "judge", "round": ..., "hash": ...}
    {"type": "stop", "reason": ..., "hash": ...}
    {"type": "end", "reason": ..., "round": ..., "detail": ..., "hash": ..."}

Rules / theory of operation
---------------------------
* **Durability.** :class:`~fsmchat._record.writer.RecordWriter` writes each
  line with one ``write``, flushes it and ``os.fsync``s the file before
  returning, and :func:`~fsmchat.run_recorded` calls it (through ``on_message`` /
  ``on_decision``) before it calls the next port. So when a model or an agent
  is asked for step *n*, everything up to step *n - 1* is on disk. One process
  at a time appends: the writer holds an exclusive ``flock``.
* **Hash chain.** Every line ends with ``"hash"``: the SHA-256 of the previous
  line's hash and this line's bytes without the hash (:func:`chain_hash`; the
  header's "previous hash" is empty). A changed byte anywhere in the middle of
  a record — an edit, bit rot, a lost or repeated line — breaks the chain at
  that line or the next, and reading refuses it naming the line. Unkeyed, the
  chain detects accidents, not attackers: whoever can write the file can write
  a new chain.
* **Keyed chain (MAC).** With a record key configured
  (:mod:`fsmchat._record.keys`), a new record's header says ``"mac":
  "hmac-sha256"`` and every ``hash`` is an HMAC-SHA256 under the key, the
  header's included: only a holder of the key can write a chain that
  verifies. A keyed record is read only with its key. With a key configured,
  a record *without* a MAC (a forger can strip it and re-chain with SHA-256)
  is refused by ``replay`` and ``verify`` unless the reader accepts it
  (``--accept-unkeyed``), and continued unkeyed, with a warning, by a resume.
* **Torn lines.** Appends only ever grow the file, so a crash leaves a complete
  prefix plus at most one partial line. The reader accepts a damaged *last*
  line (no newline, invalid JSON, or trailing NUL bytes left by a lost block)
  and reports it as :class:`TornLine`; the writer cuts the file back to the
  complete prefix before appending. A damaged line *followed by* complete lines
  cannot come from a crash: that is corruption, a :class:`RecordError`.
* **Format 1.** Records of ``fsmchat.record/1`` (before the hash chain) are a
  downgrade anyone can write: they are refused unless the reader asks for
  them (``accept_v1=True``, ``--accept-v1``), and then read as *unverified*
  (:attr:`Record.verified` is false and the commands warn); a resumed one is
  continued in its own format.
* **Decisions carry their answers.** A :class:`~fsmchat.Decision` keeps each
  attempt's raw text, but not the value the port understood (a name or a list
  of verdicts), so the decision line also stores ``answers``: one encoded
  :attr:`Answer.value <fsmchat.Answer.value>` per attempt (:func:`encode_value`).
* **Spec identity.** The header holds :func:`spec_digest` of the spec: a hash
  of its data, so comments and layout may change, its meaning may not.
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
import hmac
import json
import os
import re
import warnings
from collections.abc import Mapping
from typing import Any

import attrs

from fsmchat._core.engine import Engine, Routing
from fsmchat._core.errors import RecordError
from fsmchat._core.events import Finished
from fsmchat._core.source import compose
from fsmchat._core.spec import Spec
from fsmchat._core.state import Decision, Message, Usage
from fsmchat._core.text import counted

__all__ = [
    "FORMATS",
    "LEGACY_FORMAT",
    "MAC",
    "RECORD_FORMAT",
    "DecisionEntry",
    "EndEntry",
    "Entry",
    "MessageEntry",
    "PauseEntry",
    "Record",
    "RecordError",
    "RecordHeader",
    "StopEntry",
    "TornLine",
    "chain_hash",
    "decode_value",
    "dumps",
    "encode_value",
    "normal",
    "seal",
    "spec_digest",
    "spec_object_digest",
    "split_hash",
    "stop_reason",
]

#: The format this fsmchat writes: lines hash-chained.
RECORD_FORMAT = "fsmchat.record/2"
#: The format before the hash chain: read (unverified) and continued as is.
LEGACY_FORMAT = "fsmchat.record/1"
#: Every format this fsmchat reads.
FORMATS = (RECORD_FORMAT, LEGACY_FORMAT)
#: The header's ``mac`` value of a keyed record.
MAC = "hmac-sha256"


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
    mac: bool = False

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
        keyed = {"mac": MAC} if self.mac else {}
        return {
            "type": "header",
            "format": self.format,
            **keyed,
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
        kept = counted(self.line - 1, "complete record")
        return (
            f"record {path}: line {self.line} is incomplete (torn write: {self.why}); "
            f"keeping the {kept}"
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
        verified: every line's hash checked (false for a ``fsmchat.record/1``
            record, which has none).
        last_hash: the hash of the last complete line (``""`` if none): the
            next line's chain starts from it.
        keyed: the chain is an HMAC under the record key, and it verified.
    """

    path: str
    header: RecordHeader | None
    entries: tuple[Entry, ...] = ()
    torn: TornLine | None = None
    size: int = 0
    verified: bool = True
    last_hash: str = ""
    keyed: bool = False

    @property
    def messages(self) -> tuple[Message, ...]:
        """The recorded transcript."""
        return tuple(e.message for e in self.entries if isinstance(e, MessageEntry))

    @property
    def trace(self) -> tuple[Decision, ...]:
        """The recorded trace: one :class:`~fsmchat.Decision` per routing step."""
        return tuple(e.decision for e in self.entries if isinstance(e, DecisionEntry))

    @property
    def decisions(self) -> tuple[Decision, ...]:
        """Deprecated: :attr:`trace`."""
        warnings.warn(
            "Record.decisions is deprecated: use Record.trace",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.trace

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

    def unverified_warning(self) -> str | None:
        """The warning for a record without a hash chain, or ``None``."""
        if self.verified or self.header is None:
            return None
        return (
            f"record {self.path} is in the old format {LEGACY_FORMAT!r}, which has no "
            f"hash chain: its lines cannot be checked for edits or bit rot (start a new "
            f"record to get one)"
        )

    def unkeyed_problem(self) -> str | None:
        """What to say when a record key is configured but this record has no MAC, or ``None``."""
        if self.keyed or self.header is None:
            return None
        return (
            f"record {self.path} has no MAC although a record key is configured: "
            f"anyone who could write the file could have written it (or stripped "
            f"its MAC). If you trust the file, pass --accept-unkeyed"
        )


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


def dumps(obj: Any, *, ensure_ascii: bool = False) -> str:
    return json.dumps(
        obj, ensure_ascii=ensure_ascii, separators=(",", ":"), default=_json_default
    )


def normal(obj: Any) -> Any:
    """``obj`` as it reads back from a record line (tuples become lists, ...)."""
    return json.loads(dumps(obj))


_SCALARS = (str, bool, int, float, type(None))


def encode_value(value: Any) -> Any:
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


def decode_value(data: Any) -> Any:
    """Decode what :func:`encode_value` wrote.

    Raises:
        ValueError: ``data`` is not an encoding :func:`encode_value` writes.
    """
    if not isinstance(data, Mapping) or len(data) not in (1, 2):
        msg = f"expected an encoded answer like {{'value': ...}}, got {data!r:.80}"
        raise ValueError(msg)
    if "value" in data and len(data) == 1:
        if not isinstance(data["value"], str | bool | type(None)):
            msg = f"an encoded 'value' must be a string, true/false or null, got {data['value']!r:.80}"
            raise ValueError(msg)
        return data["value"]
    for kind, make in (("list", list), ("tuple", tuple)):
        if kind in data and len(data) == 1:
            items = data[kind]
            if not isinstance(items, list) or not all(
                isinstance(v, _SCALARS) for v in items
            ):
                msg = (
                    f"an encoded {kind!r} must be a list of scalars, got {items!r:.80}"
                )
                raise ValueError(msg)
            return make(items)
    if "repr" in data and isinstance(data["repr"], str):
        text = data.get("str", data["repr"])
        if not isinstance(text, str):
            msg = f"an encoded 'str' must be a string, got {text!r:.80}"
            raise ValueError(msg)
        return _Opaque(data["repr"], text)
    msg = f"unknown answer encoding {sorted(data)!r}"
    raise ValueError(msg)


def stop_reason(finished: Finished) -> str | None:
    """The Stop reason if ``finished`` came from a :class:`~fsmchat.Stop` event, else ``None``."""
    return finished.detail if finished.reason == "stopped" else None


# -- the hash chain --------------------------------------------------------------

#: How a sealed line ends: ``,"hash":"<64 hex digits>"}``.
_SEAL = re.compile(rb',"hash":"([0-9a-f]{64})"\}$')


def chain_hash(previous: str, body: bytes, key: bytes | None = None) -> str:
    """The hash of a line: SHA-256 of the previous line's hash, a newline, and
    the line's bytes without its hash (``previous`` is ``""`` for the header);
    with ``key``, the HMAC-SHA256 of the same bytes under ``key``."""
    data = previous.encode("ascii") + b"\n" + body
    if key is not None:
        return hmac.new(key, data, hashlib.sha256).hexdigest()
    return hashlib.sha256(data).hexdigest()


def seal(previous: str, body: bytes, key: bytes | None = None) -> tuple[bytes, str]:
    """Add the chained hash (an HMAC with ``key``) to a serialised JSON object (``body``, one line).

    Returns:
        ``(line, hash)``: the line to write (without its newline) and its hash.
    """
    digest = chain_hash(previous, body, key)
    return body[:-1] + b',"hash":"' + digest.encode("ascii") + b'"}', digest


def split_hash(line: bytes) -> tuple[bytes, str] | None:
    """Undo :func:`seal`: ``(body, hash)``, or ``None`` if ``line`` has no seal."""
    found = _SEAL.search(line)
    if found is None:
        return None
    return line[: found.start()] + b"}", found.group(1).decode("ascii")


def _stable(value: Any) -> Any:
    """A JSON stand-in for a value of a spec built in Python (no memory addresses)."""
    if isinstance(value, tuple | set | frozenset):
        return (
            sorted(value, key=repr)
            if isinstance(value, set | frozenset)
            else list(value)
        )
    if attrs.has(type(value)):
        return {"__type__": type(value).__name__, **attrs.asdict(value, recurse=False)}
    if callable(value):
        module = getattr(value, "__module__", None) or "?"
        name = getattr(value, "__qualname__", None) or type(value).__qualname__
        return f"{module}:{name}"
    return repr(value)


_UNHASHED = frozenset({"source", "locations", "by_name", "out_edges"})


def spec_object_digest(spec: Spec) -> str:
    """The sha256 of a spec built in Python (no file to hash, see :func:`spec_digest`).

    Functions count by their ``module:qualname``, so the digest is the same in
    every process that builds the same spec.
    """
    data = {
        a.name: getattr(spec, a.name)
        for a in attrs.fields(type(spec))
        if a.name not in _UNHASHED
    }
    text = json.dumps(data, sort_keys=True, default=_stable, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
