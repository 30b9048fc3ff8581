"""AutoGen 0.2 conformance of printed text, code-execution replies and errors; the Cache."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import fsmchat.autogen as autogen
from fsmchat import ChatResponse
from fsmchat._run.ports import CodeResult
from fsmchat.autogen import ConversableAgent, UserProxyAgent
from fsmchat.testing import ScriptedChatModel, ScriptedCodeRunner

RULE = "-" * 80


def test_code_execution_reply_reads_as_autogens() -> None:
    """The code reply is 'exitcode: N (execution succeeded|failed)\\nCode output: \\n...'."""
    runner = ScriptedCodeRunner(
        [
            CodeResult(language="python", exit_code=0, output="42"),
            CodeResult(language="python", exit_code=1, output="Traceback: boom"),
        ]
    )
    proxy = UserProxyAgent(
        "proxy",
        human_input_mode="NEVER",
        code_execution_config={"executor": runner},
        output=lambda t: None,
    )
    code = {"role": "user", "content": "```python\nprint(42)\n```"}
    assert proxy.generate_code_execution_reply([code]) == (
        True,
        "exitcode: 0 (execution succeeded)\nCode output: \n42\n",
    )
    assert proxy.generate_code_execution_reply([code]) == (
        True,
        "exitcode: 1 (execution failed)\nCode output: \nTraceback: boom\n",
    )
    assert proxy.generate_code_execution_reply(
        [{"role": "user", "content": "no code"}]
    ) == (False, None)


def test_received_messages_print_as_autogens() -> None:
    """A received message prints 'sender (to receiver):', the content and an 80-dash rule."""
    out: list[str] = []
    a = ConversableAgent("alice", llm_config=False, output=lambda t: None)
    b = ConversableAgent("bob", llm_config=False, output=out.append)
    a.send("hello", b)
    call = {
        "id": "c1",
        "type": "function",
        "function": {"name": "f", "arguments": '{"x": 1}'},
    }
    a.send({"content": None, "tool_calls": [call]}, b)
    a.send(
        {
            "role": "tool",
            "content": "1",
            "tool_responses": [{"tool_call_id": "c1", "role": "tool", "content": "1"}],
        },
        b,
    )
    assert out[0] == f"alice (to bob):\n\nhello\n\n{RULE}"
    head = "***** Suggested tool call (c1): f *****"
    assert (
        out[1]
        == f'alice (to bob):\n\n{head}\nArguments: \n{{"x": 1}}\n{"*" * len(head)}\n\n{RULE}'
    )
    response = "***** Response from calling tool (c1) *****"
    # AutoGen 0.2.40 prints the header again before each tool response
    # (see tests/golden/autogen/nb_tutorial_tool_use.json)
    assert (
        out[2]
        == f"alice (to bob):\n\nalice (to bob):\n\n{response}\n1\n{'*' * len(response)}\n\n{RULE}"
    )


@pytest.mark.parametrize("message", [{}, {"role": "user"}, {"name": "x"}])
def test_an_invalid_message_raises_value_error(message: dict[str, Any]) -> None:
    """A message with neither content nor a call raises ValueError, as AutoGen's send does."""
    a = ConversableAgent("a", llm_config=False, output=lambda t: None)
    b = ConversableAgent("b", llm_config=False, output=lambda t: None)
    with pytest.raises(
        ValueError, match="Either content or function_call must be provided"
    ):
        a.send(message, b)
    with pytest.raises(ValueError, match="Received message"):
        b.receive(message, a)


def test_silent_sends_print_nothing() -> None:
    """silent=True mutes the receiver's printing; silent agents never print what they send."""
    out: list[str] = []
    quiet_sender = ConversableAgent(
        "q", llm_config=False, silent=True, output=lambda t: None
    )
    loud = ConversableAgent("loud", llm_config=False, output=lambda t: None)
    receiver = ConversableAgent("r", llm_config=False, output=out.append)
    loud.send("x", receiver, silent=True)
    quiet_sender.send("y", receiver)
    assert out == []


def test_cache_disk_answers_repeated_requests_from_sqlite(tmp_path: Path) -> None:
    """initiate_chat(cache=Cache.disk(...)): the second identical chat needs no model call."""
    model = ScriptedChatModel([ChatResponse(content="cached answer")])

    def run() -> str:
        bot = autogen.AssistantAgent("bot", model=model, output=lambda t: None)
        user = ConversableAgent(
            "user", llm_config=False, human_input_mode="NEVER", output=lambda t: None
        )
        with autogen.Cache.disk(cache_seed=7, cache_path_root=str(tmp_path)) as cache:
            result = user.initiate_chat(
                bot, message="same question", max_turns=1, cache=cache
            )
        return str(result.chat_history[-1]["content"])

    assert run() == "cached answer"
    assert run() == "cached answer"  # the scripted model has no second answer
    assert len(model.requests) == 1
    assert (tmp_path / "responses.sqlite3").exists()
    with pytest.raises(TypeError, match="SQLite"):
        autogen.Cache.redis()


def test_usage_is_gathered_as_autogen_reports_it() -> None:
    """gather_usage_summary sums each agent's model tokens per model (cost 0)."""
    from fsmchat import Usage

    model = ScriptedChatModel(
        [
            ChatResponse(
                content="a",
                usage=Usage(prompt_tokens=5, completion_tokens=2),
                model="gpt-4",
            )
        ]
    )
    bot = autogen.AssistantAgent("bot", model=model, output=lambda t: None)
    user = ConversableAgent(
        "user", llm_config=False, human_input_mode="NEVER", output=lambda t: None
    )
    result = user.initiate_chat(bot, message="q", max_turns=1)
    expected = {
        "cost": 0,
        "prompt_tokens": 5,
        "completion_tokens": 2,
        "total_tokens": 7,
    }
    assert result.cost["usage_including_cached_inference"] == {
        "total_cost": 0,
        "gpt-4": expected,
    }
    assert autogen.gather_usage_summary([bot, user]) == result.cost


def test_cache_get_and_set_keep_json_values_per_seed(tmp_path: Path) -> None:
    """Cache.get/set store values per cache_seed in SQLite; a missing key gives the default."""
    from fsmchat.autogen import Cache

    with Cache.disk(cache_seed=1, cache_path_root=str(tmp_path)) as cache:
        assert cache.get("k", "none") == "none"
        cache.set("k", {"answer": [1, 2]})
        assert cache.get("k") == {"answer": [1, 2]}
    other = Cache.disk(cache_seed=2, cache_path_root=str(tmp_path))
    assert other.get("k") is None
    again = Cache.disk(cache_seed=1, cache_path_root=str(tmp_path))
    assert again.get("k") == {"answer": [1, 2]}


def test_cache_set_refuses_values_that_are_not_json(tmp_path: Path) -> None:
    """A value JSON cannot hold is a TypeError (fsmchat never unpickles a cache file)."""
    from fsmchat.autogen import Cache

    cache = Cache.disk(cache_seed=1, cache_path_root=str(tmp_path))
    with pytest.raises(TypeError, match="JSON values only"):
        cache.set("k", object())
    assert cache.get("k") is None
