"""Whole AutoGen 0.2 programs, unmodified but for the import line, run end to end.

The programs in ``tests/data/autogen_programs/`` were written from AutoGen's
documentation (tool use, resuming a group chat, sequential chats, nested
chats, the async API, agents without a model). Their model calls reach a real
OpenAI-compatible server on 127.0.0.1 (:class:`FakeOpenAIServer`) through the
``OAI_CONFIG_LIST`` file the programs read; :func:`world` answers like a
cooperative model would.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from fsmchat.autogen import ConversableAgent
from fsmchat.testing import FakeOpenAIServer, completion

PROGRAMS = Path(__file__).resolve().parents[1] / "data" / "autogen_programs"
SUMMARY_PROMPT = ConversableAgent.DEFAULT_SUMMARY_PROMPT


def _call(call_id: str, name: str, **arguments: Any) -> dict[str, Any]:
    return {
        "id": call_id,
        "type": "function",
        "function": {"name": name, "arguments": json.dumps(arguments)},
    }


def _pick_speaker(body: dict[str, Any]) -> dict[str, Any]:
    """Speaker choice (AutoGen's request): the Coder after the question, the Reviewer after the tool result."""
    messages = body["messages"]
    listed = re.findall(r"\[((?:'[^']*'(?:, )?)+)\]", str(messages[-1]["content"]))
    names = [n.strip("'") for n in listed[-1].split(", ")]
    said = [m for m in messages[1:-1] if m.get("role") != "tool"]
    last = str(said[-1].get("name", "")) if said else ""
    tool_result = messages[-2].get("role") == "tool" and "It is sunny" in str(
        messages[-2].get("content")
    )
    want = "Reviewer" if tool_result else {"Coder": "User"}.get(last, "Coder")
    return completion(want if want in names else names[0])


def world(body: dict[str, Any]) -> dict[str, Any]:
    """A cooperative model for the programs (see the module docstring)."""
    if body["messages"][-1].get("name") == "checking_agent":
        return _pick_speaker(body)
    messages = body["messages"]
    system = str(messages[0].get("content") or "")
    last = messages[-1]
    content = str(last.get("content") or "")
    tools = [t["function"]["name"] for t in body.get("tools") or []]
    if last["role"] == "system" and content == SUMMARY_PROMPT:
        return completion("SUMMARY: the stocks moved on earnings.")
    if "calculator" in tools:
        if last["role"] == "tool":
            return completion("(1423 - 123) / 3 + (32 + 23) * 5 = 708. TERMINATE")
        return completion(
            None,
            tool_calls=[
                _call("c1", "calculator", a=1423, b=123, operator="-"),
                _call("c2", "digits", number=1300),
            ],
        )
    if "weather" in tools:
        if last["role"] == "tool":
            return completion("I fetched the weather for you.")
        return completion(None, tool_calls=[_call("w1", "weather", city="Paris")])
    for role in ("Planner", "Engineer", "Critic"):
        if system.startswith(role + "."):
            return completion(f"{role} note {len(messages)}")
    if "professional writer" in system:
        return completion(
            f"Blogpost draft {len(messages)}. TERMINATE"
            if "TERMINATE" in system
            else f"Blogpost draft {len(messages)}"
        )
    if "You are a critic" in system:
        return completion("Critique: add a title.")
    return completion(f"Answer to: {content[:40]}. TERMINATE")


@pytest.fixture
def program_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory for a program; OpenAI variables isolated."""
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OAI_CONFIG_LIST"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run_program(name: str, server: FakeOpenAIServer, where: Path) -> dict[str, Any]:
    """Run a program in this process, its OAI_CONFIG_LIST pointing at ``server``; return its globals."""
    config = [
        {
            "model": "gpt-4o",
            "api_key": "sk-test-not-a-real-key",
            "base_url": server.base_url,
        }
    ]
    (where / "OAI_CONFIG_LIST").write_text(json.dumps(config))
    path = PROGRAMS / name
    ns: dict[str, Any] = {"__name__": "__main__", "__file__": str(path)}
    try:
        exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), ns)
    finally:
        for value in ns.values():
            if isinstance(value, ConversableAgent):
                value.close()
    assert server.handler_errors == []
    return ns


def test_tools_program(program_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Tool use: two tool calls executed by the user proxy, answered, then TERMINATE."""
    with FakeOpenAIServer(world) as server:
        ns = run_program("tools_calculator.py", server, program_dir)
    history = ns["chat_result"].chat_history
    assert history[2]["tool_responses"] == [
        {"tool_call_id": "c1", "role": "tool", "content": "1300"},
        {"tool_call_id": "c2", "role": "tool", "content": "1300 has 4 digits"},
    ]
    assert ns["chat_result"].summary == "(1423 - 123) / 3 + (32 + 23) * 5 = 708. "
    sent_tools = [t["function"]["name"] for t in server.requests[0]["tools"]]
    assert sent_tools == ["calculator", "digits"]
    out = capsys.readouterr().out
    assert "***** Suggested tool call (c1): calculator *****" in out
    assert ">>>>>>>> EXECUTING FUNCTION calculator..." in out
    assert "Tools: ['calculator', 'digits']" in out


def test_groupchat_resume_program(
    program_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Resuming: the saved 5 messages are loaded and the chat continues in round-robin order."""
    with FakeOpenAIServer(world) as server:
        ns = run_program("groupchat_resume.py", server, program_dir)
    first = [m["name"] for m in ns["groupchat"].messages]
    assert first == ["Admin", "Planner", "Engineer", "Critic", "Admin"]
    resumed = [m["name"] for m in ns["new_groupchat"].messages]
    assert resumed == [
        "Admin",
        "Planner",
        "Engineer",
        "Critic",
        "Admin",
        "Planner",
        "Engineer",
    ]
    assert ns["last_agent"] is ns["user_proxy"]
    assert (
        "Prepared group chat with 5 messages, the last speaker is Admin"
        in capsys.readouterr().out
    )


def test_sequential_chats_program(program_dir: Path) -> None:
    """initiate_chats: summaries by last_msg and reflection_with_llm, carried over to the writer."""
    with FakeOpenAIServer(world) as server:
        ns = run_program("sequential_chats.py", server, program_dir)
    results = ns["chat_results"]
    assert results[0].summary == "Answer to: What are the current stock prices of NVD. "
    assert results[1].summary == "SUMMARY: the stocks moved on earnings."
    first_to_writer = ns["writer"].chat_messages[ns["user"]][0]["content"]
    assert first_to_writer.startswith(
        "Develop an engaging blog post using any information provided.\nContext: \n"
    )
    assert "I want to include a figure" in first_to_writer
    assert "SUMMARY: the stocks moved on earnings." in first_to_writer
    assert results[2].summary.startswith("Blogpost draft")


def test_nested_chats_program(
    program_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Nested chats: the critic's review (its own chat) is the user's reply to the writer."""
    with FakeOpenAIServer(world) as server:
        ns = run_program("nested_chats.py", server, program_dir)
    history = ns["res"].chat_history
    assert [m["name"] for m in history] == ["User", "Writer", "User", "Writer"]
    assert history[2]["content"] == "Critique: add a title."
    critic_saw = ns["critic"].chat_messages[ns["user_proxy"]][0]["content"]
    assert critic_saw.startswith(
        "Reflect and provide critique on the following writing."
    )
    assert "Reflecting..." in capsys.readouterr().out


def test_async_groupchat_program(program_dir: Path) -> None:
    """Async group chat: model-picked speakers, an async tool run by its executor, TERMINATE."""
    with FakeOpenAIServer(world) as server:
        ns = run_program("async_groupchat.py", server, program_dir)
    said = [(m["name"], m["content"]) for m in ns["groupchat"].messages]
    assert [n for n, _ in said] == ["User", "Coder", "User", "Reviewer"]
    assert said[2][1] == "It is sunny in Paris."
    assert said[3][1].endswith("TERMINATE")
    assert ns["manager"].group_result.finished.reason == "terminate_when"


def test_program_without_a_model_and_a_person_at_stdin(tmp_path: Path) -> None:
    """No model anywhere: a person types at input(); custom selection and 'auto' fallback."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI", "OAI_"))}
    proc = subprocess.run(
        [sys.executable, str(PROGRAMS / "human_no_model.py")],
        cwd=tmp_path,
        env=env,
        input="thanks\nexit\n\n",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "HUMAN INPUT: ['thanks', 'exit']" in proc.stdout
    transcript = proc.stdout.split("TRANSCRIPT: ")[1]
    assert transcript.startswith(
        "[('Human', 'Count from 0'), ('Alice', 'Alice says 1'), ('Bob', 'Bob says 2'), ('Carol', 'Carol says 3'), ('Human', 'go on')"
    )
    # after Carol the function answers "auto"; with no model that is the next agent in order
    assert transcript.rstrip().endswith(
        "('Human', 'go on'), ('Alice', 'Alice says 1')]"
    )
