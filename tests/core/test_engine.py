"""The sans-IO engine: routing rules, validation of answers, termination, errors."""

from __future__ import annotations

import pytest

import fsmchat
from fsmchat import (
    Answer,
    AskAgent,
    Choose,
    Contains,
    Edge,
    Engine,
    EngineError,
    Finished,
    Judge,
    Phase,
    Reply,
    Routing,
    Spec,
    Stop,
    run_chat,
)
from fsmchat.testing import ScriptedSelector, ScriptExhausted
from tests.helpers import COUNTING_TRANSCRIPT, SPECS, agents, pairs


def counting() -> Spec:
    """The shipped counting spec."""
    return fsmchat.load_spec(SPECS / "counting.yaml")


def test_counting_transcript_without_any_selector() -> None:
    """The counting spec yields the 21-message #1400 transcript with no model."""
    result = run_chat(counting())
    assert pairs(result) == COUNTING_TRANSCRIPT
    assert result.finished.reason == "terminate_when"
    assert all(d.kind is None and not d.attempts for d in result.trace)


def test_counting_trace_records_guard_results() -> None:
    """Each branching step records the guards it evaluated and why it moved."""
    result = run_chat(counting())
    step = result.trace[2]  # after Engineer says 3
    assert step.source == "Engineer"
    assert step.target == "Executor"
    assert step.reason == "guard"
    assert [(g.target, g.result) for g in step.guards] == [("Executor", True)]
    assert result.trace[0].reason == "only successor"


def two_way(**kw: object) -> Spec:
    """A from which B or C may follow (open choice), both returning to A."""
    return Spec(
        agents=agents("A", "B", "C"),
        transitions=[
            Edge(source="A", target="B"),
            Edge(source="A", target="C"),
            Edge(source="B", target="A"),
            Edge(source="C", target="A"),
        ],
        **{"message": "go", "max_round": 3, **kw},  # type: ignore[arg-type]
    )


def test_open_choice_asks_selector_with_legal_names_only() -> None:
    """Several unconditional edges lead to one Choose with exactly their targets."""
    sel = ScriptedSelector(["C"])
    result = run_chat(two_way(), selector=sel)
    assert sel.requests[0].names == ("B", "C")
    assert [m.name for m in result.messages] == ["A", "C", "A"]
    assert result.trace[0].reason == "chosen"


@pytest.mark.parametrize("bad", ["c", " C", "D", "", None, "B, C", ["B"], 3, "A"])
def test_illegal_answers_are_refused_then_reasked(bad: object) -> None:
    """Wrong case, unknown, empty, several or non-string names are refused and re-asked."""
    sel = ScriptedSelector([bad, "B"])
    result = run_chat(two_way(), selector=sel)
    assert [m.name for m in result.messages] == ["A", "B", "A"]
    step = result.trace[0]
    assert step.retries == 1
    assert step.attempts[0].error is not None
    assert sel.requests[1].problem == step.attempts[0].error
    assert sel.requests[1].attempt == 2


def test_wrong_case_gets_exact_name_hint() -> None:
    """A case-folded match is refused, with a hint naming the exact name."""
    sel = ScriptedSelector(["b", "B"])
    run_chat(two_way(), selector=sel)
    assert "did you mean 'B'" in (sel.requests[1].problem or "")


def test_exhausted_retries_end_in_no_route_without_default() -> None:
    """After max_retries refused answers and no default edge the chat ends with NoRoute."""
    sel = ScriptedSelector(["x", "y", "z"])
    result = run_chat(two_way(), selector=sel)
    assert result.finished.reason == "no route"
    assert isinstance(result.finished.error, fsmchat.NoRoute)
    assert result.finished.error.agent == "A"
    assert [m.name for m in result.messages] == ["A"]
    assert result.trace[-1].target is None
    assert len(result.trace[-1].attempts) == 3


def test_exhausted_retries_take_the_default_edge() -> None:
    """With a default edge, exhausted retries fall back to it (declared, not silent)."""
    spec = Spec(
        agents=agents("A", "B", "C", "D"),
        transitions=[
            Edge(source="A", target="B"),
            Edge(source="A", target="C"),
            Edge(source="A", target="D", default=True),
            Edge(source="D", target="A"),
        ],
        message="go",
        max_round=2,
    )
    result = run_chat(spec, selector=ScriptedSelector(["?", "?", "?"]))
    assert [m.name for m in result.messages] == ["A", "D"]
    assert result.trace[0].reason == "fallback: default edge"


def test_max_retries_zero_means_one_ask() -> None:
    """max_retries=0 asks once and then falls back."""
    sel = ScriptedSelector(["nope"])
    result = run_chat(two_way(), selector=sel, max_retries=0)
    assert result.finished.reason == "no route"
    assert len(sel.requests) == 1


def test_first_holding_guard_wins_by_order() -> None:
    """Edge order is priority: the first edge whose guard holds is taken."""
    spec = Spec(
        agents=agents("A", "B", "C", reply="xy"),
        transitions=[
            Edge(source="A", target="B", when=Contains("x")),
            Edge(source="A", target="C", when=Contains("y")),
            Edge(source="B", target="A"),
            Edge(source="C", target="A"),
        ],
        message="xy",
        max_round=2,
    )
    assert [m.name for m in run_chat(spec).messages] == ["A", "B"]


def test_no_guard_holds_and_no_default_is_no_route() -> None:
    """When every guard fails and there is no default edge, NoRoute lists what was tried."""
    spec = Spec(
        agents=agents("A", "B"),
        transitions=[Edge(source="A", target="B", when=Contains("zzz"))],
        message="go",
    )
    result = run_chat(spec)
    assert result.finished.reason == "no route"
    err = result.finished.error
    assert err is not None
    assert [(g.target, g.result) for g in err.evaluated] == [("B", False)]


def test_failed_guards_fall_through_to_open_edges() -> None:
    """Failed guards are skipped and the open edges after them decide."""
    spec = Spec(
        agents=agents("A", "B", "C"),
        transitions=[
            Edge(source="A", target="B", when=Contains("zzz")),
            Edge(source="A", target="C"),
            Edge(source="C", target="A"),
        ],
        message="go",
        max_round=2,
    )
    result = run_chat(spec)
    assert [m.name for m in result.messages] == ["A", "C"]
    assert result.trace[0].reason == "only candidate"


def nl_spec() -> Spec:
    """A with two natural-language edges and a default."""
    return Spec(
        agents=agents("A", "B", "C", "D"),
        transitions=[
            Edge(source="A", target="B", on="the user wants B"),
            Edge(source="A", target="C", on="the user wants C"),
            Edge(source="A", target="D", default=True),
        ],
        message="go",
        max_round=2,
    )


def test_judge_asks_all_conditions_in_one_request() -> None:
    """All natural-language conditions of a step are judged in one request."""
    sel = ScriptedSelector([[False, True]])
    result = run_chat(nl_spec(), selector=sel)
    (req,) = sel.requests
    assert isinstance(req, Judge)
    assert [c.text for c in req.conditions] == ["the user wants B", "the user wants C"]
    assert [m.name for m in result.messages] == ["A", "C"]
    assert result.trace[0].reason == "judged"


def test_judge_first_true_wins() -> None:
    """When several conditions hold, the first in order wins."""
    result = run_chat(nl_spec(), selector=ScriptedSelector([[True, True]]))
    assert result.messages[-1].name == "B"


def test_judge_none_true_takes_default() -> None:
    """No condition holding falls to the default edge."""
    result = run_chat(nl_spec(), selector=ScriptedSelector([[False, False]]))
    assert result.messages[-1].name == "D"
    assert result.trace[0].reason == "default edge"


@pytest.mark.parametrize(
    "bad", ["B", [True], [True, "yes"], None, "[true, false]", [1, 0]]
)
def test_malformed_verdicts_are_refused(bad: object) -> None:
    """Verdicts of the wrong shape or type are refused and re-asked."""
    sel = ScriptedSelector([bad, [True, False]])
    result = run_chat(nl_spec(), selector=sel)
    assert result.messages[-1].name == "B"
    assert result.trace[0].retries == 1


def test_language_mode_judges_on_even_with_when() -> None:
    """conditions='language' sends `on` texts to the judge although `when` exists."""
    spec = fsmchat.load_spec(SPECS / "counting.yaml")
    calls: list[Judge] = []

    def judge(req: object) -> object:
        assert isinstance(req, Judge)
        calls.append(req)
        n = int(req.context[-1].content)
        if req.speaker == "Engineer":
            return [n % 3 == 0, n % 3 != 0]
        return [n % 5 == 0, n % 5 != 0]

    result = run_chat(
        spec,
        selector=fsmchat.testing.FunctionSelector(judge),
        routing=Routing(conditions="language"),
    )
    assert [(m.name, m.content) for m in result.messages][-1] == (
        "Planner",
        "TERMINATE",
    )
    assert len(calls) == 15


def test_complete_graph_offers_every_agent() -> None:
    """graph='complete' (AutoGen's auto) offers all agents but the speaker when repeats are off."""
    spec = Spec(
        agents=agents("A", "B", "C"),
        transitions=[Edge(source="A", target="B")],
        message="go",
        max_round=2,
        allow_repeat_speaker=False,
    )
    sel = ScriptedSelector(["C"])
    result = run_chat(spec, selector=sel, routing=Routing(graph="complete"))
    assert sel.requests[0].names == ("B", "C")
    assert result.messages[-1].name == "C"
    assert result.trace[0].edge is None


def test_self_loop_dropped_when_repeat_disallowed() -> None:
    """allow_repeat_speaker=False removes self-loops from the candidates."""
    spec = Spec(
        agents=agents("A", "B"),
        transitions=[Edge(source="A", target="A"), Edge(source="A", target="B")],
        message="go",
        max_round=2,
        allow_repeat_speaker=False,
    )
    assert run_chat(spec).messages[-1].name == "B"


def test_max_round_counts_first_message() -> None:
    """max_round=1 ends the chat right after the first message."""
    result = run_chat(two_way(), max_round=1, selector=ScriptedSelector([]))
    assert len(result.messages) == 1
    assert result.finished.reason == "max_round"


def test_end_agent_ends_chat() -> None:
    """A chat ends right after an `end` agent speaks."""
    spec = Spec(
        agents=agents("A", "B"),
        transitions=[Edge(source="A", target="B"), Edge(source="B", target="A")],
        message="go",
        end=["B"],
    )
    result = run_chat(spec)
    assert [m.name for m in result.messages] == ["A", "B"]
    assert result.finished.reason == "end agent"


def test_agent_without_edges_ends_gracefully() -> None:
    """An agent with no outgoing edge ends the chat ('no successor')."""
    spec = Spec(
        agents=agents("A", "B"),
        transitions=[Edge(source="A", target="B")],
        message="go",
    )
    result = run_chat(spec)
    assert result.finished.reason == "no successor"
    assert [m.name for m in result.messages] == ["A", "B"]


def test_start_agent_asked_when_no_first_message() -> None:
    """Without a first message the engine asks the start agent."""
    spec = two_way()
    engine = Engine(spec, message=None)
    req = engine.next_request()
    assert isinstance(req, AskAgent)
    assert req.agent.name == "A"


def test_reply_from_wrong_agent_is_sticky_error() -> None:
    """A reply from an agent without the floor raises and leaves the engine in ERROR."""
    engine = Engine(two_way(), message=None)
    with pytest.raises(EngineError, match="'B' but 'A' has the floor"):
        engine.receive(Reply(agent="B", content="hi"))
    assert engine.phase is Phase.ERROR
    with pytest.raises(EngineError, match="stopped after an error"):
        engine.next_request()
    with pytest.raises(EngineError, match="stopped after an error"):
        engine.receive(Reply(agent="A", content="hi"))


def test_answer_while_waiting_for_reply_is_an_error() -> None:
    """An Answer when no decision is pending is refused."""
    engine = Engine(two_way(), message=None)
    with pytest.raises(EngineError, match="decision answer while waiting"):
        engine.receive(Answer(value="B"))


def test_finished_engine_accepts_nothing() -> None:
    """A finished chat refuses further events and keeps saying Finished."""
    engine = Engine(two_way(), message="go", max_round=1)
    done = engine.next_request()
    assert isinstance(done, Finished)
    with pytest.raises(EngineError, match="finished"):
        engine.receive(Reply(agent="A", content="again"))
    assert engine.next_request() == done


def test_stop_event_ends_chat() -> None:
    """Stop ends the chat at once, with its reason."""
    engine = Engine(two_way(), message=None)
    engine.receive(Stop(reason="human typed exit"))
    done = engine.next_request()
    assert isinstance(done, Finished)
    assert done.reason == "stopped"
    assert done.detail == "human typed exit"


def test_guard_exception_moves_engine_to_error() -> None:
    """A guard that raises puts the engine in ERROR with a UserCodeError naming it."""

    def boom(chat: object) -> bool:
        raise ZeroDivisionError("bad guard")

    spec = Spec(
        agents=agents("A", "B"),
        transitions=[Edge(source="A", target="B", when=fsmchat.Call("t:boom", boom))],
        message=None,
    )
    engine = Engine(spec)
    with pytest.raises(fsmchat.UserCodeError, match=r"guard boom.*ZeroDivisionError"):
        engine.receive(Reply(agent="A", content="x"))
    assert engine.phase is Phase.ERROR


def test_choose_context_is_bounded() -> None:
    """Decision requests carry only the last `context` messages."""
    spec = Spec(
        agents=agents("A", "B", "C"),
        transitions=[
            Edge(source="A", target="B"),
            Edge(source="A", target="C"),
            Edge(source="B", target="A"),
            Edge(source="C", target="A"),
        ],
        message="go",
        max_round=7,
    )
    sel = ScriptedSelector(["B", "C", "B"])
    run_chat(spec, selector=sel, context=2)
    assert [len(r.context) for r in sel.requests] == [1, 2, 2]
    sel2 = ScriptedSelector(["B", "C", "B"])
    run_chat(spec, selector=sel2, context=None)
    assert [len(r.context) for r in sel2.requests] == [1, 3, 5]


def test_candidates_carry_descriptions_not_system_messages() -> None:
    """A Choose request shows each candidate's description only."""
    sel = ScriptedSelector(["B"])
    run_chat(two_way(), selector=sel)
    req = sel.requests[0]
    assert isinstance(req, Choose)
    assert [c.description for c in req.candidates] == ["B desc", "C desc"]


def test_missing_selector_is_refused_before_the_chat() -> None:
    """A spec with open choices and no selector fails before the first round."""
    with pytest.raises(fsmchat.InvalidArgument, match="pass a selector"):
        run_chat(two_way())


def test_nl_spec_needs_a_judge() -> None:
    """A spec with natural-language conditions refuses selectors that cannot judge."""
    with pytest.raises(fsmchat.InvalidArgument, match="only a model can judge"):
        run_chat(nl_spec(), selector=fsmchat.RoundRobinSelector(["A", "B"]))


def test_scripted_selector_runs_out_loudly() -> None:
    """A scripted selector asked once too often raises instead of answering."""
    with pytest.raises(ScriptExhausted):
        run_chat(two_way(max_round=5), selector=ScriptedSelector(["B"]))


def test_engine_repr_shows_state() -> None:
    """The engine's repr names spec, agent, round and phase."""
    engine = Engine(two_way(), message=None)
    assert repr(engine) == "<Engine 'chat' agent='A' round=0 phase=RUNNING>"


def test_round_robin_random_and_callable_selectors() -> None:
    """round_robin follows agent order; random is reproducible by seed; callables are validated."""
    spec = two_way(max_round=5)
    rr = run_chat(spec, selector=fsmchat.RoundRobinSelector(spec.names))
    assert [m.name for m in rr.messages] == ["A", "B", "A", "B", "A"]
    r1 = run_chat(spec, selector=fsmchat.RandomSelector(7))
    r2 = run_chat(spec, selector=fsmchat.RandomSelector(7))
    assert pairs(r1) == pairs(r2)
    cs = run_chat(spec, selector=fsmchat.CallableSelector(lambda req: "C"))
    assert [m.name for m in cs.messages] == ["A", "C", "A", "C", "A"]


def test_random_selector_requires_integer_seed() -> None:
    """Random selection without an explicit integer seed is refused."""
    with pytest.raises(fsmchat.InvalidArgument, match="seed"):
        fsmchat.make_selector("random")


def test_manual_selector_accepts_number_or_name() -> None:
    """Manual selection maps a typed number to the candidate's name."""
    human = fsmchat.testing.ScriptedHuman(["2", "B"])
    result = run_chat(two_way(max_round=5), selector=fsmchat.ManualSelector(human))
    assert [m.name for m in result.messages] == ["A", "C", "A", "B", "A"]
    assert "1) B" in human.prompts[0]


def test_human_agent_reply_and_exit() -> None:
    """A human agent's typed line is its message; `exit` ends the chat."""
    spec = Spec(
        agents=[fsmchat.AgentSpec(name="H", kind="human"), *agents("B")],
        transitions=[Edge(source="H", target="B"), Edge(source="B", target="H")],
        message=None,
    )
    human = fsmchat.testing.ScriptedHuman(["hello", "exit"])
    result = run_chat(spec, human=human)
    assert pairs(result) == [("H", "hello"), ("B", "ok")]
    assert result.finished.reason == "stopped"
    assert result.finished.detail == "H typed exit"
    assert "[H]" in human.prompts[0]
    assert "exit" in human.prompts[0]


async def _arun(spec: Spec) -> fsmchat.ChatResult:
    return await fsmchat.arun_chat(spec)


def test_async_driver_gives_same_transcript() -> None:
    """arun_chat yields the same transcript and trace as run_chat."""
    import asyncio

    spec = counting()
    a = asyncio.run(_arun(spec))
    b = run_chat(spec)
    assert pairs(a) == pairs(b)
    assert a.trace == b.trace


def test_result_to_dict_round_trips_decisions() -> None:
    """ChatResult.to_dict holds messages and a trace that Decision.from_dict rebuilds."""
    result = run_chat(two_way(), selector=ScriptedSelector(["x", "B"]))
    data = result.to_dict()
    assert data["messages"][0] == {"name": "A", "role": "user", "content": "go"}
    rebuilt = tuple(fsmchat.Decision.from_dict(d) for d in data["trace"])
    assert rebuilt == result.trace


def test_machine_refuses_an_edge_that_does_not_leave_the_current_state() -> None:
    """The transitions Machine under the engine is a second line of defence."""
    from transitions import MachineError

    engine = Engine(two_way(), message=None)
    assert engine.speaker == "A"
    b_to_a = next(i for i, e in enumerate(engine.spec.transitions) if e.source == "B")
    with pytest.raises(MachineError):
        engine._machine.events[f"t{b_to_a}"].trigger(engine._model)
    assert engine.speaker == "A"


def test_refused_answers_and_fallbacks_are_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Every refused answer is logged as a warning on the 'fsmchat' logger."""
    with caplog.at_level("WARNING", logger="fsmchat"):
        run_chat(two_way(), selector=ScriptedSelector(["nobody", "B"]))
    (record,) = caplog.records
    assert record.name == "fsmchat"
    assert "refused choose answer" in record.getMessage()
    assert "'nobody' is not a legal next speaker" in record.getMessage()


# -- a spec compiles once ------------------------------------------------------


def _no_build(spec: Spec, edges: object) -> object:
    raise AssertionError("the spec was compiled again")


def test_chats_of_one_spec_share_one_compiled_machine_that_keeps_no_chat() -> None:
    """Every chat of a spec shares its compiled tables; the Machine holds no finished chat."""
    from fsmchat._core.routing import compile_spec

    spec = fsmchat.resolve_spec(counting())  # bound once, as a caller would
    for _ in range(50):
        assert pairs(run_chat(spec)) == COUNTING_TRANSCRIPT
    compiled = compile_spec(spec, "spec", _no_build)
    assert compile_spec(spec, "spec", _no_build) is compiled
    assert compiled.machine.models == []
    assert len(compiled.edges) == len(spec.transitions)


def test_the_compile_cache_does_not_keep_a_spec_alive() -> None:
    """A spec whose chats are over can be collected: the cache holds it weakly."""
    import gc
    import weakref

    spec = counting()
    run_chat(spec)
    ref = weakref.ref(spec)
    del spec
    gc.collect()
    assert ref() is None


def test_complete_graph_compiles_apart_from_the_spec_graph() -> None:
    """The 'free' routing graph gets its own compiled tables (every ordered pair)."""
    from fsmchat._core.routing import compile_spec

    spec = counting()
    Engine(spec)
    Engine(spec, routing=Routing(graph="complete", conditions="ignore"))
    spec_graph = compile_spec(spec, "spec", _no_build)
    complete = compile_spec(spec, "complete", _no_build)
    assert len(spec_graph.edges) == len(spec.transitions)
    assert len(complete.edges) == 5 * 4


def test_chats_of_one_spec_in_many_threads_are_all_correct() -> None:
    """Threads starting chats of one spec at once share its compile and stay correct."""
    from concurrent.futures import ThreadPoolExecutor

    spec = counting()

    def chat(_: int) -> list[tuple[str, str]]:
        return pairs(run_chat(spec))

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(chat, range(64)))
    assert all(r == COUNTING_TRANSCRIPT for r in results)


def test_an_illegal_edge_for_this_chat_is_still_refused_by_the_shared_machine() -> None:
    """The shared Machine still refuses a trigger that is not an edge out of the chat's state."""
    from fsmchat._core.routing import compile_spec

    spec = counting()
    engine = Engine(spec)
    compiled = compile_spec(spec, "spec", _no_build)
    other = next(e for e in spec.transitions if e.source != engine.speaker)
    from transitions import MachineError

    class Model:
        state = engine.speaker

    with pytest.raises(MachineError):
        compiled.machine.events[compiled.triggers[id(other)]].trigger(Model())


def test_new_messages_and_decisions_are_read_without_copying_the_chat() -> None:
    """messages_since / trace_since / steps give what was added since an index."""
    engine = Engine(fsmchat.resolve_spec(counting()))
    assert engine.round == 1
    assert [m.content for m in engine.messages_since(0)] == ["1"]
    while isinstance(request := engine.next_request(), AskAgent):
        reply = request.agent.reply
        assert reply is not None
        text = reply(request.chat, **request.agent.args)
        engine.receive(Reply(agent=request.agent.name, content=text))
        if engine.round == 5:
            break
    assert [m.content for m in engine.messages_since(3)] == ["4", "5"]
    assert engine.steps == len(engine.trace) == 5  # one routing step per message
    assert engine.trace_since(3) == engine.trace[3:]
    assert engine.trace_since(99) == ()


def test_unset_options_take_the_spec_values_and_none_means_none() -> None:
    """message=UNSET takes the spec's first message; message=None asks the start agent."""
    from fsmchat._core.engine import UNSET

    spec = counting()
    assert Engine(spec, message=UNSET).round == 1
    assert Engine(spec, message=None).round == 0
    assert Engine(spec, context=UNSET).context == spec.selection.context
    assert Engine(spec, context=None).context is None


def test_a_negated_guard_after_its_guard_is_not_evaluated_again() -> None:
    """`when: X` then `when: not X`: X runs once per step, and the trace records both results."""
    from fsmchat._core.guards import Call, Not

    seen: list[str] = []

    def says_go(chat: fsmchat.ChatView) -> bool:
        seen.append(chat.last_content)
        return chat.last_content == "go"

    skipped = Spec(
        agents=agents("A", "B", "C", reply="stay"),
        transitions=[
            Edge(source="A", target="C", when=Call("tests:go", func=says_go)),
            Edge(source="A", target="B", when=Not(Call("tests:go", func=says_go))),
            Edge(source="B", target="A"),
            Edge(source="C", target="A"),
        ],
        message="stay",
        max_round=2,
    )
    decision = run_chat(skipped).trace[0]
    assert seen == ["stay"]
    assert (decision.target, [(g.edge, g.result) for g in decision.guards]) == (
        "B",
        [(0, False), (1, True)],
    )


def test_a_negated_guard_of_another_function_is_evaluated() -> None:
    """`not X` with the same reference but another function is no complement: it runs."""
    from fsmchat._core.guards import Call, Not

    calls: list[str] = []

    def first(chat: fsmchat.ChatView) -> bool:
        calls.append("first")
        return False

    def second(chat: fsmchat.ChatView) -> bool:
        calls.append("second")
        return True

    spec = Spec(
        agents=agents("A", "B", "C"),
        transitions=[
            Edge(source="A", target="B", when=Call("tests:same", func=first)),
            Edge(source="A", target="C", when=Not(Call("tests:same", func=second))),
            Edge(source="B", target="A"),
            Edge(source="C", target="A"),
        ],
        max_round=2,
        message="hi",
    )
    decision = run_chat(spec).trace[0]
    assert calls == ["first", "second"]
    assert (decision.target, decision.reason) == (None, "no route")


def test_receive_reply_is_receive_of_a_reply() -> None:
    """Feeding text with receive_reply leaves the engine as receive(Reply(...)) does, errors included."""
    spec = fsmchat.resolve_spec(counting())
    by_event, by_text = Engine(spec), Engine(spec)
    while not isinstance(request := by_event.next_request(), Finished):
        assert isinstance(request, AskAgent)
        assert request.agent.reply is not None
        text = request.agent.reply(request.chat, **request.agent.args)
        by_event.receive(Reply(agent=request.agent.name, content=text, role="user"))
        by_text.receive_reply(request.agent.name, text, "user")
        assert by_text.next_request() == by_event.next_request()
    assert (by_text.messages, by_text.trace) == (by_event.messages, by_event.trace)
    with pytest.raises(EngineError) as finished:
        by_text.receive_reply("User", "22")
    with pytest.raises(EngineError) as same:
        by_event.receive(Reply(agent="User", content="22"))
    assert str(finished.value) == str(same.value)
    wrong = Engine(spec)
    with pytest.raises(EngineError, match="'Planner' has the floor"):
        wrong.receive_reply("Critic", "2")
    assert wrong.phase is Phase.ERROR
