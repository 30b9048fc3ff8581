"""Test helper: re-seal a record's lines after an edit, as a forger who knows the format would."""

from __future__ import annotations

from fsmchat._record.format import seal, split_hash


def rechain(lines: list[bytes]) -> list[bytes]:
    """Recompute the hash chain of ``lines`` (a trailing ``b""`` is kept)."""
    out: list[bytes] = []
    previous = ""
    for line in lines:
        if not line:
            out.append(line)
            continue
        sealed = split_hash(line)
        body = line if sealed is None else sealed[0]
        resealed, previous = seal(previous, body)
        out.append(resealed)
    return out
