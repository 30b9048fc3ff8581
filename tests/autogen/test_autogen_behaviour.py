"""AutoGen 0.2's behaviour, in the style of its own unit tests, run on ``fsmchat.autogen``.

Each test states what AutoGen 0.2.40 does (checked against it) and asserts the
facade does the same. Model-free or with scripted models, so offline.
"""

# ruff: noqa: PT018
from __future__ import annotations

import asyncio
import inspect
from typing import Any

import pydantic
import pytest

import fsmchat.autogen as autogen
from fsmchat import ChatResponse
from fsmchat.autogen import ConversableAgent, GroupChat, GroupChatManager
from fsmchat.autogen.agentchat.utils import parse_tags_from_content
from fsmchat.testing import ScriptedChatModel


def quiet(name: str, **kwargs: Any) -> ConversableAgent:
    """A model-free agent that prints nothing."""
    kwargs.setdefault("llm_config", False)
    kwargs.setdefault("human_input_mode", "NEVER")
    return ConversableAgent(name, output=lambda t: None, **kwargs)


def tool_call(name: str, arguments: str, call_id: str) -> dict[str, Any]:
    """An OpenAI tool call."""
    return {
        "id": call_id,
        "type": "function",
        "function": {"name": name, "arguments": arguments},
    }


# -- one body per behaviour ---------------------------------------------------------


def test_sync_and_async_forms_share_one_signature() -> None:
    """a_initiate_chat, a_generate_reply, ... take the arguments of their sync forms."""
    for name in (
        "initiate_chat",
        "generate_reply",
        "send",
        "receive",
        "execute_function",
        "generate_tool_calls_reply",
        "check_termination_and_human_reply",
    ):
        sync, async_ = (
            getattr(ConversableAgent, name),
            getattr(ConversableAgent, "a_" + name),
        )
        assert inspect.signature(sync) == inspect.signature(async_), name
        assert inspect.iscoroutinefunction(async_) and not inspect.iscoroutinefunction(
            sync
        )


def test_sync_and_async_chats_count_auto_replies_as_autogen() -> None:
    """AutoGen 0.2.40 runs both termination checks in an async chat, so it ends sooner.

    (Both forms share one body here; the difference is AutoGen's reply list.)
    """

    def pair() -> tuple[ConversableAgent, ConversableAgent]:
        return (
            quiet("a", default_auto_reply="ping", max_consecutive_auto_reply=2),
            quiet("b", default_auto_reply="pong", max_consecutive_auto_reply=2),
        )

    a, b = pair()
    sync = a.initiate_chat(b, message="start").chat_history
    a, b = pair()
    async_ = asyncio.run(a.a_initiate_chat(b, message="start")).chat_history
    assert [m["content"] for m in sync] == ["start", "pong", "ping", "pong", "ping"]
    assert [m["content"] for m in async_] == ["start", "pong", "ping"]


# -- group chats ---------------------------------------------------------------------


def test_send_introductions_keeps_the_task() -> None:
    """AutoGen sends the introductions first; the task is still the first group message."""
    alice = quiet("alice", default_auto_reply="hi from alice")
    bob = quiet("bob", default_auto_reply="hi from bob")
    gc = GroupChat(
        [alice, bob],
        [],
        max_round=3,
        send_introductions=True,
        speaker_selection_method="round_robin",
    )
    manager = GroupChatManager(gc, llm_config=False, output=lambda t: None)
    alice.initiate_chat(manager, message="the task")
    assert [m["content"] for m in gc.messages] == [
        "the task",
        "hi from bob",
        "hi from alice",
    ]
    received = [m["content"] for m in bob.chat_messages[manager]]
    assert received[1:] == ["the task", "hi from bob", "hi from alice"]
    assert received[0] == gc.introductions_msg()


def test_allow_repeat_speaker_dict_is_refused_with_autogens_message() -> None:
    """AutoGen: ValueError('GroupChat allow_repeat_speaker should be a bool or a list of Agents.')."""
    with pytest.raises(ValueError) as e:
        GroupChat([quiet("a"), quiet("b")], [], allow_repeat_speaker={})  # type: ignore[arg-type]
    assert (
        str(e.value)
        == "GroupChat allow_repeat_speaker should be a bool or a list of Agents."
    )


def test_empty_templates_are_refused_with_autogens_message() -> None:
    """AutoGen: ValueError('select_speaker_message_template cannot be empty or None.')."""
    with pytest.raises(
        ValueError, match="select_speaker_message_template cannot be empty or None"
    ):
        GroupChat([quiet("a"), quiet("b")], [], select_speaker_message_template="")


def test_duplicate_names_construct_and_agent_by_name_finds_the_conflict() -> None:
    """AutoGen builds a group chat with two agents of one name; agent_by_name may raise."""
    gc = GroupChat([quiet("x"), quiet("y"), quiet("x")], [])
    assert gc.agent_by_name("y") is gc.agents[1]
    with pytest.raises(autogen.exception_utils.AgentNameConflict):
        gc.agent_by_name("x", raise_on_name_conflict=True)


def test_mentioned_agents_counts_as_autogen() -> None:
    """Whole names count; 'Story_writer' also as 'Story writer' and 'Story\\_writer'."""
    gc = GroupChat([quiet("Story_writer"), quiet("Coder")], [])
    assert gc._mentioned_agents(
        "Story writer, Story\\_writer, Coder; Coders", None
    ) == {
        "Story_writer": 2,
        "Coder": 1,
    }
    assert gc._mentioned_agents({"content": "nobody"}, None) == {}


def test_tool_call_messages_have_empty_content_in_groupchat_messages() -> None:
    """AutoGen stores content '' for a tool call, so x.get('content', '') idioms work."""
    model = ScriptedChatModel(
        [
            ChatResponse(
                content=None, tool_calls=[tool_call("add", '{"a": 1, "b": 2}', "c1")]
            )
        ]
    )
    caller = ConversableAgent(
        "caller",
        model=model,
        llm_config=False,
        human_input_mode="NEVER",
        output=lambda t: None,
    )
    runner = quiet("runner", function_map={"add": lambda a, b: a + b})
    gc = GroupChat(
        [caller, runner], [], max_round=3, speaker_selection_method="round_robin"
    )
    manager = GroupChatManager(
        gc,
        llm_config=False,
        output=lambda t: None,
        is_termination_msg=lambda x: "3" in x.get("content", ""),
    )
    runner.initiate_chat(manager, message="add 1 and 2")
    call = gc.messages[1]
    assert call["content"] == "" and call["tool_calls"][0]["id"] == "c1"
    assert gc.messages[2]["content"] == "3"


def test_func_call_filter_without_an_executor_raises_value_error() -> None:
    """AutoGen: 'No agent can execute the function ...' (a ValueError) when nobody can run it."""
    a, b = quiet("a"), quiet("b")
    gc = GroupChat([a, b], [], max_round=3)
    manager = GroupChatManager(gc, llm_config=False, output=lambda t: None)
    with pytest.raises(ValueError, match="No agent can execute the function func"):
        b.initiate_chat(
            manager,
            message={"function_call": {"name": "func", "arguments": '{"x": 1}'}},
        )


# -- tools -----------------------------------------------------------------------------


class Point(pydantic.BaseModel):
    """A point."""

    x: int
    y: int


def test_pydantic_arguments_are_validated_into_the_model() -> None:
    """A parameter annotated with a pydantic model gets the model, not a dict."""
    seen: list[Any] = []
    executor = quiet("executor")

    @executor.register_for_execution()
    def norm(p: Point) -> int:
        seen.append(p)
        return abs(p.x) + abs(p.y)

    ok, result = executor.execute_function(
        {"name": "norm", "arguments": '{"p": {"x": 3, "y": -4}}'}
    )
    assert ok and result["content"] == "7"
    assert seen == [Point(x=3, y=-4)]


def test_function_map_entries_keep_the_function_as_origin() -> None:
    """register_for_execution wraps the function; the wrapper's _origin is the function."""
    executor = quiet("executor")

    def hello(name: str) -> str:
        return f"hello {name}"

    executor.register_for_execution()(hello)
    assert executor.function_map["hello"]._origin is hello  # type: ignore[attr-defined]


def test_multiple_tool_calls_answer_each_and_join_the_contents() -> None:
    """One tool response per call, in order; the content joins them with blank lines."""
    executor = quiet("executor", function_map={"double": lambda n: n * 2})
    message = {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            tool_call("double", '{"n": 1}', "a"),
            tool_call("double", '{"n": 5}', "b"),
        ],
    }
    for reply in (
        executor.generate_tool_calls_reply([message]),
        asyncio.run(executor.a_generate_tool_calls_reply([message])),
    ):
        assert reply == (
            True,
            {
                "role": "tool",
                "tool_responses": [
                    {"tool_call_id": "a", "role": "tool", "content": "2"},
                    {"tool_call_id": "b", "role": "tool", "content": "10"},
                ],
                "content": "2\n\n10",
            },
        )


def test_async_execution_says_executing_async_function() -> None:
    """a_execute_function prints 'EXECUTING ASYNC FUNCTION', execute_function 'EXECUTING FUNCTION'."""
    printed: list[str] = []
    executor = ConversableAgent(
        "executor", llm_config=False, human_input_mode="NEVER", output=printed.append
    )

    async def ping() -> str:
        return "pong"

    executor.register_for_execution()(ping)
    assert asyncio.run(
        executor.a_execute_function({"name": "ping", "arguments": "{}"})
    )[0]
    assert (
        executor.execute_function({"name": "ping", "arguments": "{}"})[1]["content"]
        == "pong"
    )
    assert printed == [
        "\n>>>>>>>> EXECUTING ASYNC FUNCTION ping...",
        "\n>>>>>>>> EXECUTING FUNCTION ping...",
    ]


def test_overriding_a_function_warns() -> None:
    """AutoGen: UserWarning "Function 'f' is being overridden."."""
    agent = quiet("agent", function_map={"f": lambda: 1})
    with pytest.warns(UserWarning, match="Function .f. is being overridden"):
        agent.register_function({"f": lambda: 2})


# -- configuration, hooks, carryover -----------------------------------------------------


def test_cache_seed_false_is_accepted() -> None:
    """llm_config={'cache_seed': False, ...} builds a model (no cache), as AutoGen accepts it."""
    agent = ConversableAgent(
        "agent",
        llm_config={
            "config_list": [
                {
                    "model": "gpt-4",
                    "api_key": "sk-x",
                    "base_url": "http://127.0.0.1:9/v1",
                }
            ],
            "cache_seed": False,
        },
    )
    assert agent.chat_model() is not None
    agent.close()


def test_empty_model_name_is_a_value_error() -> None:
    """AutoGen refuses config_list=[{'model': ''}] with a ValueError."""
    with pytest.raises(ValueError, match="specify a non-empty 'model'"):
        ConversableAgent("agent", llm_config={"config_list": [{"model": ""}]})


def test_hook_lists_have_autogens_async_lists() -> None:
    """hook_lists has an a_ list per hookable method; a sync hook there warns."""
    agent = quiet("agent")
    assert sorted(agent.hook_lists) == sorted(
        f"{p}{m}"
        for p in ("", "a_")
        for m in (
            "process_last_received_message",
            "process_all_messages_before_reply",
            "process_message_before_send",
        )
    )

    def shout(text: str) -> str:
        return text.upper()

    with pytest.warns(UserWarning, match="Hook 'shout' is synchronous"):
        agent.register_hook("a_process_last_received_message", shout)


def test_async_hooks_run_in_async_replies() -> None:
    """a_generate_reply awaits the a_ hooks; generate_reply runs the plain ones."""
    agent = quiet("agent", default_auto_reply="ok")
    seen: list[str] = []

    def sync_hook(text: str) -> str:
        seen.append("sync")
        return text + "!"

    async def async_hook(text: str) -> str:
        seen.append("async")
        return text + "?"

    agent.register_hook("process_last_received_message", sync_hook)
    agent.register_hook("a_process_last_received_message", async_hook)
    messages = [{"role": "user", "content": "hi"}]
    agent.generate_reply(messages=messages, sender=None)
    assert messages[-1]["content"] == "hi!"  # in place, as AutoGen
    asyncio.run(
        agent.a_generate_reply(messages=[{"role": "user", "content": "x"}], sender=None)
    )
    assert seen == ["sync", "async"]


def test_carryover_helpers() -> None:
    """_process_carryover/_handle_carryover append '\\nContext: \\n' and the carryover."""
    agent = quiet("agent")
    assert agent._process_carryover("Hi.", {"carryover": ["a", {"content": "b"}]}) == (
        "Hi.\nContext: \na\nb"
    )
    assert agent._handle_carryover("Hi.", {"carryover": None}) == "Hi."


def test_async_nested_chats_need_a_chat_id() -> None:
    """AutoGen: ValueError('chat_id is required for async nested chats')."""
    agent = quiet("agent")
    with pytest.raises(ValueError, match="chat_id is required for async nested chats"):
        agent.register_nested_chats(
            [{"recipient": quiet("inner"), "summary_method": "last_msg"}],
            trigger=quiet("user"),
            use_async=True,
        )


def test_async_nested_chats_run_with_a_initiate_chats() -> None:
    """With use_async the nested reply is async and gives the last chat's summary."""
    outer = quiet("outer")
    inner = quiet("inner", default_auto_reply="inner says hi")
    user = quiet("user", max_consecutive_auto_reply=1)
    outer.register_nested_chats(
        [
            {
                "chat_id": 7,
                "recipient": inner,
                "summary_method": "last_msg",
                "max_turns": 1,
            }
        ],
        trigger=user,
        use_async=True,
    )
    result = asyncio.run(user.a_initiate_chat(outer, message="go", max_turns=1))
    assert result.chat_history[-1]["content"] == "inner says hi"


# -- utils -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "attrs"),
    [
        (
            "<img http://example.com/image.png>",
            [{"src": "http://example.com/image.png"}],
        ),
        (
            "<img http://example.com/image=.png>",
            [{"src": "http://example.com/image=.png"}],
        ),
        (
            '<audio text="Hello I\'m a robot" prompt="whisper">',
            [{"text": "Hello I'm a robot", "prompt": "whisper"}],
        ),
        (
            "<audio http://example.com/au=dio.mp3>",
            [{"src": "http://example.com/au=dio.mp3"}],
        ),
        ("<img a.png> and <img b c.png>", [{"src": "a.png"}, {"src": "b c.png"}]),
        ("no tags", []),
    ],
)
def test_parse_tags_from_content(content: str, attrs: list[dict[str, str]]) -> None:
    """AutoGen's results for <img ...>/<audio ...> tags, text or multimodal content."""
    tag = content[1:4] if content.startswith("<") else "img"
    tag = "audio" if content.startswith("<aud") else tag
    assert [r["attr"] for r in parse_tags_from_content(tag, content)] == attrs
    parts = [{"type": "text", "text": content}, {"type": "image_url", "image_url": {}}]
    assert [r["attr"] for r in parse_tags_from_content(tag, parts)] == attrs


def test_parse_tags_refuses_other_content() -> None:
    """AutoGen: ValueError for content that is neither a string nor a list."""
    with pytest.raises(ValueError, match="content must be str or list"):
        parse_tags_from_content("img", 42)  # type: ignore[arg-type]


def test_tool_arguments_with_raw_newlines_are_read_as_autogen() -> None:
    """AutoGen drops newlines between JSON tokens and escapes those inside strings."""
    executor = quiet("executor", function_map={"echo": lambda query: query})
    arguments = '{\n"query": "x=3\nprint(x)\tdone"\n}'
    ok, result = executor.execute_function({"name": "echo", "arguments": arguments})
    assert ok and result["content"] == "x=3\nprint(x)\tdone"
    assert (
        executor._format_json_str('{"code": "a=\\"hi\\""}') == '{"code": "a=\\"hi\\""}'
    )


def test_an_empty_select_speaker_prompt_template_means_none() -> None:
    """AutoGen sets select_speaker_prompt_template='' to None; select_speaker_prompt() is None."""
    gc = GroupChat(
        [quiet("a"), quiet("b")],
        [],
        select_speaker_message_template="Pick from {agentlist}.",
        select_speaker_prompt_template="",
    )
    assert gc.select_speaker_prompt_template is None
    assert gc.select_speaker_prompt() is None
    assert gc.select_speaker_msg() == "Pick from ['a', 'b']."


def test_a_member_named_like_the_manager_starts_the_group_chat() -> None:
    """AutoGen lets an agent named 'chat_manager' chat with the manager of that name."""
    starter = quiet("chat_manager", default_auto_reply="from the member")
    other = quiet("other", default_auto_reply="from other")
    gc = GroupChat(
        [starter, other], [], max_round=3, speaker_selection_method="round_robin"
    )
    manager = GroupChatManager(gc, llm_config=False, output=lambda t: None)
    starter.initiate_chat(manager, message="go")
    assert [(m["name"], m["content"]) for m in gc.messages] == [
        ("chat_manager", "go"),
        ("other", "from other"),
        ("chat_manager", "from the member"),
    ]
