"""fsmchat.run_recorded / arun_recorded / replay_record: recorded chats from Python.

The kill test starts a small Python program that calls ``fsmchat.run_recorded``
in a child process, SIGKILLs it while an agent stalls, starts it again, and
compares transcript and record with an uninterrupted run; ``fsmchat replay``
then replays the library's record.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import fsmchat
from fsmchat import (
    Answer,
    Choose,
    InvalidArgument,
    Judge,
    PausingHuman,
    RecordError,
    arun_recorded,
    load_spec,
    read_record,
    replay_record,
    run_recorded,
)
from fsmchat.cli import main
from fsmchat.testing import FunctionSelector, ScriptedHuman
from tests.helpers import COUNTING_TRANSCRIPT, SPECS
from tests.record.test_record import HUMAN

COUNTING = SPECS / "counting.yaml"
WAIT = 60.0

DRIVER = '''\
"""Run the counting chat with fsmchat.run_recorded; stall before message $STALL_AT until killed."""
import json
import os
import sys
import time
from pathlib import Path

import fsmchat
from fsmchat.examples.counting import add_one


class Gate:
    def respond(self, request):
        about_to_say = request.chat.round + 1
        if os.environ.get("STALL_AT") == str(about_to_say):
            Path(os.environ["STALL_MARK"]).write_text(str(about_to_say))
            time.sleep(120)  # until SIGKILL
        text = add_one(request.chat, **request.agent.args)
        return fsmchat.Reply(agent=request.agent.name, content=text, role="user")


spec = fsmchat.load_spec(sys.argv[1])
result = fsmchat.run_recorded(
    sys.argv[1], record=sys.argv[2], responders={n: Gate() for n in spec.names}
)
print(json.dumps([[m.name, m.content] for m in result.messages]))
'''


def _child_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STALL_")}
    env.update(extra)
    return env


def _drive(root: Path, record: str, **extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(root / "driver.py"), str(COUNTING), record],
        cwd=root,
        env=_child_env(**extra),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _kill_at(root: Path, record: str, n: int) -> None:
    mark = root / f"mark{n}"
    proc = _drive(root, record, STALL_AT=str(n), STALL_MARK=str(mark))
    try:
        deadline = time.monotonic() + WAIT
        while not mark.exists():
            assert proc.poll() is None, proc.communicate()[1]
            assert time.monotonic() < deadline, f"no stall at message {n}"
            time.sleep(0.005)
    finally:
        proc.kill()
        proc.communicate(timeout=WAIT)
    assert proc.returncode == -9  # really SIGKILLed, no cleanup ran


def test_a_library_chat_killed_with_sigkill_resumes_to_the_unbroken_chat(
    tmp_path: Path,
) -> None:
    """run_recorded killed at message 5, resumed and killed at 12, resumed: same transcript and record."""
    (tmp_path / "driver.py").write_text(DRIVER)
    whole = _drive(tmp_path, "whole.jsonl")
    out, err = whole.communicate(timeout=WAIT)
    assert whole.returncode == 0, err
    assert [tuple(p) for p in json.loads(out)] == COUNTING_TRANSCRIPT
    for n in (5, 12):
        _kill_at(tmp_path, "killed.jsonl", n)
        cut = read_record(tmp_path / "killed.jsonl")
        assert cut.torn is None
        assert len(cut.messages) == n - 1
    last = _drive(tmp_path, "killed.jsonl")
    again, err = last.communicate(timeout=WAIT)
    assert last.returncode == 0, err
    assert again == out
    assert (tmp_path / "killed.jsonl").read_bytes() == (
        tmp_path / "whole.jsonl"
    ).read_bytes()
    replayed = CliRunner().invoke(main, ["replay", str(tmp_path / "killed.jsonl")])
    assert replayed.exit_code == 0, replayed.output
    assert replayed.stdout == "".join(f"{a}: {c}\n" for a, c in COUNTING_TRANSCRIPT)


def test_a_record_written_by_the_library_is_the_one_the_cli_writes(
    tmp_path: Path,
) -> None:
    """run_recorded on a spec file writes the same bytes as `fsmchat run --record`."""
    lib, cli = tmp_path / "lib.jsonl", tmp_path / "cli.jsonl"
    result = run_recorded(COUNTING, record=lib, selection=("fsm", None))
    ran = CliRunner().invoke(main, ["run", str(COUNTING), "--record", str(cli)])
    assert ran.exit_code == 0, ran.output
    assert lib.read_bytes() == cli.read_bytes()
    assert [(m.name, m.content) for m in result.messages] == COUNTING_TRANSCRIPT
    done = replay_record(lib)
    assert done.result is not None
    assert done.result.messages == result.messages


def test_no_wait_returns_a_paused_result_that_answers_continue(tmp_path: Path) -> None:
    """A human's turn becomes a pause (finished.reason 'paused'); answers= continue it."""
    spec = tmp_path / "review.yaml"
    spec.write_text(HUMAN)
    record = tmp_path / "r.jsonl"
    paused = run_recorded(spec, record=record, no_wait=True)
    assert paused.finished.reason == fsmchat.PAUSED
    assert paused.finished.detail == "waiting for Reviewer"
    assert [m.content for m in paused.messages] == ["1"]
    assert read_record(record).pause is not None
    more = run_recorded(spec, record=record, no_wait=True, answers=["try 5"])
    assert more.finished.reason == "paused"
    assert [m.content for m in more.messages] == ["1", "try 5", "6"]
    done = run_recorded(spec, record=record, human=ScriptedHuman(["APPROVED"]))
    assert done.finished.reason == "terminate_when"
    out = CliRunner().invoke(main, ["replay", str(record)])
    assert out.exit_code == 0, out.output
    assert out.stdout == "Writer: 1\nReviewer: try 5\nWriter: 6\nReviewer: APPROVED\n"


def test_unused_answers_and_torn_lines_are_warnings_not_prints(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The library prints nothing: warnings go to on_warning."""
    warnings: list[str] = []
    run_recorded(
        COUNTING,
        record=tmp_path / "r.jsonl",
        human=PausingHuman(answers=["hi"]),
        on_warning=warnings.append,
    )
    assert warnings == ["--answer 'hi' was not used: the chat asked no person for it"]
    assert capsys.readouterr() == ("", "")


def test_other_options_than_the_records_are_refused(tmp_path: Path) -> None:
    """max_round, message and selection must match the record's when continuing."""
    record = tmp_path / "r.jsonl"
    run_recorded(COUNTING, record=record, max_round=4, selection=("random", 3))
    with pytest.raises(InvalidArgument, match="was started with --max-round 4, not 5"):
        run_recorded(COUNTING, record=record, max_round=5)
    with pytest.raises(InvalidArgument, match="--select random --seed 3, not random"):
        run_recorded(COUNTING, record=record, selection=("random", 4))
    same = run_recorded(COUNTING, record=record, max_round=4, selection=("random", 3))
    assert same.finished.reason == "max_round"


def test_a_spec_built_in_python_resumes_and_a_changed_one_is_refused(
    tmp_path: Path,
) -> None:
    """Specs without a file are identified by their data: the same spec resumes, another needs force."""
    spec = load_spec(COUNTING)
    built = fsmchat.Spec(
        agents=spec.agents,
        transitions=spec.transitions,
        start=spec.start,
        message="1",
        max_round=6,
        terminate_when=spec.terminate_when,
        name="built",
    )
    record = tmp_path / "r.jsonl"
    first = run_recorded(built, record=record)
    data = record.read_bytes()
    record.write_bytes(b"\n".join(data.split(b"\n")[:5]) + b"\n")
    again = run_recorded(built, record=record)
    assert again.messages == first.messages
    assert record.read_bytes() == data
    longer = fsmchat.Spec(
        agents=spec.agents,
        transitions=spec.transitions,
        start=spec.start,
        message="1",
        max_round=7,
        name="built",
    )
    with pytest.raises(
        RecordError, match="the spec changed since the chat was recorded"
    ):
        run_recorded(longer, record=record)
    warnings: list[str] = []
    forced = run_recorded(longer, record=record, force=True, on_warning=warnings.append)
    assert forced.messages == first.messages  # a finished record is not extended
    assert any("--force" in w for w in warnings)


OPEN = """\
name: open
start: A
message: "1"
max_round: 7
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


def pick(request: Choose | Judge) -> str:
    """B on odd rounds, C on even ones."""
    return "B" if request.round % 2 else "C"


class AsyncPick:
    """An async-only selector (aselect) counting its calls."""

    can_judge = False

    def __init__(self) -> None:
        self.calls = 0

    async def aselect(self, request: Choose | Judge) -> Answer:
        self.calls += 1
        await asyncio.sleep(0)
        return Answer(value=pick(request), raw=pick(request))


def test_arun_recorded_awaits_async_ports_and_resumes_like_the_sync_one(
    tmp_path: Path,
) -> None:
    """await arun_recorded: async selector, the same record as run_recorded, and a cut record resumes."""
    spec = tmp_path / "open.yaml"
    spec.write_text(OPEN)
    sync_record, async_record = tmp_path / "s.jsonl", tmp_path / "a.jsonl"
    sync = run_recorded(
        spec,
        record=sync_record,
        selector=FunctionSelector(lambda r: Answer(value=pick(r), raw=pick(r))),
    )
    selector = AsyncPick()
    done = asyncio.run(arun_recorded(spec, record=async_record, selector=selector))
    assert done.messages == sync.messages
    assert selector.calls == 3
    assert async_record.read_bytes() == sync_record.read_bytes()
    full = async_record.read_bytes()
    async_record.write_bytes(b"\n".join(full.split(b"\n")[:6]) + b"\n")
    again = AsyncPick()
    resumed = asyncio.run(arun_recorded(spec, record=async_record, selector=again))
    assert resumed.messages == sync.messages
    assert again.calls == 2  # only the choices past the cut
    assert async_record.read_bytes() == full


def test_arun_recorded_pauses_for_a_person(tmp_path: Path) -> None:
    """The async driver pauses and continues like the sync one."""
    spec = tmp_path / "review.yaml"
    spec.write_text(HUMAN)
    record = tmp_path / "r.jsonl"
    paused = asyncio.run(arun_recorded(spec, record=record, no_wait=True))
    assert paused.finished.reason == "paused"
    done = asyncio.run(arun_recorded(spec, record=record, answers=["APPROVED"]))
    assert [m.content for m in done.messages] == ["1", "APPROVED"]
    assert done.finished.reason == "terminate_when"


def test_replay_record_finds_the_spec_or_says_to_pass_it(tmp_path: Path) -> None:
    """replay_record reads the spec the header names; a missing file is InvalidArgument."""
    spec = tmp_path / "gone.yaml"
    spec.write_text(COUNTING.read_text())
    record = tmp_path / "r.jsonl"
    run_recorded(spec, record=record)
    spec.unlink()
    with pytest.raises(InvalidArgument, match="pass --spec SPEC"):
        replay_record(record)
    done = replay_record(record, spec=COUNTING)
    assert done.result is not None
    assert done.spec_path == str(COUNTING)


def test_public_names_are_exported() -> None:
    """The record API is importable from fsmchat and listed in __all__."""
    names: dict[str, Any] = {
        "run_recorded": run_recorded,
        "arun_recorded": arun_recorded,
        "replay_record": replay_record,
        "read_chat": fsmchat.read_chat,
        "ChatFile": fsmchat.ChatFile,
        "PausingHuman": PausingHuman,
        "Transcript": fsmchat.Transcript,
        "PAUSED": fsmchat.PAUSED,
    }
    for name, value in names.items():
        assert name in fsmchat.__all__
        assert getattr(fsmchat, name) is value


def test_the_public_functions_show_their_own_parameters() -> None:
    """run_recorded and arun_recorded show every keyword (help(), IDEs); the async one is a coroutine function."""
    import inspect

    sync = inspect.signature(run_recorded)
    assert list(sync.parameters)[:2] == ["spec", "record"]
    assert "accept_v1" in sync.parameters
    assert inspect.signature(arun_recorded).parameters == sync.parameters
    assert inspect.iscoroutinefunction(arun_recorded)
    assert not inspect.iscoroutinefunction(run_recorded)
    assert run_recorded.__doc__ is not None
    assert "Start, or continue" in run_recorded.__doc__


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("run_durable", "run_recorded"),
        ("arun_durable", "arun_recorded"),
        ("replay_durable", "replay_record"),
        ("DurableHuman", "PausingHuman"),
    ],
)
def test_each_old_name_warns_and_is_the_new_one(old: str, new: str) -> None:
    """fsmchat.<old name> is a DeprecationWarning naming the new one, and the same object."""
    with pytest.warns(
        DeprecationWarning, match=f"fsmchat.{old} is deprecated: use fsmchat.{new}"
    ):
        value = getattr(fsmchat, old)
    assert value is getattr(fsmchat, new)
    assert old not in fsmchat.__all__


def test_the_old_names_still_run_a_chat(tmp_path: Path) -> None:
    """run_durable, arun_durable and replay_durable (deprecated) record, continue and replay a chat."""
    record = tmp_path / "r.jsonl"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # each is tested above
        run_durable = fsmchat.run_durable
        arun_durable = fsmchat.arun_durable
        replay_durable = fsmchat.replay_durable
        human = fsmchat.DurableHuman(answers=["APPROVED"])
    spec = tmp_path / "review.yaml"
    spec.write_text(HUMAN)
    paused = run_durable(spec, record=record, no_wait=True)
    assert paused.finished.reason == "paused"
    done = asyncio.run(arun_durable(spec, record=record, human=human))
    assert [m.content for m in done.messages] == ["1", "APPROVED"]
    replayed = replay_durable(record).result
    assert replayed is not None
    assert replayed.messages == done.messages


def test_read_transcript_is_deprecated_and_still_reads(tmp_path: Path) -> None:
    """fsmchat.read_transcript warns and returns read_chat(path).transcript()."""
    record = tmp_path / "r.jsonl"
    run_recorded(COUNTING, record=record)
    with pytest.warns(DeprecationWarning, match="use fsmchat.read_chat"):
        read_transcript = fsmchat.read_transcript
    assert read_transcript(record) == fsmchat.read_chat(record).transcript()


def test_the_old_replay_record_of_a_read_record_warns_and_resumes(
    tmp_path: Path,
) -> None:
    """replay_record(spec, record) (the old form) is resume(spec, record), with a DeprecationWarning."""
    record = tmp_path / "r.jsonl"
    run_recorded(COUNTING, record=record)
    spec, read = load_spec(COUNTING, allow=[]), read_record(record)
    with pytest.warns(DeprecationWarning, match=r"use resume\(spec, record\)"):
        old = replay_record(spec, read)
    new = fsmchat.resume(spec, read)
    assert old.result == new.result
    assert old.replayed == new.replayed > 0
    with pytest.warns(DeprecationWarning, match=r"use resume\(spec, record\)"):
        by_keyword = replay_record(spec=spec, record=read)
    assert by_keyword.result == new.result


def test_record_decisions_is_deprecated_for_trace(tmp_path: Path) -> None:
    """Record.decisions warns and equals Record.trace (the word for the routing steps)."""
    record = tmp_path / "r.jsonl"
    run_recorded(COUNTING, record=record)
    read = read_record(record)
    with pytest.warns(DeprecationWarning, match="use Record.trace"):
        old = read.decisions
    assert old == read.trace
    assert len(read.trace) > 0


def test_transcript_decisions_is_deprecated_for_trace(tmp_path: Path) -> None:
    """Transcript.decisions (attribute and keyword) warns and means Transcript.trace."""
    record = tmp_path / "r.jsonl"
    run_recorded(COUNTING, record=record)
    new = fsmchat.read_chat(record).transcript()
    assert len(new.trace) > 0
    with pytest.warns(DeprecationWarning, match="use Transcript.trace"):
        old = new.decisions
    assert old == new.trace
    with pytest.warns(DeprecationWarning, match="use Transcript.trace"):
        built = fsmchat.Transcript(messages=new.messages, decisions=new.trace)
    assert built == fsmchat.Transcript(messages=new.messages, trace=new.trace)


def test_warnings_go_to_the_fsmchat_logger_by_default(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Without on_warning, a cut torn line is logged as a warning on 'fsmchat'."""
    record = tmp_path / "r.jsonl"
    run_recorded(COUNTING, record=record, max_round=3)
    with record.open("ab") as f:
        f.write(b'{"type":"mess')
    with caplog.at_level("WARNING", logger="fsmchat"):
        run_recorded(COUNTING, record=record, max_round=3)
    assert any("is incomplete (torn write" in r.getMessage() for r in caplog.records)


def test_answers_for_a_pausing_human_given_twice_are_refused(tmp_path: Path) -> None:
    """answers= with a PausingHuman that has its own is ambiguous: InvalidArgument."""
    with pytest.raises(InvalidArgument, match="not both"):
        run_recorded(
            COUNTING,
            record=tmp_path / "r.jsonl",
            human=PausingHuman(answers=["a"]),
            answers=["b"],
        )
    assert not (tmp_path / "r.jsonl").exists()


def test_run_recorded_runs_user_code_only_when_allowed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A spec file naming a user module is refused before anything is written, and runs with allow=."""
    (tmp_path / "durable_user_mod.py").write_text(
        "def echo(chat):\n    return 'done'\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    spec = tmp_path / "user.yaml"
    spec.write_text(
        "name: user\nstart: A\nmax_round: 2\nagents:\n"
        "  - {name: A, kind: function, function: 'durable_user_mod:echo'}\n"
        "  - {name: B, kind: function, function: 'durable_user_mod:echo'}\n"
        "transitions:\n  - {from: A, to: B}\n  - {from: B, to: A}\n"
    )
    record = tmp_path / "chat.jsonl"
    with pytest.raises(fsmchat.UnallowedCode, match="durable_user_mod"):
        fsmchat.run_recorded(str(spec), record=record)
    assert not record.exists() or record.read_bytes() == b""
    result = fsmchat.run_recorded(str(spec), record=record, allow=["durable_user_mod"])
    assert [m.content for m in result.messages] == ["done", "done"]
