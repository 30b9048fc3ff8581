"""AutoGen 0.2 conformance of group chats, and the few deliberate differences.

Everything here behaves as AutoGen's ``GroupChat``/``GroupChatManager`` does,
except that a model's answer is never mapped to a name: it is validated against
the legal names (the FSM guarantee).
"""

from __future__ import annotations

import builtins
import json
import logging
import re
from typing import Any, ClassVar

import pytest

import fsmchat.autogen as autogen
from fsmchat import ChatRequest, ChatResponse
from fsmchat.autogen import ConversableAgent, GroupChat, GroupChatManager


def member(name: str, reply: str | None = None, **kwargs: Any) -> ConversableAgent:
    """A model-free member replying ``reply`` (default: 'from NAME')."""
    return ConversableAgent(
        name,
        llm_config=False,
        human_input_mode="NEVER",
        default_auto_reply=reply if reply is not None else f"from {name}",
        output=lambda t: None,
        **kwargs,
    )


def said(gc: GroupChat) -> list[tuple[str, str]]:
    """The group chat's messages as (name, content)."""
    return [(m["name"], m["content"]) for m in gc.messages]


class PickModel:
    """A speaker-selection model answering with ``pick(request)``; records every request."""

    def __init__(self, pick: Any) -> None:
        self.pick = pick
        self.requests: list[ChatRequest] = []

    def complete(self, request: ChatRequest) -> ChatResponse:
        self.requests.append(request)
        if request.response_format is not None:
            schema = request.response_format["json_schema"]["schema"]
            names = list(schema["properties"]["next"]["enum"])
        else:  # AutoGen's request (auto without a graph): the list in the prompt
            prompt = str(request.messages[-1]["content"])
            listed = re.findall(r"\[((?:'[^']*'(?:, )?)+)\]", prompt)[-1]
            names = [n.strip("'") for n in listed.split(", ")]
        return ChatResponse(
            content=json.dumps({"reason": "r", "next": self.pick(names)})
        )


# -- auto without a model ---------------------------------------------------------------


def test_auto_without_a_model_takes_the_next_agent_and_says_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """auto + llm_config=False: next agent in order (AutoGen), a warning, and the reason in the trace."""
    a, b, c = member("A"), member("B"), member("C")
    gc = GroupChat([a, b, c], messages=[], max_round=5)
    manager = GroupChatManager(gc, llm_config=False, output=lambda t: None)
    with caplog.at_level(logging.WARNING, logger="fsmchat"):
        a.initiate_chat(manager, message="start")
    assert [n for n, _ in said(gc)] == ["A", "B", "C", "A", "B"]
    assert any("no model configured" in r.getMessage() for r in caplog.records)
    trace = manager.group_result.trace  # type: ignore[union-attr]
    assert all("no model configured" in d.attempts[0].raw for d in trace)


def test_two_agents_without_repeats_need_no_model_and_no_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Two agents with allow_repeat_speaker=False never leave a choice open: no warning."""
    a, b = member("A"), member("B")
    gc = GroupChat([a, b], messages=[], max_round=3, allow_repeat_speaker=False)
    with caplog.at_level(logging.WARNING, logger="fsmchat"):
        manager = GroupChatManager(gc, llm_config=False, output=lambda t: None)
        a.initiate_chat(manager, message="start")
    assert [n for n, _ in said(gc)] == ["A", "B", "A"]
    assert not [r for r in caplog.records if "no model" in r.getMessage()]


def test_conditions_to_judge_need_a_model() -> None:
    """fsm transitions with 'on' texts are refused at construction without a model."""
    a, b, c = member("A"), member("B"), member("C")
    gc = GroupChat(
        [a, b, c],
        messages=[],
        speaker_selection_method="fsm",
        finite_state_machine={
            "agents": [a, b, c],
            "transitions": [
                {"from": a, "to": b, "on": "A asked for B"},
                {"from": a, "to": c, "on": "A asked for C"},
                {"from": b, "to": a, "on": None},
                {"from": c, "to": a, "on": None},
            ],
        },
    )
    with pytest.raises(ValueError, match="need a model to judge"):
        GroupChatManager(gc, llm_config=False)


# -- the model's choice: validated, bounded ---------------------------------------------


def test_model_choice_is_mapped_by_mentions_without_a_graph() -> None:
    """auto without a graph, as AutoGen: an answer mentioning one candidate picks it."""
    a, b, c = member("A"), member("B"), member("C")
    gc = GroupChat([a, b, c], messages=[], max_round=2)

    class Chatty:
        def complete(self, request: ChatRequest) -> ChatResponse:
            return ChatResponse(content="I think B should talk next")

    manager = GroupChatManager(
        gc, model=Chatty(), llm_config=False, output=lambda t: None
    )
    a.initiate_chat(manager, message="start")
    assert [n for n, _ in said(gc)] == ["A", "B"]


def test_model_choice_is_validated_not_mapped() -> None:
    """With a transition graph an answer that only mentions a name is refused; then the chat ends."""
    a, b, c = member("A"), member("B"), member("C")
    gc = GroupChat(
        [a, b, c],
        messages=[],
        max_round=5,
        max_retries_for_selecting_speaker=1,
        allowed_or_disallowed_speaker_transitions={a: [b, c], b: [a, c], c: [a, b]},
        speaker_transitions_type="allowed",
    )

    class Chatty:
        requests: ClassVar[list[ChatRequest]] = []

        def complete(self, request: ChatRequest) -> ChatResponse:
            self.requests.append(request)
            return ChatResponse(content="I think B should talk next")

    manager = GroupChatManager(
        gc, model=Chatty(), llm_config=False, output=lambda t: None
    )
    a.initiate_chat(manager, message="start")
    assert said(gc) == [("A", "start")]
    assert manager.group_result.finished.reason == "no route"  # type: ignore[union-attr]


def _prompt_size(length: int) -> int:
    """Characters of the last speaker-selection request after members said ``length`` chars."""
    agents = [member(n, reply="x" * length) for n in ("A", "B", "C")]
    a, b, c = agents
    gc = GroupChat(
        agents,
        messages=[],
        max_round=4,
        select_speaker_context=2,
        allowed_or_disallowed_speaker_transitions={a: [b, c], b: [a, c], c: [a, b]},
        speaker_transitions_type="allowed",
    )
    model = PickModel(lambda names: names[0])
    manager = GroupChatManager(gc, model=model, llm_config=False, output=lambda t: None)
    agents[0].initiate_chat(manager, message="y" * length)
    return len(json.dumps([dict(m) for m in model.requests[-1].messages]))


def test_speaker_prompt_stays_bounded_for_huge_messages() -> None:
    """With a graph, the speaker prompt for 50,000-character messages is within 1.5x the one for 1,000."""
    small, huge = _prompt_size(1_000), _prompt_size(50_000)
    assert huge <= 1.5 * small, (small, huge)


def test_select_speaker_auto_llm_config_and_role_are_used() -> None:
    """role_for_select_speaker_messages sets the prompt's role; the selector's system message stays system."""
    a, b, c = member("A"), member("B"), member("C")
    gc = GroupChat(
        [a, b, c], messages=[], max_round=2, role_for_select_speaker_messages="user"
    )
    model = PickModel(lambda names: "C")
    manager = GroupChatManager(gc, model=model, llm_config=False, output=lambda t: None)
    a.initiate_chat(manager, message="go")
    assert said(gc) == [("A", "go"), ("C", "from C")]
    first = model.requests[0].messages
    assert (first[0]["role"], first[-1]["role"]) == ("system", "user")


# -- manual selection through input() ------------------------------------------------------


def test_manual_selection_goes_through_input(monkeypatch: pytest.MonkeyPatch) -> None:
    """manual: the person types a number at input(); nothing typed falls back to the next agent."""
    answers = iter(["3", ""])
    monkeypatch.setattr(builtins, "input", lambda prompt="": next(answers))
    a, b, c = member("A"), member("B"), member("C")
    gc = GroupChat(
        [a, b, c], messages=[], max_round=3, speaker_selection_method="manual"
    )
    manager = GroupChatManager(gc, llm_config=False, output=lambda t: None)
    a.initiate_chat(manager, message="go")
    assert [n for n, _ in said(gc)] == ["A", "C", "A"]


def test_manual_select_speaker_gives_up_after_three_tries(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """manual_select_speaker returns None after invalid answers, as AutoGen's does."""
    monkeypatch.setattr(builtins, "input", lambda prompt="": "9")
    gc = GroupChat([member("A"), member("B")], messages=[])
    assert gc.manual_select_speaker() is None


# -- AutoGen's helpers -----------------------------------------------------------------------


def test_agent_by_name_nested_agents_and_name_conflicts() -> None:
    """agent_by_name(recursive=, raise_on_name_conflict=) and nested_agents() follow AutoGen."""
    inner_a, inner_b = member("X"), member("Y")
    inner = GroupChatManager(
        GroupChat([inner_a, inner_b], messages=[]), name="inner", llm_config=False
    )
    a = member("A")
    twin = member("X")
    gc = GroupChat([a, inner, twin], messages=[])
    assert gc.nested_agents() == [a, inner, twin, inner_a, inner_b]
    assert gc.agent_by_name("Y") is None
    assert gc.agent_by_name("Y", recursive=True) is inner_b
    assert gc.agent_by_name("X", recursive=True) is twin
    with pytest.raises(autogen.AgentNameConflict):
        gc.agent_by_name("X", recursive=True, raise_on_name_conflict=True)


def test_next_agent_follows_order_and_subsets() -> None:
    """next_agent wraps around, respects a subset, and refuses strangers (UndefinedNextAgent)."""
    a, b, c = member("A"), member("B"), member("C")
    gc = GroupChat([a, b, c], messages=[])
    assert gc.next_agent(c) is a
    assert gc.next_agent(a, [c]) is c
    with pytest.raises(autogen.UndefinedNextAgent):
        gc.next_agent(a, [member("Z")])


def test_callable_can_end_the_chat_with_no_eligible_speaker() -> None:
    """A selection function raising NoEligibleSpeaker ends the chat quietly."""
    a, b = member("A"), member("B")

    def select(last: Any, groupchat: GroupChat) -> Any:
        if len(groupchat.messages) >= 2:
            raise autogen.NoEligibleSpeaker
        return b

    gc = GroupChat([a, b], messages=[], max_round=10, speaker_selection_method=select)
    manager = GroupChatManager(gc, llm_config=False, output=lambda t: None)
    a.initiate_chat(manager, message="go")
    assert said(gc) == [("A", "go"), ("B", "from B")]


def test_resume_continues_a_saved_chat() -> None:
    """messages_to_string + resume + initiate_chat(clear_history=False) continue the chat."""
    a, b, c = member("A"), member("B"), member("C")
    gc = GroupChat(
        [a, b, c], messages=[], max_round=3, speaker_selection_method="round_robin"
    )
    manager = GroupChatManager(gc, llm_config=False, output=lambda t: None)
    a.initiate_chat(manager, message="go")
    saved = manager.messages_to_string(gc.messages)
    gc2 = GroupChat(
        [a, b, c], messages=[], max_round=2, speaker_selection_method="round_robin"
    )
    manager2 = GroupChatManager(gc2, llm_config=False, output=lambda t: None)
    last_agent, last_message = manager2.resume(saved, silent=True)
    assert last_agent is c
    assert last_message["content"] == "from C"
    assert len(gc2.messages) == 2
    last_agent.initiate_chat(manager2, message=last_message, clear_history=False)
    assert [n for n, _ in said(gc2)] == ["A", "B", "C", "A"]
    with pytest.raises(Exception, match="no messages"):
        manager2.resume([])


def test_run_chat_works_as_a_registered_reply_function() -> None:
    """A manager's run_chat can be registered on another agent, with the group chat as config."""
    a, b = member("A"), member("B")
    gc = GroupChat(
        [a, b], messages=[], max_round=2, speaker_selection_method="round_robin"
    )
    manager = GroupChatManager(gc, llm_config=False, output=lambda t: None)
    host = member("host")
    host.register_reply(autogen.Agent, GroupChatManager.run_chat, config=gc)
    user = member("user")
    user.initiate_chat(host, message="hello", max_turns=1)
    assert said(gc) == [("user", "hello"), ("A", "from A")]
    assert manager.groupchat is gc


def test_a_plain_agent_class_takes_part() -> None:
    """A user class implementing the Agent protocol (no ConversableAgent) can be a member."""

    class Parrot:
        def __init__(self) -> None:
            self.name = "Parrot"
            self.description = "repeats"
            self.heard: list[str] = []

        def send(
            self,
            message: Any,
            recipient: Any,
            request_reply: bool | None = None,
            silent: bool = False,
        ) -> None:
            recipient.receive(message, self, request_reply, silent)

        async def a_send(
            self,
            message: Any,
            recipient: Any,
            request_reply: bool | None = None,
            silent: bool = False,
        ) -> None:
            self.send(message, recipient, request_reply, silent)

        def receive(
            self,
            message: Any,
            sender: Any,
            request_reply: bool | None = None,
            silent: bool = False,
        ) -> None:
            self.heard.append(
                message["content"] if isinstance(message, dict) else message
            )

        async def a_receive(
            self,
            message: Any,
            sender: Any,
            request_reply: bool | None = None,
            silent: bool = False,
        ) -> None:
            self.receive(message, sender, request_reply, silent)

        def generate_reply(
            self, messages: Any = None, sender: Any = None, **kwargs: Any
        ) -> str:
            return "squawk " + self.heard[-1]

        async def a_generate_reply(
            self, messages: Any = None, sender: Any = None, **kwargs: Any
        ) -> str:
            return self.generate_reply(messages, sender)

    parrot = Parrot()
    assert isinstance(parrot, autogen.Agent)
    a = member("A")
    gc = GroupChat(
        [a, parrot], messages=[], max_round=3, speaker_selection_method="round_robin"
    )
    manager = GroupChatManager(gc, llm_config=False, output=lambda t: None)
    a.initiate_chat(manager, message="hello")
    assert said(gc) == [("A", "hello"), ("Parrot", "squawk hello"), ("A", "from A")]


def test_group_chat_for_message_conversion_only() -> None:
    """GroupChat(agents=[]) builds; its manager converts messages to and from strings."""
    manager = GroupChatManager(GroupChat(agents=[], messages=[]), llm_config=False)
    messages = [{"content": "hi", "name": "A", "role": "user"}]
    assert (
        manager.messages_from_string(manager.messages_to_string(messages)) == messages
    )


def test_enable_clear_history_clears_what_autogen_clears() -> None:
    """A reply saying 'CLEAR HISTORY' clears histories and messages; the words are removed."""
    a, b = member("A"), member("B")
    replies = iter(["please CLEAR HISTORY now", "second"])
    b.register_reply(
        [autogen.Agent, None],
        lambda recipient, messages, sender, config: (True, {"content": next(replies)}),
    )
    out: list[str] = []
    gc = GroupChat(
        [a, b],
        messages=[],
        max_round=4,
        speaker_selection_method="round_robin",
        enable_clear_history=True,
    )
    manager = GroupChatManager(gc, llm_config=False, output=out.append)
    a.initiate_chat(manager, message="start")
    assert "Clearing history for all agents." in out
    assert said(gc) == [("B", "please now"), ("A", "from A"), ("B", "second")]
    assert [m["content"] for m in a.chat_messages[manager]] == [
        "please now",
        "from A",
        "second",
    ]
    assert len(manager.group_result.messages) == 4  # type: ignore[union-attr]  # the engine keeps the whole run


def test_select_speaker_as_autogens_unit_tests_call_it() -> None:
    """groupchat.select_speaker(last, manager) picks as a run would (auto: AutoGen's fallback)."""
    a, b, c = member("A"), member("B"), member("C")
    robin = GroupChat([a, b, c], messages=[], speaker_selection_method="round_robin")
    manager = GroupChatManager(robin, llm_config=False)
    assert robin.select_speaker(a, manager) is b
    assert robin.select_speaker(c, manager) is a
    graph = GroupChat(
        [a, b, c],
        messages=[],
        allowed_or_disallowed_speaker_transitions={a: [c], b: [a], c: [b]},
        speaker_transitions_type="allowed",
    )
    assert graph.select_speaker(a, GroupChatManager(graph, llm_config=False)) is c
    model = PickModel(lambda names: "Nobody")
    auto = GroupChat(
        [a, b, c], messages=[{"content": "hi", "name": "A", "role": "user"}]
    )
    picked = auto.select_speaker(
        a, GroupChatManager(auto, model=model, llm_config=False)
    )
    assert picked is b  # AutoGen: asked, re-asked twice, then the next agent
    assert len(model.requests) == 3
    ends = GroupChat(
        [a, b], messages=[], speaker_selection_method=lambda last, gc: None
    )
    with pytest.raises(autogen.NoEligibleSpeaker):
        ends.select_speaker(a, GroupChatManager(ends, llm_config=False))
