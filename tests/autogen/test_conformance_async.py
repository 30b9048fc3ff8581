"""AutoGen 0.2 conformance of the async API: a_initiate_chat(s), a_send/a_receive, async replies."""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

import fsmchat.autogen as autogen
from fsmchat.autogen import ConversableAgent, GroupChat, GroupChatManager
from fsmchat.testing import ScriptedChatModel


def member(name: str, reply: str = "", **kwargs: Any) -> ConversableAgent:
    """A model-free agent that never asks a person and prints nothing."""
    kwargs.setdefault("human_input_mode", "NEVER")
    return ConversableAgent(
        name,
        llm_config=False,
        default_auto_reply=reply or f"from {name}",
        output=lambda t: None,
        **kwargs,
    )


async def async_reply(
    recipient: Any, messages: Any, sender: Any, config: Any
) -> tuple[bool, str]:
    """An async reply function: it awaits, then answers."""
    await asyncio.sleep(0)
    return True, f"async answer to {messages[-1]['content']}"


def test_a_initiate_chat_awaits_async_reply_functions() -> None:
    """a_initiate_chat runs a two-agent chat where the recipient replies asynchronously."""
    user, bot = member("user"), member("bot")
    bot.register_reply([autogen.Agent, None], async_reply)
    result = asyncio.run(user.a_initiate_chat(bot, message="ping", max_turns=1))
    assert [m["content"] for m in result.chat_history] == [
        "ping",
        "async answer to ping",
    ]
    assert result.finished is not None


def test_a_initiate_chat_with_a_group_chat() -> None:
    """a_initiate_chat with a manager runs the group chat on the async driver."""
    a, b = member("A"), member("B")
    b.register_reply([autogen.Agent, None], async_reply)
    gc = GroupChat(
        [a, b], messages=[], max_round=3, speaker_selection_method="round_robin"
    )
    manager = GroupChatManager(gc, llm_config=False, output=lambda t: None)
    asyncio.run(a.a_initiate_chat(manager, message="go"))
    assert [(m["name"], m["content"]) for m in gc.messages] == [
        ("A", "go"),
        ("B", "async answer to go"),
        ("A", "from A"),
    ]


def test_a_send_and_a_receive_continue_the_conversation() -> None:
    """a_send(request_reply=True) makes the recipient answer with a_generate_reply."""
    user, bot = member("user", max_consecutive_auto_reply=0), member("bot")
    bot.register_reply([autogen.Agent, None], async_reply)
    asyncio.run(user.a_send("hello", bot, request_reply=True))
    assert [m["content"] for m in bot.chat_messages[user]] == [
        "hello",
        "async answer to hello",
    ]


def test_a_generate_reply_uses_async_and_sync_functions() -> None:
    """a_generate_reply awaits async reply functions and calls sync ones."""
    bot = member("bot")
    assert (
        asyncio.run(bot.a_generate_reply([{"role": "user", "content": "x"}]))
        == "from bot"
    )
    bot.register_reply([autogen.Agent, None], async_reply)
    out = asyncio.run(
        bot.a_generate_reply([{"role": "user", "content": "x"}], sender=member("s"))
    )
    assert out == "async answer to x"


def test_a_get_human_input_is_used_in_async_chats() -> None:
    """An override of a_get_human_input answers the human turns of an async chat."""

    class AsyncUI(ConversableAgent):
        asked: ClassVar[list[str]] = []

        async def a_get_human_input(self, prompt: str) -> str:
            self.asked.append(prompt)
            return "exit"

    ui = AsyncUI(
        "ui", llm_config=False, human_input_mode="ALWAYS", output=lambda t: None
    )
    bot = member("bot")
    result = asyncio.run(ui.a_initiate_chat(bot, message="hi"))
    assert len(ui.asked) == 1
    assert [m["content"] for m in result.chat_history] == ["hi", "from bot"]


def test_async_model_replies() -> None:
    """An assistant's model is called from a_generate_oai_reply in async chats."""
    model = ScriptedChatModel(["hello from the model"])
    bot = autogen.AssistantAgent("bot", model=model, output=lambda t: None)
    user = member("user")
    result = asyncio.run(user.a_initiate_chat(bot, message="hi", max_turns=1))
    assert result.chat_history[-1]["content"] == "hello from the model"


def test_a_initiate_chats_follows_prerequisites() -> None:
    """a_initiate_chats runs chats after their prerequisites, keyed by chat_id."""
    user, x, y = member("user"), member("x", "X done"), member("y", "Y done")
    results = asyncio.run(
        autogen.a_initiate_chats(
            [
                {
                    "chat_id": 2,
                    "prerequisites": [1],
                    "sender": user,
                    "recipient": y,
                    "message": "two",
                    "max_turns": 1,
                    "silent": True,
                },
                {
                    "chat_id": 1,
                    "sender": user,
                    "recipient": x,
                    "message": "one",
                    "max_turns": 1,
                    "silent": True,
                },
            ]
        )
    )
    assert sorted(results) == [1, 2]
    assert results[2].chat_id == 2
    assert y.chat_messages[user][0]["content"] == "two\nContext: \nX done"
