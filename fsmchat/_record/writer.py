"""Writing a record: one fsynced, hash-chained line per step, one writer at a time.

:meth:`RecordWriter.open` locks the file (``flock``, released by the kernel
even on ``SIGKILL``), reads what is there with
:func:`~fsmchat._record.reader.parse_record`, and cuts a torn last line; each
``write_*`` method then appends one line with a single ``write``, flushes it
and ``os.fsync``s the file before returning. A new file's directory entry is
fsynced too. Lines of a ``fsmchat.record/2`` record carry the chained hash
(:func:`~fsmchat._record.format.seal`), an HMAC under the record key when one
is configured for a new record or the record is keyed; a resumed unkeyed
record stays unkeyed and a resumed ``fsmchat.record/1`` record (read only when
accepted) is continued without hashes, each in its own format.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Mapping, Sequence
from typing import IO, Any

import attrs

from fsmchat._core.errors import RecordError
from fsmchat._core.events import Finished
from fsmchat._core.state import Decision, Message, Usage
from fsmchat._record.format import (
    RECORD_FORMAT,
    Record,
    RecordHeader,
    dumps,
    encode_value,
    seal,
)
from fsmchat._record.keys import RecordKey
from fsmchat._record.reader import CONFIGURED, KeyChoice, parse_record, record_key

try:  # POSIX advisory locks; elsewhere one writer per record is the user's job
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = ["RecordWriter"]


class RecordWriter:
    """Appends lines to a record, each one flushed and fsynced before returning.

    Open with :meth:`open`, which locks the file, reads what is there, and cuts
    a torn last line. Use as a context manager (or call :meth:`close`).
    """

    def __init__(
        self, path: str, file: IO[bytes], record: Record, key: RecordKey | None = None
    ) -> None:
        self.path = path
        self._file = file
        self.record = record
        # A new record is keyed when a key is given; an existing one keeps its kind.
        keyed = key is not None and (record.header is None or record.keyed)
        self._key = key.secret if keyed and key is not None else None
        self._messages = len(record.messages)
        self._decisions = len(record.trace)
        self._chained = record.header is None or record.verified
        self._last_hash = record.last_hash
        self.lines = record.lines
        self._failed = False

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str],
        *,
        key: KeyChoice = CONFIGURED,
        accept_v1: bool = False,
    ) -> RecordWriter:
        """Lock ``path`` (created if missing), read it, and cut a torn last line.

        ``writer.record`` is what was read (with ``torn`` set if a line was
        cut); a record without header needs :meth:`write_header` first.
        ``key`` and ``accept_v1`` are as for :func:`~fsmchat.read_record`; a
        new record written with a key is keyed (its chain is an HMAC).

        Raises:
            RecordError: the file cannot be opened or locked (another process
                is writing it), or :func:`read_record` refuses it.
        """
        name = os.fspath(path)
        chosen = record_key(key)
        existed = os.path.exists(name)
        try:
            file = open(name, "a+b")  # noqa: SIM115 - kept open by the writer
        except OSError as exc:
            msg = f"cannot open record {name}: {exc}"
            raise RecordError(msg, path=name) from exc
        try:
            _lock(file, name)
            file.seek(0)
            record = parse_record(name, file.read(), key=chosen, accept_v1=accept_v1)
            if record.torn is not None:
                file.truncate(record.size)
                file.flush()
                os.fsync(file.fileno())
            if not existed:
                _fsync_dir(name)
        except BaseException:
            file.close()
            raise
        return cls(name, file, record, chosen)

    def write_header(self, header: RecordHeader) -> None:
        """Write the header line (only into a record without one).

        Raises:
            RecordError: the record already has a header, or the write failed.
        """
        if self.record.header is not None or self.lines:
            msg = f"record {self.path} already has a header"
            raise RecordError(msg, path=self.path, line=1)
        self._chained = header.format == RECORD_FORMAT
        header = attrs.evolve(header, mac=self._chained and self._key is not None)
        self._write(header.to_dict())
        self.record = attrs.evolve(
            self.record, header=header, verified=self._chained, keyed=header.mac
        )

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
                "answers": [encode_value(v) for v in answers],
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
        """Release the lock and close the file.

        After a failed append (reported as :class:`RecordError`), what could
        not be flushed stays a torn tail, which the reader cuts on resume.
        """
        try:
            self._file.close()  # closes the descriptor even when the flush fails
        except OSError as exc:
            if self._failed:
                return
            raise RecordError(_cannot_append(self.path, exc), path=self.path) from exc

    def __enter__(self) -> RecordWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _write(self, obj: Mapping[str, Any]) -> None:
        try:
            try:
                body = dumps(obj).encode("utf-8")
            except UnicodeEncodeError:  # a lone surrogate: keep it as a JSON \\u escape
                body = dumps(obj, ensure_ascii=True).encode("ascii")
            digest = self._last_hash
            if self._chained:
                body, digest = seal(self._last_hash, body, self._key)
            self._file.write(body + b"\n")
            self._file.flush()
            os.fsync(self._file.fileno())
        except (OSError, ValueError) as exc:
            self._failed = True
            msg = _cannot_append(self.path, exc)
            raise RecordError(msg, path=self.path, line=self.lines + 1) from exc
        self._last_hash = digest
        self.lines += 1


def _cannot_append(path: str, exc: Exception) -> str:
    msg = f"cannot append to record {path}: {exc}"
    if isinstance(exc, OSError) and exc.errno in {errno.ENOSPC, errno.EDQUOT}:
        msg = (
            f"cannot append to record {path}: the disk is full; every finished step "
            f"is kept: free some space and run the same command again to continue"
        )
    return msg


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
