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
from fsmchat._record.format import Record
from fsmchat._run.files import load_spec
from fsmchat._run.resolve import resolve_spec

__all__ = ["find_spec", "load_record_spec"]


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
        tried = [header.spec_path, header.spec_abspath]
        if not os.path.isabs(header.spec_path):
            tried.append(os.path.join(os.path.dirname(record.path), header.spec_path))
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
