"""A worker process SIGKILLed in the middle of 20 chats: a second worker finishes them all."""

from __future__ import annotations

import asyncio
import json
import signal
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

from temporalio.runtime import Runtime

from fsmchat.temporal import chat_input, chat_result, start_chat
from fsmchat.testing._fakeserver import FakeOpenAIServer, FakeResponse
from tests.helpers import COUNTING_TRANSCRIPT, judge_counting, pairs
from tests.temporal.conftest import (
    SPECS,
    client_for,
    start_worker,
    stop_process,
    write_config,
)

CHATS = 20
#: Seconds without a heartbeat after which a call counts as lost.
HEARTBEAT = 5.0
#: Judge calls of one counting_nl chat.
CALLS = 15


class Judge:
    """Judges counting correctly after 50 ms; keeps every (model, prompt) it was asked."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, str]] = []

    def __call__(self, body: dict[str, Any]) -> FakeResponse:
        self.asked.append((body["model"], body["messages"][-1]["content"]))
        return FakeResponse(200, judge_counting(body), delay=0.05)


def test_killed_worker_loses_no_chat_and_repeats_no_finished_call(
    temporal_target: str, runtime: Runtime, tmp_path: Path
) -> None:
    """After SIGKILL, every chat ends as it should; only calls in flight were asked again."""
    judge = Judge()
    queue = f"crash-{uuid.uuid4().hex[:8]}"
    log = tmp_path / "workers.log"
    models = [f"chat-{i}" for i in range(CHATS)]
    with FakeOpenAIServer(judge) as server:
        config = write_config(tmp_path / "config.json", server.base_url, models)
        first = start_worker(temporal_target, queue, log, "--config", config)
        second = None
        try:

            async def scenario() -> tuple[list[dict[str, Any]], int]:
                nonlocal second
                client = await client_for(temporal_target, runtime)
                handles = [
                    await start_chat(
                        client,
                        chat_input(
                            SPECS / "counting_nl.yaml",
                            llm={"model": m, "cache_seed": None},
                            heartbeat=HEARTBEAT,
                        ),
                        task_queue=queue,
                    )
                    for m in models
                ]
                deadline = time.monotonic() + 120
                while len(judge.asked) < CHATS * CALLS // 3:
                    assert time.monotonic() < deadline, log.read_text()
                    await asyncio.sleep(0.05)
                first.send_signal(signal.SIGKILL)
                first.wait(30)
                before = len(judge.asked)
                second = start_worker(temporal_target, queue, log, "--config", config)
                states = await asyncio.wait_for(
                    asyncio.gather(*(h.result() for h in handles)), 240
                )
                histories = [await h.fetch_history() for h in handles]
                return list(states), before, histories

            states, before, histories = asyncio.run(scenario())
        finally:
            stop_process(first)
            if second is not None:
                stop_process(second)
        assert not server.handler_errors
    assert 0 < before < CHATS * CALLS, (
        "the worker was killed in the middle of the chats"
    )
    for state in states:
        assert pairs(chat_result(state)) == COUNTING_TRANSCRIPT
    asked = Counter(judge.asked)
    attempts = retried_calls(histories)
    for key, n in asked.items():
        assert n <= attempts.get(key, 1), f"a finished call was asked again: {key}"
    assert len(asked) == CHATS * CALLS
    assert len(judge.asked) <= CHATS * CALLS + sum(n - 1 for n in attempts.values())
    assert len(judge.asked) > before, "the second worker finished the chats"


def retried_calls(histories: list[Any]) -> dict[tuple[str, str], int]:
    """(model, prompt) -> attempts, for each model call a history shows was tried again.

    Temporal writes an activity's started event once, with the attempt that
    ended it: an attempt above 1 means earlier attempts never finished (their
    worker died, or missed its heartbeat), so their request may be repeated.
    """
    out: dict[tuple[str, str], int] = {}
    for history in histories:
        scheduled: dict[int, tuple[str, str]] = {}
        for event in history.events:
            if event.HasField("activity_task_scheduled_event_attributes"):
                attrs = event.activity_task_scheduled_event_attributes
                arg = json.loads(attrs.input.payloads[0].data)
                if "request" in arg:
                    prompt = arg["request"]["messages"][-1]["content"]
                    scheduled[event.event_id] = (arg["llm"]["model"], prompt)
            elif event.HasField("activity_task_started_event_attributes"):
                attrs = event.activity_task_started_event_attributes
                key = scheduled.get(attrs.scheduled_event_id)
                if key is not None and attrs.attempt > 1:
                    out[key] = attrs.attempt
    return out
