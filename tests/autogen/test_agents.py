"""AutoGen-style agents (fsmchat.agents): human input modes, limits, tools, chats."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Annotated, Any, Literal

import pytest

from fsmchat import ChatResponse, CodeRunError, InvalidArgument, Usage
from fsmchat._core.codeblocks import CodeBlock
from fsmchat.adapters._code import CodeResult, CodeRunner
from fsmchat.agents import (
    AssistantAgent,
    ConversableAgent,
    FunctionAgent,
    UserProxyAgent,
    register_function,
)
from fsmchat.testing import ScriptedChatModel, ScriptedHuman, ScriptExhausted
from tests.helpers import skip_if_docker_engine

CODE = "Run this:\n```python\nprint(6 * 7)\n```"


def why_ended(result: Any) -> str:
    """The chat's ending, reason and detail together (robust to which holds the text)."""
    return f"{result.finished.reason} {result.finished.detail}"


def ends_with_terminate(message: dict[str, Any]) -> bool:
    return str(message.get("content") or "").rstrip().endswith("TERMINATE")


def make_pair(
    replies: list[Any],
    lines: list[str],
    *,
    mode: str = "ALWAYS",
    **proxy_options: Any,
) -> tuple[UserProxyAgent, AssistantAgent, ScriptedChatModel, ScriptedHuman]:
    model = ScriptedChatModel(replies)
    human = ScriptedHuman(lines)
    assistant = AssistantAgent("assistant", model=model)
    proxy_options.setdefault("is_termination_msg", ends_with_terminate)
    proxy = UserProxyAgent(
        "user_proxy", human_input_mode=mode, human=human, **proxy_options
    )
    return proxy, assistant, model, human


def contents(agent: ConversableAgent, other: ConversableAgent) -> list[str]:
    return [str(m["content"]) for m in agent.chat_messages[other]]


# -- human_input_mode ---------------------------------------------------------


def test_always_enter_runs_the_code_and_enter_on_terminate_ends() -> None:
    """ALWAYS: Enter runs the received code; Enter on a termination message ends the chat."""
    proxy, assistant, _, human = make_pair([CODE, "It is 42. TERMINATE"], ["", ""])
    result = proxy.initiate_chat(assistant, message="What is 6*7?", silent=True)
    texts = contents(proxy, assistant)
    assert len(texts) == 4
    assert texts[2] == "exitcode: 0 (execution succeeded)\nCode output: \n42\n"
    assert len(human.prompts) == 2
    assert "Press enter to skip and use auto-reply" in human.prompts[0]
    assert "Replying as user_proxy" in human.prompts[1]
    assert result.summary == "It is 42. "
    assert result.human_input == ["", ""]


def test_always_typed_text_is_sent_as_feedback() -> None:
    """ALWAYS: typed text replaces the automatic reply; the code is not run."""
    proxy, assistant, model, _ = make_pair(
        [CODE, "Fine, done. TERMINATE"], ["please explain first", ""]
    )
    proxy.initiate_chat(assistant, message="What is 6*7?", silent=True)
    texts = contents(proxy, assistant)
    assert texts[2] == "please explain first"
    last_request = model.requests[-1].messages
    assert last_request[-1] == {
        "role": "user",
        "content": "please explain first",
        "name": "user_proxy",
    }


def test_always_exit_ends_the_chat_at_once() -> None:
    """ALWAYS: typing exit ends the chat without a further message."""
    proxy, assistant, model, _ = make_pair([CODE], ["exit"])
    result = proxy.initiate_chat(assistant, message="go", silent=True)
    assert len(contents(proxy, assistant)) == 2
    assert "ended the chat" in why_ended(result)
    assert len(model.requests) == 1


def test_always_feedback_on_terminate_continues_the_chat() -> None:
    """ALWAYS: text typed at a termination message keeps the chat going."""
    proxy, assistant, _, _ = make_pair(
        ["Done. TERMINATE", "Checked again. TERMINATE"], ["are you sure?", ""]
    )
    proxy.initiate_chat(assistant, message="task", silent=True)
    assert contents(proxy, assistant)[2] == "are you sure?"
    assert len(contents(proxy, assistant)) == 4


def test_terminate_mode_asks_only_at_a_termination_message() -> None:
    """TERMINATE: code runs without asking; the human is asked once, at TERMINATE."""
    proxy, assistant, _, human = make_pair(
        [CODE, CODE, "All done. TERMINATE"], [""], mode="TERMINATE"
    )
    proxy.initiate_chat(assistant, message="task", silent=True)
    assert len(human.prompts) == 1
    assert "Press enter or type" in human.prompts[0]
    assert len(contents(proxy, assistant)) == 6


def test_terminate_mode_asks_after_max_consecutive_auto_reply() -> None:
    """TERMINATE: after N automatic replies in a row the human is asked."""
    proxy, assistant, _, human = make_pair(
        [CODE, CODE, CODE], ["exit"], mode="TERMINATE", max_consecutive_auto_reply=2
    )
    result = proxy.initiate_chat(assistant, message="task", silent=True)
    assert len(human.prompts) == 1
    assert "Press enter to skip and use auto-reply" in human.prompts[0]
    # task, code, result, code, result, code -> asked -> exit
    assert len(contents(proxy, assistant)) == 6
    assert "ended the chat" in why_ended(result)


def test_never_mode_never_asks_and_stops_at_termination() -> None:
    """NEVER: no prompt at all; the termination message ends the chat."""
    proxy, assistant, _, human = make_pair([CODE, "42. TERMINATE"], [], mode="NEVER")
    result = proxy.initiate_chat(assistant, message="task", silent=True)
    assert human.prompts == []
    assert len(contents(proxy, assistant)) == 4
    assert "termination message" in why_ended(result)


def test_never_mode_stops_at_max_consecutive_auto_reply() -> None:
    """NEVER: the chat ends once the limit of automatic replies is reached."""
    proxy, assistant, _, human = make_pair(
        [CODE] * 5, [], mode="NEVER", max_consecutive_auto_reply=3
    )
    result = proxy.initiate_chat(assistant, message="task", silent=True)
    assert human.prompts == []
    # task + 3 x (code, result) + the 4th code, then the limit ends it
    assert len(contents(proxy, assistant)) == 8
    assert "max_consecutive_auto_reply=3" in why_ended(result)


def test_zero_auto_replies_sends_the_human_text_even_when_empty() -> None:
    """max_consecutive_auto_reply=0 with ALWAYS: Enter sends an empty reply, no code runs."""
    proxy, assistant, _, _ = make_pair(
        [CODE, "ok TERMINATE"], ["", ""], max_consecutive_auto_reply=0
    )
    proxy.initiate_chat(assistant, message="task", silent=True)
    assert contents(proxy, assistant)[2] == ""


def test_default_auto_reply_when_there_is_no_code() -> None:
    """With nothing to run and no model, the default_auto_reply is sent."""
    proxy, assistant, _, _ = make_pair(
        ["Just words, no code.", "TERMINATE"],
        [],
        mode="NEVER",
        default_auto_reply="Please continue.",
    )
    proxy.initiate_chat(assistant, message="task", silent=True)
    assert contents(proxy, assistant)[2] == "Please continue."


def test_is_termination_msg_is_the_receivers_rule() -> None:
    """A custom is_termination_msg (content contains DONE) ends the chat for its agent."""
    proxy, assistant, _, _ = make_pair(
        ["step one", "we are DONE here"],
        [],
        mode="NEVER",
        is_termination_msg=lambda m: "DONE" in (m.get("content") or ""),
        default_auto_reply="next",
    )
    result = proxy.initiate_chat(assistant, message="task", silent=True)
    assert contents(proxy, assistant) == [
        "task",
        "step one",
        "next",
        "we are DONE here",
    ]
    assert result.summary == "we are DONE here"


def test_default_termination_is_exactly_terminate() -> None:
    """Without is_termination_msg only a message that is exactly TERMINATE ends the chat."""
    proxy, assistant, _, _ = make_pair(
        ["the word TERMINATE inside", " TERMINATE "],
        [],
        mode="NEVER",
        is_termination_msg=None,
        default_auto_reply="go on",
    )
    proxy.initiate_chat(assistant, message="task", silent=True)
    assert len(contents(proxy, assistant)) == 4


def test_max_turns_bounds_the_exchange() -> None:
    """max_turns=2 is two round trips: four messages."""
    proxy, assistant, _, _ = make_pair(
        ["a", "b", "c"], [], mode="NEVER", default_auto_reply="more"
    )
    result = proxy.initiate_chat(assistant, message="task", max_turns=2, silent=True)
    assert contents(proxy, assistant) == ["task", "a", "more", "b"]
    assert result.finished.reason == "max_round"


# -- histories, results and the engine ------------------------------------------


def test_chat_messages_are_kept_from_each_point_of_view() -> None:
    """Own messages are role assistant, the other's role user, each with the speaker's name."""
    proxy, assistant, _, _ = make_pair([CODE, "TERMINATE"], [""], mode="TERMINATE")
    proxy.initiate_chat(assistant, message="task", silent=True)
    mine = proxy.chat_messages[assistant]
    theirs = assistant.chat_messages[proxy]
    assert [m["role"] for m in mine] == ["assistant", "user", "assistant", "user"]
    assert [m["role"] for m in theirs] == ["user", "assistant", "user", "assistant"]
    assert [m["name"] for m in mine] == [m["name"] for m in theirs]
    assert [m["name"] for m in mine] == ["user_proxy", "assistant"] * 2
    assert all(set(m) == {"content", "role", "name"} for m in mine)
    assert proxy.last_message(assistant)["content"] == "TERMINATE"
    assert proxy.last_message() is mine[-1]


def test_the_chat_runs_as_a_two_state_fsm_on_the_engine() -> None:
    """The engine's transcript and trace show two agents alternating on their only edges."""
    proxy, assistant, _, _ = make_pair([CODE, "TERMINATE"], [""], mode="TERMINATE")
    result = proxy.initiate_chat(assistant, message="task", silent=True)
    engine_result = result.result
    assert engine_result.spec_name == "user_proxy-assistant"
    assert [m.name for m in engine_result.messages] == ["user_proxy", "assistant"] * 2
    assert {d.reason for d in engine_result.trace} == {"only successor"}
    assert [d.target for d in engine_result.trace] == ["assistant", "user_proxy"] * 2
    assert "stopped" in why_ended(engine_result)
    assert result.chat_history == proxy.chat_messages[assistant]


def test_clear_history_false_keeps_the_conversation() -> None:
    """A second chat with clear_history=False continues the same history."""
    proxy, assistant, model, _ = make_pair(
        ["first TERMINATE", "second TERMINATE"], [], mode="NEVER"
    )
    proxy.initiate_chat(assistant, message="one", silent=True)
    proxy.initiate_chat(assistant, message="two", clear_history=False, silent=True)
    assert contents(proxy, assistant) == [
        "one",
        "first TERMINATE",
        "two",
        "second TERMINATE",
    ]
    assert len(model.requests[1].messages) == 1 + 3  # system + history


def test_llm_request_carries_system_message_and_history() -> None:
    """The model sees the system message, then the chat with OpenAI roles and names."""
    proxy, assistant, model, _ = make_pair(["TERMINATE"], [], mode="NEVER")
    proxy.initiate_chat(assistant, message="hello there", silent=True)
    (request,) = model.requests
    assert request.messages[0] == {
        "role": "system",
        "content": AssistantAgent.DEFAULT_SYSTEM_MESSAGE,
    }
    assert request.messages[1] == {
        "role": "user",
        "content": "hello there",
        "name": "user_proxy",
    }


def test_usage_is_reported_per_agent() -> None:
    """Tokens reported by the model are summed for the LLM agent."""
    replies = [
        ChatResponse(content="a", usage=Usage(prompt_tokens=10, completion_tokens=2)),
        ChatResponse(
            content="TERMINATE", usage=Usage(prompt_tokens=20, completion_tokens=1)
        ),
    ]
    proxy, assistant, _, _ = make_pair(
        replies, [], mode="NEVER", default_auto_reply="go"
    )
    result = proxy.initiate_chat(assistant, message="task", silent=True)
    (usage,) = [
        v
        for k, v in result.cost["usage_including_cached_inference"].items()
        if k != "total_cost"
    ]
    assert (usage["prompt_tokens"], usage["completion_tokens"]) == (30, 3)
    assert result.result.agent_usage["assistant"].calls == 2


def test_printing_goes_through_the_output_function_and_silent_mutes_it() -> None:
    """Messages are printed as 'A (to B):' through output=; silent=True prints nothing."""
    lines: list[str] = []
    proxy, assistant, _, _ = make_pair(
        [CODE, "TERMINATE"], [""], mode="TERMINATE", output=lines.append
    )
    assistant.output = lines.append
    proxy.initiate_chat(assistant, message="task")
    text = "\n".join(lines)
    assert "user_proxy (to assistant):\n\ntask\n\n" + "-" * 80 in text
    assert "assistant (to user_proxy):" in text
    assert ">>>>>>>> EXECUTING CODE BLOCK 0 (inferred language is python)..." in text


def test_silent_chat_prints_nothing() -> None:
    """silent=True: the output function is never called."""
    lines: list[str] = []
    proxy, assistant, _, _ = make_pair(
        [CODE, "TERMINATE"], [""], mode="TERMINATE", output=lines.append
    )
    assistant.output = lines.append
    proxy.initiate_chat(assistant, message="task", silent=True)
    assert lines == []


def test_send_without_reply_only_records() -> None:
    """send(request_reply=False) records the message on both sides."""
    proxy, assistant, model, _ = make_pair([], [], mode="NEVER")
    proxy.send("note this", assistant, silent=True)
    assert proxy.chat_messages[assistant][-1]["role"] == "assistant"
    assert assistant.chat_messages[proxy][-1] == {
        "content": "note this",
        "role": "user",
        "name": "user_proxy",
    }
    assert model.requests == []


def test_send_with_reply_continues_the_chat() -> None:
    """send(request_reply=True) continues the conversation to its end."""
    proxy, assistant, _, _ = make_pair(["TERMINATE"], [], mode="NEVER")
    proxy.send("first", assistant, silent=True)
    assistant.receive("second", proxy, request_reply=True, silent=True)
    said = [m["content"] for m in assistant.chat_messages[proxy]]
    assert said == ["first", "second", "TERMINATE"]


def test_a_port_failure_propagates() -> None:
    """A model with no reply left raises out of initiate_chat (no silent ending)."""
    proxy, assistant, _, _ = make_pair([], [], mode="NEVER")
    with pytest.raises(ScriptExhausted):
        proxy.initiate_chat(assistant, message="task", silent=True)


def test_without_a_message_the_human_types_the_first_one() -> None:
    """initiate_chat without message asks the initiator's human for it."""
    proxy, assistant, _, human = make_pair(["TERMINATE"], ["solve it", ""])
    proxy.initiate_chat(assistant, silent=True)
    assert contents(proxy, assistant)[0] == "solve it"
    assert human.prompts[0] == ">"


# -- configuration ------------------------------------------------------------


def test_description_defaults_to_system_message() -> None:
    """description falls back to system_message, but can be set apart (#736)."""
    a = ConversableAgent("a", "You review code.")
    assert a.description == "You review code."
    b = ConversableAgent("b", "You review code.", description="Reviews code.")
    assert (b.system_message, b.description) == ("You review code.", "Reviews code.")
    model = ScriptedChatModel([])
    assistant = AssistantAgent("c", model=model)
    assert assistant.description == AssistantAgent.DEFAULT_DESCRIPTION
    custom = AssistantAgent("d", "You only answer in French.", model=model)
    assert custom.description == "You only answer in French."


def test_agent_defaults_follow_autogen() -> None:
    """Assistant: NEVER, no code; user proxy: ALWAYS, code on, no model."""
    assistant = AssistantAgent("a", model=ScriptedChatModel([]))
    proxy = UserProxyAgent("u")
    assert (assistant.human_input_mode, assistant.code_execution_config) == (
        "NEVER",
        False,
    )
    assert proxy.human_input_mode == "ALWAYS"
    assert proxy.code_execution_config == {}
    assert not proxy.has_llm
    assert proxy.max_consecutive_auto_reply() == 100


def test_bad_options_raise_with_a_hint() -> None:
    """Unknown modes and code options say what was expected and suggest a fix."""
    with pytest.raises(InvalidArgument, match="did you mean 'ALWAYS'"):
        ConversableAgent("a", human_input_mode="ALWAYZ")
    with pytest.raises(InvalidArgument, match="did you mean 'use_docker'"):
        UserProxyAgent("u", code_execution_config={"use_dockr": False})
    with pytest.raises(InvalidArgument, match="last_n_messages"):
        UserProxyAgent("u", code_execution_config={"last_n_messages": "all"})
    assert not AssistantAgent(
        "a"
    ).has_llm  # AutoGen builds it; it replies without a model
    proxy = UserProxyAgent("u")
    with pytest.raises(InvalidArgument, match="cannot chat with itself"):
        proxy.initiate_chat(proxy, message="hi")
    with pytest.raises(InvalidArgument, match="max_turns"):
        proxy.initiate_chat(UserProxyAgent("v"), message="hi", max_turns=0)


def test_docker_requested_but_unavailable_fails_at_construction() -> None:
    """use_docker=True without a Docker engine: CodeRunError, no local fallback."""

    skip_if_docker_engine()
    with pytest.raises(CodeRunError, match="Docker"):
        UserProxyAgent("u", code_execution_config={"use_docker": True})


def test_last_n_messages_limits_what_is_scanned_for_code() -> None:
    """With the default 'auto' only messages since the agent last spoke are scanned."""
    proxy, assistant, _, _ = make_pair(
        [CODE, "no code now", "TERMINATE"],
        [],
        mode="NEVER",
        default_auto_reply="nothing to run",
    )
    proxy.initiate_chat(assistant, message="task", silent=True)
    texts = contents(proxy, assistant)
    assert texts[2].startswith("exitcode: 0")
    assert texts[4] == "nothing to run"


# -- tools ---------------------------------------------------------------------


def call(name: str, arguments: str, call_id: str = "call_1") -> dict[str, Any]:
    return {
        "id": call_id,
        "type": "function",
        "function": {"name": name, "arguments": arguments},
    }


def test_tool_calls_are_executed_and_answered_as_tool_messages() -> None:
    """The proxy runs the called functions; the model then sees role tool replies."""

    def add(a: int, b: int) -> int:
        return a + b

    replies = [
        ChatResponse(content=None, tool_calls=[call("add", '{"a": 2, "b": 40}')]),
        "The sum is 42. TERMINATE",
    ]
    proxy, assistant, model, _ = make_pair(
        replies, [], mode="NEVER", function_map={"add": add}
    )
    proxy.initiate_chat(assistant, message="add 2 and 40", silent=True)
    history = proxy.chat_messages[assistant]
    assert history[1]["role"] == "assistant"
    assert history[1]["content"] is None
    assert history[1]["tool_calls"][0]["function"]["name"] == "add"
    assert history[2]["role"] == "tool"
    assert history[2]["tool_responses"] == [
        {"tool_call_id": "call_1", "role": "tool", "content": "42"}
    ]
    second = model.requests[1].messages
    assert second[-2]["tool_calls"][0]["id"] == "call_1"
    assert second[-1] == {"role": "tool", "tool_call_id": "call_1", "content": "42"}
    json.dumps(history)  # the history stays JSON-serialisable


def test_tool_errors_become_results_not_crashes() -> None:
    """Unknown function, bad JSON, non-object args and exceptions are error results."""

    def boom(x: int) -> int:
        raise ValueError("no good")

    calls = [
        call("ad", "{}", "c1"),
        call("boom", "{not json", "c2"),
        call("boom", "[1]", "c3"),
        call("boom", '{"x": 1}', "c4"),
    ]
    replies = [ChatResponse(content=None, tool_calls=calls), "TERMINATE"]
    proxy, assistant, _, _ = make_pair(
        replies, [], mode="NEVER", function_map={"boom": boom, "add": boom}
    )
    proxy.initiate_chat(assistant, message="go", silent=True)
    results = {
        r["tool_call_id"]: r["content"]
        for r in proxy.chat_messages[assistant][2]["tool_responses"]
    }
    assert "Error: Function ad not found." in results["c1"]

    assert "The argument must be in JSON format." in results["c2"]
    assert "must be a JSON object" in results["c3"]
    assert results["c4"] == "Error: no good"


def test_register_function_offers_the_schema_and_executes() -> None:
    """register_function gives the model a schema built from type hints and the proxy runs it."""

    def convert(
        amount: Annotated[float, "How much"],
        unit: Literal["km", "mi"] = "km",
        tags: list[str] | None = None,
    ) -> dict[str, Any]:
        """Convert a distance."""
        factor = 0.621371 if unit == "km" else 1.609344
        return {"value": round(amount * factor, 3)}

    replies = [
        ChatResponse(content=None, tool_calls=[call("convert", '{"amount": 10}')]),
        "TERMINATE",
    ]
    proxy, assistant, model, _ = make_pair(replies, [], mode="NEVER")
    assistant.llm_config = {"config_list": [{"model": "scripted"}]}
    register_function(
        convert, caller=assistant, executor=proxy, description="Convert a distance."
    )
    proxy.initiate_chat(assistant, message="10 km in miles?", silent=True)
    (tool,) = model.requests[0].tools
    assert tool == {
        "type": "function",
        "function": {
            "name": "convert",
            "description": "Convert a distance.",
            "parameters": {
                "type": "object",
                "properties": {
                    "amount": {"type": "number", "description": "How much"},
                    "unit": {"enum": ["km", "mi"], "default": "km"},
                    "tags": {
                        "type": "array",
                        "items": {"type": "string"},
                        "default": None,
                    },
                },
                "required": ["amount"],
            },
        },
    }
    assert proxy.chat_messages[assistant][2]["content"] == '{"value": 6.214}'


def test_llm_config_tools_are_sent() -> None:
    """Tools given in llm_config['tools'] reach the model request."""
    schema = {"type": "function", "function": {"name": "f", "parameters": {}}}
    model = ScriptedChatModel(["TERMINATE"])
    assistant = AssistantAgent("a", model=model, llm_config={"tools": [schema]})
    proxy = UserProxyAgent("u", human_input_mode="NEVER")
    proxy.initiate_chat(assistant, message="x", silent=True)
    assert list(model.requests[0].tools) == [schema]


def test_human_feedback_answers_pending_tool_calls() -> None:
    """Typed feedback while tool calls are pending also answers each call as not run."""
    replies = [ChatResponse(content=None, tool_calls=[call("add", "{}")]), "TERMINATE"]
    proxy, assistant, model, _ = make_pair(
        replies, ["do not call tools", ""], function_map={"add": lambda: 1}
    )
    proxy.initiate_chat(assistant, message="go", silent=True)
    sent = proxy.chat_messages[assistant][2]
    assert sent["content"] == "do not call tools"
    assert sent["tool_responses"][0]["tool_call_id"] == "call_1"
    roles = [m["role"] for m in model.requests[1].messages]
    assert roles[-2:] == ["tool", "user"]


def test_unsupported_tool_parameter_type_is_refused() -> None:
    """A parameter type with no JSON schema mapping raises InvalidArgument."""
    assistant = AssistantAgent("a", model=ScriptedChatModel([]))

    def f(x: complex) -> None: ...

    with pytest.raises(TypeError, match="unsupported type"):
        assistant.register_for_llm(description="f")(f)


# -- function agents -------------------------------------------------------------


def test_function_agent_replies_with_a_callable() -> None:
    """A FunctionAgent answers with its function; returning None ends the chat."""

    def echo_upper(messages: list[dict[str, Any]], sender: Any) -> str | None:
        text = str(messages[-1]["content"])
        return None if text == "stop" else text.upper()

    shouter = FunctionAgent("shouter", echo_upper)
    human = ScriptedHuman(["again", "stop"])
    user = UserProxyAgent("user", human=human, code_execution_config=False)
    result = user.initiate_chat(shouter, message="hello", silent=True)
    assert contents(user, shouter) == ["hello", "HELLO", "again", "AGAIN", "stop"]
    assert "returned None" in why_ended(result)


def test_register_reply_runs_before_the_built_ins() -> None:
    """A reply function registered at position 0 answers first."""
    agent = ConversableAgent("bot", human_input_mode="ALWAYS", human=ScriptedHuman([]))
    agent.register_reply(
        [ConversableAgent, None],
        lambda recipient, messages, sender, config: (True, "canned"),
    )
    proxy = UserProxyAgent("u", human_input_mode="NEVER", max_consecutive_auto_reply=1)
    proxy.initiate_chat(agent, message="hi", silent=True)
    assert contents(proxy, agent)[1] == "canned"


def test_agent_built_from_llm_config_talks_to_an_openai_endpoint() -> None:
    """llm_config builds the model lazily (make_chat_model) and it is used over HTTP."""
    from fsmchat.testing._fakeserver import FakeOpenAIServer

    with FakeOpenAIServer(replies=["The answer is 4. TERMINATE"]) as server:
        assistant = AssistantAgent(
            "assistant",
            llm_config={"config_list": [server.config()], "cache_seed": None},
        )
        proxy = UserProxyAgent(
            "user_proxy",
            human_input_mode="NEVER",
            is_termination_msg=ends_with_terminate,
        )
        try:
            result = proxy.initiate_chat(assistant, message="2+2?", silent=True)
        finally:
            assistant.close()
        body = server.requests[0]
    assert result.chat_history[-1]["content"] == "The answer is 4. TERMINATE"
    assert body["messages"][1]["content"] == "2+2?"
    assert result.result.agent_usage["assistant"].calls == 1


class RecordingRunner:
    """A CodeRunner fake: records the blocks and answers with canned results."""

    def __init__(self) -> None:
        self.calls: list[list[CodeBlock]] = []

    def run(self, blocks: Sequence[CodeBlock]) -> tuple[CodeResult, ...]:
        self.calls.append(list(blocks))
        return tuple(
            CodeResult(language=b.language, exit_code=0, output=f"ran {b.language}")
            for b in blocks
        )


def test_code_executor_can_be_injected_and_data_blocks_are_skipped() -> None:
    """code_execution_config={'executor': runner} is used; text/json blocks are not run."""
    runner = RecordingRunner()
    message = "```python\nx = 1\n```\n```text\noutput here\n```\n```bash\nls\n```"
    proxy, assistant, _, _ = make_pair(
        [message, "TERMINATE"],
        [],
        mode="NEVER",
        code_execution_config={"executor": runner},
    )
    assert isinstance(runner, CodeRunner)
    proxy.initiate_chat(assistant, message="task", silent=True)
    (blocks,) = runner.calls
    assert [b.language for b in blocks] == ["python", "bash"]
    assert contents(proxy, assistant)[2].startswith("exitcode: 0 (execution succeeded)")


def test_last_n_messages_as_a_number_scans_older_messages() -> None:
    """last_n_messages=3 finds code in a message before the latest one."""
    runner = RecordingRunner()
    proxy = UserProxyAgent(
        "u",
        human_input_mode="NEVER",
        code_execution_config={"executor": runner, "last_n_messages": 3},
    )
    other = ConversableAgent("o", llm_config=False)
    history = [
        {"content": "```sh\necho old\n```", "role": "user", "name": "o"},
        {"content": "noted", "role": "assistant", "name": "u"},
        {"content": "no code here", "role": "user", "name": "o"},
    ]
    reply = proxy.generate_reply(messages=history, sender=other)
    assert reply == "exitcode: 0 (execution succeeded)\nCode output: \nran sh\n"
    auto = UserProxyAgent(
        "v", human_input_mode="NEVER", code_execution_config={"executor": runner}
    )
    assert auto.generate_reply(messages=history, sender=other) == ""


def test_scripted_code_runner_feeds_recorded_results() -> None:
    """fsmchat.testing.ScriptedCodeRunner returns its scripted results and records blocks."""
    from fsmchat.testing import ScriptedCodeRunner, ScriptExhausted

    runner = ScriptedCodeRunner(
        [CodeResult(language="python", exit_code=1, output="boom")]
    )
    proxy, assistant, _, _ = make_pair(
        ["```python\nraise SystemExit(1)\n```", "TERMINATE"],
        [],
        mode="NEVER",
        code_execution_config={"executor": runner},
    )
    proxy.initiate_chat(assistant, message="task", silent=True)
    assert [b.language for b in runner.blocks] == ["python"]
    assert contents(proxy, assistant)[2].startswith("exitcode: 1 (execution failed)")
    with pytest.raises(ScriptExhausted):
        runner.run([])
