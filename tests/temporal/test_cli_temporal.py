"""`fsmchat worker`, `run --temporal`, `status`, `answer`, `export` against a real dev server."""

from __future__ import annotations

import signal
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from fsmchat.cli import main
from fsmchat.testing._fakeserver import FakeOpenAIServer
from tests.helpers import judge_counting
from tests.temporal.conftest import SPECS, start_worker, stop_process, write_config

NL = str(SPECS / "counting_nl.yaml")


@pytest.fixture(scope="module")
def judge() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer(judge_counting) as server:
        yield server


@pytest.fixture(scope="module")
def queue(
    temporal_target: str,
    judge: FakeOpenAIServer,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    """A task queue served by one `fsmchat worker` process with a model config."""
    root = tmp_path_factory.mktemp("cli")
    config = write_config(root / "config.json", judge.base_url, ["judge"])
    name = f"cli-{uuid.uuid4().hex[:8]}"
    log = root / "worker.log"
    proc = start_worker(temporal_target, name, log, "--config", config)
    try:
        yield name
    finally:
        stop_process(proc)


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_run_temporal_prints_what_run_prints(
    temporal_target: str, queue: str, judge: FakeOpenAIServer, tmp_path: Path
) -> None:
    """`run --temporal` prints the local run's transcript; its --json has the whole chat."""
    config = write_config(tmp_path / "c.json", judge.base_url, ["judge"])
    code, local, _ = invoke("run", NL, "--config", config, "--no-cache")
    assert code == 0
    out = tmp_path / "t.json"
    args = ("run", NL, "--temporal", temporal_target, "--task-queue", queue)
    code, remote, err = invoke(*args, "--no-cache", "--id", "nl-1", "--json", str(out))
    assert code == 0, err
    assert remote == local
    assert "-- chat ended: terminate_when" in err
    assert '"TERMINATE"' in out.read_text()
    code, again, _ = invoke(*args, "--id", "nl-1")  # the id ran: attach, start nothing
    assert code == 0
    assert again == local


def test_status_and_export_give_a_record_that_verify_and_replay_accept(
    temporal_target: str, queue: str, tmp_path: Path
) -> None:
    """`export` writes a record of the workflow that verify, replay and draw --trace read."""
    args = ("run", NL, "--temporal", temporal_target, "--task-queue", queue)
    assert invoke(*args, "--no-cache", "--id", "nl-2")[0] == 0
    code, out, _ = invoke("status", "--temporal", temporal_target, "nl-2")
    assert code == 0
    assert out.startswith("nl-2: COMPLETED, ended: terminate_when")
    record = tmp_path / "chat.jsonl"
    code, _, err = invoke(
        "export", "--temporal", temporal_target, "nl-2", "-o", str(record)
    )
    assert code == 0, err
    code, out, err = invoke("verify", NL, str(record))
    assert code == 0, err
    assert "21 messages, every step legal" in out + err
    code, replayed, _ = invoke("replay", str(record))
    assert code == 0
    assert replayed.splitlines()[-1] == "Planner: TERMINATE"
    code, _, err = invoke(
        "draw", NL, "--trace", str(record), "-o", str(tmp_path / "d.dot")
    )
    assert code == 0, err
    code, _, err = invoke(
        "export", "--temporal", temporal_target, "nl-2", "-o", str(record)
    )
    assert code == 2
    assert "exists" in err


def test_no_wait_then_answer_drives_a_human_chat(
    temporal_target: str, queue: str
) -> None:
    """`run --no-wait` prints the id; `answer` sends a person's turns and prints what followed."""
    code, out, _ = invoke(
        "run",
        str(SPECS / "human_math.yaml"),
        "--temporal",
        temporal_target,
        "--task-queue",
        queue,
        "--no-wait",
    )
    assert code == 0
    chat = out.strip()
    code, out, err = invoke("answer", "--temporal", temporal_target, chat, "6 * 7")
    assert code == 0, err
    assert out == "You: 6 * 7\nCalculator: 6 * 7 = 42\n"
    assert "waiting for You" in err
    code, out, err = invoke("status", "--temporal", temporal_target, chat)
    assert "RUNNING, waiting for You" in out
    code, out, err = invoke("answer", "--temporal", temporal_target, chat, "exit")
    assert code == 0
    assert "ended: stopped (You typed exit)" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--task-queue", "q"], "need --temporal"),
        (["--temporal", "127.0.0.1:1"], "needs --task-queue"),
        (
            ["--temporal", "127.0.0.1:1", "--task-queue", "q", "--config", "x"],
            "worker --config",
        ),
        (
            ["--temporal", "127.0.0.1:1", "--task-queue", "q", "--select", "manual"],
            "manual",
        ),
    ],
)
def test_run_temporal_usage_errors(args: list[str], message: str) -> None:
    """Options that do not go with --temporal are usage errors (exit 2), said before connecting."""
    code, _, err = invoke("run", NL, *args)
    assert code == 2
    assert message in err


def test_unreachable_service_is_a_clear_error() -> None:
    """A service that does not answer is an error naming it, not a traceback."""
    code, _, err = invoke("status", "--temporal", "127.0.0.1:1", "x")
    assert code == 1
    assert err.startswith("Error: cannot reach Temporal at 127.0.0.1:1")


def test_worker_drains_and_stops_on_ctrl_c(
    temporal_target: str, tmp_path: Path
) -> None:
    """Ctrl-C (SIGINT) stops a worker cleanly: exit 0, saying so."""
    log = tmp_path / "w.log"
    proc = start_worker(temporal_target, "drain", log)
    try:
        deadline = time.monotonic() + 60
        while "worker serving" not in log.read_text():
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline
            time.sleep(0.1)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(60) == 0, log.read_text()
    finally:
        stop_process(proc)
    assert "worker stopped" in log.read_text()


def test_run_temporal_asks_the_terminal_for_a_persons_turn(
    temporal_target: str, queue: str
) -> None:
    """Without --no-wait, a person's turn is read from the terminal and sent as an update."""
    result = CliRunner().invoke(
        main,
        [
            "run",
            str(SPECS / "human_math.yaml"),
            "--temporal",
            temporal_target,
            "--task-queue",
            queue,
        ],
        input="2 + 2\nexit\n",
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[1:] == ["You: 2 + 2", "Calculator: 2 + 2 = 4"]
    assert "ended: stopped (You typed exit) after 3 messages" in result.stderr
