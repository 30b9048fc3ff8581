"""Reading and writing files: specs, and data files (chats, results) as JSON.

Two kinds of file, two size rules: a spec is refused over
:data:`~fsmchat._core.source.MAX_SPEC_BYTES` (:func:`read_text`, a located
``Problem``), a data file (a record, a ``--json`` transcript, a bench
``results.json``) over :data:`MAX_DATA_BYTES` (:func:`read_data`,
:func:`read_json`). Both are refused unread: a regular file by its size, any
other file after one byte too many.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from fsmchat._core.build import parse_spec
from fsmchat._core.errors import InvalidArgument, Problem, SpecError
from fsmchat._core.source import MAX_SPEC_BYTES, why_not_a_spec
from fsmchat._core.spec import Spec
from fsmchat._run.resolve import resolve_spec

__all__ = [
    "MAX_DATA_BYTES",
    "FileTooBig",
    "check_paths",
    "collect_spec_files",
    "load_spec",
    "parse_json",
    "pick_spec_files",
    "read_data",
    "read_json",
    "read_text",
    "write_json",
]

#: The size cap of a data file (a record, a transcript, a bench result): large
#: chats fit many times over, a file that would exhaust memory does not.
MAX_DATA_BYTES = 256 * 1024 * 1024


class FileTooBig(InvalidArgument):
    """A file over its size cap, refused unread."""


def _suffixes() -> tuple[str, ...]:
    # The checker is loaded by the commands that check, not by ``fsmchat run``.
    from fsmchat._core.check import SPEC_SUFFIXES

    return SPEC_SUFFIXES


def load_spec(
    path: str | os.PathLike[str], *, allow: Iterable[str] | None = None
) -> Spec:
    """Read and build the spec at ``path`` (YAML or JSON).

    Without ``allow`` the spec is data: its ``function:``/``call:`` references
    are checked for shape and nothing is imported (what ``check`` and ``draw``
    need; :func:`fsmchat.run_chat` then binds those under ``fsmchat.examples``
    and refuses the rest). With ``allow`` (module prefixes, ``[]`` for the
    built-in list only) they are bound through :func:`fsmchat.resolve_spec`.

    Raises:
        SpecError: the file cannot be read, is over the size cap, or holds
            problems (all of them).
        UnallowedCode: with ``allow``, a reference is outside the allow-list.
    """
    name = os.fspath(path)
    text, problem = read_text(name)
    if problem is not None:
        raise SpecError([problem])
    spec = parse_spec(text, path=name)
    return spec if allow is None else resolve_spec(spec, allow=allow)


def write_json(path: str | os.PathLike[str], data: Any) -> None:
    """Write ``data`` as indented UTF-8 JSON, atomically (temp file + rename)."""
    target = Path(path)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(
        json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    os.replace(tmp, target)


def collect_spec_files(paths: Iterable[str | os.PathLike[str]]) -> list[str]:
    """Expand ``paths``: files are kept, directories are searched recursively
    for ``*.yaml``, ``*.yml`` and ``*.json`` (hidden entries skipped), sorted.

    Returns:
        The files, each once, in the order given (each directory's files sorted).

    Raises:
        InvalidArgument: a path does not exist, or no spec file was found.
    """
    files: list[str] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            found = sorted(
                str(f)
                for f in _walk(p)
                if f.suffix.lower() in _suffixes() and f.is_file()
            )
            files.extend(found)
        elif p.exists():
            files.append(str(p))
        else:
            msg = f"no such file or directory: {os.fspath(raw)!r}"
            raise InvalidArgument(msg)
    files = list(dict.fromkeys(files))
    if not files:
        shown = ", ".join(repr(os.fspath(p)) for p in paths)
        msg = f"no spec files (*.yaml, *.yml, *.json) found in {shown}"
        raise InvalidArgument(msg)
    return files


def pick_spec_files(
    paths: Iterable[str | os.PathLike[str]],
) -> tuple[list[str], list[tuple[str, str]]]:
    """The files of :func:`collect_spec_files` that look like specs, and the rest.

    A file named in ``paths`` is always checked. A file found in a directory is
    checked when it looks like a spec (a mapping with an ``agents`` or a
    ``transitions`` key, or text that does not parse; see
    :func:`fsmchat._core.source.why_not_a_spec`); the others are skipped.

    Returns:
        ``(files, skipped)``: the files to check, and ``(file, why)`` for each
        file skipped.

    Raises:
        InvalidArgument: a path does not exist, or no spec file was found.
    """
    named = {os.fspath(p) for p in paths if not Path(p).is_dir()}
    files: list[str] = []
    skipped: list[tuple[str, str]] = []
    for name in collect_spec_files(paths):
        why = None
        if name not in named:
            text, problem = read_text(name)
            why = None if problem is not None else why_not_a_spec(text)
        if why is None:
            files.append(name)
        else:
            skipped.append((name, why))
    if not files:
        shown = ", ".join(repr(os.fspath(p)) for p in paths)
        msg = f"no spec files in {shown}: {len(skipped)} skipped as not specs"
        raise InvalidArgument(msg)
    return files, skipped


def _walk(root: Path) -> Iterator[Path]:
    for p in root.rglob("*"):
        rel = p.relative_to(root).parts
        if not any(part.startswith(".") for part in rel):
            yield p


def check_paths(paths: Iterable[str | os.PathLike[str]]) -> list[Problem]:
    """Check every spec file in ``paths`` (see :func:`pick_spec_files`).

    This is the checker's only function that touches the file system: it
    reads each file and hands the text to :func:`check_text`.

    Returns:
        All problems, file by file in order. A file that cannot be read or
        decoded is one ``io`` problem (with the position of a bad byte).

    Raises:
        InvalidArgument: a path does not exist, or no spec file was found.
    """
    problems: list[Problem] = []
    for name in pick_spec_files(paths)[0]:
        text, problem = read_text(name)
        if problem is not None:
            problems.append(problem)
        else:
            from fsmchat._core.check import check_text

            problems.extend(check_text(text, path=name))
    return problems


def _mib(n: int) -> str:
    return f"{n // (1024 * 1024)} MiB"


def _read_capped(path: str, cap: int) -> bytes | None:
    """The bytes of ``path``, or ``None`` when it holds more than ``cap``.

    Raises:
        OSError: the file cannot be opened or read.
    """
    with Path(path).open("rb") as f:
        info = os.fstat(f.fileno())
        if stat.S_ISREG(info.st_mode) and info.st_size > cap:
            return None
        data = f.read(cap + 1)
    return None if len(data) > cap else data


def _problem(
    path: str, message: str, code: str, line: int = 1, column: int = 1
) -> Problem:
    return Problem(message=message, path=path, line=line, column=column, code=code)


def read_text(path: str) -> tuple[str, Problem | None]:
    """Read the spec file ``path`` as UTF-8.

    Returns:
        ``(text, None)``, or ``("", problem)`` when the file cannot be read
        (``io``), is over :data:`~fsmchat._core.source.MAX_SPEC_BYTES`
        (``too-big``) or is not UTF-8 (``encoding``, located at the bad byte).
    """
    try:
        data = _read_capped(path, MAX_SPEC_BYTES)
    except OSError as exc:
        return "", _problem(path, f"cannot read file: {exc.strerror or exc}", "io")
    if data is None:
        why = (
            f"spec file is over the size cap of {_mib(MAX_SPEC_BYTES)}: refused unread"
        )
        return "", _problem(path, why, "too-big")
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        return "", _not_utf8(path, data, exc)


def _not_utf8(path: str, data: bytes, exc: UnicodeDecodeError) -> Problem:
    before = data[: exc.start]
    line = before.count(b"\n") + 1
    col = exc.start - (before.rfind(b"\n") + 1) + 1
    bad = data[exc.start : exc.start + 1]
    why = f"not UTF-8 text: byte {bad!r} cannot be decoded; save the file as UTF-8"
    return _problem(path, why, "encoding", line, col)


def read_data(path: str | os.PathLike[str]) -> bytes:
    """The bytes of the data file ``path`` (a record, a transcript, a result).

    Raises:
        FileTooBig: it holds more than :data:`MAX_DATA_BYTES` (refused unread).
        OSError: it cannot be opened or read (callers say it their way).
    """
    name = os.fspath(path)
    data = _read_capped(name, MAX_DATA_BYTES)
    if data is None:
        msg = f"{name}: the file is over the size cap of {_mib(MAX_DATA_BYTES)} for data files: refused unread"
        raise FileTooBig(msg)
    return data


def read_json(path: str | os.PathLike[str]) -> Any:
    """Read the data file ``path`` as UTF-8 JSON (the reader of :func:`write_json`'s files).

    Raises:
        InvalidArgument: the file cannot be read, is over
            :data:`MAX_DATA_BYTES` (:class:`FileTooBig`), is not UTF-8 or not
            JSON; the message starts ``file:line:column:`` where there is one.
    """
    name = os.fspath(path)
    try:
        data = read_data(name)
    except OSError as exc:
        msg = f"{name}: cannot read file: {exc.strerror or exc}"
        raise InvalidArgument(msg) from None
    return parse_json(name, data)


def parse_json(name: str, data: bytes) -> Any:
    """Decode the bytes of the file ``name`` as UTF-8 JSON (see :func:`read_json`).

    Raises:
        InvalidArgument: not UTF-8 or not JSON (``file:line:column: why``).
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = _not_utf8(name, data, exc)
        msg = f"{name}:{bad.line}:{bad.column}: {bad.message}"
        raise InvalidArgument(msg) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        msg = f"{name}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}"
        raise InvalidArgument(msg) from None
