"""Which spec a record is read with: the one you name, or the file its header names, as data.

A record's header names the spec it was made with, but the record is not the
person reading it: :func:`find_spec` loads a spec the header names only as data
(:func:`load_record_spec` shows none of a file that is not a spec, since a
header may point at a secrets file to have it echoed) and binds its ``call:``
guards only from the ``allow`` the caller passes — the command line passes only
what was typed for that command, never ``FSMCHAT_ALLOW``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from fsmchat._core.errors import InvalidArgument, RecordError, SpecError
from fsmchat._core.spec import Spec
from fsmchat._core.text import counted
from fsmchat._record.format import Record, spec_digest, spec_object_digest
from fsmchat._run.resolve import resolve_spec
from fsmchat.adapters._files import load_spec, read_text

__all__ = ["digest_of", "find_spec", "load_record_spec", "spec_file_of"]


def find_spec(
    record: Record,
    spec: Spec | str | os.PathLike[str] | None,
    *,
    allow: Iterable[str] = (),
) -> tuple[str, Spec]:
    """The spec to replay ``record`` with: ``spec``, or the file its header names.

    Its ``call:`` guards are bound from ``fsmchat.examples`` and ``allow``
    (replaying evaluates guards; agents' code is never run). A spec the header
    names is read only as data (:func:`load_record_spec`): the record never
    adds to the allow-list.

    Returns:
        ``(path, spec)``; ``path`` is ``spec.source`` for a :class:`~fsmchat.Spec`.

    Raises:
        RecordError: the record has no header.
        InvalidArgument: the header's spec file is not there (pass ``spec``).
        RecordError: the header's spec file is not a readable spec (its
            content is not shown).
        SpecError: the given spec file does not load, or a spec names guards
            outside the allow-list (:class:`~fsmchat.UnallowedCode`).
    """
    header = record.header
    if header is None:
        msg = f"record {record.path} is empty or has no complete header line: nothing to replay"
        raise RecordError(msg, path=record.path, line=1)
    if isinstance(spec, Spec):
        return spec.source, resolve_spec(spec, allow=allow, kinds=("call",))
    if spec is None:
        tried = _candidates(record.path, header.spec_path, header.spec_abspath)
        found = next((p for p in tried if os.path.isfile(p)), None)
        if found is None:
            msg = (
                f"record {record.path} was made with spec {header.spec_path!r}, which is "
                f"not there (tried {', '.join(dict.fromkeys(tried))}): pass --spec SPEC"
            )
            raise InvalidArgument(msg)
        return found, resolve_spec(
            load_record_spec(record.path, found), allow=allow, kinds=("call",)
        )
    path = os.fspath(spec)
    return path, resolve_spec(load_spec(path), allow=allow, kinds=("call",))


def _candidates(chat_path: str, spec_path: str, abspath: str) -> list[str]:
    """Where a spec a chat file names may be: as written, absolute, beside the file."""
    tried = [spec_path, abspath]
    if not os.path.isabs(spec_path):
        tried.append(os.path.join(os.path.dirname(chat_path), spec_path))
    return list(dict.fromkeys(tried))


def spec_file_of(chat_path: str, spec_path: str, abspath: str) -> str:
    """The spec file a chat file names: the first of :func:`_candidates` that
    is a file, else ``abspath`` (for a message saying it is gone)."""
    tried = _candidates(chat_path, spec_path, abspath)
    return next((p for p in tried if os.path.isfile(p)), abspath)


def load_record_spec(record_path: str, spec_path: str) -> Spec:
    """Load, as data, the spec file a record's header names (nothing is imported).

    The record chose the file, not the person reading it, so a file that is
    not a readable spec is one short error that shows none of its content
    (a header may point at a secrets file to have it echoed).

    Raises:
        RecordError: ``spec_path`` cannot be read or is not a valid spec.
    """
    try:
        return load_spec(spec_path)
    except SpecError as exc:
        n = len(exc.problems)
        msg = (
            f"record {record_path} names {spec_path!r} as its spec, but that file is "
            f"not a readable fsmchat spec ({counted(n, 'problem')}, not "
            f"shown: the record chose the file, not you). Give the spec yourself "
            f"with --spec SPEC"
        )
        raise RecordError(msg, path=record_path, line=1) from None


def digest_of(spec: Spec, path: str | os.PathLike[str] | None = None) -> str:
    """The digest a record's header keeps for ``spec``.

    The :func:`~fsmchat._record.format.spec_digest` of the spec's file
    (``path``, else ``spec.source`` when that is a file), or, for a spec built
    in Python, :func:`~fsmchat._record.format.spec_object_digest`.

    Raises:
        InvalidArgument: the file cannot be read as UTF-8 text (or is over the
            spec size cap).
    """
    name = os.fspath(path) if path is not None else spec.source
    if path is None and not os.path.isfile(name):
        return spec_object_digest(spec)
    text, problem = read_text(name)
    if problem is not None:
        msg = f"cannot read spec {name} to hash it: {problem.message}"
        raise InvalidArgument(msg)
    return spec_digest(text)
