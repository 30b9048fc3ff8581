"""What users and models read: verify's step texts and notes, request contents, prompt excerpts.

Each test pins one branch of a message that a sampled mutation run showed no
other test reads (issue 18).
"""

from __future__ import annotations

import attrs
import pytest

import fsmchat
from fsmchat import (
    AgentSpec,
    Candidate,
    Choose,
    Edge,
    Engine,
    Message,
    Reply,
    Routing,
    Spec,
)
from fsmchat._core.check import check_spec
from fsmchat._core.graph import live_out_edges, reachable_from_start
from fsmchat._core.prompts import (
    _json_values,
    choose_messages,
    parse_choice,
    parse_verdicts,
)
from fsmchat._core.prompts import excerpt as fsmchat_excerpt
from fsmchat._core.transcript import load_transcript
from fsmchat._core.verify import Step, verify_transcript


def spec_of(*edges: Edge, end: tuple[str, ...] = ()) -> Spec:
    """A spec of agents A, B, C (humans) with ``edges``."""
    return Spec(
        agents=[AgentSpec(name=n, kind="human") for n in ("A", "B", "C")],
        transitions=list(edges),
        end=end,
    )


def chat(*names: str) -> list[Message]:
    """Messages said by ``names``, each saying ``x``."""
    return [Message(name=n, content="x") for n in names]


def test_step_texts_name_each_verdict() -> None:
    """A step prints as ok, illegal or not checkable offline."""
    ok = Step(index=1, source="A", target="B", ok=True, why="w")
    bad = Step(index=2, source="B", target="C", ok=False, why="w")
    unknown = Step(index=3, source="C", target="A", ok=True, checked=False, why="w")
    first = Step(index=0, source=None, target="A", ok=True, why="w")
    assert str(ok) == "step 1: A → B: ok: w"
    assert str(bad) == "step 2: B → C: illegal: w"
    assert str(unknown) == "step 3: C → A: not checkable offline: w"
    assert str(first) == "step 0: (start) → A: ok: w"


def test_fallback_after_unjudged_conditions_says_so() -> None:
    """A move along the default edge after unjudged conditions is legal as the fallback."""
    spec = spec_of(
        Edge(source="A", target="B", on="B is needed"),
        Edge(source="A", target="C", default=True),
        Edge(source="A", target="A", when=fsmchat.Contains("never")),
    )
    step = verify_transcript(spec, chat("A", "C")).steps[1]
    assert (step.ok, step.checked, step.edge) == (True, False, 1)
    assert step.why.startswith(
        "legal if none of the conditions of transitions[0] holds"
    )
    spec2 = spec_of(
        Edge(source="A", target="B", on="B is needed"),
        Edge(source="A", target="A", when=fsmchat.Contains("x")),
        Edge(source="A", target="C", default=True),
    )
    step2 = verify_transcript(spec2, chat("A", "C")).steps[1]
    assert (step2.ok, step2.checked, step2.edge) == (True, False, 2)
    assert step2.why.startswith(
        "legal as the fallback if the conditions could not be judged"
    )


def test_no_route_step_says_the_chat_ended_with_no_route() -> None:
    """After a step where no guard holds and there is no default, any speaker is illegal."""
    spec = spec_of(Edge(source="A", target="B", when=fsmchat.Contains("never")))
    step = verify_transcript(spec, chat("A", "B")).steps[1]
    assert not step.ok
    assert "no guard out of 'A' holds and there is no default edge" in step.why
    assert "the guard of transitions[0] (contains 'never') does not hold" in step.why
    other = verify_transcript(spec, chat("A", "C")).steps[1]
    assert other.why.startswith("there is no edge 'A' -> 'C'")


def test_many_nameless_messages_are_listed_with_an_ellipsis() -> None:
    """The note on nameless messages lists at most eight of them."""
    raw = [{"name": "A", "content": "x"}] + [{"content": "x"} for _ in range(9)]
    note = load_transcript(raw).notes[0]
    assert note.startswith("messages 1, 2, 3, 4, 5, 6, 7, 8, ... have no 'name'")
    few = load_transcript(raw[:9]).notes[0]
    assert few.startswith("messages 1, 2, 3, 4, 5, 6, 7, 8 have no 'name'")


def test_choose_candidates_carry_their_edge_conditions() -> None:
    """When conditions are ignored, a Choose request still shows each edge's `on` text."""
    spec = spec_of(
        Edge(source="A", target="B", on="B is needed"),
        Edge(source="A", target="B", on="B again"),
        Edge(source="A", target="C"),
    )
    engine = Engine(spec, routing=Routing(conditions="ignore"), message="go")
    request = engine.next_request()
    assert isinstance(request, Choose)
    assert [(c.name, c.condition) for c in request.candidates] == [
        ("B", "B is needed"),
        ("C", None),
    ]
    assert [c.description for c in request.candidates] == ["", ""]


def test_excerpt_says_how_many_messages_it_shows() -> None:
    """A decision prompt says "no messages yet", "the last message" or "the last n"."""

    def excerpt(*context: Message) -> str:
        request = Choose(
            speaker="A",
            candidates=(
                Candidate(name="B", description="b"),
                Candidate(name="C", description=""),
            ),
            context=context,
        )
        return choose_messages(request)[1]["content"]

    assert "Conversation excerpt: (no messages yet)" in excerpt()
    assert "Conversation excerpt (the last message), one JSON" in excerpt(*chat("A"))
    assert "(the last 2 messages, oldest first)" in excerpt(*chat("B", "A"))
    assert "- C: (no description)" in excerpt()


def test_reachable_from_start_counts_edges_on_shortest_paths() -> None:
    """Distances from start are the number of edges of a shortest path."""
    spec = spec_of(
        Edge(source="A", target="B"),
        Edge(source="B", target="C"),
        Edge(source="C", target="A"),
    )
    assert reachable_from_start(spec, live_out_edges(spec)) == {"A": 0, "B": 1, "C": 2}


class _Unhashable:
    """A guard from Python that cannot be hashed (it defines ``__eq__`` only)."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Unhashable)

    __hash__ = None  # type: ignore[assignment]

    def evaluate(self, view: fsmchat.ChatView) -> bool:
        return True

    def describe(self) -> str:
        return "custom"


def test_unhashable_guards_are_checked_without_error() -> None:
    """A guard that cannot be hashed is neither a duplicate nor a repeat; check still runs."""
    spec = spec_of(
        Edge(source="A", target="B", when=_Unhashable()),
        Edge(source="A", target="B", when=_Unhashable()),
        Edge(source="A", target="C"),
        Edge(source="B", target="A"),
        Edge(source="C", target="A"),
    )
    codes = [p.code for p in check_spec(spec)]
    assert "never-fires" not in codes
    assert "duplicate-edge" not in codes


def test_multi_word_name_followed_by_word_characters_is_not_a_mention() -> None:
    """'Dee Dee_2' or 'Dee Dee2' in an `on` text is not the agent 'Dee Dee'."""
    spec = Spec(
        agents=[AgentSpec(name=n, kind="human") for n in ("Ann", "Bob", "Dee Dee")],
        transitions=[
            Edge(source="Ann", target="Bob", on="Dee Dee_2 asked"),
            Edge(source="Ann", target="Bob", on="Dee Dee2 asked"),
            Edge(source="Bob", target="Dee Dee"),
            Edge(source="Dee Dee", target="Ann"),
        ],
    )
    assert [
        p for p in check_spec(spec) if p.code == "condition-names-other-agent"
    ] == []


@pytest.mark.parametrize("content", ["", "x"])
def test_reply_text_is_kept_verbatim(content: str) -> None:
    """The engine stores each reply as said, with its role."""
    engine = Engine(spec_of(Edge(source="A", target="B")), message=None)
    engine.receive(Reply(agent="A", content=content, role="assistant"))
    assert engine.messages == (Message(name="A", content=content, role="assistant"),)


def test_edge_labels_name_the_condition() -> None:
    """An edge's label is "default", its guard, its quoted condition, or "open"."""
    assert Edge(source="A", target="B", default=True).label() == "default"
    when = Edge(source="A", target="B", when=fsmchat.Contains("x"), on="c")
    assert when.label() == "contains 'x'"
    assert Edge(source="A", target="B", on="c").label() == "'c'"
    assert Edge(source="A", target="B").label() == "open"


def test_recorded_verdicts_that_all_fail_leave_only_the_open_edges() -> None:
    """With recorded verdicts all false, a speaker outside the open set is illegal."""
    spec = spec_of(
        Edge(source="A", target="B", on="B is needed"),
        Edge(source="A", target="C"),
        Edge(source="B", target="A"),
        Edge(source="C", target="A"),
    )
    decision = fsmchat.Decision(
        round=1,
        source="A",
        candidates=("B",),
        guards=(fsmchat.GuardResult(edge=0, target="B", kind="on", result=False),),
        kind="judge",
        edge=1,
        target="C",
        reason="only candidate",
    )
    ok = verify_transcript(spec, chat("A", "C"), trace=[decision]).steps[1]
    assert (ok.ok, ok.checked, ok.edge) == (True, True, 1)
    assert ok.why.startswith("no condition held (recorded verdicts)")
    bad = verify_transcript(spec, chat("A", "A"), trace=[decision]).steps[1]
    assert not bad.ok
    assert bad.why.startswith("the recorded decision chose 'C'")
    unrecorded_target = attrs.evolve(decision, target=None)
    step = verify_transcript(spec, chat("A", "A"), trace=[unrecorded_target]).steps[1]
    assert not step.ok
    assert (
        step.why
        == "by the recorded verdicts no condition held; legal next speakers: 'C'"
    )


def test_fallback_to_the_default_when_conditions_are_ignored() -> None:
    """In `graph` mode, invalid choices still fall back to the agent's default edge."""
    spec = spec_of(
        Edge(source="A", target="B"),
        Edge(source="A", target="C", default=True),
    )
    engine = Engine(
        spec, routing=Routing(conditions="ignore"), message="go", max_retries=0
    )
    assert isinstance(engine.next_request(), Choose)
    engine.receive(fsmchat.Answer(value="nobody"))
    (decision,) = engine.trace
    assert (decision.target, decision.edge, decision.reason) == (
        "C",
        1,
        "fallback: default edge",
    )


@pytest.mark.parametrize(
    ("spec", "event", "words"),
    [
        pytest.param(
            spec_of(Edge(source="A", target="B"), Edge(source="A", target="C")),
            Reply(agent="A", content="x"),
            "got a reply from 'A' while waiting for a choice of the next speaker",
            id="reply-to-choose",
        ),
        pytest.param(
            spec_of(Edge(source="A", target="B", on="c")),
            Reply(agent="A", content="x"),
            "got a reply from 'A' while waiting for verdicts on the conditions",
            id="reply-to-judge",
        ),
        pytest.param(
            spec_of(Edge(source="A", target="B")),
            fsmchat.Answer(value="B"),
            "got a decision answer while waiting for a reply from 'B'",
            id="answer-to-ask",
        ),
    ],
)
def test_an_event_that_answers_nothing_pending_says_what_was_awaited(
    spec: Spec, event: object, words: str
) -> None:
    """The engine's refusal names what it was waiting for."""
    engine = Engine(spec, message="go")
    with pytest.raises(fsmchat.EngineError, match=words):
        engine.receive(event)  # type: ignore[arg-type]
    assert engine.phase is fsmchat.Phase.ERROR


def test_python_built_specs_have_no_locations() -> None:
    """A spec built from Python locates nothing: problems are at line 0, named by data path."""
    spec = spec_of(Edge(source="A", target="B"), Edge(source="A", target="C"))
    assert spec.locate(("transitions", 0)) == (0, 0)
    problems = check_spec(spec)
    assert problems
    assert {(p.line, p.column) for p in problems} == {(0, 0)}
    assert "reply" not in repr(AgentSpec(name="A", kind="function", reply=print))
    with_args = AgentSpec(name="A", kind="function", reply=print, args={"n": [1]})
    assert hash(with_args) == hash(AgentSpec(name="A", kind="function", reply=len))


def test_names_that_start_with_a_symbol_are_found_in_conditions() -> None:
    """An agent called '@ops' is found in an `on` text, as a whole word."""
    spec = Spec(
        agents=[AgentSpec(name=n, kind="human") for n in ("Ann", "Bob", "@ops")],
        transitions=[
            Edge(source="Ann", target="Bob", on="ask @ops first"),
            Edge(source="Ann", target="Bob", on="ask x@opsy first"),
            Edge(source="Bob", target="@ops"),
            Edge(source="@ops", target="Ann"),
        ],
    )
    named = [p for p in check_spec(spec) if p.code == "condition-names-other-agent"]
    assert [p.message.split(":")[0] for p in named] == ["transitions[0].on"]


def test_clipped_message_says_how_much_was_left_out() -> None:
    """A long message keeps a quarter of the limit from its head and says what was dropped."""
    text = "h" * 100 + "m" * 4800 + "t" * 100
    shown = fsmchat_excerpt([*chat("A"), Message(name="B", content=text)], limit=400)
    line = shown.splitlines()[-1]
    assert '"text": "' + "h" * 100 + "[... 4600 characters left out ...]" in line
    assert line.endswith("m" * 200 + "t" * 100 + '"}')
    assert shown.startswith("Conversation excerpt (the last 2 messages, oldest first)")


def test_excerpt_keeps_non_ascii_text_readable() -> None:
    """Messages are quoted as JSON without escaping non-ASCII letters."""
    shown = fsmchat_excerpt([Message(name="Zoë", content="café ✓")])
    assert '{"speaker": "Zoë", "text": "café ✓"}' in shown


def test_nested_json_is_read_as_the_outer_value() -> None:
    """An answer whose JSON nests arrays and objects is read whole, in order."""
    text = 'Sure: {"reason": "see [1]", "next": "Bob", "why": [{"a": [2]}]} and [true]'
    assert parse_choice(text) == "Bob"
    assert _json_values(text) == [
        {"reason": "see [1]", "next": "Bob", "why": [{"a": [2]}]},
        [True],
    ]


@pytest.mark.parametrize("value", ["5", '"yes"', "null", '{"x": 1}', "[1, 2]"])
def test_verdicts_field_of_the_wrong_type_is_refused(value: str) -> None:
    """A `verdicts` field that is not a list of booleans gives no verdicts."""
    assert parse_verdicts('{"verdicts": ' + value + "}", 2) is None


def test_invalid_verdicts_are_reasked_with_the_reason_then_fall_back() -> None:
    """A refused judgement is re-asked (attempt 2, the problem said), then the default is taken."""
    spec = spec_of(
        Edge(source="A", target="B", on="B is needed"),
        Edge(source="A", target="C", default=True),
    )
    engine = Engine(spec, message="go", max_retries=1)
    first = engine.next_request()
    assert isinstance(first, fsmchat.Judge)
    assert first.attempt == 1
    engine.receive(fsmchat.Answer(value="yes"))
    again = engine.next_request()
    assert isinstance(again, fsmchat.Judge)
    assert again.attempt == 2
    assert again.problem == "expected 1 true/false verdicts, got 'yes'"
    engine.receive(fsmchat.Answer(value=[1]))
    (decision,) = engine.trace
    assert (decision.kind, decision.reason, decision.target) == (
        "judge",
        "fallback: default edge",
        "C",
    )
    assert [a.error is not None for a in decision.attempts] == [True, True]


def test_decision_kind_says_which_question_was_asked() -> None:
    """A decision's kind is "judge" or "choose" after a question, None when the spec decided."""
    spec = spec_of(
        Edge(source="A", target="B", on="B is needed"),
        Edge(source="A", target="B"),
        Edge(source="A", target="C"),
        Edge(source="B", target="A"),
    )
    engine = Engine(spec, message="go")
    engine.receive(fsmchat.Answer(value=[False]))
    assert isinstance(engine.next_request(), Choose)
    engine.receive(fsmchat.Answer(value="B"))
    engine.receive(Reply(agent="B", content="x"))
    assert [d.kind for d in engine.trace] == ["choose", None]
    judged = Engine(spec, message="go")
    judged.receive(fsmchat.Answer(value=[True]))
    assert [d.kind for d in judged.trace] == ["judge"]
