"""`fsmchat view --temporal HOST:PORT ID --serve` follows a chat running as a workflow."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest
from click.testing import CliRunner

from fsmchat.cli import main
from tests.temporal.conftest import ROOT, SPECS, start_worker, stop_process


@pytest.fixture(scope="module")
def queue(
    temporal_target: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A task queue served by one `fsmchat worker` process."""
    name = f"view-{uuid.uuid4().hex[:8]}"
    log = tmp_path_factory.mktemp("view") / "worker.log"
    proc = start_worker(temporal_target, name, log)
    try:
        yield name
    finally:
        stop_process(proc)


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def next_model(events: IO[bytes]) -> dict[str, Any]:
    """The next `model` event of a Server-Sent Events stream."""
    assert events.readline() == b"event: model\n"
    data: dict[str, Any] = json.loads(events.readline().removeprefix(b"data: "))
    assert events.readline() == b"\n"
    return data["model"]


def test_view_follows_a_temporal_chat_live(temporal_target: str, queue: str) -> None:
    """The page shows the paused chat; after an answer, its new steps arrive on the stream."""
    import urllib.request

    spec = str(SPECS / "human_math.yaml")
    start = ("run", spec, "--temporal", temporal_target, "--task-queue", queue)
    code, out, err = invoke(*start, "--no-wait")
    assert code == 0, err
    chat = out.strip()
    cmd = [sys.executable, "-m", "fsmchat", "view", "--temporal", temporal_target]
    proc = subprocess.Popen(
        [*cmd, chat, "--serve"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        found = re.search(r"at (http://127\.0\.0\.1:\d+/) \(Ctrl-C stops\)", line)
        assert found, line + (proc.stderr.read() if proc.stderr else "")
        assert f"temporal://{temporal_target}/default/{chat}" in line
        url = found.group(1)
        with urllib.request.urlopen(url, timeout=30) as page:
            html = page.read().decode()
        assert 'data-live="/events"' in html
        with urllib.request.urlopen(url + "events", timeout=60) as events:
            model = next_model(events)
            assert model["status"] == "paused"
            assert [s["speaker"] for s in model["steps"]] == ["Calculator"]
            code, _, err = invoke(
                "answer", "--temporal", temporal_target, chat, "6 * 7"
            )
            assert code == 0, err
            for _ in range(10):  # the answer, then the calculator's reply
                model = next_model(events)
                if len(model["steps"]) == 3:
                    break
        assert [s["speaker"] for s in model["steps"]] == [
            "Calculator",
            "You",
            "Calculator",
        ]
        assert model["steps"][2]["content"] == "6 * 7 = 42"
        assert all(s["ok"] for s in model["steps"])
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
        invoke("answer", "--temporal", temporal_target, chat, "exit")
    assert proc.returncode == 0, err
    assert err.strip().endswith("stopped")
    assert "Traceback" not in err


def test_view_of_an_unknown_chat_is_an_error_not_a_traceback(
    temporal_target: str,
) -> None:
    """An id with no workflow: exit 1 naming the chat, and nothing is served."""
    code, out, err = invoke(
        "view", "--temporal", temporal_target, "no-such-chat", "--serve"
    )
    assert code == 1
    assert "no-such-chat" in err
    assert "serving" not in out
    assert "Traceback" not in err


def test_view_temporal_needs_serve(tmp_path: Path) -> None:
    """--temporal without --serve (or with --spec) is a usage error."""
    code, _, err = invoke(
        "view", "--temporal", "127.0.0.1:1", "x", "-o", str(tmp_path / "p.html")
    )
    assert code == 2
    assert "use it with --serve" in err


def test_importing_the_viewer_does_not_load_temporalio() -> None:
    """`import fsmchat.view` (and its Temporal feed module) leaves the SDK unloaded."""
    code = (
        "import sys, fsmchat.view, fsmchat.view._temporal, fsmchat.cli._view; "
        "print('temporalio' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT
    )
    assert done.stdout.strip() == "False", done.stderr
