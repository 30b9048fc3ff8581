"""A data file (a record, a transcript, a bench result) too big to hold in memory is refused unread.

Data files have their own cap, MAX_DATA_BYTES (256 MiB), far above the spec cap
(a long chat is legal; see tests/record/test_integrity.py for a transcript over
the spec cap being read). The files here are sparse: their size is a claim the
reader must refuse before reading a byte of it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import fsmchat
from fsmchat import RecordError
from fsmchat.adapters import _files
from fsmchat.adapters._files import MAX_DATA_BYTES, FileTooBig, read_json
from fsmchat.cli import main
from fsmchat.view._load import read_bench
from tests.helpers import SPECS

COUNTING = SPECS / "counting.yaml"


def _sparse(path: Path, size: int) -> Path:
    """A file that says it holds ``size`` bytes and takes no disk."""
    with path.open("wb") as f:
        f.truncate(size)
    return path


@pytest.mark.parametrize("name", ["chat.json", "chat.jsonl"])
def test_a_chat_file_over_the_data_cap_is_refused_unread(
    tmp_path: Path, name: str
) -> None:
    """read_chat of a 256 MiB + 1 file (JSON or record): one error naming the file and the cap."""
    big = _sparse(tmp_path / name, MAX_DATA_BYTES + 1)
    with pytest.raises(FileTooBig, match="over the size cap of 256 MiB") as info:
        fsmchat.read_chat(big)
    assert str(info.value).startswith(f"{big}: ")


def test_a_record_over_the_data_cap_is_refused_by_replay(tmp_path: Path) -> None:
    """read_record and replay_record refuse it as a RecordError (not a MemoryError)."""
    big = _sparse(tmp_path / "chat.jsonl", MAX_DATA_BYTES + 1)
    with pytest.raises(RecordError, match="over the size cap"):
        fsmchat.read_record(big)
    with pytest.raises(RecordError, match="over the size cap"):
        fsmchat.replay_record(big)


def test_verify_of_a_chat_over_the_data_cap_is_one_error_line(tmp_path: Path) -> None:
    """`fsmchat verify SPEC huge.json`: exit 1, one `Error:` line, no traceback."""
    big = _sparse(tmp_path / "huge.json", MAX_DATA_BYTES + 1)
    out = CliRunner().invoke(main, ["verify", str(COUNTING), str(big)])
    assert out.exit_code == 1
    lines = out.output.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("Error: ")
    assert "over the size cap" in lines[0]


def test_a_bench_result_over_the_data_cap_is_refused(tmp_path: Path) -> None:
    """The viewer's results.json reader has the same cap."""
    _sparse(tmp_path / "results.json", MAX_DATA_BYTES + 1)
    with pytest.raises(FileTooBig):
        read_bench(str(tmp_path))


def test_a_stream_without_a_size_is_cut_after_one_byte_too_many(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """/dev/zero has no size to check: it is read up to the cap plus one byte, then refused."""
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero on this system")
    monkeypatch.setattr(_files, "MAX_DATA_BYTES", 4096)
    with pytest.raises(FileTooBig, match="over the size cap"):
        read_json("/dev/zero")


def test_a_data_file_at_the_cap_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cap is inclusive: a JSON file of exactly MAX_DATA_BYTES reads (cap lowered to keep it small)."""
    monkeypatch.setattr(_files, "MAX_DATA_BYTES", 64)
    path = tmp_path / "at.json"
    text = '{"messages": []}'
    path.write_text(text + " " * (64 - len(text)))
    assert read_json(path) == {"messages": []}
    path.write_text(text + " " * (65 - len(text)))
    with pytest.raises(FileTooBig):
        read_json(path)
