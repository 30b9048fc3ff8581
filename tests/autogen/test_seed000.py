"""The seed-000 scenario offline: an assistant writes Python, the user proxy runs it.

The assistant's replies are recorded in ``tests/data/seed000_*.json``; the code
in them is executed for real by the proxy's local code runner, and its real
output goes back to the assistant.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from fsmchat.agents import AssistantAgent, UserProxyAgent
from fsmchat.testing import ScriptedChatModel, ScriptedHuman

DATA = Path(__file__).resolve().parents[1] / "data"

PROBLEM = (
    "Find a + b + c, given that x + y != -1 and\n"
    "    a*x + b*y + c = x + 7,\n"
    "    a + b*x + c*y = 2*x + 6*y,\n"
    "    a*y + b + c*x = 4*x + y."
)

EXPECTED_SUMS = ["a+b+c=7"] * 4


def why_ended(result: Any) -> str:
    """The chat's ending, reason and detail together (robust to which holds the text)."""
    return f"{result.finished.reason} {result.finished.detail}"


def run_seed(script: str, lines: list[str], tmp_path: Path) -> SimpleNamespace:
    model = ScriptedChatModel.from_file(str(DATA / script))
    human = ScriptedHuman(lines)
    assistant = AssistantAgent("assistant", model=model)
    user_proxy = UserProxyAgent(
        "user_proxy",
        human_input_mode="ALWAYS",
        is_termination_msg=lambda x: (
            x.get("content", "").rstrip().endswith("TERMINATE")
        ),
        code_execution_config={"use_docker": False, "timeout": 60},
        human=human,
    )
    result = user_proxy.initiate_chat(assistant, message=PROBLEM, silent=True)
    saved = tmp_path / "conversations.json"
    with saved.open("w", encoding="utf-8") as f:
        json.dump(user_proxy.chat_messages[assistant], f, indent=2)
    return SimpleNamespace(
        proxy=user_proxy,
        assistant=assistant,
        model=model,
        human=human,
        result=result,
        saved=json.loads(saved.read_text(encoding="utf-8")),
    )


def assert_autogen_shape(conversation: list[dict[str, Any]], n: int) -> None:
    assert len(conversation) == n
    for i, message in enumerate(conversation):
        assert list(message) == ["content", "role", "name"]
        assert isinstance(message["content"], str)
        mine = i % 2 == 0  # the proxy's own messages: the task and the code results
        assert message["role"] == ("assistant" if mine else "user")
        assert message["name"] == ("user_proxy" if mine else "assistant")


def test_solve_script_runs_the_code_and_ends_on_terminate(tmp_path: Path) -> None:
    """The assistant's code is run for real, prints a+b+c=7, and TERMINATE ends the chat."""
    run = run_seed("seed000_solve.json", ["", ""], tmp_path)
    assert_autogen_shape(run.saved, 4)
    assert run.saved == run.proxy.chat_messages[run.assistant]
    assert run.saved[0]["content"] == PROBLEM
    output = run.saved[2]["content"]
    assert output.startswith("exitcode: 0 (execution succeeded)\nCode output: \n")
    assert [ln.rsplit(" ", 1)[-1] for ln in output.splitlines()[2:]] == EXPECTED_SUMS
    assert run.saved[3]["content"].rstrip().endswith("TERMINATE")
    # the real output was what the model saw next
    assert run.model.requests[1].messages[-1]["content"] == output
    assert len(run.human.prompts) == 2
    assert "typed" not in why_ended(run.result)
    assert run.result.summary.rstrip().endswith(
        "a + b + c = 7."
    )  # AutoGen keeps the newlines


def test_fix_script_sees_the_error_and_repairs_the_code(tmp_path: Path) -> None:
    """The first program fails with NameError; the assistant reads it and fixes it."""
    run = run_seed("seed000_fix.json", ["", "", ""], tmp_path)
    assert_autogen_shape(run.saved, 6)
    failure = run.saved[2]["content"]
    assert failure.startswith("exitcode: 1 (execution failed)")
    assert "NameError: name 'Fraction' is not defined" in failure
    assert run.model.requests[1].messages[-1]["content"] == failure
    success = run.saved[4]["content"]
    assert success.startswith("exitcode: 0 (execution succeeded)")
    assert [ln.rsplit(" ", 1)[-1] for ln in success.splitlines()[2:]] == EXPECTED_SUMS
    assert run.saved[5]["content"].rstrip().endswith("TERMINATE")
    assert run.assistant.chat_messages[run.proxy][5]["role"] == "assistant"


def test_human_feedback_mid_chat_reaches_the_assistant(tmp_path: Path) -> None:
    """Typed feedback replaces the code run and is what the assistant sees next."""
    run = run_seed(
        "seed000_solve.json", ["use exact fractions please", "exit"], tmp_path
    )
    assert run.saved[2]["content"] == "use exact fractions please"
    assert run.model.requests[1].messages[-1]["content"] == "use exact fractions please"
    assert "ended the chat" in why_ended(run.result)
    assert len(run.saved) == 4


@pytest.mark.parametrize("script", ["seed000_solve.json", "seed000_fix.json"])
def test_scripts_are_lists_of_strings(script: str) -> None:
    """The recorded replies load as a JSON list of strings."""
    data = json.loads((DATA / script).read_text(encoding="utf-8"))
    assert isinstance(data, list)
    assert all(isinstance(x, str) for x in data)
