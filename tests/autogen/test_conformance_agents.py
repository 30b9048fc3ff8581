"""AutoGen 0.2 conformance of agents: names, no-model agents, the human hook, lifecycle, hooks.

Each test states behaviour documented for AutoGen 0.2's ``ConversableAgent`` and
checks fsmchat.autogen does the same.
"""

from __future__ import annotations

import builtins
from typing import Any

import pytest

import fsmchat.autogen as autogen
from fsmchat.autogen import (
    AssistantAgent,
    ChatResult,
    ConversableAgent,
    UserProxyAgent,
)
from fsmchat.testing import ScriptedChatModel


def quiet(name: str, **kwargs: Any) -> ConversableAgent:
    """A model-free agent that never asks a human and prints nothing."""
    kwargs.setdefault("human_input_mode", "NEVER")
    kwargs.setdefault("llm_config", False)
    return ConversableAgent(name, output=lambda t: None, **kwargs)


# -- 1. names and paths ---------------------------------------------------------------


NAMES = [
    "Agent",
    "AgentNameConflict",
    "AssistantAgent",
    "Cache",
    "ChatResult",
    "ConversableAgent",
    "GroupChat",
    "GroupChatManager",
    "NoEligibleSpeaker",
    "UndefinedNextAgent",
    "UserProxyAgent",
    "a_initiate_chats",
    "config_list_from_dotenv",
    "config_list_from_json",
    "consolidate_chat_info",
    "content_str",
    "filter_config",
    "gather_usage_summary",
    "initiate_chats",
    "parse_tags_from_content",
    "register_function",
]


@pytest.mark.parametrize("name", NAMES)
def test_autogen_names_are_exported(name: str) -> None:
    """Every name an AutoGen program imports from ``autogen`` is in fsmchat.autogen."""
    assert getattr(autogen, name) is not None
    assert name in autogen.__all__


def test_autogen_attribute_paths_resolve_without_extra_imports() -> None:
    """After only ``import fsmchat.autogen as autogen``, autogen.agentchat.* attributes resolve."""
    import subprocess
    import sys

    code = (
        "import fsmchat.autogen as autogen\n"
        "assert autogen.agentchat.groupchat.GroupChat is autogen.GroupChat\n"
        "assert autogen.agentchat.conversable_agent.ConversableAgent is autogen.ConversableAgent\n"
        "assert autogen.agentchat.utils.content_str is autogen.content_str\n"
        "assert autogen.exception_utils.NoEligibleSpeaker is autogen.NoEligibleSpeaker\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_autogen_module_paths_resolve() -> None:
    """autogen.agentchat.groupchat / conversable_agent / utils resolve to the same objects."""
    from fsmchat.autogen.agentchat import conversable_agent, groupchat, utils

    assert groupchat.GroupChat is autogen.GroupChat
    assert groupchat.GroupChatManager is autogen.GroupChatManager
    assert conversable_agent.ConversableAgent is autogen.ConversableAgent
    assert utils.content_str is autogen.content_str
    assert autogen.agentchat.groupchat.GroupChat is autogen.GroupChat  # type: ignore[attr-defined]


def test_fsmchat_agents_is_an_alias() -> None:
    """fsmchat.agents keeps its names, the same classes as fsmchat.autogen."""
    import fsmchat.agents as agents

    assert agents.ConversableAgent is autogen.ConversableAgent
    assert agents.AgentChatResult is ChatResult


def test_agent_is_a_protocol_user_classes_satisfy() -> None:
    """Agent is a runtime-checkable Protocol: agents and user classes with its methods match."""
    assert isinstance(quiet("a"), autogen.Agent)
    assert not isinstance(object(), autogen.Agent)


def test_content_str_and_tags_follow_autogen() -> None:
    """content_str joins text parts and shows images as <image>; tags are parsed."""
    parts = [
        {"type": "text", "text": "see "},
        {"type": "image_url", "image_url": {"url": "x"}},
    ]
    assert autogen.content_str(parts) == "see <image>"
    assert autogen.content_str(None) == ""
    with pytest.raises(TypeError):
        autogen.content_str(42)  # type: ignore[arg-type]
    (tag,) = autogen.parse_tags_from_content("img", "look <img pic.png> here")
    assert tag["tag"] == "img"
    assert tag["attr"] == {"src": "pic.png"}


def test_consolidate_chat_info_checks_like_autogen() -> None:
    """A chat without a recipient or with an unknown summary method fails an assertion."""
    a = quiet("a")
    with pytest.raises(AssertionError, match="recipient must be provided"):
        autogen.consolidate_chat_info({"sender": a})
    with pytest.raises(AssertionError, match="summary_method"):
        autogen.consolidate_chat_info(
            {"sender": a, "recipient": a, "summary_method": "x"}
        )
    with pytest.raises(AssertionError, match="llm client"):
        autogen.consolidate_chat_info(
            {"sender": a, "recipient": a, "summary_method": "reflection_with_llm"}
        )


# -- 4. agents without a model -----------------------------------------------------------


@pytest.mark.parametrize("config", [False, None])
def test_assistant_without_a_model_constructs_and_uses_default_auto_reply(
    config: Any,
) -> None:
    """AssistantAgent(llm_config=False/None) builds and replies with default_auto_reply."""
    assistant = AssistantAgent(
        "assistant",
        llm_config=config,
        default_auto_reply="no model here",
        output=lambda t: None,
    )
    assert assistant.llm_config is False
    assert assistant.client is None
    user = UserProxyAgent(
        "user",
        human_input_mode="NEVER",
        code_execution_config=False,
        max_consecutive_auto_reply=1,
        output=lambda t: None,
    )
    result = user.initiate_chat(assistant, message="hi", max_turns=1)
    assert [m["content"] for m in result.chat_history] == ["hi", "no model here"]


def test_agent_without_a_model_replies_through_its_reply_functions() -> None:
    """A model-free agent answers through a registered reply function."""
    echo = quiet("echo")
    echo.register_reply(
        [autogen.Agent, None],
        lambda recipient, messages, sender, config: (
            True,
            "echo: " + messages[-1]["content"],
        ),
    )
    assert (
        echo.generate_reply([{"role": "user", "content": "x"}], sender=None)
        == "echo: x"
    )


def test_empty_llm_config_is_refused_as_in_autogen() -> None:
    """An empty llm_config dict raises ValueError (AutoGen's check)."""
    with pytest.raises(ValueError, match="non-empty 'model'"):
        ConversableAgent("a", llm_config={})


# -- 3. the human input hook ------------------------------------------------------------


def test_patching_input_answers_the_human(monkeypatch: pytest.MonkeyPatch) -> None:
    """get_human_input's default calls input(): a test patches builtins.input."""
    prompts: list[str] = []
    answers = iter(["more please", "exit"])

    def fake_input(prompt: str = "") -> str:
        prompts.append(prompt)
        return next(answers)

    monkeypatch.setattr(builtins, "input", fake_input)
    bot = quiet("bot", default_auto_reply="reply")
    user = UserProxyAgent("user", code_execution_config=False, output=lambda t: None)
    result = user.initiate_chat(bot, message="start")
    assert [m["content"] for m in result.chat_history] == [
        "start",
        "reply",
        "more please",
        "reply",
    ]
    assert result.human_input == ["more please", "exit"]
    assert prompts[0].startswith("Replying as user. Provide feedback to bot.")


class RecordingUI(UserProxyAgent):
    """A UI that overrides get_human_input, as AutoGen's docs show."""

    def __init__(self, *args: Any, answers: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.answers = answers
        self.asked: list[str] = []

    def get_human_input(self, prompt: str) -> str:
        self.asked.append(prompt)
        return self.answers.pop(0)


@pytest.mark.parametrize(
    ("mode", "answers", "asked"),
    [("ALWAYS", ["", "exit"], 2), ("TERMINATE", [""], 1), ("NEVER", [], 0)],
)
def test_overriding_get_human_input_sees_every_human_turn(
    mode: str, answers: list[str], asked: int
) -> None:
    """Every human turn goes through get_human_input, per human_input_mode."""
    bot = quiet("bot")
    bot.register_reply(
        [autogen.Agent, None],
        lambda recipient, messages, sender, config: (
            True,
            "TERMINATE" if len(messages) >= 3 else "working",
        ),
    )
    ui = RecordingUI(
        "ui",
        human_input_mode=mode,
        code_execution_config=False,
        answers=answers,
        output=lambda t: None,
    )
    ui.initiate_chat(bot, message="go")
    assert len(ui.asked) == asked
    assert ui.answers == []


def test_terminate_mode_asks_when_the_limit_is_reached() -> None:
    """TERMINATE: the human is asked after max_consecutive_auto_reply auto replies."""
    bot = quiet("bot", default_auto_reply="more")
    ui = RecordingUI(
        "ui",
        human_input_mode="TERMINATE",
        max_consecutive_auto_reply=2,
        code_execution_config=False,
        answers=["exit"],
        output=lambda t: None,
    )
    ui.initiate_chat(bot, message="go")
    assert len(ui.asked) == 1
    assert "Press enter to skip and use auto-reply" in ui.asked[0]


def test_human_feedback_interrupts_pending_tool_calls() -> None:
    """Typed feedback answers pending tool calls with USER INTERRUPTED, as AutoGen does."""
    ui = RecordingUI(
        "ui",
        human_input_mode="ALWAYS",
        code_execution_config=False,
        answers=["stop that"],
        output=lambda t: None,
    )
    call = {
        "id": "c1",
        "type": "function",
        "function": {"name": "f", "arguments": "{}"},
    }
    final, reply = ui.check_termination_and_human_reply(
        [{"role": "assistant", "content": None, "tool_calls": [call]}], sender=None
    )
    assert final
    assert reply == {
        "role": "user",
        "content": "stop that",
        "tool_responses": [
            {"role": "tool", "tool_call_id": "c1", "content": "USER INTERRUPTED"}
        ],
    }


def test_without_a_message_the_first_one_is_asked_with_a_prompt_sign() -> None:
    """initiate_chat without message asks the initiator's human with '>'."""
    ui = RecordingUI(
        "ui",
        human_input_mode="NEVER",
        code_execution_config=False,
        answers=["typed task"],
        output=lambda t: None,
    )
    bot = quiet("bot", default_auto_reply="ok")
    result = ui.initiate_chat(bot, max_turns=1)
    assert ui.asked == [">"]
    assert result.chat_history[0]["content"] == "typed task"


# -- 6. lifecycle and hooks ------------------------------------------------------------------


def test_max_consecutive_auto_reply_is_a_method() -> None:
    """max_consecutive_auto_reply() returns the limit, per sender after an update."""
    a, b = quiet("a", max_consecutive_auto_reply=5), quiet("b")
    assert a.max_consecutive_auto_reply() == 5
    a.update_max_consecutive_auto_reply(2, b)
    assert a.max_consecutive_auto_reply(b) == 2
    assert a.max_consecutive_auto_reply() == 5


def test_chat_messages_at_construction_reset_and_clear_history() -> None:
    """chat_messages= seeds the history; clear_history and reset empty it."""
    b = quiet("b")
    a = quiet("a", chat_messages={b: [{"content": "old", "role": "user", "name": "b"}]})
    assert a.last_message(b) == {"content": "old", "role": "user", "name": "b"}
    assert a.last_message() == {"content": "old", "role": "user", "name": "b"}
    a.clear_history(b)
    assert a.chat_messages[b] == []
    a.send("x", b)
    a.reset()
    assert dict(a.chat_messages) == {}
    with pytest.raises(KeyError, match="not present in any conversation"):
        a.last_message(quiet("c"))


def test_send_without_a_chat_only_records() -> None:
    """A bare send records on both sides and asks no reply (reply_at_receive is False)."""
    a, b = quiet("a"), quiet("b", default_auto_reply="never sent")
    a.send({"content": "hi", "context": {"x": 1}}, b)
    assert b.chat_messages[a] == [
        {"content": "hi", "context": {"x": 1}, "role": "user", "name": "a"}
    ]
    assert a.chat_messages[b][0]["role"] == "assistant"


def test_context_fills_a_callable_content_for_the_model() -> None:
    """A message's context instantiates callable content when the model is asked."""
    model = ScriptedChatModel(["done"])
    a = AssistantAgent("a", model=model, output=lambda t: None)
    a.generate_reply(
        [
            {
                "role": "user",
                "content": lambda ctx: f"Hello {ctx['who']}",
                "context": {"who": "Bo"},
            }
        ],
        sender=None,
    )
    assert model.requests[0].messages[-1]["content"] == "Hello Bo"


def test_hooks_run_where_autogen_runs_them() -> None:
    """The three hooks change the message sent, the last message read and all messages."""
    bot = quiet("bot", default_auto_reply="ok")
    seen: list[list[str]] = []

    def spy(
        recipient: Any, messages: list[dict[str, Any]], sender: Any, config: Any
    ) -> tuple[bool, None]:
        seen.append([str(m["content"]) for m in messages])
        return False, None

    bot.register_reply([autogen.Agent, None], spy)

    def ask(content: str) -> str:
        return content + "?"

    bot.register_hook("process_last_received_message", ask)
    bot.register_hook(
        "process_all_messages_before_reply", lambda messages: messages[-1:]
    )
    bot.register_hook(
        "process_message_before_send",
        lambda sender, message, recipient, silent: (
            message.upper() if isinstance(message, str) else message
        ),
    )
    user = quiet("user")
    result = user.initiate_chat(bot, message="hi", max_turns=1)
    assert seen == [["hi?"]]
    assert result.chat_history[-1]["content"] == "OK"
    with pytest.raises(AssertionError):
        bot.register_hook("no_such_method", print)
    with pytest.raises(AssertionError, match="already registered"):
        bot.register_hook("process_last_received_message", ask)


def test_register_reply_validates_its_trigger() -> None:
    """A trigger that is not a class, name, agent, callable or list raises ValueError."""
    with pytest.raises(ValueError, match="trigger must be"):
        quiet("a").register_reply(42, lambda *a, **k: (False, None))


def test_reset_config_runs_on_reset() -> None:
    """register_reply(reset_config=...) is called with the config when the agent resets."""
    calls: list[Any] = []
    a = quiet("a")
    a.register_reply(
        [autogen.Agent, None],
        lambda *a, **k: (False, None),
        config={"n": 1},
        reset_config=calls.append,
    )
    a.reset()
    assert calls == [{"n": 1}]


def test_async_only_reply_in_a_sync_chat_is_refused_unless_ignored() -> None:
    """An async reply function fails a sync chat (RuntimeError) unless ignore_async_in_sync_chat."""

    async def areply(
        recipient: Any, messages: Any, sender: Any, config: Any
    ) -> tuple[bool, str]:
        return True, "async"

    a, b = quiet("a"), quiet("b", default_auto_reply="sync")
    b.register_reply([autogen.Agent, None], areply)
    with pytest.raises(RuntimeError, match="a_initiate_chat"):
        a.initiate_chat(b, message="hi", max_turns=1)
    c = quiet("c", default_auto_reply="sync")
    c.register_reply([autogen.Agent, None], areply, ignore_async_in_sync_chat=True)
    result = a.initiate_chat(c, message="hi", max_turns=1)
    assert result.chat_history[-1]["content"] == "sync"


def test_nested_chats_run_as_their_own_chats_and_reply_with_the_summary() -> None:
    """register_nested_chats: the nested chat's summary is the reply; it ran on the engine."""
    writer = quiet("writer", default_auto_reply="a poem TERMINATE")
    critic = quiet("critic")
    critic.register_nested_chats(
        [{"recipient": writer, "max_turns": 1, "summary_method": "last_msg"}],
        trigger=lambda sender: sender.name == "user",
    )
    user = quiet("user")
    result = user.initiate_chat(critic, message="write a poem", max_turns=1)
    assert result.chat_history[-1]["content"] == "a poem "
    assert writer.chat_messages[critic][0]["content"] == "write a poem"


def test_initiate_chats_carries_summaries_over() -> None:
    """initiate_chats runs in order; each summary is carried into the next chat's message."""
    user = quiet("user")
    first = quiet("first", default_auto_reply="answer one")
    second = quiet("second", default_auto_reply="answer two")
    results = autogen.initiate_chats(
        [
            {
                "sender": user,
                "recipient": first,
                "message": "q1",
                "max_turns": 1,
                "silent": True,
            },
            {
                "sender": user,
                "recipient": second,
                "message": "q2",
                "max_turns": 1,
                "carryover": "given",
                "silent": True,
            },
        ]
    )
    assert [r.summary for r in results] == ["answer one", "answer two"]
    assert (
        second.chat_messages[user][0]["content"] == "q2\nContext: \ngiven\nanswer one"
    )


def test_reflection_with_llm_asks_a_model_for_the_summary() -> None:
    """summary_method='reflection_with_llm' asks the recipient's model with the summary prompt."""
    model = ScriptedChatModel(["the reply", "the summary"])
    assistant = AssistantAgent("assistant", model=model, output=lambda t: None)
    user = quiet("user")
    result = user.initiate_chat(
        assistant, message="hi", max_turns=1, summary_method="reflection_with_llm"
    )
    assert result.summary == "the summary"
    last = model.requests[-1].messages[-1]
    assert last == {
        "role": "system",
        "content": ConversableAgent.DEFAULT_SUMMARY_PROMPT,
    }


def test_callable_summary_method_gets_sender_recipient_and_args() -> None:
    """A callable summary_method is called as f(sender, recipient, summary_args)."""
    a, b = quiet("a"), quiet("b", default_auto_reply="r")

    def summary(sender: Any, recipient: Any, args: dict[str, Any]) -> str:
        return f"{sender.name}->{recipient.name}:{args['k']}"

    result = a.initiate_chat(
        b, message="m", max_turns=1, summary_method=summary, summary_args={"k": 1}
    )
    assert result.summary == "a->b:1"
    assert result.cost == {
        "usage_including_cached_inference": {"total_cost": 0},
        "usage_excluding_cached_inference": {"total_cost": 0},
    }
