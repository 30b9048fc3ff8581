"""Transcript verification: legal runs pass, #1400's GPT-4 runs fail where they broke the rules."""

from __future__ import annotations

import json
import re

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fsmchat
from fsmchat._core.transcript import load_transcript
from fsmchat._core.verify import verify_transcript
from fsmchat.testing import FunctionSelector
from tests.helpers import ROOT, SPECS

DATA = ROOT / "tests" / "data"

NL_SPEC = """
name: counting_nl_only
start: User
message: "1"
max_round: 25
allow_repeat_speaker: false
terminate_when: {endswith: TERMINATE}
agents:
  - {name: User, function: "fsmchat.examples.counting:add_one"}
  - {name: Planner, function: "fsmchat.examples.counting:add_one"}
  - {name: Engineer, function: "fsmchat.examples.counting:add_one"}
  - {name: Executor, function: "fsmchat.examples.counting:add_one"}
  - {name: Critic, function: "fsmchat.examples.counting:add_one"}
transitions:
  - {from: User, to: Planner}
  - {from: Planner, to: Engineer}
  - {from: Engineer, to: Executor, on: "The Engineer's number is a multiple of 3."}
  - {from: Engineer, to: Critic, on: "The Engineer's number is not a multiple of 3."}
  - {from: Executor, to: Engineer}
  - {from: Critic, to: Planner, on: "The Critic's number is a multiple of 5."}
  - {from: Critic, to: Engineer, on: "The Critic's number is not a multiple of 5."}
"""


def counting() -> fsmchat.Spec:
    return fsmchat.load_spec(SPECS / "counting.yaml", allow=[])


def autogen(path: str) -> list[fsmchat.Message]:
    return list(load_transcript(json.loads((DATA / path).read_text())).messages)


def names(*who: str) -> list[fsmchat.Message]:
    return [fsmchat.Message(name=n, content=str(i + 1)) for i, n in enumerate(who)]


def oracle(request: fsmchat.Choose | fsmchat.Judge) -> object:
    """Judges `multiple of N` conditions by the last number, like a perfect model."""
    assert isinstance(request, fsmchat.Judge)
    n = int(request.context[-1].content)
    out = []
    for c in request.conditions:
        k = int(re.search(r"multiple of (\d+)", c.text).group(1))  # type: ignore[union-attr]
        out.append((n % k == 0) != ("not a multiple" in c.text))
    return out


@pytest.mark.parametrize(
    ("path", "first", "count"),
    [
        ("gpt4_0613_descriptions.json", (5, "Engineer", "Planner"), 2),
        ("gpt4_0613_graph.json", (4, "Executor", "Critic"), 6),
        ("gpt4_1106_descriptions.json", (4, "Executor", "Critic"), 4),
    ],
)
def test_gpt4_transcripts_from_1400_fail_at_first_illegal_step(
    path: str, first: tuple[int, str, str], count: int
) -> None:
    """The GPT-4 runs of #1400, saved as AutoGen lists, are illegal runs of the counting spec."""
    report = verify_transcript(counting(), autogen(path))
    assert not report.ok
    step = report.illegal[0]
    assert (step.index, step.source, step.target) == first
    assert len(report.illegal) == count


def test_first_illegal_step_says_why() -> None:
    """The reason names the guard that held and the only legal speaker."""
    step = verify_transcript(
        counting(), autogen("gpt4_0613_descriptions.json")
    ).illegal[0]
    assert "there is no edge 'Engineer' -> 'Planner'" in step.why
    assert "only 'Critic' may speak" in step.why


def test_engine_run_is_legal() -> None:
    """A transcript the engine produced is legal at every step, checked offline."""
    result = fsmchat.run_chat(counting())
    report = verify_transcript(counting(), result.messages)
    assert report.ok
    assert not report.unchecked
    assert not report.notes
    assert len(report.steps) == len(result.messages)


def test_nl_steps_are_not_checkable_offline_without_decisions() -> None:
    """Steps settled by natural-language conditions are legal but unchecked, with a note."""
    spec = fsmchat.parse_spec(NL_SPEC)
    result = fsmchat.run_chat(spec, selector=FunctionSelector(oracle))
    report = verify_transcript(spec, result.messages)
    assert report.ok
    assert report.unchecked
    assert all("legal if" in s.why for s in report.unchecked)


def test_recorded_decisions_make_nl_steps_checkable() -> None:
    """With the run's trace, every natural-language step is checked exactly."""
    spec = fsmchat.parse_spec(NL_SPEC)
    result = fsmchat.run_chat(spec, selector=FunctionSelector(oracle))
    t = load_transcript(json.loads(json.dumps(result.to_dict())))
    report = verify_transcript(spec, t.messages, trace=t.trace)
    assert report.ok
    assert not report.unchecked


def test_recorded_decisions_catch_a_swapped_speaker() -> None:
    """A speaker that contradicts the recorded verdicts is illegal."""
    spec = fsmchat.parse_spec(NL_SPEC)
    result = fsmchat.run_chat(spec, selector=FunctionSelector(oracle))
    messages = list(result.messages)
    i = next(k for k, m in enumerate(messages) if m.name == "Executor")
    messages[i] = fsmchat.Message(name="Critic", content=messages[i].content)
    report = verify_transcript(spec, messages, trace=result.trace)
    assert report.illegal[0].index == i
    assert "recorded decision chose 'Executor'" in report.illegal[0].why


def test_nl_only_spec_still_rejects_moves_that_are_no_edge() -> None:
    """Even without verdicts, a move that no condition could allow is illegal."""
    spec = fsmchat.parse_spec(NL_SPEC)
    report = verify_transcript(spec, autogen("gpt4_0613_graph.json"))
    step = report.illegal[0]
    assert (step.index, step.source, step.target) == (4, "Executor", "Critic")


def test_first_speaker_must_be_start() -> None:
    """A transcript that does not open with the start agent is illegal at step 0."""
    report = verify_transcript(counting(), names("Planner", "Engineer"))
    assert report.illegal[0].index == 0
    assert "must be the start agent's ('User')" in report.illegal[0].why


def test_unknown_speaker_gets_a_hint() -> None:
    """A speaker that is not an agent is illegal, with a did-you-mean hint."""
    report = verify_transcript(counting(), names("User", "Planer"))
    assert "did you mean 'Planner'?" in report.illegal[0].why


def test_message_after_termination_is_illegal() -> None:
    """Nothing may follow a message for which terminate_when held."""
    msgs = [
        fsmchat.Message(name="User", content="1"),
        fsmchat.Message(name="Planner", content="TERMINATE"),
        fsmchat.Message(name="Engineer", content="3"),
    ]
    step = verify_transcript(counting(), msgs).illegal[0]
    assert step.index == 2
    assert "terminate_when" in step.why


def test_message_after_max_round_is_illegal() -> None:
    """A chat longer than max_round messages is illegal at the first extra message."""
    spec = fsmchat.parse_spec(
        "max_round: 2\nagents: [{name: A}, {name: B}]\n"
        "transitions: [{from: A, to: B}, {from: B, to: A}]\n"
    )
    report = verify_transcript(spec, names("A", "B", "A"))
    assert [s.index for s in report.illegal] == [2]
    assert "max_round=2" in report.illegal[0].why


def test_cut_short_transcript_gets_a_note() -> None:
    """A transcript that stops before the chat ended is legal, with a note."""
    report = verify_transcript(counting(), names("User", "Planner"))
    assert report.ok
    assert "cut short" in report.notes[0]


def test_fsmchat_transcript_format_is_read() -> None:
    """`fsmchat run --json` output loads with its messages and trace."""
    result = fsmchat.run_chat(counting())
    t = load_transcript(result.to_dict())
    assert [m.name for m in t.messages] == [m.name for m in result.messages]
    assert len(t.trace) == len(result.trace)


def test_two_agent_chat_messages_without_names_are_inferred() -> None:
    """AutoGen chat_messages without names: speakers come from roles, and a note says so."""
    spec = fsmchat.parse_spec(
        "start: user_proxy\nagents: [{name: user_proxy}, {name: assistant}]\n"
        "transitions: [{from: user_proxy, to: assistant}, {from: assistant, to: user_proxy}]\n"
        "max_round: 20\n"
    )
    data = [
        {"content": "solve it", "role": "assistant"},
        {"content": "```python\nprint(1)\n```", "role": "user"},
        {"content": "exitcode: 0", "role": "assistant"},
    ]
    t = load_transcript(data, spec=spec)
    assert [m.name for m in t.messages] == ["user_proxy", "assistant", "user_proxy"]
    assert "inferred from 'role'" in t.notes[0]
    assert verify_transcript(spec, t.messages).ok


def test_nameless_messages_in_a_group_chat_are_reported() -> None:
    """Without names in a bigger chat the speakers stay unknown and are reported."""
    t = load_transcript([{"content": "1", "role": "user"}], spec=counting())
    assert "no 'name'" in t.notes[0]
    report = verify_transcript(counting(), t.messages)
    assert "no speaker name" in report.illegal[0].why


@pytest.mark.parametrize(
    ("data", "match"),
    [
        ({"format": "other/2", "messages": []}, "unknown transcript format"),
        ({"nothing": 1}, "'messages' list"),
        ("text", "got str"),
        ([1], r"messages\[0\]"),
    ],
)
def test_bad_transcript_shapes_are_invalid_arguments(data: object, match: str) -> None:
    """Data that is no transcript raises InvalidArgument naming the problem."""
    with pytest.raises(fsmchat.InvalidArgument, match=match):
        load_transcript(data)


def test_report_counts_edges_and_illegal_moves() -> None:
    """The report counts legal edges taken and illegal moves, for `draw --trace`."""
    report = verify_transcript(counting(), autogen("gpt4_0613_graph.json"))
    assert report.illegal_moves()[("Executor", "Critic")] == 4
    assert report.edge_counts()[0] == 1  # User -> Planner


@st.composite
def chats(draw: st.DrawFn) -> tuple[fsmchat.Spec, list[bool | str]]:
    """A random spec of function agents with guarded, NL, open and default edges,
    plus the answers a selector gives (verdicts are drawn per condition)."""
    n = draw(st.integers(1, 5))
    names = [f"A{i}" for i in range(n)]
    words = ["k0", "k1", "k2"]
    replies = draw(
        st.lists(st.sampled_from([*words, "x", "k0 k1"]), min_size=1, max_size=6)
    )

    def reply(view: fsmchat.ChatView) -> str:
        return replies[view.round % len(replies)]

    edges = []
    for a in names:
        for _ in range(draw(st.integers(0, 4))):
            b = draw(st.sampled_from(names))
            kind = draw(st.sampled_from(["open", "open", "when", "on", "on", "both"]))
            when = (
                fsmchat.Contains(draw(st.sampled_from(words)))
                if kind in ("when", "both")
                else None
            )
            on = f"condition {len(edges)}" if kind in ("on", "both") else None
            edges.append(fsmchat.Edge(source=a, target=b, when=when, on=on))
        if draw(st.booleans()):
            edges.append(
                fsmchat.Edge(
                    source=a, target=draw(st.sampled_from(names)), default=True
                )
            )
    edges = draw(st.permutations(edges)) if draw(st.booleans()) else edges
    spec = fsmchat.Spec(
        agents=[fsmchat.AgentSpec(name=x, kind="function", reply=reply) for x in names],
        transitions=edges,
        max_round=draw(st.integers(1, 16)),
        allow_repeat_speaker=draw(st.booleans()),
        end=draw(st.lists(st.sampled_from(names), max_size=1)),
        terminate_when=fsmchat.Contains("k2") if draw(st.booleans()) else None,
        selection=fsmchat.Selection(max_retries=draw(st.integers(0, 1))),
    )
    return spec, draw(st.lists(st.booleans(), min_size=40, max_size=40))


@settings(max_examples=200)
@given(chats(), st.integers(0, 2**16))
def test_every_engine_run_verifies(
    chat: tuple[fsmchat.Spec, list[bool]], seed: int
) -> None:
    """Whatever the engine does, verify agrees: legal always; exact with the trace."""
    spec, coins = chat
    rng = fsmchat.RandomSelector(seed)
    flips = iter(coins * 50)

    def answer(request: fsmchat.Choose | fsmchat.Judge) -> object:
        if next(flips):
            return "not an agent"  # invalid half the time: exercises the fallback
        if isinstance(request, fsmchat.Judge):
            return [next(flips) for _ in request.conditions]
        return rng.select(request).value

    result = fsmchat.run_chat(spec, selector=FunctionSelector(answer))
    with_trace = verify_transcript(spec, result.messages, trace=result.trace)
    assert with_trace.ok, [str(s) for s in with_trace.illegal]
    assert not with_trace.unchecked
    assert verify_transcript(spec, result.messages).ok


FALLBACK_SPEC = """
message: "1"
agents:
  - {name: A, function: "fsmchat.examples.counting:add_one"}
  - {name: B, function: "fsmchat.examples.counting:add_one"}
  - {name: C, function: "fsmchat.examples.counting:add_one"}
  - {name: D, function: "fsmchat.examples.counting:add_one"}
end: [B, C, D]
transitions:
  - {from: A, to: B}
  - {from: A, to: C}
  - {from: A, to: D, default: true}
"""


def test_choose_fallback_to_default_is_legal() -> None:
    """After invalid choices the default edge is a legal move, with or without the trace."""
    spec = fsmchat.parse_spec(FALLBACK_SPEC)
    result = fsmchat.run_chat(spec, selector=FunctionSelector(lambda r: "nobody"))
    assert [m.name for m in result.messages] == ["A", "D"]
    assert verify_transcript(spec, result.messages).ok
    assert verify_transcript(spec, result.messages, trace=result.trace).ok


def test_decisions_keyword_still_works_with_a_deprecation_warning() -> None:
    """`verify_transcript(decisions=...)`, the old name of `trace=`, warns and judges the same."""
    spec = fsmchat.parse_spec(FALLBACK_SPEC)
    result = fsmchat.run_chat(spec, selector=FunctionSelector(lambda r: "nobody"))
    new = verify_transcript(spec, result.messages, trace=result.trace)
    with pytest.warns(DeprecationWarning, match="use trace="):
        old = verify_transcript(spec, result.messages, decisions=result.trace)
    assert old == new


def test_default_is_illegal_when_one_open_edge_decides() -> None:
    """With a single open successor the default edge can never be taken."""
    spec = fsmchat.parse_spec(FALLBACK_SPEC.replace("  - {from: A, to: C}\n", ""))
    report = verify_transcript(spec, names("A", "D"))
    assert "legal next speakers after 'A': 'B'" in report.illegal[0].why


def test_first_true_verdict_wins() -> None:
    """When several recorded verdicts hold, only the first edge's target is legal."""
    spec = fsmchat.parse_spec(
        FALLBACK_SPEC.replace(
            "  - {from: A, to: B}\n  - {from: A, to: C}\n",
            "  - {from: A, to: B, on: b}\n  - {from: A, to: C, on: c}\n",
        )
    )
    result = fsmchat.run_chat(spec, selector=FunctionSelector(lambda r: [True, True]))
    assert [m.name for m in result.messages] == ["A", "B"]
    swapped = [result.messages[0], fsmchat.Message(name="C", content="2")]
    report = verify_transcript(spec, swapped, trace=result.trace)
    assert not report.ok
    assert not verify_transcript(
        spec, swapped, trace=[attrs.evolve(result.trace[0], target=None)]
    ).ok
    unchecked = verify_transcript(spec, swapped)
    assert unchecked.ok
    assert "no earlier condition does" in unchecked.steps[1].why


def test_routing_modes() -> None:
    """`language` makes guarded conditions unverifiable; a complete graph is refused."""
    msgs = autogen("gpt4_0613_descriptions.json")
    lang = verify_transcript(
        counting(), msgs, routing=fsmchat.Routing(conditions="language")
    )
    assert lang.unchecked
    assert [s.index for s in lang.illegal] == [5, 15]  # Engineer -> Planner: no edge
    ignore = verify_transcript(
        counting(), msgs, routing=fsmchat.Routing(conditions="ignore")
    )
    assert [s.index for s in ignore.illegal] == [5, 15]
    with pytest.raises(fsmchat.InvalidArgument, match=r"routing\.graph must be 'spec'"):
        verify_transcript(counting(), msgs, routing=fsmchat.Routing(graph="complete"))
