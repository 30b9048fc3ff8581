"""The round's fast constructors build objects equal to their classes' own (issue 26)."""

from __future__ import annotations

import attrs
import pytest

from fsmchat import Decision, GuardResult, Message, Reply
from fsmchat._core import fast


def _same(a: object, b: object) -> None:
    assert type(a) is type(b)
    assert attrs.asdict(a) == attrs.asdict(b)  # eq=False fields too
    assert a == b
    assert hash(a) == hash(b)
    assert repr(a) == repr(b)


def test_reply_is_the_reply_init_builds() -> None:
    """fast.reply stores what Reply(agent=, content=, role=) stores, defaults included."""
    _same(fast.reply("Ann", "2", "user"), Reply(agent="Ann", content="2", role="user"))


def test_message_of_a_reply_keeps_every_field() -> None:
    """fast.message_of copies each field of a reply, tool use included."""
    calls = ({"id": "c1", "function": {"name": "f", "arguments": "{}"}},)
    event = Reply(
        agent="Bob", content="x", role="tool", tool_calls=list(calls), tool_call_id="c1"
    )
    expected = Message(
        name="Bob", content="x", role="tool", tool_calls=calls, tool_call_id="c1"
    )
    _same(fast.message_of(event), expected)
    assert fast.message_of(event).tool_calls == calls


def test_decision_is_the_decision_init_builds() -> None:
    """fast.decision stores every field as Decision(...) does."""
    guards = (GuardResult(edge=2, target="Critic", kind="when", result=True),)
    args = (7, "Engineer", ("Critic",), guards, None, (), 3, "Critic", "guard")
    names = (
        "round",
        "source",
        "candidates",
        "guards",
        "kind",
        "attempts",
        "edge",
        "target",
        "reason",
    )
    _same(fast.decision(*args), Decision(**dict(zip(names, args, strict=True))))


def test_fast_objects_stay_frozen() -> None:
    """An object built without __init__ is as frozen as any other."""
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        fast.reply("Ann", "2", "user").content = "3"  # type: ignore[misc]


def test_message_is_the_message_init_builds() -> None:
    """fast.message stores what Message(name=, content=, role=) stores, defaults included."""
    _same(
        fast.message("Ann", "2", "user"), Message(name="Ann", content="2", role="user")
    )


def test_ask_is_the_request_init_builds() -> None:
    """fast.ask builds the AskAgent / AskHuman their own __init__ builds."""
    from fsmchat import AgentSpec, AskAgent, AskHuman, ChatView

    view = ChatView([], "Ann")
    for cls, kind in ((AskAgent, "function"), (AskHuman, "human")):
        agent = AgentSpec(name="Ann", kind=kind)
        built = fast.ask(cls, agent, view)
        _same(built, cls(agent=agent, chat=view))
        assert built.chat is view
