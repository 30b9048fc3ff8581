"""Kill the real CLI with SIGKILL mid-chat, resume it, and compare with an unbroken run.

Every test here starts ``python -m fsmchat run ... --record FILE`` as a child
process, kills it at a chosen point with ``SIGKILL`` (no cleanup runs), then
runs the same command again on the same record. The resumed run must print
the uninterrupted run's transcript and leave the same record: nothing lost,
nothing duplicated.

* Counting without a model: a copy of ``specs/counting.yaml`` whose function
  agents come from a small gate module written next to it; the gate blocks the
  agent that is about to say message N (so the kill lands exactly at round N),
  or slows every agent a little (so a kill chosen by hypothesis while watching
  the record grow lands anywhere, even inside a line). The gate changes no
  message: the unbroken run prints the transcript of ``specs/counting.yaml``.
* Counting routed by natural language (``specs/counting_nl.yaml``) against a
  ``FakeOpenAIServer`` on 127.0.0.1 that judges correctly: kills while a judge
  request is in flight, an endpoint that fails with 500s and comes back, and a
  replay that sends no request at all.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fsmchat._record.reader import read_record
from fsmchat.testing._fakeserver import FakeOpenAIServer, FakeResponse
from tests.helpers import COUNTING_TRANSCRIPT, SPECS, judge_counting

WAIT = 60.0  # generous: only a hang would take this long
ROUNDS = len(COUNTING_TRANSCRIPT)  # 21

GATE = '''\
"""Test gate for the kill tests: block or slow the counting agents (env driven)."""
import os
import time
from pathlib import Path

from fsmchat.examples.counting import add_one as _add_one


def add_one(chat, **kwargs):
    about_to_say = chat.round + 1
    if os.environ.get("KILLGATE_AT") == str(about_to_say):
        Path(os.environ["KILLGATE_MARK"]).write_text(str(about_to_say))
        time.sleep(120)  # until SIGKILL (the tests kill it within seconds)
    delay = float(os.environ.get("KILLGATE_DELAY") or 0)
    if delay:
        time.sleep(delay)
    if not chat.messages:
        return "1"  # the User opens the count (the spec has no fixed message)
    return _add_one(chat, **kwargs)
'''


def transcript_lines() -> str:
    return "".join(f"{name}: {text}\n" for name, text in COUNTING_TRANSCRIPT)


@pytest.fixture(scope="module")
def gated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory with the gate module and the gated counting spec."""
    root = tmp_path_factory.mktemp("gated")
    (root / "killgate.py").write_text(GATE)
    text = (SPECS / "counting.yaml").read_text()
    text = text.replace(
        "function: fsmchat.examples.counting:add_one", "function: killgate:add_one"
    )
    text = re.sub(r'(?m)^message: "1"\n', "", text)
    (root / "counting.yaml").write_text(text)
    return root


def env(root: Path, **extra: str) -> dict[str, str]:
    out = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("KILLGATE_", "OAI_", "OPENAI_", "FSMCHAT_CACHE"))
    }
    out["PYTHONPATH"] = os.pathsep.join(
        [str(root), *filter(None, [os.environ.get("PYTHONPATH")])]
    )
    out["FSMCHAT_CACHE_DIR"] = str(root / "cache")
    out["FSMCHAT_ALLOW"] = "killgate"  # the gate module is code the spec names
    out.update(extra)
    return out


def fsmchat(*args: str) -> list[str]:
    return [sys.executable, "-m", "fsmchat", *args]


_STARTED: list[subprocess.Popen[str]] = []


@pytest.fixture(autouse=True)
def _no_leftover_chats() -> Iterator[None]:
    """Kill and reap any chat a failing test left running (no orphans)."""
    yield
    while _STARTED:
        proc = _STARTED.pop()
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=WAIT)
        for pipe in (proc.stdout, proc.stderr):
            if pipe is not None:
                pipe.close()


def start(cmd: list[str], root: Path, **extra: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        cmd,
        cwd=root,
        env=env(root, **extra),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    _STARTED.append(proc)
    return proc


def run(cmd: list[str], root: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cmd,
        cwd=root,
        env=env(root, **extra),
        capture_output=True,
        text=True,
        timeout=WAIT * 2,
        check=False,
    )


def kill(proc: subprocess.Popen[str]) -> None:
    """SIGKILL (no cleanup in the child) and reap."""
    proc.kill()
    proc.communicate(timeout=WAIT)


def wait_until(proc: subprocess.Popen[str], ready: Any, what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not ready():
        if proc.poll() is not None:
            _, err = proc.communicate()
            pytest.fail(f"the chat exited ({proc.returncode}) before {what}:\n{err}")
        if time.monotonic() > deadline:
            kill(proc)
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.002)


@pytest.fixture(scope="module")
def baseline(gated: Path) -> tuple[str, bytes]:
    """The uninterrupted gated run: its stdout and its record."""
    done = run(fsmchat("run", "counting.yaml", "--record", "full.jsonl"), gated)
    assert done.returncode == 0, done.stderr
    return done.stdout, (gated / "full.jsonl").read_bytes()


def test_the_gate_changes_nothing_the_chat_says(baseline: tuple[str, bytes]) -> None:
    """The gated spec's unbroken run prints the counting transcript of specs/counting.yaml."""
    stdout, record = baseline
    assert stdout == transcript_lines()
    plain = run(fsmchat("run", str(SPECS / "counting.yaml")), Path.cwd())
    assert plain.stdout == stdout
    assert record.count(b'"type":"message"') == ROUNDS


def test_sigkill_at_every_round_then_resume_gives_the_unbroken_chat(
    gated: Path, baseline: tuple[str, bytes]
) -> None:
    """Kill at every round 1..21 (each resume is killed at the next round), then finish.

    Three records run side by side, each killed at seven consecutive rounds
    (1-7, 8-14, 15-21; the first kill of each is its first process). Killed
    while message N is being made, a record holds exactly the unbroken run's
    first N-1 messages and decisions, byte for byte, and the killed process had
    printed exactly that transcript (replayed part and new part, once each).
    The last resume of each record completes the chat with the unbroken run's
    transcript and record.
    """
    stdout, full = baseline
    full_lines = full.split(b"\n")
    expected_lines = stdout.splitlines(keepends=True)
    chains = {first: f"chain{first}.jsonl" for first in (1, 8, 15)}
    for step in range(7):
        procs = {}
        for first, name in chains.items():
            n = first + step
            mark = gated / f"mark{n}"
            cmd = fsmchat("run", "counting.yaml", "--record", name)
            procs[n] = (
                mark,
                start(cmd, gated, KILLGATE_AT=str(n), KILLGATE_MARK=str(mark)),
            )
        for (n, (mark, proc)), name in zip(procs.items(), chains.values(), strict=True):
            wait_until(proc, mark.exists, f"the gate of round {n}")
            proc.kill()
            out, err = proc.communicate(timeout=WAIT)
            assert proc.returncode == -9, f"round {n}: {err}"  # really SIGKILLed
            record = gated / name
            killed = read_record(record)
            assert killed.torn is None, n
            assert len(killed.messages) == n - 1, n
            assert len(killed.trace) == n - 1, n
            assert record.read_bytes() == b"\n".join(full_lines[: 2 * n - 1]) + b"\n", n
            assert out == "".join(expected_lines[: n - 1]), n
            if step and n > 2:
                assert f"replayed {n - 2} message" in err, n
    finals = [
        start(fsmchat("run", "counting.yaml", "--record", name), gated)
        for name in chains.values()
    ]
    for proc, name in zip(finals, chains.values(), strict=True):
        out, err = proc.communicate(timeout=WAIT * 2)
        assert proc.returncode == 0, err
        assert out == stdout  # the whole transcript, once
        assert (gated / name).read_bytes() == full  # nothing lost or duplicated


@settings(
    max_examples=3,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(lines=st.integers(min_value=1, max_value=2 * ROUNDS + 1))
def test_sigkill_while_watching_the_record_grow(
    gated: Path, baseline: tuple[str, bytes], lines: int
) -> None:
    """Kill as soon as the record reaches a line count hypothesis picks (any line, even torn)."""
    record = gated / f"watch{lines}.jsonl"
    record.unlink(missing_ok=True)
    cmd = fsmchat("run", "counting.yaml", "--record", record.name)
    proc = start(cmd, gated, KILLGATE_DELAY="0.005")

    def grown() -> bool:
        try:
            return record.read_bytes().count(b"\n") >= lines
        except FileNotFoundError:
            return False

    deadline = time.monotonic() + WAIT
    while not grown() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.001)
    kill(proc)
    resumed = run(cmd, gated)
    assert resumed.returncode == 0, resumed.stderr
    stdout, full = baseline
    assert resumed.stdout == stdout
    assert record.read_bytes() == full


# -- driven by a model on 127.0.0.1 ------------------------------------------------------


NL_SPEC = str(SPECS / "counting_nl.yaml")


class CountingJudge:
    """A correct judge on a FakeOpenAIServer, with per-model gates and outages.

    Each chat process gets its own model name, so one server can serve several
    processes at once and still tell them apart.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.counts: dict[str, int] = {}
        self.block_at: dict[str, int] = {}
        self.arrived: dict[str, threading.Event] = {}
        self.release = threading.Event()
        self.fail_from: dict[str, int] = {}

    def gate(self, model: str, request_number: int) -> threading.Event:
        self.block_at[model] = request_number
        self.arrived[model] = threading.Event()
        return self.arrived[model]

    def __call__(self, body: dict[str, Any]) -> Any:
        model = str(body["model"])
        with self.lock:
            self.counts[model] = self.counts.get(model, 0) + 1
            n = self.counts[model]
        if n >= self.fail_from.get(model, n + 1):
            return FakeResponse(500, {"error": {"message": "the endpoint is down"}})
        if self.block_at.get(model) == n:
            del self.block_at[model]
            self.arrived[model].set()
            self.release.wait(WAIT)  # the client is killed meanwhile
            return FakeResponse(503, {"error": {"message": "too late"}})
        return judge_counting(body)


@attrs.frozen
class LLMChat:
    """The module's judge server and its uninterrupted LLM-driven run."""

    judge: CountingJudge
    server: FakeOpenAIServer
    root: Path
    base: subprocess.CompletedProcess[str]


@pytest.fixture(scope="module")
def llm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LLMChat]:
    judge = CountingJudge()
    root = tmp_path_factory.mktemp("llm")
    with FakeOpenAIServer(judge) as server:
        try:
            base = run(nl_run(root, server, "base", "base.jsonl"), root)
            assert base.returncode == 0, base.stderr
            assert base.stdout == transcript_lines()
            assert judge.counts["base"] == 15
            yield LLMChat(judge=judge, server=server, root=root, base=base)
        finally:
            judge.release.set()
    assert not server.handler_errors


def config(root: Path, server: FakeOpenAIServer, model: str) -> str:
    path = root / f"config-{model}.json"
    path.write_text(json.dumps([server.config(model=model, max_retries=0)]))
    return str(path)


def nl_run(root: Path, server: FakeOpenAIServer, model: str, record: str) -> list[str]:
    return fsmchat(
        "run",
        NL_SPEC,
        "--config",
        config(root, server, model),
        "--no-cache",
        "--record",
        record,
    )


def without_latency(data: bytes) -> list[Any]:
    """Record lines with the measured latencies (and so the hashes) blanked: all that may differ."""
    out = []
    for line in data.decode().splitlines():
        obj = json.loads(line)
        obj.pop("hash")
        for attempt in obj.get("decision", {}).get("attempts", []):
            attempt["latency"] = None
        out.append(obj)
    return out


def _model_free(line: Mapping[str, Any]) -> Any:
    """A record line with the model name (one per process here) taken out of requests."""
    text = json.dumps(line, sort_keys=True)
    return re.sub(r'"model": "(base|chain)"', '"model": "-"', text)


def same_chat(record: Path, base: Path) -> bool:
    """Same lines as the unbroken record, but for latencies and the model's name."""
    got = [_model_free(x) for x in without_latency(record.read_bytes())]
    return got == [_model_free(x) for x in without_latency(base.read_bytes())]


def test_llm_kill_mid_judge_then_endpoint_down_then_back(llm: LLMChat) -> None:
    """One LLM-driven chat through a crash and an outage, ending as the unbroken run.

    1. SIGKILL while judge request 8 is in flight: the record ends with the
       message being judged (asked, not decided), 7 verdicts kept.
    2. Resume: the 7 recorded verdicts are replayed (not re-asked); the endpoint
       then answers 500 from its 4th new request: exit 1 naming the endpoint
       (never the key), the record intact (10 verdicts, no torn line, no end).
    3. The endpoint is back: resume asks only the 5 missing verdicts and ends
       with the unbroken run's transcript and record.
    """
    j, server, root = llm.judge, llm.server, llm.root
    cmd = nl_run(root, server, "chain", "chain.jsonl")
    record = root / "chain.jsonl"

    arrived = j.gate("chain", 8)
    proc = start(cmd, root)
    wait_until(proc, arrived.is_set, "judge request 8")
    kill(proc)
    j.release.set()
    assert proc.returncode == -9
    killed = read_record(record)
    assert killed.torn is None
    assert len([d for d in killed.trace if d.kind == "judge"]) == 7
    assert type(killed.entries[-1]).__name__ == "MessageEntry"

    j.fail_from["chain"] = 8 + 4  # requests 9, 10, 11 answered; 12 on: 500
    failed = run(cmd, root)
    assert failed.returncode == 1, failed.stderr
    assert "Error: " in failed.stderr
    assert server.base_url in failed.stderr  # names the endpoint tried
    assert "sk-fake" not in failed.stderr + failed.stdout  # never the key
    assert "replayed" in failed.stderr
    down = read_record(record)
    assert down.torn is None
    assert down.end is None
    assert len([d for d in down.trace if d.kind == "judge"]) == 10
    assert failed.stdout == "".join(f"{m.name}: {m.content}\n" for m in down.messages)
    assert j.counts["chain"] == 12

    del j.fail_from["chain"]
    back = run(cmd, root)
    assert back.returncode == 0, back.stderr
    assert back.stdout == llm.base.stdout
    assert j.counts["chain"] == 12 + 5  # only the missing verdicts were asked
    assert same_chat(record, root / "base.jsonl")


def test_replay_of_an_llm_driven_chat_makes_zero_requests(llm: LLMChat) -> None:
    """fsmchat replay prints the identical transcript while the server sees no request."""
    sent = len(llm.server.requests)
    replayed = run(fsmchat("replay", "base.jsonl"), llm.root)
    assert replayed.returncode == 0, replayed.stderr
    assert len(llm.server.requests) == sent  # zero model calls
    assert replayed.stdout == llm.base.stdout
    assert "-- chat ended: terminate_when" in replayed.stderr
