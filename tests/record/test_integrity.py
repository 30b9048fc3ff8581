"""Records are evidence: type-checked fields, a hash chain, old records, one transcript reader.

Every record here is written by the real writer (``run_recorded``), then damaged
the way a disk, an editor or a forger would, and read back by the library and
by the real CLI (in-process): the answer is always a clear error naming the
file and the line (exit 1, never a traceback), or the untouched transcript.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fsmchat import (
    RecordError,
    load_spec,
    read_chat,
    read_record,
    replay_record,
    run_recorded,
)
from fsmchat._core.errors import InvalidArgument
from fsmchat._core.source import MAX_SPEC_BYTES
from fsmchat._record.format import LEGACY_FORMAT, split_hash
from fsmchat.adapters._files import MAX_DATA_BYTES
from fsmchat.cli import main
from tests.helpers import COUNTING_TRANSCRIPT, SPECS
from tests.record.chain import rechain

COUNTING = SPECS / "counting.yaml"


@pytest.fixture(scope="module")
def full(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The bytes of a finished counting record (21 messages, 20 decisions)."""
    path = tmp_path_factory.mktemp("full") / "full.jsonl"
    run_recorded(COUNTING, record=path)
    return path.read_bytes()


def lines_of(data: bytes) -> list[bytes]:
    return data.split(b"\n")


def edited(data: bytes, line: int, edit: Any, *, reseal: bool = True) -> bytes:
    """``data`` with JSON line ``line`` (1-based) changed by ``edit(obj)``, re-sealed."""
    ls = lines_of(data)
    obj = json.loads(ls[line - 1])
    stored = obj.pop("hash", None)
    edit(obj)
    if not reseal:  # the old hash kept, at the end as the writer puts it
        obj["hash"] = stored
    ls[line - 1] = json.dumps(obj, separators=(",", ":")).encode()
    return b"\n".join(rechain(ls) if reseal else ls)


def replay_cli(path: Path) -> Any:
    return CliRunner().invoke(main, ["replay", str(path), "--spec", str(COUNTING)])


def assert_clean_error(path: Path, line: int, words: str) -> None:
    """The library and `fsmchat replay` both name the file and the line."""
    with pytest.raises(RecordError) as err:
        read_record(path)
    assert err.value.line == line
    assert f"record {path}: line {line}: " in str(err.value)
    assert words in str(err.value)
    out = replay_cli(path)
    assert out.exit_code == 1, out.output
    assert out.exception is None or isinstance(out.exception, SystemExit)
    assert f"Error: record {path}: line {line}: " in out.stderr
    assert "Traceback" not in out.output


# -- type-checked fields -------------------------------------------------------------


def test_a_message_whose_content_is_a_number_is_an_error(
    tmp_path: Path, full: bytes
) -> None:
    """ "content": 7 is refused naming the line, even when the chain is re-sealed."""
    path = tmp_path / "r.jsonl"
    path.write_bytes(edited(full, 4, lambda o: o["message"].update(content=7)))
    assert_clean_error(path, 4, "message.content: 7 is not of type 'string'")


def test_a_header_whose_options_are_not_an_object_is_an_error(
    tmp_path: Path, full: bytes
) -> None:
    """A header with "options": [] is a clear error on line 1, exit 1 from replay."""
    path = tmp_path / "r.jsonl"
    path.write_bytes(edited(full, 1, lambda o: o.update(options=[1, 2])))
    assert_clean_error(path, 1, "options: [1, 2] is not of type 'object'")


@pytest.mark.parametrize(
    ("line", "edit", "words"),
    [
        (2, lambda o: o.update(index="0"), "index: '0' is not of type 'integer'"),
        (2, lambda o: o["message"].pop("name"), "'name' is a required property"),
        (2, lambda o: o.update(usage={"prompt_tokens": -1}), "usage.prompt_tokens"),
        (3, lambda o: o["decision"].update(round="1"), "decision.round"),
        (3, lambda o: o["decision"].update(candidates="ab"), "decision.candidates"),
        (3, lambda o: o.update(answers=7), "answers: 7 is not of type 'array'"),
        (3, lambda o: o["decision"].update(kind="guess"), "decision.kind"),
        (1, lambda o: o["spec"].update(name=None), "spec.name: None"),
        (1, lambda o: o["options"].update(max_round=0), "options.max_round"),
        (1, lambda o: o.update(selection={"method": "random", "seed": "7"}), "seed"),
        (1, lambda o: o.update(extra=1), "'extra' was unexpected"),
    ],
)
def test_every_field_is_type_checked(
    tmp_path: Path, full: bytes, line: int, edit: Any, words: str
) -> None:
    """Wrong types and missing fields in header, message and decision lines name the field."""
    path = tmp_path / "r.jsonl"
    path.write_bytes(edited(full, line, edit))
    assert_clean_error(path, line, words)


_WRONG = [7, "x", None, [], {}, True, -1, 1.5]


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_any_field_of_any_line_with_any_wrong_value_is_never_a_traceback(
    tmp_path: Path, full: bytes, data: st.DataObject
) -> None:
    """Fuzz: any value at any key of any line reads back or is a RecordError; replay exits 0 or 1."""
    ls = lines_of(full)
    n = data.draw(st.integers(1, len(ls) - 1), label="line")
    obj = json.loads(ls[n - 1])
    obj.pop("hash")
    paths: list[tuple[Any, Any]] = []

    def walk(node: Any) -> None:
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, value in list(items):
            paths.append((node, key))
            if isinstance(value, dict | list):
                walk(value)

    walk(obj)
    parent, key = data.draw(st.sampled_from(paths), label="field")
    parent[key] = data.draw(st.sampled_from(_WRONG), label="value")
    ls[n - 1] = json.dumps(obj, separators=(",", ":")).encode()
    path = tmp_path / "fuzz.jsonl"
    path.write_bytes(b"\n".join(rechain(ls)))
    lines: list[int] = []
    try:
        read_record(path)
    except RecordError as exc:
        lines.append(exc.line)
    assert lines in ([], [n])  # read back, or refused naming the changed line
    out = replay_cli(path)
    assert out.exit_code in (0, 1), out.output
    assert out.exception is None or isinstance(out.exception, SystemExit), out.output


# -- the hash chain ----------------------------------------------------------------------


def test_every_line_carries_a_hash_chained_to_the_previous_line(full: bytes) -> None:
    """Each line ends with a 64-hex hash, and every hash differs."""
    hashes = [split_hash(line) for line in lines_of(full)[:-1]]
    assert all(h is not None for h in hashes)
    assert len({h[1] for h in hashes if h is not None}) == len(hashes)


def test_an_edit_in_the_middle_breaks_the_chain_at_that_line(
    tmp_path: Path, full: bytes
) -> None:
    """Changing "3" to "4" without re-sealing is a hash error on that line, not another transcript."""
    path = tmp_path / "r.jsonl"
    path.write_bytes(
        edited(full, 6, lambda o: o["message"].update(content="4"), reseal=False)
    )
    assert_clean_error(path, 6, "the hash chain breaks here")


def test_a_resealed_line_breaks_the_chain_at_the_next_line(
    tmp_path: Path, full: bytes
) -> None:
    """Re-sealing only the edited line leaves the next line's hash wrong."""
    ls = lines_of(full)
    changed = lines_of(edited(full, 6, lambda o: o["message"].update(content="4")))
    ls[5] = changed[5]
    path = tmp_path / "r.jsonl"
    path.write_bytes(b"\n".join(ls))
    assert_clean_error(path, 7, "the hash chain breaks here")


@pytest.mark.parametrize(
    ("edit", "line"),
    [
        (lambda ls: ls[:4] + ls[5:], 5),  # a line lost
        (lambda ls: ls[:5] + ls[4:], 6),  # a line repeated
        (lambda ls: [*ls[:4], ls[5], ls[4], *ls[6:]], 5),  # two lines swapped
    ],
)
def test_lost_repeated_or_swapped_lines_break_the_chain(
    tmp_path: Path, full: bytes, edit: Any, line: int
) -> None:
    """Moving whole lines around is caught by the chain, naming the first line out of place."""
    path = tmp_path / "r.jsonl"
    path.write_bytes(b"\n".join(edit(lines_of(full))))
    assert_clean_error(path, line, "the hash chain breaks here")


def test_a_line_without_its_hash_is_an_error(tmp_path: Path, full: bytes) -> None:
    """A line of a format-2 record that lost its hash is refused."""
    ls = lines_of(full)
    body = split_hash(ls[9])
    assert body is not None
    ls[9] = body[0]
    path = tmp_path / "r.jsonl"
    path.write_bytes(b"\n".join(ls))
    assert_clean_error(path, 10, "has no hash")


@settings(max_examples=150, deadline=None)
@given(position=st.integers(min_value=0), flip=st.integers(min_value=1, max_value=255))
def test_bit_rot_anywhere_is_an_error_or_a_torn_tail_never_another_transcript(
    position: int, flip: int
) -> None:
    """Any one damaged byte: a RecordError, or a torn last line that keeps a prefix."""
    data = bytearray(_FULL_FOR_FLIPS)
    position %= len(data)
    data[position] ^= flip
    try:
        record = _parse(bytes(data))
    except RecordError:
        return
    original = [(m.name, m.content) for m in _parse(_FULL_FOR_FLIPS).messages]
    got = [(m.name, m.content) for m in record.messages]
    assert got == original[: len(got)]
    assert record.torn is not None or got == original
    assert record.entries == _parse(_FULL_FOR_FLIPS).entries[: len(record.entries)]


def _parse(data: bytes) -> Any:
    from fsmchat._record.reader import parse_record

    return parse_record("flip.jsonl", data)


def _record_bytes() -> bytes:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "r.jsonl"
        run_recorded(COUNTING, record=path, max_round=5)
        return path.read_bytes()


_FULL_FOR_FLIPS = _record_bytes()


def test_torn_tail_recovery_keeps_working_with_the_chain(
    tmp_path: Path, full: bytes
) -> None:
    """A record cut inside its 10th line resumes to the very same, fully chained record."""
    ls = lines_of(full)
    cut = b"\n".join(ls[:9]) + b"\n" + ls[9][: len(ls[9]) // 2]
    path = tmp_path / "r.jsonl"
    path.write_bytes(cut)
    warnings: list[str] = []
    result = run_recorded(COUNTING, record=path, on_warning=warnings.append)
    assert [(m.name, m.content) for m in result.messages] == COUNTING_TRANSCRIPT
    assert any("line 10 is incomplete" in w for w in warnings)
    assert path.read_bytes() == full
    assert read_record(path).verified


# -- records of format 1 (no hashes) -------------------------------------------------------


def legacy(data: bytes) -> bytes:
    """The same record as fsmchat.record/1 wrote it: no hashes."""
    out = []
    for line in lines_of(data):
        if not line:
            out.append(line)
            continue
        sealed = split_hash(line)
        assert sealed is not None
        out.append(sealed[0].replace(b"fsmchat.record/2", LEGACY_FORMAT.encode()))
    return b"\n".join(out)


def test_old_records_without_hashes_are_refused_unless_accepted(
    tmp_path: Path, full: bytes
) -> None:
    """A fsmchat.record/1 record (a downgrade anyone can write) is refused; --accept-v1
    replays it (same transcript) with a warning that it is unverified."""
    path = tmp_path / "old.jsonl"
    path.write_bytes(legacy(full))
    assert_clean_error(path, 1, "pass --accept-v1")
    record = read_record(path, accept_v1=True)
    assert not record.verified
    assert [(m.name, m.content) for m in record.messages] == COUNTING_TRANSCRIPT
    out = CliRunner().invoke(
        main, ["replay", str(path), "--spec", str(COUNTING), "--accept-v1"]
    )
    assert out.exit_code == 0, out.output
    assert "has no hash chain" in out.stderr
    assert out.stdout == "".join(f"{a}: {c}\n" for a, c in COUNTING_TRANSCRIPT)


def test_an_old_record_is_continued_in_its_own_format(
    tmp_path: Path, full: bytes
) -> None:
    """Resuming a cut format-1 record appends lines without hashes: the file stays one format."""
    path = tmp_path / "old.jsonl"
    path.write_bytes(b"\n".join(lines_of(legacy(full))[:9]) + b"\n")
    warnings: list[str] = []
    with pytest.raises(RecordError, match="pass --accept-v1"):
        run_recorded(COUNTING, record=path)
    run_recorded(COUNTING, record=path, on_warning=warnings.append, accept_v1=True)
    assert path.read_bytes() == legacy(full)
    assert any("no hash chain" in w for w in warnings)


def test_a_hash_inside_an_old_record_is_an_error(tmp_path: Path, full: bytes) -> None:
    """Format 1 has no hashes: a line with one is refused (a format-2 line spliced in)."""
    ls = lines_of(legacy(full))
    ls[4] = lines_of(full)[4]
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b"\n".join(ls))
    with pytest.raises(
        RecordError, match=r"line 5: a 'fsmchat\.record/1' record has no hashes"
    ):
        read_record(path, accept_v1=True)


# -- one reader for every file that holds a chat ------------------------------------------


def test_read_chat_reads_records_json_files_and_autogen_lists(
    tmp_path: Path, full: bytes
) -> None:
    """The same chat as a record, a --json file and an AutoGen list reads to the same messages."""
    record = tmp_path / "chat.jsonl"
    record.write_bytes(full)
    as_json = tmp_path / "chat.json"
    ran = CliRunner().invoke(main, ["run", str(COUNTING), "--json", str(as_json)])
    assert ran.exit_code == 0, ran.output
    autogen = tmp_path / "autogen.json"
    autogen.write_text(json.dumps(json.loads(as_json.read_text())["messages"]))
    from_record = read_chat(record)
    from_json = read_chat(as_json)
    from_autogen = read_chat(autogen, spec=load_spec(COUNTING))
    assert from_record.messages == from_json.messages == from_autogen.messages
    assert [d.to_dict() for d in from_record.trace] == [
        d.to_dict() for d in from_json.trace
    ]
    assert from_autogen.trace == ()
    assert from_record.notes == ()
    kinds = (from_record.kind, from_json.kind, from_autogen.kind)
    assert kinds == ("record", "transcript", "messages")
    assert (from_record.status, from_json.status) == ("finished", "finished")
    assert from_record.spec_path == from_json.spec_path == str(COUNTING)


def test_read_chat_reads_a_transcript_over_the_spec_size_cap(tmp_path: Path) -> None:
    """A --json transcript bigger than any spec may be (16 MiB) is data: read, not refused."""
    big = "x" * (MAX_SPEC_BYTES // 2)
    messages = [
        {"name": name, "role": "user", "content": big} for name in ("A", "B", "A")
    ]
    path = tmp_path / "big.json"
    path.write_text(json.dumps({"messages": messages}))
    assert MAX_SPEC_BYTES < path.stat().st_size < MAX_DATA_BYTES
    chat = read_chat(path)
    assert [m.name for m in chat.messages] == ["A", "B", "A"]
    assert chat.messages[1].content == big


def test_replay_refuses_a_transcript_as_not_a_record(tmp_path: Path) -> None:
    """replay_record of a --json file: a RecordError saying it is not a record."""
    as_json = tmp_path / "chat.json"
    ran = CliRunner().invoke(main, ["run", str(COUNTING), "--json", str(as_json)])
    assert ran.exit_code == 0, ran.output
    with pytest.raises(RecordError, match="is not an fsmchat record"):
        replay_record(as_json)


def test_read_chat_keeps_the_complete_lines_of_a_torn_record(
    tmp_path: Path, full: bytes
) -> None:
    """A record with a torn tail reads as its complete lines, with a note saying so."""
    path = tmp_path / "torn.jsonl"
    ls = lines_of(full)
    path.write_bytes(b"\n".join(ls[:7]) + b"\n" + ls[7][:10])
    transcript = read_chat(path)
    assert len(transcript.messages) == 3  # header, then message, decision, ...
    assert any("line 8 is incomplete" in n for n in transcript.notes)


@pytest.mark.parametrize(
    ("content", "error", "words"),
    [
        (b'{"messages": [', InvalidArgument, ":1:15: not valid JSON"),
        (b'"just text"', InvalidArgument, "expected fsmchat transcript JSON"),
        (None, RecordError, "the hash chain breaks here"),
    ],
)
def test_read_chat_errors_name_the_file(
    tmp_path: Path, full: bytes, content: bytes | None, error: type, words: str
) -> None:
    """Bad JSON (line and column), unknown shapes and tampered records are clear errors."""
    path = tmp_path / "bad.json"
    path.write_bytes(
        content
        if content is not None
        else edited(full, 6, lambda o: o["message"].update(content="4"), reseal=False)
    )
    with pytest.raises(error, match=words) as err:
        read_chat(path)
    assert str(path) in str(err.value)


def test_verify_and_draw_accept_a_record(tmp_path: Path, full: bytes) -> None:
    """`fsmchat verify SPEC chat.jsonl` and `draw --trace chat.jsonl` work as with a --json file."""
    record = tmp_path / "chat.jsonl"
    record.write_bytes(full)
    as_json = tmp_path / "chat.json"
    CliRunner().invoke(main, ["run", str(COUNTING), "--json", str(as_json)])
    runner = CliRunner()
    verified = runner.invoke(main, ["verify", str(COUNTING), str(record)])
    assert verified.exit_code == 0, verified.output
    assert f"{record}: ok: 21 messages, every step legal" in verified.stderr
    drawn = runner.invoke(main, ["draw", str(COUNTING), "--trace", str(record)])
    from_json = runner.invoke(main, ["draw", str(COUNTING), "--trace", str(as_json)])
    assert drawn.exit_code == 0, drawn.output
    assert drawn.stdout == from_json.stdout
    plain = runner.invoke(main, ["draw", str(COUNTING)])
    assert drawn.stdout != plain.stdout  # the trace is drawn


def test_verify_of_a_tampered_record_is_exit_1_naming_the_line(
    tmp_path: Path, full: bytes
) -> None:
    """verify refuses a record whose chain is broken: exit 1, file and line, no traceback."""
    path = tmp_path / "chat.jsonl"
    path.write_bytes(
        edited(full, 6, lambda o: o["message"].update(content="4"), reseal=False)
    )
    out = CliRunner().invoke(main, ["verify", str(COUNTING), str(path)])
    assert out.exit_code == 1
    assert f"Error: record {path}: line 6: the hash chain breaks here" in out.stderr
