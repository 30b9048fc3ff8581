"""AutoGen 0.2 conformance of tool and function calls.

Caller side: ``register_for_llm`` keeps ``llm_config["tools"]``/``["functions"]``
up to date; executor side: ``function_map``, ``execute_function`` and the
function/tool call replies produce AutoGen's message dicts.
"""

from __future__ import annotations

import asyncio
import json
from typing import Annotated, Any

import pytest

import fsmchat.autogen as autogen
from fsmchat import ChatResponse
from fsmchat.autogen import AssistantAgent, ConversableAgent, UserProxyAgent
from fsmchat.testing import ScriptedChatModel

LLM = {"config_list": [{"model": "gpt-4", "api_key": "sk-not-used"}]}


def executor(**kwargs: Any) -> UserProxyAgent:
    """A user proxy that runs functions and never asks a person."""
    return UserProxyAgent(
        "executor",
        human_input_mode="NEVER",
        code_execution_config=False,
        output=lambda t: None,
        **kwargs,
    )


def tool_call(name: str, arguments: str, call_id: str = "call_1") -> dict[str, Any]:
    """An OpenAI tool call."""
    return {
        "id": call_id,
        "type": "function",
        "function": {"name": name, "arguments": arguments},
    }


def test_execute_function_returns_a_function_message() -> None:
    """execute_function gives (success, {"name", "role": "function", "content"})."""
    proxy = executor(function_map={"add": lambda a, b: a + b})
    assert proxy.execute_function({"name": "add", "arguments": '{"a": 1, "b": 2}'}) == (
        True,
        {"name": "add", "role": "function", "content": "3"},
    )
    ok, missing = proxy.execute_function({"name": "nope", "arguments": "{}"})
    assert (ok, missing["content"]) == (False, "Error: Function nope not found.")
    ok, bad = proxy.execute_function({"name": "add", "arguments": "{not json"})
    assert not ok
    assert bad["content"].endswith("The argument must be in JSON format.")
    ok, raised = proxy.execute_function({"name": "add", "arguments": '{"a": 1}'})
    assert not ok
    assert raised["content"].startswith("Error: ")


def test_legacy_function_call_is_answered_with_a_function_message() -> None:
    """generate_function_call_reply runs function_map and replies role 'function'."""
    proxy = executor(function_map={"echo": lambda text: text})
    message = {
        "role": "assistant",
        "content": None,
        "function_call": {"name": "echo", "arguments": '{"text": "hi"}'},
    }
    assert proxy.generate_function_call_reply([message]) == (
        True,
        {"name": "echo", "role": "function", "content": "hi"},
    )
    assert proxy.generate_function_call_reply([{"content": "no call"}]) == (False, None)


def test_legacy_function_call_in_a_chat() -> None:
    """A function_call message from an agent is executed by the other and answered."""
    caller = ConversableAgent(
        "caller", llm_config=False, human_input_mode="NEVER", output=lambda t: None
    )
    proxy = executor(function_map={"double": lambda x: 2 * x})
    caller.send(
        {
            "content": None,
            "function_call": {"name": "double", "arguments": '{"x": 21}'},
        },
        proxy,
    )
    reply = proxy.generate_reply(sender=caller)
    assert reply == {"name": "double", "role": "function", "content": "42"}
    proxy.send(reply, caller)
    assert caller.chat_messages[proxy][-1] == {
        "content": "42",
        "name": "double",
        "role": "function",
    }


def test_tool_calls_are_answered_with_one_tool_message() -> None:
    """generate_tool_calls_reply answers every call with AutoGen's role-'tool' message."""
    proxy = executor(function_map={"add": lambda a, b: a + b})
    message = {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            tool_call("add", '{"a": 1, "b": 2}', "c1"),
            tool_call("add", '{"a": 3, "b": 4}', "c2"),
        ],
    }
    final, reply = proxy.generate_tool_calls_reply([message])
    assert final
    assert reply == {
        "role": "tool",
        "tool_responses": [
            {"tool_call_id": "c1", "role": "tool", "content": "3"},
            {"tool_call_id": "c2", "role": "tool", "content": "7"},
        ],
        "content": "3\n\n7",
    }


def test_register_for_llm_keeps_llm_config_tools_up_to_date() -> None:
    """register_for_llm adds a tool (api_style='tool') or a function ('function') to llm_config."""
    assistant = AssistantAgent("assistant", llm_config=dict(LLM))
    proxy = executor()

    @proxy.register_for_execution()
    @assistant.register_for_llm(description="Add two numbers.")
    def add(a: Annotated[int, "first"], b: int = 1) -> int:
        return a + b

    (tool,) = assistant.llm_config["tools"]
    assert tool["type"] == "function"
    assert tool["function"]["name"] == "add"
    assert tool["function"]["description"] == "Add two numbers."
    assert tool["function"]["parameters"]["properties"]["a"] == {
        "type": "integer",
        "description": "first",
    }
    assert tool["function"]["parameters"]["required"] == ["a"]
    assert "add" in proxy.function_map
    assert "tools" not in LLM  # the caller's dict is not changed

    @assistant.register_for_llm(
        name="sub", description="Subtract.", api_style="function"
    )
    def subtract(a: int, b: int) -> int:
        return a - b

    assert [f["name"] for f in assistant.llm_config["functions"]] == ["sub"]
    assistant.update_tool_signature("add", is_remove=True)
    assert "tools" not in assistant.llm_config


def test_register_for_llm_errors_are_autogens() -> None:
    """No description: ValueError; no llm_config: AssertionError; bad api_style: ValueError."""
    assistant = AssistantAgent("assistant", llm_config=dict(LLM))

    def f(x: int) -> int:
        return x

    with pytest.raises(ValueError, match="description is required"):
        assistant.register_for_llm()(f)
    with pytest.raises(ValueError, match="Unsupported API style"):
        assistant.register_for_llm(description="d", api_style="other")(f)  # type: ignore[arg-type]
    with pytest.raises(AssertionError, match="must have an llm_config"):
        AssistantAgent("bare", llm_config=False).register_for_llm(description="d")(f)
    with pytest.raises(ValueError, match="Invalid name"):
        assistant.register_for_llm(name="bad name", description="d")(f)
    with pytest.raises(ValueError, match="must be of the type dict"):
        assistant.update_function_signature("x", is_remove=False)

    def untyped(x):  # type: ignore[no-untyped-def]
        return x

    with pytest.raises(TypeError, match="must be annotated"):
        assistant.register_for_llm(description="d")(untyped)


def test_register_function_wires_caller_and_executor_through_a_chat() -> None:
    """register_function: the model sees the tool, the executor runs it, the result goes back."""
    model = ScriptedChatModel(
        [
            ChatResponse(content=None, tool_calls=[tool_call("convert", '{"km": 10}')]),
            "About 6.2 miles. TERMINATE",
        ]
    )
    assistant = AssistantAgent(
        "assistant", llm_config=dict(LLM), model=model, output=lambda t: None
    )
    proxy = executor(
        is_termination_msg=lambda m: "TERMINATE" in (m.get("content") or "")
    )

    def convert(km: float) -> dict[str, float]:
        return {"miles": round(km * 0.621371, 1)}

    autogen.register_function(
        convert, caller=assistant, executor=proxy, description="km to miles"
    )
    result = proxy.initiate_chat(assistant, message="10 km?")
    history = result.chat_history
    assert history[1]["tool_calls"][0]["function"]["name"] == "convert"
    assert history[2]["role"] == "tool"
    assert history[2]["tool_responses"] == [
        {"tool_call_id": "call_1", "role": "tool", "content": '{"miles": 6.2}'}
    ]
    assert [t["function"]["name"] for t in model.requests[0].tools] == ["convert"]
    sent = model.requests[1].messages
    assert {
        "role": "tool",
        "tool_call_id": "call_1",
        "content": '{"miles": 6.2}',
    } in sent


def test_async_tools_are_awaited_in_async_chats() -> None:
    """a_generate_tool_calls_reply awaits async functions."""

    async def slow_add(a: int, b: int) -> int:
        await asyncio.sleep(0)
        return a + b

    proxy = executor(function_map={"slow_add": slow_add})
    message = {
        "role": "assistant",
        "content": None,
        "tool_calls": [tool_call("slow_add", '{"a": 2, "b": 3}')],
    }
    final, reply = asyncio.run(proxy.a_generate_tool_calls_reply([message]))
    assert final
    assert reply is not None
    assert reply["content"] == "5"
    ok, result = asyncio.run(
        proxy.a_execute_function({"name": "slow_add", "arguments": '{"a": 1, "b": 1}'})
    )
    assert (ok, result["content"]) == (True, "2")


def test_function_names_are_checked_on_registration() -> None:
    """register_function rejects names OpenAI would refuse."""
    with pytest.raises(ValueError, match="Invalid name"):
        executor(function_map={"no spaces": print})
    proxy = executor(function_map={"f": print})
    proxy.register_function({"f": None})
    assert proxy.function_map == {}
    assert json.dumps(proxy.can_execute_function("f")) == "false"


def test_legacy_functions_travel_as_functions_and_function_call() -> None:
    """llm_config["functions"] goes out as ``functions``; the answer is stored as function_call/role function."""
    from fsmchat.testing import FakeOpenAIServer, completion

    schema = {
        "name": "add",
        "description": "Add two numbers.",
        "parameters": {
            "type": "object",
            "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
            "required": ["a", "b"],
        },
    }
    call = {"name": "add", "arguments": '{"a": 1, "b": 2}'}
    replies = [completion(None, function_call=call), completion("3 TERMINATE")]
    with FakeOpenAIServer(replies=replies) as server:
        assistant = AssistantAgent(
            "assistant",
            llm_config={
                "config_list": [server.config()],
                "cache_seed": None,
                "functions": [schema],
            },
        )
        proxy = executor(
            function_map={"add": lambda a, b: a + b},
            is_termination_msg=lambda m: (m.get("content") or "").endswith("TERMINATE"),
        )
        try:
            result = proxy.initiate_chat(assistant, message="1+2?", silent=True)
        finally:
            assistant.close()
        first, second = server.requests
    # AutoGen 0.2.40 sends the legacy parameter, never ``tools``.
    assert first["functions"] == [schema]
    assert "tools" not in first
    stored_call = {"content": None, "function_call": call, "role": "assistant"}
    function_reply = {"content": "3", "name": "add", "role": "function"}
    assert result.chat_history == [
        {"content": "1+2?", "role": "assistant", "name": "executor"},
        stored_call,
        function_reply,
        {"content": "3 TERMINATE", "role": "user", "name": "assistant"},
    ]
    # The call's keys in the OpenAI SDK's order, as AutoGen stores it.
    assert list(result.chat_history[1]["function_call"]) == ["arguments", "name"]
    assert second["messages"][-2:] == [stored_call, function_reply]
