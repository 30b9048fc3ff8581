"""Chats as workflows on a real Temporal dev server, with in-process workers."""

from __future__ import annotations

import asyncio
import base64
import json
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import WorkflowFailureError, WorkflowHistory
from temporalio.exceptions import ApplicationError
from temporalio.runtime import Runtime
from temporalio.worker import Replayer

from fsmchat import load_spec, run_chat
from fsmchat._core.errors import FsmchatError
from fsmchat._run.llm import LLMResponder, LLMSelector
from fsmchat.adapters._config import make_chat_model
from fsmchat.temporal import (
    ChatWorkflow,
    answer_chat,
    chat_input,
    chat_result,
    chat_state,
    start_chat,
    workflow_runner,
)
from fsmchat.testing._fakeserver import FakeOpenAIServer, FakeResponse
from tests.helpers import COUNTING_TRANSCRIPT, judge_counting, pairs
from tests.temporal.conftest import SPECS, client_for, serving

HISTORY = (
    Path(__file__).resolve().parents[1]
    / "data"
    / "temporal"
    / "counting_nl.history.json"
)


def queue() -> str:
    return f"q-{uuid.uuid4().hex[:8]}"


async def wait_waiting(handle: Any) -> dict[str, Any]:
    """Poll the chat until it waits for a person."""
    for _ in range(200):
        try:
            state = await chat_state(handle)
        except Exception:
            state = None
        if state is not None and state["waiting"] is not None:
            return state
        await asyncio.sleep(0.1)
    raise AssertionError("the chat never waited for a person")


@pytest.mark.parametrize("name", ["counting", "counting_nl"])
def test_workflow_gives_the_transcript_of_run_chat(
    name: str, temporal_target: str, runtime: Runtime
) -> None:
    """A chat run as a workflow has run_chat's transcript and routing decisions."""
    spec_path = SPECS / f"{name}.yaml"
    with FakeOpenAIServer(judge_counting) as server:
        config = [server.config(model="judge", max_retries=0)]
        llm = {"config_list": config, "cache_seed": None}
        with make_chat_model(llm) as model:  # type: ignore[attr-defined]
            local = run_chat(
                load_spec(spec_path),
                selector=LLMSelector(model),
                llm=LLMResponder(model),
            )
        local_requests = len(server.requests)

        async def remote() -> dict[str, Any]:
            client = await client_for(temporal_target, runtime)
            q = queue()
            async with serving(client, q, config_list=config):
                chat = chat_input(spec_path, llm={"cache_seed": None})
                handle = await start_chat(client, chat, task_queue=q)
                out: dict[str, Any] = await handle.result()
                return out

        state = asyncio.run(remote())
        assert len(server.requests) == 2 * local_requests
    result = chat_result(state)
    assert pairs(result) == COUNTING_TRANSCRIPT
    assert result.messages == local.messages
    assert [(d.source, d.target, d.reason, d.kind) for d in result.trace] == [
        (d.source, d.target, d.reason, d.kind) for d in local.trace
    ]
    assert result.finished == local.finished
    assert local_requests == (15 if name == "counting_nl" else 0)


def test_human_turn_is_answered_by_an_update_after_the_worker_restarted(
    temporal_target: str, runtime: Runtime
) -> None:
    """A chat waits for a person with no worker; an update answers it on a new worker."""

    async def scenario() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        client = await client_for(temporal_target, runtime)
        q = queue()
        async with serving(client, q):
            handle = await start_chat(
                client, chat_input(SPECS / "human_math.yaml"), task_queue=q
            )
            before = await wait_waiting(handle)
        # No worker runs now; a new one starts (an empty cache: it replays the history).
        async with serving(client, q):
            first = await answer_chat(handle, "(1 + 2) * 3")
            last = await answer_chat(handle, "exit")
            await handle.result()
        return before, first, last

    before, first, last = asyncio.run(scenario())
    assert before["waiting"]["agent"] == "You"
    assert len(before["messages"]) == 1
    assert [(m["name"], m["content"]) for m in first["new_messages"]] == [
        ("You", "(1 + 2) * 3"),
        ("Calculator", "(1 + 2) * 3 = 9"),
    ]
    assert first["waiting"]["agent"] == "You"
    assert last["finished"]["reason"] == "stopped"
    assert last["finished"]["detail"] == "You typed exit"


def test_answer_is_refused_when_the_chat_waits_for_nobody(
    temporal_target: str, runtime: Runtime
) -> None:
    """An answer to a chat that does not wait for a person is refused, saying why."""

    async def scenario() -> None:
        client = await client_for(temporal_target, runtime)
        q = queue()
        async with serving(client, q):
            handle = await start_chat(
                client, chat_input(SPECS / "counting.yaml"), task_queue=q
            )
            with pytest.raises(
                FsmchatError,
                match=r"never waits for a person|workflow execution already completed",
            ):
                await answer_chat(handle, "hello")
            await handle.result()

    asyncio.run(scenario())


def test_worker_without_allow_refuses_the_spec_and_imports_nothing(
    temporal_target: str, runtime: Runtime, tmp_path: Path
) -> None:
    """A spec naming code outside the worker's allow-list fails clearly; nothing is imported."""
    spec = tmp_path / "shout.yaml"
    text = (SPECS / "human_math.yaml").read_text()
    spec.write_text(
        text.replace(
            "fsmchat.examples.calculator:calculate", "tests.temporal.guarded_code:shout"
        )
    )
    sys.modules.pop("tests.temporal.guarded_code", None)

    async def refused() -> WorkflowFailureError:
        client = await client_for(temporal_target, runtime)
        q = queue()
        async with serving(client, q):
            handle = await start_chat(client, chat_input(spec), task_queue=q)
            with pytest.raises(WorkflowFailureError) as info:
                await handle.result()
            return info.value

    error = asyncio.run(refused())
    assert isinstance(error.cause, ApplicationError)
    assert error.cause.type == "UnallowedCode"
    assert "tests.temporal.guarded_code:shout" in error.cause.message
    assert "nothing was imported" in error.cause.message
    assert "tests.temporal.guarded_code" not in sys.modules

    async def allowed() -> dict[str, Any]:
        client = await client_for(temporal_target, runtime)
        q = queue()
        async with serving(client, q, allow=["tests.temporal"]):
            handle = await start_chat(client, chat_input(spec), task_queue=q)
            await wait_waiting(handle)
            await answer_chat(handle, "hi")
            return await answer_chat(handle, "exit")

    state = asyncio.run(allowed())
    assert [m["content"] for m in state["messages"][1:3]] == ["hi", "HI"]


def _replayer() -> Replayer:
    return Replayer(workflows=[ChatWorkflow], workflow_runner=workflow_runner())


def test_recorded_history_replays_with_the_current_code() -> None:
    """A history recorded from a counting_nl chat replays without non-determinism."""
    history = WorkflowHistory.from_json("counting-nl", HISTORY.read_text())
    result = asyncio.run(_replayer().replay_workflow(history))
    assert result.replay_failure is None


def test_replay_notices_a_history_the_code_would_not_make() -> None:
    """The replayer test can fail: a history whose spec changed under it is refused."""
    data = json.loads(HISTORY.read_text())
    started = data["events"][0]["workflowExecutionStartedEventAttributes"]
    payload = started["input"]["payloads"][0]
    chat = json.loads(base64.b64decode(payload["data"]))
    chat["max_round"] = 5  # the recorded chat ran past round 5
    payload["data"] = base64.b64encode(json.dumps(chat).encode()).decode()
    history = WorkflowHistory.from_json("counting-nl", json.dumps(data))
    with pytest.raises(Exception, match=r"[Nn]ondetermin"):
        asyncio.run(_replayer().replay_workflow(history))


def test_a_fresh_history_with_human_turns_replays(
    temporal_target: str, runtime: Runtime
) -> None:
    """A chat with updates, model calls and functions replays from its own history."""

    async def scenario() -> None:
        client = await client_for(temporal_target, runtime)
        q = queue()
        async with serving(client, q):
            handle = await start_chat(
                client, chat_input(SPECS / "human_math.yaml"), task_queue=q
            )
            await wait_waiting(handle)
            await answer_chat(handle, "2 * 21")
            await answer_chat(handle, "exit")
            await handle.result()
        history = await handle.fetch_history()
        await _replayer().replay_workflow(history)

    asyncio.run(scenario())


def test_a_failing_endpoint_fails_the_chat_once_the_adapter_gave_up(
    temporal_target: str, runtime: Runtime
) -> None:
    """An endpoint that keeps failing ends the chat with LLMError (not retried forever)."""
    with FakeOpenAIServer(lambda body: FakeResponse.error(500, "down")) as server:
        config = [server.config(model="judge")]

        async def scenario() -> WorkflowFailureError:
            client = await client_for(temporal_target, runtime)
            q = queue()
            async with serving(client, q, config_list=config):
                chat = chat_input(
                    SPECS / "counting_nl.yaml",
                    llm={"cache_seed": None, "max_retries": 1},
                )
                handle = await start_chat(client, chat, task_queue=q)
                with pytest.raises(WorkflowFailureError) as info:
                    await handle.result()
                return info.value

        error = asyncio.run(scenario())
        assert len(server.requests) == 2  # the adapter's first try and its one retry
    assert isinstance(error.cause, ApplicationError)
    assert error.cause.type == "LLMError"


def test_starting_a_running_id_attaches_to_it(
    temporal_target: str, runtime: Runtime
) -> None:
    """A second start with the id of a running chat attaches: one chat, one run."""

    async def scenario() -> tuple[Any, Any, Any, dict[str, Any]]:
        client = await client_for(temporal_target, runtime)
        q = queue()
        chat_id = f"attach-{uuid.uuid4().hex[:8]}"
        async with serving(client, q):
            chat = chat_input(SPECS / "human_math.yaml")
            first = await start_chat(client, chat, task_queue=q, id=chat_id)
            await wait_waiting(first)
            second = await start_chat(client, chat, task_queue=q, id=chat_id)
            state = await answer_chat(second, "exit")
            latest = await client.get_workflow_handle(chat_id).describe()
            return first.result_run_id, second.result_run_id, latest.run_id, state

    first, second, latest, state = asyncio.run(scenario())
    assert first == second == latest
    assert state["finished"]["reason"] == "stopped"
