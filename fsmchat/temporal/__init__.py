"""Chats as Temporal workflows: durable across crashes, spread over many workers.

A chat is one workflow whose engine runs inside it; every port call (an LLM
agent's reply, a selector's choice, a judge's verdicts, a function agent's
reply) is an activity with the chat's timeout and retry policy, and a human's
turn is an ``answer`` update the workflow waits for with no worker busy.
Needs the ``temporal`` extra: ``pip install 'fsmchat[temporal]'``.

    client = await connect("127.0.0.1:7233")
    async with make_worker(client, task_queue="chats")[0]:
        handle = await start_chat(client, chat_input("specs/counting.yaml"),
                                  task_queue="chats")
        result = chat_result(await handle.result())
"""

from __future__ import annotations

from fsmchat.temporal._client import (
    answer_chat,
    chat_input,
    chat_input_of,
    chat_result,
    chat_state,
    connect,
    export_record,
    is_closed,
    start_chat,
)
from fsmchat.temporal._data import ChatInput
from fsmchat.temporal._worker import make_worker, run_worker, workflow_runner
from fsmchat.temporal._workflow import ChatWorkflow

__all__ = [
    "ChatInput",
    "ChatWorkflow",
    "answer_chat",
    "chat_input",
    "chat_input_of",
    "chat_result",
    "chat_state",
    "connect",
    "export_record",
    "is_closed",
    "make_worker",
    "run_worker",
    "start_chat",
    "workflow_runner",
]
