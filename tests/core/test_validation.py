"""Every validation branch on its own: the library constructors, check, answers, verify, autogen.

The constructors (``Spec``, ``Selection``, ``Engine``, ``Routing``) refuse each bad
option alone, and each fault a sampled mutation run found no test for (issue 18)
has its test here. Problems of spec files are in ``test_spec_problems.py``.
"""

from __future__ import annotations

from typing import Any

import pytest

import fsmchat
import fsmchat.testing
from fsmchat import (
    AgentSpec,
    Edge,
    Engine,
    InvalidArgument,
    Routing,
    Selection,
    Spec,
    SpecError,
    routing_for_mode,
    spec_from_autogen,
    spec_from_dict,
)
from fsmchat._core.check import check_spec
from fsmchat._core.prompts import judge_schema, parse_choice, parse_verdicts
from fsmchat._core.transcript import load_transcript
from fsmchat._core.verify import verify_transcript
from tests.helpers import agents

# --------------------------------------------------------------------------
# The library constructors


def _python_problems(**fields: Any) -> list[tuple[str, str]]:
    base: dict[str, Any] = {
        "agents": [AgentSpec(name="Ann"), AgentSpec(name="Bob")],
        "transitions": [Edge(source="Ann", target="Bob")],
    }
    with pytest.raises(SpecError) as info:
        Spec(**{**base, **fields})
    return [(p.code, p.message) for p in info.value.problems]


PYTHON_PROBLEMS = [
    (
        "no-agents",
        {"agents": [], "transitions": []},
        "missing-key",
        "agents: a spec needs at least one agent",
    ),
    (
        "empty-name",
        {"agents": [AgentSpec(name=""), AgentSpec(name="Ann"), AgentSpec(name="Bob")]},
        "bad-value",
        "agents[0].name: agent names must not be empty",
    ),
    (
        "bad-kind",
        {"agents": [AgentSpec(name="Ann", kind="bot"), AgentSpec(name="Bob")]},
        "bad-value",
        "agents[0].kind: agent 'Ann': kind must be one of",
    ),
    (
        "function-without-reply",
        {"agents": [AgentSpec(name="Ann", kind="function"), AgentSpec(name="Bob")]},
        "missing-key",
        "agents[0]: function agent 'Ann' has no reply function",
    ),
    (
        "duplicate-name",
        {
            "agents": [
                AgentSpec(name="Ann"),
                AgentSpec(name="Bob"),
                AgentSpec(name="Ann"),
            ]
        },
        "duplicate-agent",
        "agents[2].name: duplicate agent name 'Ann'",
    ),
    (
        "unknown-start",
        {"start": "Cy"},
        "unknown-agent",
        "start: unknown agent 'Cy' in start",
    ),
    (
        "unknown-end",
        {"end": ["Bob", "Bo"]},
        "unknown-agent",
        "end[1]: unknown agent 'Bo' in end; did you mean 'Bob'?",
    ),
    (
        "unknown-from",
        {"transitions": [Edge(source="Anne", target="Bob")], "start": "Ann"},
        "unknown-agent",
        "transitions[0].from: unknown agent 'Anne'",
    ),
    (
        "unknown-to",
        {"transitions": [Edge(source="Ann", target="Bobby")]},
        "unknown-agent",
        "transitions[0].to: unknown agent 'Bobby'",
    ),
    (
        "default-with-when",
        {
            "transitions": [
                Edge(
                    source="Ann", target="Bob", default=True, when=fsmchat.Contains("x")
                )
            ]
        },
        "bad-default",
        "transitions[0].default: a default edge takes no",
    ),
    (
        "two-defaults",
        {
            "transitions": [
                Edge(source="Ann", target="Bob", default=True),
                Edge(source="Ann", target="Ann", default=True),
            ]
        },
        "bad-default",
        "transitions[1].default: agent 'Ann' already has a default edge (transitions[0])",
    ),
    (
        "max-round-zero",
        {"max_round": 0},
        "bad-value",
        "max_round: max_round must be at least 1, got 0",
    ),
]


@pytest.mark.parametrize(
    ("fields", "code", "message"),
    [pytest.param(*case[1:], id=case[0]) for case in PYTHON_PROBLEMS],
)
def test_spec_constructor_refuses_each_problem(
    fields: dict[str, Any], code: str, message: str
) -> None:
    """``Spec(...)`` from Python reports each problem alone, naming its data path."""
    problems = _python_problems(**fields)
    assert len(problems) == 1, problems
    assert problems[0][0] == code
    assert problems[0][1].startswith(message)


def test_spec_constructor_defaults() -> None:
    """A Python spec starts at its first edge's source (else its first agent), 10 rounds."""
    spec = Spec(
        agents=[AgentSpec(name="Ann"), AgentSpec(name="Bob")],
        transitions=[Edge(source="Bob", target="Ann")],
    )
    assert (spec.start, spec.max_round, spec.allow_repeat_speaker) == ("Bob", 10, True)
    assert spec.transitions[0].index == 0
    alone = Spec(agents=[AgentSpec(name="Ann"), AgentSpec(name="Bob")], transitions=[])
    assert alone.start == "Ann"
    assert AgentSpec(name="A", system_message="s").description == "s"
    assert Edge(source="A", target="B").unconditional
    assert not Edge(source="A", target="B", default=True).unconditional
    assert not Edge(source="A", target="B", on="c").unconditional


def test_selection_refuses_negative_retries() -> None:
    """``Selection(max_retries=-1)`` raises; 0 is allowed."""
    assert Selection(max_retries=0).max_retries == 0
    with pytest.raises(
        InvalidArgument, match=r"max_retries=\.\.\.\) must be an int >= 0, got -1"
    ):
        Selection(max_retries=-1)


@pytest.fixture
def two() -> Spec:
    """A two-agent spec."""
    return Spec(
        agents=[AgentSpec(name="Ann"), AgentSpec(name="Bob")],
        transitions=[Edge(source="Ann", target="Bob")],
    )


@pytest.mark.parametrize(
    "options",
    [
        pytest.param({"max_retries": -1}, id="max_retries=-1"),
        pytest.param({"max_round": 0}, id="max_round=0"),
        pytest.param({"max_round": -3, "max_retries": 1}, id="max_round=-3"),
    ],
)
def test_engine_refuses_out_of_range_options(
    two: Spec, options: dict[str, int]
) -> None:
    """``Engine`` raises InvalidArgument for each out-of-range option on its own."""
    with pytest.raises(InvalidArgument, match="must be >= 0"):
        Engine(two, **options)


def test_engine_accepts_edge_values(two: Spec) -> None:
    """max_retries=0 and max_round=1 are legal; overrides win over the spec's."""
    engine = Engine(two, max_retries=0, max_round=1, message="hi", context=None)
    assert (engine.max_retries, engine.max_round, engine.context) == (0, 1, None)
    assert engine.next_request().reason == "max_round"
    defaults = Engine(two)
    assert (defaults.max_retries, defaults.max_round, defaults.context) == (2, 10, 1)


@pytest.mark.parametrize(
    "fields", [{"graph": "full"}, {"conditions": "guard"}, {"graph": ""}]
)
def test_routing_refuses_unknown_values(fields: dict[str, str]) -> None:
    """``Routing`` accepts only its listed graphs and conditions, naming them."""
    with pytest.raises(InvalidArgument, match="must be one of"):
        Routing(**fields)


def test_routing_for_mode_names_every_mode_and_hints() -> None:
    """Each named mode maps to its Routing; an unknown one gets a did-you-mean."""
    assert routing_for_mode("fsm") == Routing()
    assert routing_for_mode("fsm-nl") == Routing(conditions="language")
    assert routing_for_mode("graph") == Routing(conditions="ignore")
    assert routing_for_mode("free") == Routing(graph="complete", conditions="ignore")
    with pytest.raises(InvalidArgument, match="did you mean 'free'"):
        routing_for_mode("fre")
    with pytest.raises(
        InvalidArgument, match="expected one of fsm, fsm-nl, graph, free"
    ):
        routing_for_mode("zzzzzz")


# --------------------------------------------------------------------------
# The checker


def _findings(spec: Spec) -> list[tuple[str, str]]:
    return [(p.code, p.message.split(":", 1)[0]) for p in check_spec(spec)]


def test_open_choice_after_guarded_edges_is_reported() -> None:
    """Guarded edges before two unconditional edges still leave an open choice."""
    spec = Spec(
        agents=[AgentSpec(name=n, kind="human") for n in ("A", "B", "C", "D")],
        transitions=[
            Edge(source="A", target="D", when=fsmchat.Contains("x")),
            Edge(source="A", target="D", on="they asked for D"),
            Edge(source="A", target="B"),
            Edge(source="A", target="C"),
            Edge(source="B", target="A"),
            Edge(source="C", target="A"),
            Edge(source="D", target="A"),
        ],
    )
    assert ("open-choice", "transitions[3]") in _findings(spec)


def test_condition_naming_a_multi_word_agent_is_reported() -> None:
    """An `on` text naming another agent of several words is flagged, whole words only."""
    spec = Spec(
        agents=[AgentSpec(name=n, kind="human") for n in ("Ann", "Bob", "Dee Dee")],
        transitions=[
            Edge(source="Ann", target="Bob", on="Dee Dee asked for it"),
            Edge(source="Ann", target="Bob", on="Dee Deer asked for it"),
            Edge(source="Bob", target="Dee Dee", on="the text is for Dee Dee"),
            Edge(source="Dee Dee", target="Ann"),
        ],
    )
    named = [p for p in check_spec(spec) if p.code == "condition-names-other-agent"]
    assert len(named) == 1
    assert named[0].message.startswith("transitions[0].on:")
    assert "names 'Dee Dee'" in named[0].message
    assert "did the text mean 'Bob'?" in named[0].message


# --------------------------------------------------------------------------
# Model answers and schemas


def test_choice_after_a_non_json_bracket_is_found() -> None:
    """A `[` or `{` that starts no JSON before the real answer does not hide it."""
    assert parse_choice('I pick [Bob], see {"reason": "r", "next": "Bob"}') == "Bob"
    assert parse_choice('{oops} then {"reason": "r", "next": "Ann"}') == "Ann"
    assert parse_verdicts('[maybe] {"reason": "r", "condition_1": true}', 1) == [True]


def test_judge_schema_forbids_extra_properties() -> None:
    """The judge schema is strict: exactly reason and the n verdicts, nothing else."""
    schema = judge_schema(2)["json_schema"]
    assert schema["strict"] is True
    assert schema["schema"]["additionalProperties"] is False
    assert schema["schema"]["required"] == ["reason", "condition_1", "condition_2"]


# --------------------------------------------------------------------------
# verify


MALFORMED_TRACES = [
    pytest.param("abc", "expected a list of decisions, got str", id="string"),
    pytest.param({"round": 1}, "expected a list of decisions, got dict", id="mapping"),
    pytest.param([5], "trace[0]", id="number-item"),
    pytest.param([{"round": 1}], "KeyError", id="missing-source"),
    pytest.param([{"round": "one", "source": "A"}], "ValueError", id="bad-round"),
    pytest.param(
        [{"round": 1, "source": "A", "attempts": [5]}],
        "AttributeError",
        id="bad-attempt",
    ),
    pytest.param(
        [{"round": 1, "source": "A", "guards": [{"edge": 0}]}],
        "TypeError",
        id="short-guard",
    ),
    pytest.param(
        [
            {
                "round": 1,
                "source": "A",
                "guards": [{"edge": [0], "target": "B", "kind": "on", "result": True}],
            }
        ],
        "guards[0] must have",
        id="list-edge",
    ),
    pytest.param(
        [
            {
                "round": 1,
                "source": "A",
                "guards": [{"edge": 0, "target": "B", "kind": "on", "result": "yes"}],
            }
        ],
        "guards[0] must have",
        id="text-result",
    ),
    pytest.param(
        [{"round": 1, "source": "A", "target": ["B"]}],
        "'target' must be a name",
        id="list-target",
    ),
    pytest.param(
        [{"round": 1, "source": "A", "edge": "0"}],
        "'edge' must be an integer",
        id="text-edge",
    ),
]


@pytest.mark.parametrize(("trace", "words"), MALFORMED_TRACES)
def test_malformed_trace_is_a_clean_error(trace: object, words: str) -> None:
    """A transcript whose trace is malformed is refused with InvalidArgument, saying where."""
    data = {"messages": [{"name": "A", "content": "x"}], "trace": trace}
    with pytest.raises(InvalidArgument, match="'trace' is malformed") as info:
        load_transcript(data)
    assert words in str(info.value)


def test_transcript_ending_at_a_dead_end_is_complete() -> None:
    """A chat that ends at an agent without outgoing edges is not 'cut short'."""
    spec = Spec(
        agents=[AgentSpec(name="A"), AgentSpec(name="B")],
        transitions=[Edge(source="A", target="B")],
    )
    done = [
        fsmchat.Message(name="A", content="x"),
        fsmchat.Message(name="B", content="y"),
    ]
    report = verify_transcript(spec, done)
    assert report.ok
    assert report.notes == ()
    short = verify_transcript(spec, done[:1])
    assert len(short.notes) == 1
    assert "cut short" in short.notes[0]
    after = verify_transcript(spec, [*done, fsmchat.Message(name="A", content="z")])
    assert [s.ok for s in after.steps] == [True, True, False]
    assert "'B' has no usable outgoing edge" in after.steps[2].why


# --------------------------------------------------------------------------
# spec_from_autogen


class _Agent:
    """Stands for an AutoGen agent object: a name, a description, a system message."""

    def __init__(self, name: str, description: str | None, system_message: str) -> None:
        self.name = name
        self.description = description
        self.system_message = system_message


def test_spec_from_autogen_reads_agent_objects() -> None:
    """Agent objects give names, descriptions (else system messages) and edges."""
    ann = _Agent("Ann", "plans", "you plan")
    bob = _Agent("Bob", None, "you code")
    spec = spec_from_autogen(
        {
            "agents": [ann, bob, {"name": "Cy", "system_message": "you test"}],
            "transitions": [
                {"from": ann, "to": bob, "on": "a plan exists"},
                {"from": bob, "to": "Cy"},
                {"from": {"name": "Cy"}, "to": ann},
            ],
        },
        max_round=5,
        allow_repeat_speaker=False,
        message="go",
        name="ag",
    )
    assert spec.names == ("Ann", "Bob", "Cy")
    assert [a.description for a in spec.agents] == ["plans", "you code", "you test"]
    assert spec.agents[0].system_message == "you plan"
    assert [(e.source, e.target, e.on) for e in spec.transitions] == [
        ("Ann", "Bob", "a plan exists"),
        ("Bob", "Cy", None),
        ("Cy", "Ann", None),
    ]
    assert spec.allow_repeat_speaker is False
    assert (spec.max_round, spec.message, spec.name, spec.start) == (
        5,
        "go",
        "ag",
        "Ann",
    )


def test_spec_from_autogen_reports_every_problem_at_once() -> None:
    """Non-agents and malformed transitions are all listed in one SpecError."""
    with pytest.raises(SpecError) as info:
        spec_from_autogen(
            {
                "agents": [_Agent("Ann", "a", ""), 42, {"nome": "Bob"}],
                "transitions": [
                    "Ann->Bob",
                    {"from": "Ann"},
                    {"from": "Ann", "to": "Ann"},
                ],
            }
        )
    messages = [p.message for p in info.value.problems]
    assert len(messages) == 4
    assert messages[0].startswith("agents[1]: not an agent: 42")
    assert messages[1].startswith("agents[2]: not an agent")
    assert messages[2].startswith("transitions[0]: expected a mapping")
    assert messages[3].startswith("transitions[1]: needs 'from' and 'to'")
    assert all(p.path == "<fsm>" for p in info.value.problems)


def test_spec_from_dict_without_locations_names_paths() -> None:
    """Problems of plain data name the data path of each problem."""
    with pytest.raises(SpecError) as info:
        spec_from_dict(
            {"agents": [{"name": "Ann"}], "transitions": [{"from": "Ann", "to": "Bo"}]}
        )
    (problem,) = info.value.problems
    assert problem.message.startswith("transitions[0].to: unknown agent 'Bo'")
    assert (problem.line, problem.column) == (0, 0)


def test_recorded_fallback_names_the_default_edge() -> None:
    """With the trace, a fallback to a default whose target is also open counts the default."""
    spec = Spec(
        agents=agents("A", "B", "C"),
        transitions=[
            Edge(source="A", target="B"),
            Edge(source="A", target="B", default=True),
            Edge(source="A", target="C"),
        ],
        selection=Selection(max_retries=0),
        message="go",
        max_round=2,
    )
    result = fsmchat.run_chat(spec, selector=fsmchat.testing.ScriptedSelector(["D"]))
    assert result.trace[0].reason == "fallback: default edge"
    with_trace = verify_transcript(spec, result.messages, trace=result.trace)
    assert with_trace.edge_counts() == {1: 1}
    assert verify_transcript(spec, result.messages).edge_counts() == {0: 1}
