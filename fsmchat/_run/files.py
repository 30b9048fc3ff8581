"""Reading and writing files: specs and transcripts (the IO edge of the core)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from fsmchat._core.build import parse_spec
from fsmchat._core.errors import InvalidArgument, Problem, SpecError
from fsmchat._core.source import MAX_SPEC_BYTES, why_not_a_spec
from fsmchat._core.spec import Spec
from fsmchat._run.resolve import resolve_spec

__all__ = [
    "check_paths",
    "collect_spec_files",
    "load_spec",
    "pick_spec_files",
    "read_text",
    "write_json",
]


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


def read_text(path: str) -> tuple[str, Problem | None]:
    """Read ``path`` as UTF-8.

    Returns:
        ``(text, None)``, or ``("", problem)`` when the file cannot be read
        (``io``) or is not UTF-8 (``encoding``, located at the bad byte).
    """
    try:
        with Path(path).open("rb") as f:
            data = f.read(MAX_SPEC_BYTES + 1)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        return "", Problem(
            message=f"cannot read file: {reason}",
            path=path,
            line=1,
            column=1,
            code="io",
        )
    if len(data) > MAX_SPEC_BYTES:
        return "", Problem(
            message=f"spec file is over the size cap of {MAX_SPEC_BYTES // (1024 * 1024)} MiB: refused unread",
            path=path,
            line=1,
            column=1,
            code="too-big",
        )
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        col = exc.start - (before.rfind(b"\n") + 1) + 1
        bad = data[exc.start : exc.start + 1]
        return "", Problem(
            message=f"not UTF-8 text: byte {bad!r} cannot be decoded; save the file as UTF-8",
            path=path,
            line=line,
            column=col,
            code="encoding",
        )
