"""Records: append + fsync, torn lines, spec hashes, resume and replay.

Everything here runs in-process on real files. The crash-point tests cut a
complete record at every line boundary (and inside lines) — every state a
killed writer can leave — and check that resuming gives back the very same
record, byte for byte. ``test_kill_resume.py`` does the same with real
processes and ``SIGKILL``.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import fsmchat
from fsmchat import (
    Answer,
    AskAgent,
    ChatResponse,
    Choose,
    Decision,
    Engine,
    Finished,
    Judge,
    Message,
    Usage,
    run_chat,
)
from fsmchat._core.errors import RecordError
from fsmchat._record.format import RecordHeader, spec_digest
from fsmchat._record.reader import read_record
from fsmchat._record.replay import Cassette, resume, resume_engine
from fsmchat._record.run import run_recorded
from fsmchat._record.writer import RecordWriter
from fsmchat._run.llm import LLMResponder, LLMSelector
from fsmchat.cli import main
from fsmchat.cli._recorded import replay
from fsmchat.testing import FunctionSelector, ScriptedChatModel
from tests.helpers import COUNTING_TRANSCRIPT, SPECS
from tests.record.chain import rechain

COUNTING = SPECS / "counting.yaml"


def load_spec(path: object) -> fsmchat.Spec:
    """The spec at ``path`` with its fsmchat.examples functions bound (records resume engines)."""
    return fsmchat.load_spec(path, allow=[])  # type: ignore[arg-type]


CHOOSY = """\
# Open choices settled by a selector; some answers are refused and re-asked.
name: choosy
start: A
message: "1"
max_round: 9
selection: {max_retries: 1}
agents:
  - {name: A, kind: function, function: "fsmchat.examples.counting:add_one"}
  - {name: B, kind: function, function: "fsmchat.examples.counting:add_one"}
  - {name: C, kind: function, function: "fsmchat.examples.counting:add_one"}
transitions:
  - {from: A, to: B}
  - {from: A, to: C}
  - {from: B, to: A}
  - {from: C, to: A}
"""

HUMAN = """\
name: review
start: Writer
message: "1"
max_round: 8
terminate_when: {contains: APPROVED}
agents:
  - {name: Writer, kind: function, function: "fsmchat.examples.counting:add_one"}
  - {name: Reviewer, kind: human, description: Approves or asks for another draft.}
transitions:
  - {from: Writer, to: Reviewer}
  - {from: Reviewer, to: Writer}
"""

LLM_AGENTS = """\
name: duo
start: Alice
message: "hello"
max_round: 5
agents:
  - {name: Alice, kind: llm, system_message: You are Alice.}
  - {name: Bob, kind: llm, system_message: You are Bob.}
  - {name: Carol, kind: llm, system_message: You are Carol.}
transitions:
  - {from: Alice, to: Bob, on: The last message asks Bob something.}
  - {from: Alice, to: Carol, on: The last message asks Carol something.}
  - {from: Bob, to: Alice}
  - {from: Carol, to: Alice}
"""


def choosy_pick(request: Choose | Judge) -> Any:
    """A deterministic selector: refuses itself on every third round, else B/C."""
    assert isinstance(request, Choose)
    if request.round % 3 == 0 and request.attempt == 1:
        return "nobody"  # refused, then re-asked
    if request.round % 4 == 0 and request.attempt == 1:
        return Answer(value=("B",), raw="")  # refused: a tuple is not a name
    return "B" if request.round % 2 else "C"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def record_chat(
    spec_path: Path,
    record_path: Path,
    *,
    selector: Any = None,
    llm: Any = None,
    human: Any = None,
) -> tuple[list[tuple[str, str]], Any]:
    """Run (or continue) a recorded chat in-process; return what it printed and the result."""
    printed: list[tuple[str, str]] = []
    result = run_recorded(
        load_spec(spec_path),
        record=record_path,
        selector=selector,
        llm=llm,
        human=human,
        on_message=lambda m: printed.append((m.name, m.content)),
    )
    return printed, result


def full_record(spec_path: Path, tmp_path: Path, **ports: Any) -> bytes:
    path = tmp_path / "full.jsonl"
    record_chat(spec_path, path, **ports)
    return path.read_bytes()


def cut_points(data: bytes) -> list[int]:
    """Every line boundary, and a cut inside every line (a torn write)."""
    points = {0}
    start = 0
    for line in data.split(b"\n")[:-1]:
        end = start + len(line) + 1
        points.update({start + len(line) // 2, end})
        start = end
    return sorted(points)


# -- writing and reading ----------------------------------------------------------


def test_each_line_is_on_disk_and_fsynced_before_the_next_port_call(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When a port is asked for step n, every earlier line is written and fsynced."""
    spec_path = write(tmp_path, "choosy.yaml", CHOOSY)
    record_path = tmp_path / "r.jsonl"
    synced: list[int] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        real_fsync(fd)
        synced.append(os.fstat(fd).st_size)

    monkeypatch.setattr(os, "fsync", fsync)
    checks = 0

    def pick(request: Choose | Judge) -> Any:
        nonlocal checks
        on_disk = read_record(record_path)
        assert on_disk.torn is None
        assert len(on_disk.messages) == request.round  # every message so far
        assert len(on_disk.trace) == request.round - 1  # every finished step
        assert synced[-1] == record_path.stat().st_size  # and the last line fsynced
        checks += 1
        return choosy_pick(request)

    record_chat(spec_path, record_path, selector=FunctionSelector(pick))
    assert checks >= 5  # 4 choices after A, one of them re-asked
    lines = record_path.read_bytes().count(b"\n")
    assert len([s for s in synced if s > 0]) >= lines  # one fsync per line at least


def test_record_round_trips_every_kind_of_line(tmp_path: Path) -> None:
    """Messages (with tool calls), decisions (with refused attempts), pause, stop and end read back."""
    path = tmp_path / "r.jsonl"
    spec = load_spec(COUNTING)
    engine = Engine(spec)
    header = RecordHeader.for_engine(
        engine, spec_path=str(COUNTING), spec_hash="x" * 64
    )
    message = Message(
        name="User",
        content="line 1\nline 2 ünïcode \u2028",
        role="assistant",
        tool_calls=[{"id": "c1", "type": "function", "function": {"name": "f"}}],
    )
    decision = Decision.from_dict(
        {
            "round": 3,
            "source": "Engineer",
            "candidates": ["Executor", "Critic"],
            "kind": "choose",
            "attempts": [
                {"raw": "nobody", "error": "'nobody' is not a legal next speaker"},
                {
                    "raw": "",
                    "error": "bad",
                    "usage": {"prompt_tokens": 3, "completion_tokens": 1},
                },
                {
                    "raw": "Critic",
                    "latency": 0.25,
                    "request": {"messages": [{"role": "user"}]},
                },
            ],
            "edge": 3,
            "target": "Critic",
            "reason": "chosen",
        }
    )
    with RecordWriter.open(path) as writer:
        writer.write_header(header)
        writer.write_message(message, usage=Usage(prompt_tokens=5, completion_tokens=2))
        writer.write_decision(decision, answers=["nobody", (1, "x"), "Critic"])
        writer.write_pause(agent="Human", request="reply", round=1)
        writer.write_stop("Human typed exit")
        writer.write_end(Finished(reason="stopped", round=1, detail="stopped"))
    got = read_record(path)
    assert got.header == header
    assert got.torn is None
    assert got.messages == (message,)
    assert got.messages[0].tool_calls == message.tool_calls
    assert got.trace == (decision,)
    assert [type(e).__name__ for e in got.entries] == [
        "MessageEntry",
        "DecisionEntry",
        "PauseEntry",
        "StopEntry",
        "EndEntry",
    ]
    assert path.read_bytes().endswith(b"\n")
    assert path.read_bytes().count(b"\n") == 6


def test_header_of_a_new_record_holds_the_spec_and_the_engine_options(
    tmp_path: Path,
) -> None:
    """Line 1 names the spec (path, name, content hash) and the engine's effective options."""
    record_path = tmp_path / "r.jsonl"
    record_chat(COUNTING, record_path)
    header = json.loads(record_path.read_text().splitlines()[0])
    assert header["type"] == "header"
    assert header["format"] == "fsmchat.record/2"
    assert len(header["hash"]) == 64
    assert header["spec"]["name"] == "counting"
    assert header["spec"]["sha256"] == spec_digest(COUNTING.read_text())
    assert header["options"] == {
        "message": "1",
        "max_round": 25,
        "max_retries": 2,
        "context": 1,
    }


TORN = {
    "partial JSON, no newline": (b'{"type":"mess', "no newline at its end"),
    "complete JSON, no newline": (
        b'{"type":"stop","reason":"x"}',
        "no newline at its end",
    ),
    "invalid JSON with newline": (b'{"type":"message","ind\n', "invalid JSON"),
    "NUL bytes": (b"\0\0\0\0\0\0\0\0", "no newline at its end"),
    "NUL bytes with newline": (b"\0\0\0\0\n\0\0", "NUL bytes"),
    "invalid UTF-8": (b'{"type":"message","x":"\xff\xfe"}\n', "invalid JSON"),
}


@pytest.mark.parametrize("shape", sorted(TORN))
def test_torn_last_line_is_reported_and_cut_back_to_the_complete_prefix(
    tmp_path: Path, shape: str
) -> None:
    """A damaged last line is named, the N-1 complete lines kept, and the chat resumes identically."""
    full = full_record(COUNTING, tmp_path)
    lines = full.split(b"\n")
    prefix = b"\n".join(lines[:9]) + b"\n"
    garbage, why = TORN[shape]
    path = tmp_path / "r.jsonl"
    path.write_bytes(prefix + garbage)
    record = read_record(path)
    assert record.torn is not None
    assert record.torn.line == 10
    assert record.torn.offset == len(prefix)
    assert why in record.torn.why
    assert record.torn.describe(str(path)).startswith(
        f"record {path}: line 10 is incomplete (torn write: "
    )
    assert record.torn.describe(str(path)).endswith("keeping the 9 complete records")
    assert record.lines == 9
    printed, _ = record_chat(COUNTING, path)
    assert printed == COUNTING_TRANSCRIPT
    assert path.read_bytes() == full


def test_torn_header_starts_the_chat_afresh(tmp_path: Path) -> None:
    """When even line 1 is torn, nothing is kept and the chat starts from the beginning."""
    full = full_record(COUNTING, tmp_path)
    path = tmp_path / "r.jsonl"
    path.write_bytes(full[:40])
    record = read_record(path)
    assert record.header is None
    assert record.torn is not None
    assert record.torn.line == 1
    assert record.torn.describe("f").endswith("keeping the 0 complete records")
    printed, _ = record_chat(COUNTING, path)
    assert printed == COUNTING_TRANSCRIPT
    assert path.read_bytes() == full


def test_damaged_line_followed_by_complete_lines_is_corruption_not_a_torn_write(
    tmp_path: Path,
) -> None:
    """Only the last line can be torn; a bad line in the middle is refused with its number."""
    full = full_record(COUNTING, tmp_path)
    lines = full.split(b"\n")
    lines[4] = lines[4][:20]
    path = tmp_path / "r.jsonl"
    path.write_bytes(b"\n".join(lines))
    with pytest.raises(
        RecordError, match=r"line 5 is not valid JSON .* record is corrupt"
    ) as err:
        read_record(path)
    assert err.value.line == 5
    before = path.read_bytes()
    with pytest.raises(RecordError):
        RecordWriter.open(path)
    assert path.read_bytes() == before  # a corrupt record is never cut


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda ls: ls[:5] + ls[3:],
            r"line 6: message index 1, expected 2: a message was duplicated",
        ),
        (
            lambda ls: ls[:3] + ls[5:],
            r"line 4: message index 2, expected 1: a message was lost",
        ),
        (
            lambda ls: [b'{"type":"message"}', *ls[1:]],
            r"line 1: expected the record header",
        ),
        (
            lambda ls: [ls[0].replace(b"record/2", b"record/9"), *ls[1:]],
            r"unsupported record format",
        ),
        (
            lambda ls: [*ls[:3], b'{"type":"gossip"}', *ls[3:]],
            r"line 4: unknown line type 'gossip'",
        ),
        (
            lambda ls: [*ls[:-1], b'{"type":"stop","reason":"x"}', b""],
            r"nothing may follow the end line",
        ),
    ],
)
def test_malformed_records_are_refused_naming_the_line(
    tmp_path: Path, edit: Callable[[list[bytes]], list[bytes]], message: str
) -> None:
    """Duplicated or lost lines, a missing header, unknown formats and types are clear errors."""
    full = full_record(COUNTING, tmp_path)
    path = tmp_path / "r.jsonl"
    # re-sealed: these are the checks behind the hash chain (a forger's record)
    path.write_bytes(b"\n".join(rechain(edit(full.split(b"\n")))))
    with pytest.raises(RecordError, match=message):
        read_record(path)


def test_a_second_writer_is_refused_while_the_first_holds_the_record(
    tmp_path: Path,
) -> None:
    """One process appends at a time: a concurrent resume gets a clear error."""
    path = tmp_path / "r.jsonl"
    with RecordWriter.open(path), pytest.raises(RecordError, match="in use by another"):
        RecordWriter.open(path)
    RecordWriter.open(path).close()  # released


# -- crash points: resume gives back the same record -----------------------------------


def test_resume_from_every_crash_point_of_the_counting_chat_gives_the_same_record(
    tmp_path: Path,
) -> None:
    """Cut anywhere (line boundaries, mid-line, before a newline): resume rebuilds it byte for byte."""
    full = full_record(COUNTING, tmp_path)
    path = tmp_path / "r.jsonl"
    points = cut_points(full)
    assert len(points) > 2 * 40
    for cut in points:
        path.write_bytes(full[:cut])
        printed, result = record_chat(COUNTING, path)
        assert printed == COUNTING_TRANSCRIPT, cut
        assert path.read_bytes() == full, cut
        assert result.finished.reason == "terminate_when"


def test_resume_from_every_crash_point_with_choices_and_refused_answers(
    tmp_path: Path,
) -> None:
    """Recorded choices, refusals and re-asks replay exactly; the selector is asked only for new steps."""
    spec_path = write(tmp_path, "choosy.yaml", CHOOSY)
    full = full_record(spec_path, tmp_path, selector=FunctionSelector(choosy_pick))
    decisions = read_record(tmp_path / "full.jsonl").trace
    assert any(d.retries for d in decisions)  # the fixture does exercise refusals
    path = tmp_path / "r.jsonl"
    for cut in cut_points(full):
        path.write_bytes(full[:cut])
        selector = FunctionSelector(choosy_pick)
        record_chat(spec_path, path, selector=selector)
        assert path.read_bytes() == full, cut
        done = read_record(path.with_name("full.jsonl"))
        kept = read_record_prefix(full[:cut], tmp_path)
        fresh_steps = [d for d in done.trace[len(kept.trace) :] if d.kind]
        assert len(selector.requests) == sum(len(d.attempts) for d in fresh_steps), cut


def read_record_prefix(data: bytes, tmp_path: Path) -> Any:
    path = tmp_path / "prefix.jsonl"
    path.write_bytes(data)
    return read_record(path)


@settings(max_examples=25)
@given(data=st.data())
def test_resume_from_a_random_byte_cut_gives_the_same_record(
    data: st.DataObject,
) -> None:
    """Any byte prefix of a record (a kill at any instant) resumes to the same record."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        spec_path = write(tmp_path, "choosy.yaml", CHOOSY)
        full = full_record(spec_path, tmp_path, selector=FunctionSelector(choosy_pick))
        cut = data.draw(st.integers(min_value=0, max_value=len(full)), label="cut")
        path = tmp_path / "r.jsonl"
        path.write_bytes(full[:cut])
        record_chat(spec_path, path, selector=FunctionSelector(choosy_pick))
        assert path.read_bytes() == full


def test_resume_rebuilds_the_identical_engine_state(tmp_path: Path) -> None:
    """After each step, an engine resumed from the record equals the one that wrote it."""
    spec_path = write(tmp_path, "choosy.yaml", CHOOSY)
    spec = load_spec(spec_path)
    path = tmp_path / "r.jsonl"
    snapshots: list[tuple[Any, ...]] = []
    sizes: list[int] = []
    engines: list[Engine] = []

    def snap(engine: Engine) -> tuple[Any, ...]:
        return (
            engine.messages,
            [d.to_dict() for d in engine.trace],
            engine.speaker,
            engine.phase,
            engine.round,
            engine.next_request(),
        )

    def watch(_: object) -> None:
        sizes.append(path.stat().st_size)
        snapshots.append(snap(engines[0]))

    with RecordWriter.open(path) as writer:
        engine = Engine(spec)
        engines.append(engine)
        writer.write_header(
            RecordHeader.for_engine(engine, spec_path=str(spec_path), spec_hash="h")
        )
        values: list[Any] = []

        class Tap:
            can_judge = True

            def select(self, request: Choose | Judge) -> Answer:
                answer = FunctionSelector(choosy_pick).select(request)
                values.append(answer.value)
                return answer

        for m in engine.messages:
            writer.write_message(m)
        for d in engine.trace:
            writer.write_decision(d)
        watch(None)

        def on_decision(d: Decision) -> None:
            writer.write_decision(d, answers=values[: len(d.attempts)])
            del values[: len(d.attempts)]
            watch(d)

        def on_message(m: Message) -> None:
            writer.write_message(m)
            watch(m)

        run_chat(
            spec,
            selector=Tap(),
            engine=engine,
            on_message=on_message,
            on_decision=on_decision,
        )
    full = path.read_bytes()
    for size, expected in zip(sizes, snapshots, strict=True):
        prefix = tmp_path / "p.jsonl"
        prefix.write_bytes(full[:size])
        rebuilt = resume_engine(spec, read_record(prefix))
        assert snap(rebuilt) == expected, size


# -- spec identity and conformance -------------------------------------------------


def test_record_of_another_spec_is_refused_unless_forced(tmp_path: Path) -> None:
    """A changed spec (content hash) is a clear error; --force checks the record step by step."""
    spec_path = write(tmp_path, "counting.yaml", COUNTING.read_text())
    record_path = tmp_path / "r.jsonl"
    record_chat(spec_path, record_path)
    spec_path.write_text(COUNTING.read_text().replace("max_round: 25", "max_round: 30"))
    runner = CliRunner()
    out = runner.invoke(main, ["run", str(spec_path), "--record", str(record_path)])
    assert out.exit_code == 1
    assert "was written for" in out.output
    assert "the spec changed since the chat was recorded" in out.output
    assert "--force" in out.output
    forced = runner.invoke(
        main, ["run", str(spec_path), "--record", str(record_path), "--force"]
    )
    assert forced.exit_code == 0, forced.output
    assert "Warning: record" in forced.output


def test_comments_and_layout_do_not_change_the_spec_hash(tmp_path: Path) -> None:
    """The hash is of the spec's data: reformatting or commenting keeps the record valid."""
    text = COUNTING.read_text()
    assert spec_digest(text) == spec_digest(
        "# a new comment\n" + text.replace("max_round: 25", "max_round:   25  # same")
    )
    assert spec_digest(text) != spec_digest(
        text.replace("max_round: 25", "max_round: 26")
    )


def test_forced_replay_through_a_spec_the_record_does_not_fit_names_the_line(
    tmp_path: Path,
) -> None:
    """A routing rule changed under a record: the first step that no longer fits is reported."""
    spec_path = write(tmp_path, "counting.yaml", COUNTING.read_text())
    record_path = tmp_path / "r.jsonl"
    record_chat(spec_path, record_path)
    spec_path.write_text(COUNTING.read_text().replace("args: {of: 3}", "args: {of: 4}"))
    out = CliRunner().invoke(
        replay, [str(record_path), "--spec", str(spec_path), "--force"]
    )
    assert out.exit_code == 1
    # round 3: Engineer said 3; the changed guard sends it to the Critic, the record to the Executor
    assert (
        f"record {record_path}: line 7 does not fit spec 'counting' at round 3"
        in out.output
    )
    assert '"Executor"' in out.output
    assert '"Critic"' in out.output


@pytest.mark.parametrize(
    ("line", "old", "new", "expected"),
    [
        (
            8,
            b'"name":"Executor"',
            b'"name":"Critic"',
            "the spec gives the floor to 'Executor' after 'Engineer' said '3'",
        ),
        (
            7,
            b'"target":"Executor"',
            b'"target":"Critic"',
            'target: recorded "Critic", spec gives "Executor"',
        ),
        (
            6,
            b'"content":"3"',
            b'"content":"4"',
            "line 7 does not fit spec 'counting' at round 3",
        ),
    ],
)
def test_edited_record_is_refused_at_the_line_that_does_not_fit(
    tmp_path: Path, line: int, old: bytes, new: bytes, expected: str
) -> None:
    """Resume and replay run the same conformance check as verify: an edited line is named."""
    full = full_record(COUNTING, tmp_path)
    lines = full.split(b"\n")
    assert old in lines[line - 1]
    lines[line - 1] = lines[line - 1].replace(old, new)
    path = tmp_path / "r.jsonl"
    path.write_bytes(b"\n".join(rechain(lines)))  # a forger who re-seals the chain
    with pytest.raises(RecordError, match="does not fit spec 'counting'") as err:
        resume_engine(load_spec(COUNTING), read_record(path))
    assert expected in str(err.value)


# -- replay ----------------------------------------------------------------------------


def test_replay_prints_the_identical_transcript(tmp_path: Path) -> None:
    """fsmchat replay FILE prints exactly what fsmchat run printed, from the record alone."""
    runner = CliRunner()
    record_path = tmp_path / "r.jsonl"
    ran = runner.invoke(main, ["run", str(COUNTING), "--record", str(record_path)])
    assert ran.exit_code == 0, ran.output
    replayed = runner.invoke(replay, [str(record_path)])
    assert replayed.exit_code == 0, replayed.output
    assert replayed.stdout == ran.stdout
    assert replayed.stdout.splitlines()[:2] == ["User: 1", "Planner: 2"]
    assert "-- chat ended: terminate_when" in replayed.stderr


def test_replay_of_llm_agents_and_decisions_makes_zero_model_calls(
    tmp_path: Path,
) -> None:
    """Recorded model replies and judged conditions replay with no model at all, usage included."""
    spec_path = write(tmp_path, "duo.yaml", LLM_AGENTS)
    spec = load_spec(spec_path)
    agent_model = ScriptedChatModel(
        [
            ChatResponse(
                content=f"reply {i}",
                usage=Usage(prompt_tokens=10 + i, completion_tokens=i),
            )
            for i in range(4)
        ]
    )
    judge_model = ScriptedChatModel(
        [
            '{"reason": "r", "condition_1": true, "condition_2": false}',
            "not json at all",  # refused, re-asked
            '{"reason": "r", "condition_1": false, "condition_2": true}',
        ]
    )
    record_path = tmp_path / "r.jsonl"
    _, live = record_chat(
        spec_path,
        record_path,
        selector=LLMSelector(judge_model),
        llm=LLMResponder(agent_model),
    )
    calls = (len(agent_model.requests), len(judge_model.requests))
    assert calls == (4, 3)
    printed: list[Message] = []
    done = resume(spec, read_record(record_path), on_message=printed.append)
    assert (len(agent_model.requests), len(judge_model.requests)) == calls
    assert done.result is not None
    assert tuple(printed) == live.messages == done.result.messages
    assert [d.to_dict() for d in done.result.trace] == [d.to_dict() for d in live.trace]
    assert done.result.agent_usage == live.agent_usage
    assert done.result.routing_usage == live.routing_usage
    assert any(d.retries for d in live.trace)


def test_replay_of_an_unfinished_record_says_how_to_continue(tmp_path: Path) -> None:
    """A record cut mid-chat replays what it has and names the command that continues it."""
    full = full_record(COUNTING, tmp_path)
    path = tmp_path / "r.jsonl"
    path.write_bytes(b"\n".join(full.split(b"\n")[:11]) + b"\n")
    out = CliRunner().invoke(replay, [str(path)])
    assert out.exit_code == 0, out.output
    assert out.stdout.splitlines() == [f"{a}: {c}" for a, c in COUNTING_TRANSCRIPT[:5]]
    assert "the chat is not finished" in out.stderr
    assert f"--record {path}" in out.stderr


def test_replay_without_the_spec_file_asks_for_spec(tmp_path: Path) -> None:
    """The record names its spec; if that file is gone, replay says to pass --spec."""
    spec_path = write(tmp_path, "gone.yaml", COUNTING.read_text())
    record_path = tmp_path / "r.jsonl"
    record_chat(spec_path, record_path)
    shutil.copy(spec_path, tmp_path / "kept.yaml")
    spec_path.unlink()
    out = CliRunner().invoke(replay, [str(record_path)])
    assert out.exit_code == 2
    assert "gone.yaml" in out.output
    assert "pass --spec SPEC" in out.output
    ok = CliRunner().invoke(
        replay, [str(record_path), "--spec", str(tmp_path / "kept.yaml")]
    )
    assert ok.exit_code == 0, ok.output


def test_cassette_answers_nothing_past_the_record(tmp_path: Path) -> None:
    """The replay ports never invent an answer: past the record the engine is left waiting."""
    full = full_record(COUNTING, tmp_path)
    path = tmp_path / "r.jsonl"
    path.write_bytes(
        b"\n".join(full.split(b"\n")[:4]) + b"\n"
    )  # header, 1, decision, 2
    record = read_record(path)
    resumed = resume(load_spec(COUNTING), record)
    assert resumed.finished is None
    assert resumed.engine.round == 2
    # the Planner -> Engineer step was settled by the spec alone: handed back to append
    assert [type(x).__name__ for x in resumed.tail] == ["Decision"]
    assert resumed.tail[0].target == "Engineer"  # type: ignore[union-attr]
    request = resumed.engine.next_request()
    assert isinstance(request, AskAgent)
    assert request.agent.name == "Engineer"  # waiting: the cassette made nothing up
    cassette = Cassette(record, load_spec(COUNTING))
    assert not cassette.exhausted


# -- the CLI: options, pauses, selection ------------------------------------------------


def test_resuming_with_other_options_is_a_usage_error(tmp_path: Path) -> None:
    """--max-round / --message must match the record's, or be left out."""
    runner = CliRunner()
    path = tmp_path / "r.jsonl"
    assert (
        runner.invoke(
            main, ["run", str(COUNTING), "--record", str(path), "--max-round", "6"]
        ).exit_code
        == 0
    )
    out = runner.invoke(
        main, ["run", str(COUNTING), "--record", str(path), "--max-round", "7"]
    )
    assert out.exit_code == 2
    assert "was started with --max-round 6" in out.output
    same = runner.invoke(
        main, ["run", str(COUNTING), "--record", str(path), "--max-round", "6"]
    )
    assert same.exit_code == 0


def test_pause_options_need_a_record() -> None:
    """--no-wait and --answer without --record are usage errors."""
    out = CliRunner().invoke(main, ["run", str(COUNTING), "--no-wait"])
    assert out.exit_code == 2
    assert "--no-wait needs --record FILE" in out.output


def test_human_turn_pauses_and_resumes_with_the_answer(tmp_path: Path) -> None:
    """--no-wait stops at the human's turn (exit 3, pause in the record); --answer continues."""
    spec_path = write(tmp_path, "review.yaml", HUMAN)
    path = tmp_path / "r.jsonl"
    runner = CliRunner()
    args = ["run", str(spec_path), "--record", str(path), "--no-wait"]
    first = runner.invoke(main, args)
    assert first.exit_code == 3, first.output
    assert first.stdout == "Writer: 1\n"
    assert "waiting for Reviewer: resume with --answer TEXT" in first.stderr
    record = read_record(path)
    assert record.pause is not None
    assert (record.pause.agent, record.pause.round) == ("Reviewer", 1)
    again = runner.invoke(main, args)  # still no answer: pauses again, same place
    assert again.exit_code == 3, again.output
    assert again.stdout == "Writer: 1\n"
    second = runner.invoke(main, [*args, "--answer", "try 5"])
    assert second.exit_code == 3, second.output
    assert second.stdout == "Writer: 1\nReviewer: try 5\nWriter: 6\n"
    third = runner.invoke(main, [*args, "--answer", "APPROVED"])
    assert third.exit_code == 0, third.output
    assert third.stdout.splitlines()[-1] == "Reviewer: APPROVED"
    final = read_record(path)
    assert final.end is not None
    assert final.end.reason == "terminate_when"
    replayed = runner.invoke(replay, [str(path)])
    assert replayed.stdout == third.stdout


def test_human_exit_is_recorded_as_a_stop_and_replayed(tmp_path: Path) -> None:
    """Answering 'exit' ends the chat; the stop is in the record and replays identically."""
    spec_path = write(tmp_path, "review.yaml", HUMAN)
    path = tmp_path / "r.jsonl"
    runner = CliRunner()
    assert (
        runner.invoke(
            main, ["run", str(spec_path), "--record", str(path), "--no-wait"]
        ).exit_code
        == 3
    )
    out = runner.invoke(
        main, ["run", str(spec_path), "--record", str(path), "--answer", "exit"]
    )
    assert out.exit_code == 0, out.output
    kinds = [json.loads(x)["type"] for x in path.read_text().splitlines()]
    assert kinds[-3:] == ["pause", "stop", "end"]
    replayed = runner.invoke(replay, [str(path)])
    assert replayed.exit_code == 0
    assert replayed.stdout == out.stdout
    assert "Reviewer typed exit" in replayed.stderr
    again = runner.invoke(main, ["run", str(spec_path), "--record", str(path)])
    assert again.exit_code == 0
    assert (
        path.read_text().count('"type":"end"') == 1
    )  # a finished record is not extended


def test_seeded_random_selection_continues_deterministically_after_resume(
    tmp_path: Path,
) -> None:
    """--select random --seed: the resumed chat makes the choices the uninterrupted one made."""
    spec_path = write(tmp_path, "choosy.yaml", CHOOSY)
    runner = CliRunner()
    args = ["--select", "random", "--seed", "11"]
    full_path = tmp_path / "full.jsonl"
    whole = runner.invoke(
        main, ["run", str(spec_path), "--record", str(full_path), *args]
    )
    assert whole.exit_code == 0, whole.output
    full = full_path.read_bytes()
    path = tmp_path / "r.jsonl"
    for n in (3, 6, 9, 12):
        path.write_bytes(b"\n".join(full.split(b"\n")[:n]) + b"\n")
        out = runner.invoke(main, ["run", str(spec_path), "--record", str(path), *args])
        assert out.exit_code == 0, out.output
        assert out.stdout == whole.stdout
        assert path.read_bytes() == full, n


def test_an_answer_no_person_asked_for_is_reported(tmp_path: Path) -> None:
    """--answer on a chat that asks nobody is not silently dropped: a warning says so."""
    path = tmp_path / "r.jsonl"
    out = CliRunner().invoke(
        main, ["run", str(COUNTING), "--record", str(path), "--answer", "hi"]
    )
    assert out.exit_code == 0, out.output
    assert "Warning: --answer 'hi' was not used" in out.stderr


def test_a_finished_record_is_printed_again_and_not_extended(tmp_path: Path) -> None:
    """run --record on a finished chat prints its transcript from the record, runs nothing."""
    path = tmp_path / "r.jsonl"
    runner = CliRunner()
    first = runner.invoke(main, ["run", str(COUNTING), "--record", str(path)])
    before = path.read_bytes()
    again = runner.invoke(main, ["run", str(COUNTING), "--record", str(path)])
    assert again.exit_code == 0
    assert again.stdout == first.stdout
    assert path.read_bytes() == before


@pytest.mark.parametrize("content", [b"my notes, no newline", b"x\n", b"\xff\xfe"])
def test_a_file_that_is_not_a_record_is_never_cut(
    tmp_path: Path, content: bytes
) -> None:
    """--record pointed at some other file: refused, and the file is left as it was."""
    path = tmp_path / "notes.txt"
    path.write_bytes(content)
    out = CliRunner().invoke(main, ["run", str(COUNTING), "--record", str(path)])
    assert out.exit_code == 1
    assert "is not an fsmchat record" in out.output
    assert path.read_bytes() == content


def test_manual_selection_pauses_and_resumes_like_a_human_turn(tmp_path: Path) -> None:
    """--select manual --no-wait: the choice of the next speaker is a pause too."""
    spec_path = write(tmp_path, "choosy.yaml", CHOOSY)
    path = tmp_path / "r.jsonl"
    runner = CliRunner()
    args = ["run", str(spec_path), "--record", str(path), "--select", "manual"]
    first = runner.invoke(main, [*args, "--no-wait"])
    assert first.exit_code == 3, first.output
    assert "waiting for the choice of who speaks after A" in first.stderr
    assert read_record(path).pause is not None
    second = runner.invoke(main, [*args, "--no-wait", "--answer", "2"])
    assert second.exit_code == 3
    assert second.stdout == "A: 1\nC: 2\nA: 3\n"
    answers = ["--answer", "B", "--answer", "C", "--answer", "B"]
    last = runner.invoke(main, [*args, *answers])
    assert last.exit_code == 0, last.output
    assert last.stdout.splitlines()[3:6] == ["B: 4", "A: 5", "C: 6"]
    assert runner.invoke(replay, [str(path)]).stdout == last.stdout


def test_text_that_is_not_valid_unicode_is_recorded_and_replayed(
    tmp_path: Path,
) -> None:
    """A reply holding a lone surrogate is written as a JSON escape and reads back equal."""
    path = tmp_path / "r.jsonl"
    engine = Engine(load_spec(COUNTING))
    with RecordWriter.open(path) as writer:
        writer.write_header(
            RecordHeader.for_engine(engine, spec_path=str(COUNTING), spec_hash="h")
        )
        writer.write_message(Message(name="User", content="bad \ud800 text"))
    assert read_record(path).messages[0].content == "bad \ud800 text"


def test_missing_model_is_refused_before_anything_is_recorded_or_replayed(
    tmp_path: Path,
) -> None:
    """run --record on a spec that needs a model, without --config, exits 2 and writes nothing."""
    record = tmp_path / "nl.jsonl"
    out = CliRunner().invoke(
        main, ["run", str(SPECS / "counting_nl.yaml"), "--record", str(record)]
    )
    assert out.exit_code == 2
    assert "only a model can judge" in out.stderr
    assert out.stdout == ""
    assert not record.exists()


def test_resume_refuses_another_selection_or_seed(tmp_path: Path) -> None:
    """The header keeps --select and --seed; resuming with others is a usage error."""
    spec = tmp_path / "open.yaml"
    spec.write_text(
        "message: '1'\nmax_round: 6\nagents:\n"
        "  - {name: A, function: 'fsmchat.examples.counting:add_one'}\n"
        "  - {name: B, function: 'fsmchat.examples.counting:add_one'}\n"
        "  - {name: C, function: 'fsmchat.examples.counting:add_one'}\n"
        "transitions:\n  - {from: A, to: B}\n  - {from: A, to: C}\n"
        "  - {from: B, to: A}\n  - {from: C, to: A}\n"
    )
    record = tmp_path / "r.jsonl"
    base = ["run", str(spec), "--record", str(record)]
    first = CliRunner().invoke(
        main, [*base, "--select", "random", "--seed", "3", "--max-round", "3"]
    )
    assert first.exit_code == 0, first.output
    header = json.loads(record.read_text().splitlines()[0])
    assert header["selection"] == {"method": "random", "seed": 3}
    other_seed = CliRunner().invoke(main, [*base, "--select", "random", "--seed", "4"])
    assert other_seed.exit_code == 2
    assert "--select random --seed 3, not random --seed 4" in other_seed.stderr
    other_method = CliRunner().invoke(main, [*base, "--select", "round_robin"])
    assert other_method.exit_code == 2
    same = CliRunner().invoke(main, [*base, "--select", "random", "--seed", "3"])
    assert same.exit_code == 0, same.output
    assert same.stdout == first.stdout
