"""The record key: what turns a record's hash chain into an HMAC (tamper evidence).

Without a key, a record's chain is plain SHA-256: it detects accidents (bit
rot, a lost or repeated line, a careless edit), not attackers — whoever can
write the file can write a new chain. With a key, every line's ``hash`` is an
HMAC-SHA256 under that key, so only someone holding the key can write a chain
that verifies. The key never goes into the record.

Where the key comes from, first found wins:

1. ``FSMCHAT_RECORD_KEY``: the key itself (its UTF-8 bytes);
2. the key file ``$XDG_CONFIG_HOME/fsmchat/record.key`` (``~/.config/...``
   when the variable is unset): its bytes, trailing whitespace dropped. The
   file must be a regular file owned by the user and readable by nobody else
   (mode ``0600`` or stricter), as ``ssh`` asks of private keys.

A key shorter than :data:`MIN_KEY_BYTES` is refused: a guessable key is a
chain anyone can forge.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from pathlib import Path

import attrs

from fsmchat._core.errors import RecordError

__all__ = ["KEY_ENV", "MIN_KEY_BYTES", "RecordKey", "configured_key", "key_file"]

#: The environment variable holding the record key.
KEY_ENV = "FSMCHAT_RECORD_KEY"
#: The shortest key accepted.
MIN_KEY_BYTES = 16
_MAX_KEY_BYTES = 4096


@attrs.frozen
class RecordKey:
    """A record key and where it came from (``secret`` never appears in a repr)."""

    secret: bytes = attrs.field(repr=False)
    source: str


def key_file(environ: Mapping[str, str] | None = None) -> Path:
    """The key file's path: ``$XDG_CONFIG_HOME/fsmchat/record.key`` (default ``~/.config``)."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_CONFIG_HOME", "")
    root = Path(base) if os.path.isabs(base) else Path.home() / ".config"
    return root / "fsmchat" / "record.key"


def configured_key(environ: Mapping[str, str] | None = None) -> RecordKey | None:
    """The configured record key, or ``None`` when there is none.

    Raises:
        RecordError: the key is too short, or the key file is not a private
            regular file of this user (the message says how to fix it).
    """
    env = os.environ if environ is None else environ
    raw = env.get(KEY_ENV, "")
    if raw:
        return _checked(raw.encode("utf-8"), KEY_ENV)
    path = key_file(env)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        return None
    except OSError as exc:
        msg = f"cannot read the record key file {path}: {exc.strerror or exc}"
        raise RecordError(msg, path=str(path)) from exc
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(f.fileno())
        _check_private(path, info)
        data = f.read(_MAX_KEY_BYTES + 1)
    return _checked(data.rstrip(), str(path))


def _check_private(path: Path, info: os.stat_result) -> None:
    if not stat.S_ISREG(info.st_mode):
        msg = f"the record key file {path} is not a regular file"
        raise RecordError(msg, path=str(path))
    if info.st_uid != os.geteuid() or info.st_mode & 0o077:
        mode = stat.S_IMODE(info.st_mode)
        msg = (
            f"the record key file {path} is readable or writable by others "
            f"(mode {mode:04o}, owner uid {info.st_uid}): a shared key proves "
            f"nothing. Make it yours alone: chmod 600 {path}"
        )
        raise RecordError(msg, path=str(path))


def _checked(secret: bytes, source: str) -> RecordKey:
    if len(secret) < MIN_KEY_BYTES or len(secret) > _MAX_KEY_BYTES:
        msg = (
            f"the record key from {source} has {len(secret)} bytes; use "
            f"{MIN_KEY_BYTES} to {_MAX_KEY_BYTES} random bytes (e.g. the output "
            f"of: python -c 'import secrets; print(secrets.token_hex(32))')"
        )
        raise RecordError(msg, path=source)
    return RecordKey(secret=secret, source=source)
