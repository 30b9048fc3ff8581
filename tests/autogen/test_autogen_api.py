"""The AutoGen-style API: GroupChat / GroupChatManager on the engine.

Agents reply through fake chat models (no network): each one adds 1 to the last
number it received. Managers choose speakers through a fake model too, or with a
model-free method.
"""

from __future__ import annotations

import inspect
import itertools
import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fsmchat
from fsmchat._run.ports import ChatRequest, ChatResponse
from fsmchat.autogen import (
    DEFAULT_SELECT_SPEAKER_AUTO_MULTIPLE_TEMPLATE,
    DEFAULT_SELECT_SPEAKER_AUTO_NONE_TEMPLATE,
    Agent,
    AssistantAgent,
    ConversableAgent,
    GroupChat,
    GroupChatManager,
    SpeakerSelectionError,
    UserProxyAgent,
)
from fsmchat.testing import ScriptedHuman


class FnModel:
    """A chat model answering ``fn(request)``; ``requests`` records every request."""

    def __init__(self, fn: Callable[[ChatRequest], str | ChatResponse]) -> None:
        self.fn = fn
        self.requests: list[ChatRequest] = []

    def complete(self, request: ChatRequest) -> ChatResponse:
        self.requests.append(request)
        out = self.fn(request)
        return out if isinstance(out, ChatResponse) else ChatResponse(content=out)


def _number(text: str) -> int:
    found = re.findall(r"-?\d+", text)
    return int(found[-1]) if found else 0


def add_one(request: ChatRequest) -> str:
    """Reply with the last number received plus one."""
    return str(_number(str(request.messages[-1].get("content") or "")) + 1)


def legal_names(request: ChatRequest) -> list[str]:
    """The names a choice request offers: the schema's enum, else AutoGen's ``{agentlist}``."""
    if request.response_format is not None:
        schema = request.response_format["json_schema"]["schema"]
        return list(schema["properties"]["next"]["enum"])
    prompt = str(request.messages[-1].get("content"))
    listed = re.findall(r"\[((?:'[^']*'(?:, )?)+)\]", prompt)[-1]
    return [n.strip("'") for n in listed.split(", ")]


def pick(name_of: Callable[[ChatRequest], str]) -> Callable[[ChatRequest], str]:
    """A selector model answering ``{"next": name_of(request)}``."""
    return lambda r: json.dumps({"reason": "test", "next": name_of(r)})


def first_legal(request: ChatRequest) -> str:
    return json.dumps({"reason": "first", "next": legal_names(request)[0]})


def members(*names: str, **kwargs: Any) -> list[AssistantAgent]:
    """Assistants that count, with descriptions."""
    model = FnModel(add_one)
    return [
        AssistantAgent(
            n, system_message="Add 1.", description=f"{n} counts", model=model, **kwargs
        )
        for n in names
    ]


def starter(name: str = "User") -> UserProxyAgent:
    return UserProxyAgent(name, human_input_mode="NEVER", code_execution_config=False)


def run(
    groupchat: GroupChat,
    sender: Any,
    *,
    model: Any = None,
    message: str = "1",
    out: list[str] | None = None,
    **manager_kwargs: Any,
) -> GroupChatManager:
    """Run ``groupchat`` from ``sender`` and return the manager."""
    manager = GroupChatManager(
        groupchat,
        model=model,
        llm_config=False,
        output=(out.append if out is not None else lambda text: None),
        **manager_kwargs,
    )
    sender.initiate_chat(manager, message=message)
    return manager


def names(groupchat: GroupChat) -> list[str]:
    return [m["name"] for m in groupchat.messages]


def problems(exc: pytest.ExceptionInfo[ValueError]) -> list[str]:
    assert isinstance(exc.value, fsmchat.SpecError)
    return [p.message for p in exc.value.problems]


# --------------------------------------------------------------------------
# Construction


def test_unknown_method_is_refused_with_a_hint() -> None:
    """An unknown speaker_selection_method is a ValueError naming the close match."""
    with pytest.raises(ValueError, match="did you mean 'fsm'") as exc:
        GroupChat(members("A", "B"), [], speaker_selection_method="fms")
    assert "speaker_selection_method='fms'" in problems(exc)[0]


@pytest.mark.parametrize("method", ["AUTO", "Round_Robin", "RANDOM", "Manual", "auto"])
def test_method_names_are_case_insensitive(method: str) -> None:
    """Method names are accepted in any case."""
    gc = GroupChat(members("A", "B"), [], speaker_selection_method=method)
    assert gc.method == method.lower()


def test_duplicate_agent_names_construct_but_cannot_run() -> None:
    """As in AutoGen, a group chat of two members with one name constructs; fsmchat runs none."""
    a, b = members("A", "B")
    other_a = members("A")[0]
    gc = GroupChat([a, b, other_a], [])
    assert gc.agent_names == ["A", "B", "A"]
    with pytest.raises(ValueError, match="'A' appear more than once"):
        GroupChatManager(gc, llm_config=False, output=lambda t: None)


def test_an_empty_group_constructs_but_cannot_run() -> None:
    """GroupChat(agents=[]) builds (AutoGen uses it to convert messages); running it is refused."""
    gc = GroupChat(agents=[], messages=[])
    manager = GroupChatManager(gc, llm_config=False, output=lambda t: None)
    assert manager.messages_from_string(
        manager.messages_to_string([{"content": "x"}])
    ) == [{"content": "x"}]
    with pytest.raises(ValueError, match="no agents"):
        starter().initiate_chat(manager, message="1")


def test_every_problem_is_reported_at_once() -> None:
    """Several bad parameters give one error listing each of them."""
    with pytest.raises(ValueError) as exc:
        GroupChat(
            members("A", "B"),
            [],
            max_round=0,
            select_speaker_context=-1,
            select_speaker_prompt_template="pick from {agents}",
        )
    found = problems(exc)
    assert len(found) == 3
    assert any("max_round must be an integer >= 1" in p for p in found)
    assert any("select_speaker_context" in p for p in found)
    assert any("{agents}" in p and "did you mean 'agentlist'" in p for p in found)


def test_autogen_checks_come_first_with_autogens_message() -> None:
    """AutoGen refuses allow_repeat_speaker={} with its own message (a ValueError)."""
    with pytest.raises(ValueError) as exc:
        GroupChat(members("A", "B"), [], max_round=0, allow_repeat_speaker={})  # type: ignore[arg-type]
    assert (
        str(exc.value)
        == "GroupChat allow_repeat_speaker should be a bool or a list of Agents."
    )


def test_transitions_need_a_type() -> None:
    """A transition graph without speaker_transitions_type is refused."""
    a, b = members("A", "B")
    with pytest.raises(ValueError, match="speaker_transitions_type is None"):
        GroupChat([a, b], [], allowed_or_disallowed_speaker_transitions={a: [b]})


def test_transition_type_must_be_known() -> None:
    """speaker_transitions_type must be allowed or disallowed, any case."""
    a, b = members("A", "B")
    with pytest.raises(ValueError, match="did you mean 'allowed'"):
        GroupChat(
            [a, b],
            [],
            allowed_or_disallowed_speaker_transitions={a: [b]},
            speaker_transitions_type="alowed",
        )
    gc = GroupChat(
        [a, b],
        [],
        allowed_or_disallowed_speaker_transitions={a: [b]},
        speaker_transitions_type="ALLOWED",
    )
    assert gc.speaker_transitions_type == "allowed"


def test_transitions_and_allow_repeat_speaker_are_exclusive() -> None:
    """As in AutoGen, a graph and allow_repeat_speaker cannot both be given."""
    a, b = members("A", "B")
    with pytest.raises(ValueError, match="Don't provide both"):
        GroupChat(
            [a, b],
            [],
            allowed_or_disallowed_speaker_transitions={a: [b]},
            speaker_transitions_type="allowed",
            allow_repeat_speaker=False,
        )


def test_graph_with_an_outsider_is_refused_with_a_hint() -> None:
    """A graph naming an agent outside the group is refused (did you mean)."""
    a, b = members("Alice", "Bob")
    stranger = members("Bobby")[0]
    with pytest.raises(
        ValueError, match=r"'Bobby' is not a member.*did you mean 'Bob'"
    ):
        GroupChat(
            [a, b],
            [],
            allowed_or_disallowed_speaker_transitions={a: [stranger]},
            speaker_transitions_type="allowed",
        )


def test_graph_values_must_be_lists() -> None:
    """Each graph value is a list of agents."""
    a, b = members("A", "B")
    with pytest.raises(ValueError, match=r"\['A'\] must be a list of agents"):
        GroupChat([a, b], [], graph_dict={"A": b})


def test_fsm_method_needs_a_machine_and_a_machine_needs_fsm() -> None:
    """'fsm' without finite_state_machine, or a machine with another method, is refused."""
    a, b = members("A", "B")
    with pytest.raises(ValueError, match="needs finite_state_machine"):
        GroupChat([a, b], [], speaker_selection_method="fsm")
    machine = {"agents": [a, b], "transitions": [{"from": a, "to": b, "on": None}]}
    with pytest.raises(
        ValueError, match="only used with speaker_selection_method='fsm'"
    ):
        GroupChat([a, b], [], finite_state_machine=machine)


def test_fsm_with_unknown_agents_and_keys_is_refused() -> None:
    """FSM transitions must name members; unknown keys get a hint."""
    a, b = members("A", "B")
    c = members("C")[0]
    machine = {
        "agents": [a, b],
        "transitions": [{"from": a, "to": c, "on": None}, {"from": b, "too": a}],
    }
    with pytest.raises(ValueError) as exc:
        GroupChat(
            [a, b], [], speaker_selection_method="fsm", finite_state_machine=machine
        )
    found = problems(exc)
    assert any("'C' is not a member" in p for p in found)
    assert any("unknown key 'too'; did you mean 'to'?" in p for p in found)


def test_template_placeholders_are_checked() -> None:
    """Templates may only use {roles} and {agentlist}; empty ones are refused."""
    a, b = members("A", "B")
    with pytest.raises(ValueError, match=r"\{role\}.*did you mean 'roles'"):
        GroupChat([a, b], [], select_speaker_message_template="Roles: {role}")
    with pytest.raises(ValueError, match="must be a non-empty string"):
        GroupChat([a, b], [], select_speaker_prompt_template="  ")


def test_manager_refuses_tools_and_a_missing_model() -> None:
    """A manager makes no tool calls, and 'auto' needs its model."""
    gc = GroupChat(members("A", "B", "C"), [])
    with pytest.raises(ValueError, match="no tool or function calls"):
        GroupChatManager(gc, llm_config={"config_list": [], "tools": [{"x": 1}]})
    fsm = GroupChat(
        members("A", "B", "C"),
        [],
        speaker_selection_method="fsm",
        finite_state_machine={
            "agents": ["A", "B", "C"],
            "transitions": [
                {"from": "A", "to": "B", "on": "the number is even"},
                {"from": "A", "to": "C", "on": None},
                {"from": "B", "to": "A", "on": None},
                {"from": "C", "to": "A", "on": None},
            ],
        },
    )
    with pytest.raises(ValueError, match="need a model to judge"):
        GroupChatManager(fsm, llm_config=False)


def test_manager_needs_no_model_when_the_graph_decides_alone() -> None:
    """'auto' over a graph with one successor per agent runs without a model."""
    a, b, c = members("A", "B", "C")
    gc = GroupChat(
        [a, b, c],
        [],
        max_round=5,
        allowed_or_disallowed_speaker_transitions={a: [b], b: [c], c: [a]},
        speaker_transitions_type="allowed",
    )
    run(gc, a)
    assert names(gc) == ["A", "B", "C", "A", "B"]


# --------------------------------------------------------------------------
# Selection methods


def test_round_robin_follows_the_order_of_agents() -> None:
    """round_robin: each agent in turn, in the order of ``agents``, from the sender on."""
    a, b, c = members("A", "B", "C")
    gc = GroupChat([a, b, c], [], max_round=7, speaker_selection_method="round_robin")
    run(gc, b)
    assert names(gc) == ["B", "C", "A", "B", "C", "A", "B"]
    assert [m["content"] for m in gc.messages] == ["1", "2", "3", "4", "5", "6", "7"]


def test_round_robin_keeps_to_the_graph() -> None:
    """round_robin over a graph takes the next agent in order among the allowed ones."""
    a, b, c = members("A", "B", "C")
    gc = GroupChat(
        [a, b, c],
        [],
        max_round=6,
        speaker_selection_method="round_robin",
        allowed_or_disallowed_speaker_transitions={a: [c, b], b: [a], c: [a]},
        speaker_transitions_type="allowed",
    )
    run(gc, a)
    assert names(gc) == ["A", "B", "A", "B", "A", "B"]


def test_random_is_reproducible_with_its_seed() -> None:
    """random: the same seed gives the same speakers; no repeats when they are off."""

    def speakers(seed: int | None) -> tuple[list[str], int]:
        agents = members("A", "B", "C", "D")
        gc = GroupChat(
            agents,
            [],
            max_round=12,
            speaker_selection_method="random",
            allow_repeat_speaker=False,
            seed=seed,
        )
        run(gc, agents[0])
        return names(gc), gc.seed

    first, _ = speakers(7)
    assert first == speakers(7)[0]
    assert all(x != y for x, y in itertools.pairwise(first))
    drawn, seed = speakers(None)
    assert speakers(seed)[0] == drawn  # a drawn seed is kept, so a run can be repeated


def test_manual_asks_the_person_and_refuses_bad_answers() -> None:
    """manual: the person types a number or a name; anything else is asked again."""
    a, b, c = members("A", "B", "C")
    person = ScriptedHuman(["3", "nobody", "A"])
    gc = GroupChat(
        [a, b, c], [], max_round=3, speaker_selection_method="manual", human=person
    )
    run(gc, a)
    assert names(gc) == ["A", "C", "A"]
    assert len(person.prompts) == 3
    assert "previous answer refused" in person.prompts[2]


def test_callable_choice_wins_over_repeat_rules() -> None:
    """A callable's agent is taken even where allow_repeat_speaker=False would forbid it."""
    a, b, c = members("A", "B", "C")
    seen: list[tuple[str, int]] = []

    def always_b(last: Agent, groupchat: GroupChat) -> Agent:
        seen.append((last.name, len(groupchat.messages)))
        return b

    gc = GroupChat(
        [a, b, c],
        [],
        max_round=4,
        speaker_selection_method=always_b,
        allow_repeat_speaker=False,
    )
    run(gc, a)
    assert names(gc) == ["A", "B", "B", "B"]
    assert seen == [("A", 1), ("B", 2), ("B", 3)]  # it sees the messages so far


def test_callable_returning_none_ends_the_chat() -> None:
    """A callable returning None ends the chat gracefully."""
    a, b = members("A", "B")

    def until_three(last: Agent, groupchat: GroupChat) -> Agent | None:
        return None if len(groupchat.messages) >= 3 else groupchat.next_agent(last)

    gc = GroupChat([a, b], [], max_round=10, speaker_selection_method=until_three)
    manager = run(gc, a)
    assert names(gc) == ["A", "B", "A"]
    assert manager.group_result is not None
    assert manager.group_result.finished.reason == "stopped"
    assert (
        manager.group_result.finished.detail
        == "the speaker selection function returned None"
    )


def test_callable_may_delegate_to_a_method() -> None:
    """A callable returning a method name lets that method pick among the allowed agents."""
    a, b, c = members("A", "B", "C")
    gc = GroupChat(
        [a, b, c],
        [],
        max_round=5,
        speaker_selection_method=lambda last, groupchat: "Round_Robin",
        allow_repeat_speaker=False,
    )
    run(gc, a)
    assert names(gc) == ["A", "B", "C", "A", "B"]


def test_callable_returning_a_stranger_or_a_bad_name_raises() -> None:
    """A callable returning a non-member or an unknown method is a ValueError."""
    a, b = members("A", "B")
    stranger = members("Z")[0]
    gc = GroupChat([a, b], [], speaker_selection_method=lambda last, g: stranger)
    with pytest.raises(SpeakerSelectionError, match="not a member"):
        run(gc, a)
    gc = GroupChat([a, b], [], speaker_selection_method=lambda last, g: "roundrobin")
    with pytest.raises(ValueError, match="did you mean 'round_robin'"):
        run(gc, a)


def test_auto_asks_the_model_with_the_templates_and_the_legal_names() -> None:
    """auto without a graph: AutoGen's request, its templates filled in with the legal names."""
    a, b, c = members("A", "B", "C")
    gc = GroupChat(
        [a, b, c],
        [],
        max_round=2,
        allow_repeat_speaker=False,
        select_speaker_message_template="Team:\n{roles}\nChoose from {agentlist}.",
        select_speaker_prompt_template="Next of {agentlist}?",
        role_for_select_speaker_messages="user",
    )
    model = FnModel(pick(lambda r: "C"))
    run(gc, a, model=model)
    assert names(gc) == ["A", "C"]
    (request,) = model.requests
    assert legal_names(request) == ["B", "C"]
    assert request.response_format is None
    assert request.messages[0] == {
        "role": "system",
        "content": "Team:\nB: B counts\nC: C counts\nChoose from ['B', 'C'].",
    }
    assert request.messages[-1] == {
        "role": "user",
        "content": "Next of ['B', 'C']?",
        "name": "checking_agent",
    }
    assert [m["content"] for m in request.messages[1:-1]] == ["1"]


def test_auto_reasks_with_the_multiple_or_none_template() -> None:
    """An answer naming several or no agents is asked again with AutoGen's matching template."""
    a, b, c = members("A", "B", "C")
    answers = iter(["B or C?", "Zed", json.dumps({"reason": "ok", "next": "B"})])
    model = FnModel(lambda r: next(answers))
    gc = GroupChat([a, b, c], [], max_round=2, allow_repeat_speaker=False)
    manager = run(gc, a, model=model)
    assert names(gc) == ["A", "B"]
    second, third = model.requests[1], model.requests[2]
    multiple = DEFAULT_SELECT_SPEAKER_AUTO_MULTIPLE_TEMPLATE.format(
        agentlist="['B', 'C']"
    )
    none = DEFAULT_SELECT_SPEAKER_AUTO_NONE_TEMPLATE.format(agentlist="['B', 'C']")
    assert list(second.messages[-2:]) == [
        {"role": "assistant", "content": "B or C?", "name": "speaker_selection_agent"},
        {"role": "system", "content": multiple, "name": "checking_agent"},
    ]
    assert third.messages[-1] == {
        "role": "system",
        "content": none,
        "name": "checking_agent",
    }
    assert len(model.requests) == 3
    assert manager.group_result is not None


def test_auto_accepts_a_bare_exact_name() -> None:
    """An endpoint without structured output answering just a legal name is accepted."""
    a, b, c = members("A", "B", "C")
    gc = GroupChat([a, b, c], [], max_round=3)
    run(gc, a, model=FnModel(lambda r: "  C\n"))
    assert names(gc) == ["A", "C", "C"]


ANSWERS = st.one_of(
    st.sampled_from(["A", "B", "C", "D", "a", "B ", "Admin", "", "A, B", "none"]),
    st.builds(lambda n: json.dumps({"next": n}), st.sampled_from(["A", "B", "C", "X"])),
    st.text(max_size=30),
)


@settings(max_examples=60, deadline=None)
@given(answers=st.lists(ANSWERS, min_size=1, max_size=30))
def test_no_answer_ever_makes_an_illegal_speaker(answers: list[str]) -> None:
    """Whatever the model answers, every move is an allowed transition."""
    a, b, c, d = members("A", "B", "C", "D")
    allowed = {a: [b, c], b: [a, c], c: [a], d: [a]}
    gc = GroupChat(
        [a, b, c, d],
        [],
        max_round=8,
        allowed_or_disallowed_speaker_transitions=allowed,
        speaker_transitions_type="allowed",
    )
    stream = itertools.cycle(answers)
    run(gc, a, model=FnModel(lambda r: next(stream)))
    edges = {(x.name, y.name) for x, ys in allowed.items() for y in ys}
    assert all(move in edges for move in itertools.pairwise(names(gc)))


def test_fsm_judges_conditions_and_skips_single_successors() -> None:
    """fsm: 'on' texts are judged by the model; a single successor needs no call."""
    a, b, c = members("A", "B", "C")
    machine = {
        "agents": [a, b, c],
        "transitions": [
            {"from": a, "to": b, "on": "the last number is odd"},
            {"from": a, "to": c, "on": "the last number is even"},
            {"from": b, "to": a, "on": None},
            {"from": c, "to": a, "on": None},
        ],
    }

    def judge(request: ChatRequest) -> str:
        text = "\n".join(str(m["content"]) for m in request.messages)
        last = json.loads(
            [x for x in text.splitlines() if x.startswith('{"speaker"')][-1]
        )
        odd = _number(last["text"]) % 2 == 1
        return json.dumps(
            {"reason": "parity", "condition_1": odd, "condition_2": not odd}
        )

    model = FnModel(judge)
    gc = GroupChat(
        [a, b, c],
        [],
        max_round=6,
        speaker_selection_method="FSM",
        finite_state_machine=machine,
    )
    run(gc, a, model=model)
    assert [(m["name"], m["content"]) for m in gc.messages] == [
        ("A", "1"), ("B", "2"), ("A", "3"), ("B", "4"), ("A", "5"), ("B", "6"),
    ]  # fmt: skip
    assert len(model.requests) == 3  # only after A
    assert all(r.purpose == "judge" for r in model.requests)


def test_disallowed_transitions_are_the_complement() -> None:
    """'disallowed' lists what may not follow; everything else may (self-loops too)."""
    a, b, c = members("A", "B", "C")
    gc = GroupChat(
        [a, b, c],
        [],
        allowed_or_disallowed_speaker_transitions={a: [b, a]},
        speaker_transitions_type="disallowed",
    )
    edges = {(e.source, e.target) for e in gc.to_spec().transitions}
    assert ("A", "B") not in edges
    assert ("A", "A") not in edges
    assert {("A", "C"), ("B", "B"), ("B", "A"), ("C", "A")} <= edges


def test_a_speaker_with_no_successor_ends_the_chat_gracefully() -> None:
    """A sink of the graph ends the chat; initiate_chat returns normally."""
    a, b, c = members("A", "B", "C")
    gc = GroupChat(
        [a, b, c],
        [],
        allowed_or_disallowed_speaker_transitions={a: [b], b: []},
        speaker_transitions_type="allowed",
    )
    manager = run(gc, a)
    assert names(gc) == ["A", "B"]
    assert manager.group_result is not None
    assert manager.group_result.finished.reason == "no successor"


def test_func_call_filter_picks_the_agent_that_can_run_the_function() -> None:
    """After a tool call, only an agent that can execute it is a candidate (no model call)."""
    call = {
        "id": "call_1",
        "type": "function",
        "function": {"name": "double", "arguments": '{"x": 21}'},
    }
    caller = AssistantAgent(
        "Caller",
        model=FnModel(lambda r: ChatResponse(content=None, tool_calls=(call,))),
    )
    runner = ConversableAgent(
        "Runner", human_input_mode="NEVER", function_map={"double": lambda x: 2 * x}
    )
    other = members("Other")[0]
    user = starter()
    gc = GroupChat(
        [user, caller, runner, other], [], max_round=3, allow_repeat_speaker=False
    )
    selector = FnModel(pick(lambda r: "Caller"))
    run(gc, user, model=selector)
    assert names(gc) == ["User", "Caller", "Runner"]
    assert gc.messages[1]["tool_calls"][0]["function"]["name"] == "double"
    assert (
        gc.messages[1]["role"] == "assistant"
    )  # as AutoGen: tool calls are assistant's
    assert gc.messages[2]["content"] == "42"
    assert gc.messages[2]["role"] == "tool"
    assert len(selector.requests) == 1  # only the first choice asked the model


# --------------------------------------------------------------------------
# Termination and rounds


def test_manager_termination_stops_right_after_the_message() -> None:
    """The chat stops right after a message the manager's is_termination_msg matches."""
    a, b = members("A", "B")
    gc = GroupChat([a, b], [], max_round=20, speaker_selection_method="round_robin")
    run(gc, a, is_termination_msg=lambda m: m.get("content") == "4")
    assert [m["content"] for m in gc.messages] == ["1", "2", "3", "4"]


def test_the_first_message_can_end_the_chat() -> None:
    """A first message that is a termination message ends the chat at once."""
    a, b = members("A", "B")
    gc = GroupChat([a, b], [], speaker_selection_method="round_robin")
    run(gc, a, message="TERMINATE")
    assert names(gc) == ["A"]


def test_the_recipients_termination_check_ends_the_chat() -> None:
    """A speaker whose own is_termination_msg matches gives no reply: the chat ends."""
    model = FnModel(add_one)
    a = AssistantAgent("A", model=model)
    b = AssistantAgent(
        "B", model=model, is_termination_msg=lambda m: m.get("content") == "3"
    )
    gc = GroupChat([a, b], [], max_round=20, speaker_selection_method="round_robin")
    manager = run(gc, a)
    assert [m["content"] for m in gc.messages] == ["1", "2", "3"]
    assert manager.group_result is not None
    end = manager.group_result.finished
    assert end.reason == "stopped"
    assert end.detail == "chat_manager's message is a termination message for B"


def test_max_round_counts_the_first_message() -> None:
    """max_round=3 allows exactly three messages, the first included."""
    a, b = members("A", "B")
    gc = GroupChat([a, b], [], max_round=3, speaker_selection_method="round_robin")
    manager = run(gc, a)
    assert len(gc.messages) == 3
    assert manager.group_result is not None
    assert manager.group_result.finished.reason == "max_round"


# --------------------------------------------------------------------------
# What the agents keep, what is printed


def test_messages_and_chat_messages_have_autogens_shape() -> None:
    """groupchat.messages: role user + name; chat_messages: each agent's point of view."""
    user = starter()
    a, b = members("A", "B")
    gc = GroupChat(
        [user, a, b], [], max_round=3, speaker_selection_method="round_robin"
    )
    manager = GroupChatManager(gc, output=lambda t: None)
    result = user.initiate_chat(manager, message="1")
    assert gc.messages == [
        {"content": "1", "role": "user", "name": "User"},
        {"content": "2", "role": "user", "name": "A"},
        {"content": "3", "role": "user", "name": "B"},
    ]
    assert a.chat_messages[manager] == [
        {"content": "1", "role": "user", "name": "User"},
        {"content": "2", "role": "assistant", "name": "A"},
        {"content": "3", "role": "user", "name": "B"},
    ]
    assert manager.chat_messages[a] == [
        {"content": "1", "role": "assistant", "name": "User"},
        {"content": "2", "role": "user", "name": "A"},
        {"content": "3", "role": "assistant", "name": "B"},
    ]
    assert [m["role"] for m in user.chat_messages[manager]] == [
        "assistant",
        "user",
        "user",
    ]
    assert result.chat_history == user.chat_messages[manager]
    assert result.summary == "3"


def test_group_messages_persist_until_the_manager_is_reset() -> None:
    """As in AutoGen, groupchat.messages accumulate across chats; manager.reset() empties them."""
    user = starter()
    a, b = members("A", "B")
    gc = GroupChat(
        [user, a, b], [], max_round=2, speaker_selection_method="round_robin"
    )
    manager = GroupChatManager(gc, output=lambda t: None)
    user.initiate_chat(manager, message="1")
    user.initiate_chat(manager, message="10", clear_history=False)
    assert [m["content"] for m in gc.messages] == ["1", "2", "10", "11"]
    assert len(a.chat_messages[manager]) == 4
    manager.reset()
    a.reset()
    user.initiate_chat(manager, message="20", clear_history=True)
    assert [m["content"] for m in gc.messages] == ["20", "21"]
    assert len(a.chat_messages[manager]) == 2


def test_introductions_reach_every_member_but_not_the_messages() -> None:
    """send_introductions: each member first hears who is in the group."""
    a, b = members("A", "B")
    gc = GroupChat(
        [a, b],
        [],
        max_round=2,
        speaker_selection_method="round_robin",
        send_introductions=True,
    )
    manager = run(gc, a)
    intro = b.chat_messages[manager][0]
    assert intro["name"] == "chat_manager"
    assert intro["role"] == "user"
    assert "A: A counts" in intro["content"]
    assert "B: B counts" in intro["content"]
    assert names(gc) == ["A", "B"]
    request = b.chat_model().requests[-1]  # type: ignore[attr-defined]
    assert "A: A counts" in request.messages[1]["content"]  # the model saw it


def test_printing_follows_autogen_and_can_be_silenced() -> None:
    """Messages print as 'Name (to chat_manager):' blocks; silent=True prints nothing."""
    user = starter()
    a, b = members("A", "B")
    gc = GroupChat(
        [user, a, b], [], max_round=3, speaker_selection_method="round_robin"
    )
    out: list[str] = []
    manager = GroupChatManager(gc, output=out.append)
    user.initiate_chat(manager, message="1")
    blocks = [o for o in out if "(to chat_manager)" in o]
    assert blocks == [
        f"{n} (to chat_manager):\n\n{c}\n\n{'-' * 80}"
        for n, c in [("User", "1"), ("A", "2"), ("B", "3")]
    ]
    assert [o for o in out if "Next speaker" in o] == [
        "\nNext speaker: A\n",
        "\nNext speaker: B\n",
    ]
    out.clear()
    user.initiate_chat(manager, message="1", silent=True)
    assert out == []


def test_verbose_selection_prints_each_decision() -> None:
    """select_speaker_auto_verbose prints each attempt in AutoGen's words, then the decision."""
    a, b, c = members("A", "B", "C")
    gc = GroupChat([a, b, c], [], max_round=2, select_speaker_auto_verbose=True)
    out: list[str] = []
    answers = iter(["nobody", json.dumps({"next": "C"})])
    run(gc, a, model=FnModel(lambda r: next(answers)), out=out)
    assert [o for o in out if o.startswith(">>>>>>>>")] == [
        ">>>>>>>> Select speaker attempt #1 failed as it did not include any agent names.",
        ">>>>>>>> Select speaker attempt 2 of 3 successfully selected: C",
        ">>>>>>>> next speaker: C (chosen)",
    ]


def test_graph_transitions_keep_refusing_illegal_answers() -> None:
    """With allowed transitions a choice is fsmchat's: a name outside them is refused, re-asked."""
    a, b, c = members("A", "B", "C")
    allowed = {a: [b, c], b: [c], c: [a]}
    gc = GroupChat(
        [a, b, c],
        [],
        max_round=2,
        allowed_or_disallowed_speaker_transitions=allowed,
        speaker_transitions_type="allowed",
    )
    answers = iter([json.dumps({"next": "A"}), json.dumps({"next": "C"})])
    model = FnModel(lambda r: next(answers))
    manager = run(gc, a, model=model)
    assert names(gc) == ["A", "C"]
    assert model.requests[0].response_format is not None
    assert manager.group_result is not None
    assert manager.group_result.trace[0].retries == 1


def test_failed_auto_selection_takes_the_next_agent() -> None:
    """auto without a graph: after the retries AutoGen's next agent in order speaks."""
    a, b, c = members("A", "B", "C")
    gc = GroupChat([a, b, c], [], max_round=5, max_retries_for_selecting_speaker=1)
    model = FnModel(lambda r: "Mallory")
    run(gc, a, model=model)
    assert names(gc) == ["A", "B", "C", "A", "B"]
    assert len(model.requests) == 2 * 4


def test_no_route_is_reported() -> None:
    """With a transition graph, when no legal speaker can be chosen the chat ends and says so."""
    a, b, c = members("A", "B", "C")
    gc = GroupChat(
        [a, b, c],
        [],
        max_round=5,
        max_retries_for_selecting_speaker=0,
        allowed_or_disallowed_speaker_transitions={a: [b, c], b: [c], c: [a]},
        speaker_transitions_type="allowed",
    )
    out: list[str] = []
    manager = run(gc, a, model=FnModel(lambda r: "Mallory"), out=out)
    assert names(gc) == ["A"]
    assert manager.group_result is not None
    assert manager.group_result.finished.reason == "no route"
    assert any("without a legal next speaker" in line for line in out)


def test_a_sender_outside_the_group_starts_it() -> None:
    """An agent that is not a member may start the chat; it is never chosen again."""
    outsider = starter("Boss")
    a, b = members("A", "B")
    gc = GroupChat([a, b], [], max_round=4)
    model = FnModel(first_legal)
    run(gc, outsider, model=model)
    assert names(gc) == ["Boss", "A", "A", "A"]
    assert legal_names(model.requests[0]) == ["A", "B"]


def test_decisions_see_all_messages_when_asked() -> None:
    """With a graph, select_speaker_context=None quotes the whole chat; without one AutoGen's request has it all."""
    a, b, c = members("A", "B", "C")
    complete = {a: [b, c], b: [a, c], c: [a, b]}
    gc = GroupChat(
        [a, b, c],
        [],
        max_round=4,
        select_speaker_context=None,
        allowed_or_disallowed_speaker_transitions=complete,
        speaker_transitions_type="allowed",
    )
    model = FnModel(first_legal)
    run(gc, a, model=model)
    assert model.requests[-1].messages[1]["content"].count('{"speaker"') == 3
    plain = GroupChat(members("A", "B", "C"), [], max_round=4)
    model = FnModel(first_legal)
    run(plain, plain.agents[0], model=model)
    assert len(model.requests[-1].messages) == 1 + 3 + 1


def test_to_spec_gives_the_fsm_of_the_group_chat() -> None:
    """to_spec: the complete graph without self-loops, or the fsm with its conditions."""
    a, b, c = members("A", "B", "C")
    gc = GroupChat([a, b, c], [], allow_repeat_speaker=[b])
    spec = gc.to_spec(start=a, message="hi")
    edges = {(e.source, e.target) for e in spec.transitions}
    assert ("B", "B") in edges
    assert ("A", "A") not in edges
    assert len(edges) == 7
    assert spec.start == "A"
    assert spec.message == "hi"
    machine = {"agents": [a, b], "transitions": [{"from": a, "to": b, "on": "done"}]}
    fsm = GroupChat(
        [a, b, c], [], speaker_selection_method="fsm", finite_state_machine=machine
    )
    assert [(e.source, e.target, e.on) for e in fsm.to_spec().transitions] == [
        ("A", "B", "done")
    ]


def test_agent_is_the_agents_base_class() -> None:
    """AutoGen's Agent import works for type hints and isinstance."""
    assert isinstance(members("A")[0], Agent)
    assert isinstance(starter(), Agent)


def test_check_reports_a_condition_naming_the_wrong_agent(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """check() runs fsmchat's checker; the manager logs its findings as warnings."""
    a, b, c = members("A", "B", "C")
    machine = {
        "agents": [a, b, c],
        "transitions": [
            {"from": a, "to": b, "on": "the next speaker can only be `C`"},
            {"from": a, "to": c, "on": "otherwise"},
            {"from": b, "to": a, "on": None},
            {"from": c, "to": a, "on": None},
        ],
    }
    gc = GroupChat(
        [a, b, c], [], speaker_selection_method="fsm", finite_state_machine=machine
    )
    codes = [p.code for p in gc.check(is_termination_msg=lambda m: False)]
    assert codes == ["condition-names-other-agent"]
    with caplog.at_level("WARNING", logger="fsmchat.autogen"):
        GroupChatManager(gc, model=FnModel(first_legal))
    assert "names 'C', which is neither its source nor its target" in caplog.text


def test_group_chat_takes_autogens_positional_arguments_and_keeps_them() -> None:
    """GroupChat(agents, messages, max_round, admin_name, ...) in AutoGen's order; the list given is kept."""
    a = ConversableAgent("a", llm_config=False)
    b = ConversableAgent("b", llm_config=False)
    history: list[dict[str, Any]] = []
    gc = GroupChat((a, b), history, 7, "Boss", False, "round_robin")
    assert gc.agents == [a, b]
    assert gc.messages is history
    assert (gc.max_round, gc.admin_name, gc.func_call_filter) == (7, "Boss", False)
    assert gc.speaker_selection_method == "round_robin"
    assert GroupChat([a, b], messages=None).messages == []
    assert GroupChat([a, b], seed=5).seed == 5
    params = inspect.signature(GroupChat).parameters
    positional = [n for n, p in params.items() if p.kind is p.POSITIONAL_OR_KEYWORD]
    assert positional[0] == "agents"
    assert positional[-1] == "role_for_select_speaker_messages"
    extras = (
        "finite_state_machine",
        "graph_dict",
        "select_speaker_context",
        "seed",
        "human",
    )
    assert all(params[n].kind is inspect.Parameter.KEYWORD_ONLY for n in extras)
