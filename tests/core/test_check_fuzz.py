"""Fuzzing `fsmchat check` with mutated spec files: always a diagnostic, never a crash."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from fsmchat.cli import _tools as tools
from tests.helpers import ROOT, SPECS

DIAG = re.compile(r"^.+:\d+:\d+: (error|warning): .+ \[[a-z0-9-]+\]$")
SOURCES = [
    (SPECS / "counting.yaml").read_bytes(),
    (ROOT / "tests" / "data" / "seed003_fsm.yaml").read_bytes(),
    (ROOT / "tests" / "data" / "bad" / "graph_slips.yaml").read_bytes(),
]


def _byte_edit(data: bytes, pos: int, value: int) -> bytes:
    i = pos % (len(data) + 1)
    return data[:i] + bytes([value]) + data[i + 1 :]


def _lines(data: bytes) -> list[bytes]:
    return data.split(b"\n")


def _delete_line(data: bytes, pos: int, _: int) -> bytes:
    lines = _lines(data)
    del lines[pos % len(lines)]
    return b"\n".join(lines)


def _insert_tab(data: bytes, pos: int, _: int) -> bytes:
    lines = _lines(data)
    i = pos % len(lines)
    lines[i] = b"\t" + lines[i]
    return b"\n".join(lines)


def _duplicate_line(data: bytes, pos: int, _: int) -> bytes:
    """Duplicating a `key: value` line duplicates the key in its mapping."""
    lines = _lines(data)
    i = pos % len(lines)
    lines.insert(i, lines[i])
    return b"\n".join(lines)


def _swap_indent(data: bytes, pos: int, value: int) -> bytes:
    lines = _lines(data)
    i = pos % len(lines)
    body = lines[i].lstrip(b" ")
    lines[i] = b" " * (value % 9) + body
    return b"\n".join(lines)


def _swap_lines(data: bytes, pos: int, value: int) -> bytes:
    lines = _lines(data)
    i, j = pos % len(lines), value % len(lines)
    lines[i], lines[j] = lines[j], lines[i]
    return b"\n".join(lines)


def _insert_text(data: bytes, pos: int, value: int) -> bytes:
    snippets = [
        b": ",
        b"- ",
        b"{",
        b"]",
        b'"',
        b"'",
        b"#",
        b"&a",
        b"*a",
        b"!!int ",
        b"\x00",
        b"\r",
    ]
    i = pos % (len(data) + 1)
    return data[:i] + snippets[value % len(snippets)] + data[i:]


MUTATIONS = [
    _byte_edit, _delete_line, _insert_tab, _duplicate_line,
    _swap_indent, _swap_lines, _insert_text,
]  # fmt: skip

mutations = st.lists(
    st.tuples(
        st.sampled_from(MUTATIONS),
        st.integers(0, 10_000),
        st.integers(0, 255),
    ),
    min_size=1,
    max_size=4,
)


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz") / "spec.yaml"


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(source=st.sampled_from(SOURCES), edits=mutations)
@example(source=SOURCES[0], edits=[(_insert_text, 40, 10)])  # a NUL byte
@example(source=SOURCES[0], edits=[(_byte_edit, 40, 0xFF)])  # not UTF-8
@example(source=SOURCES[0], edits=[(_insert_tab, 20, 0)])
@example(source=SOURCES[0], edits=[(_duplicate_line, 9, 0)])
def test_mutated_specs_give_diagnostics_not_tracebacks(
    target: Path, source: bytes, edits: list[tuple[object, int, int]]
) -> None:
    """Any mutation of a spec file gives exit 0 or 1 and only well-formed diagnostics."""
    data = source
    for func, pos, value in edits:
        data = func(data, pos, value)  # type: ignore[operator]
    target.write_bytes(data)
    result = CliRunner().invoke(tools.check, [str(target)])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert result.exit_code in (0, 1), result.output
    for line in result.stdout.splitlines():
        assert DIAG.match(line), line
