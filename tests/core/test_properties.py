"""Invariants of the engine, stated as properties (hypothesis).

* Whatever a selector answers, every transition taken is an edge of the spec
  whose deterministic guard held (the legality property; >= 1,000 examples on CI).
* Same spec and same answers give the same transcript and trace.
* A state machine test drives the engine with arbitrary, often illegal, events:
  ERROR and Finished accept nothing.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

import fsmchat
from fsmchat import (
    Answer,
    AskAgent,
    AskHuman,
    ChatView,
    Choose,
    Engine,
    EngineError,
    Finished,
    Judge,
    Phase,
    Reply,
    Routing,
    Spec,
    Stop,
)
from fsmchat.testing import FunctionSelector, ScriptedSelector
from tests.conftest import LEGALITY_EXAMPLES
from tests.strategies import answers, routings, specs


def check_legal(spec: Spec, routing: Routing, result: fsmchat.ChatResult) -> None:
    """Assert every move in ``result`` is a legal edge whose guard held."""
    msgs = result.messages
    moves = [d for d in result.trace if d.target is not None]
    assert len(moves) == len(msgs) - 1
    for i, d in enumerate(moves):
        src, dst = msgs[i].name, msgs[i + 1].name
        assert (d.source, d.target) == (src, dst)
        if not spec.allow_repeat_speaker:
            assert src != dst
        if d.reason in ("chosen", "judged"):
            # The move follows the last answer, and that answer was accepted.
            assert d.attempts
            assert d.attempts[-1].error is None
            if d.reason == "chosen":
                assert dst in d.candidates
        if routing.graph == "complete":
            assert dst in spec.names
            continue
        assert d.edge is not None
        edge = spec.transitions[d.edge]
        assert (edge.source, edge.target) == (src, dst)
        if routing.conditions == "ignore":
            continue
        guarded = edge.when is not None and not (
            routing.conditions == "language" and edge.on is not None
        )
        if guarded:
            assert edge.when is not None
            # Re-evaluate the guard ourselves on the chat as it was then.
            assert edge.when.evaluate(ChatView(msgs[: i + 1], src))
        if d.reason == "judged":
            assert edge.on is not None
            assert any(
                g.edge == edge.index and g.kind == "on" and g.result for g in d.guards
            )
        if d.reason == "chosen":
            assert dst in d.candidates
            assert edge.unconditional


@settings(max_examples=LEGALITY_EXAMPLES)
@given(spec=specs(), routing=routings(), data=st.data())
def test_adversarial_selector_never_causes_illegal_transition(
    spec: Spec, routing: Routing, data: st.DataObject
) -> None:
    """Any answers at all: every move is an edge whose guard held, or the chat ends."""
    names = list(spec.names)
    sel = FunctionSelector(lambda req: data.draw(answers(names)))
    result = fsmchat.run_chat(spec, selector=sel, routing=routing)
    check_legal(spec, routing, result)
    # Every refused answer was recorded with a reason; nothing was picked silently.
    for d in result.trace:
        for a in d.attempts[:-1]:
            assert a.error is not None


@given(spec=specs(), routing=routings(), data=st.data())
def test_same_spec_same_answers_same_transcript(
    spec: Spec, routing: Routing, data: st.DataObject
) -> None:
    """Replaying the answers of a run reproduces its transcript and trace exactly."""
    names = list(spec.names)
    given_answers: list[Any] = []

    def answer(req: Choose | Judge) -> Any:
        value = data.draw(answers(names))
        given_answers.append(value)
        return value

    first = fsmchat.run_chat(spec, selector=FunctionSelector(answer), routing=routing)
    again = fsmchat.run_chat(
        spec, selector=ScriptedSelector(given_answers), routing=routing
    )
    assert again.messages == first.messages
    assert again.trace == first.trace
    assert again.finished == first.finished


class EngineMachine(RuleBasedStateMachine):
    """Feeds the engine arbitrary events; checks it accepts exactly the right ones."""

    engine: Engine
    spec: Spec

    @initialize(spec=specs(), routing=routings())
    def start(self, spec: Spec, routing: Routing) -> None:
        self.spec = spec
        self.engine = Engine(spec, routing=routing, message=None)

    def _expect(self, ok: bool, event: Any) -> None:
        before = self.engine.phase
        if ok:
            self.engine.receive(event)
            return
        try:
            self.engine.receive(event)
        except EngineError:
            expected = Phase.FINISHED if before is Phase.FINISHED else Phase.ERROR
            assert self.engine.phase is expected
        else:
            raise AssertionError(f"engine accepted {event!r} in phase {before}")

    @rule(data=st.data())
    def reply(self, data: st.DataObject) -> None:
        name = data.draw(st.sampled_from([*self.spec.names, "nobody"]))
        content = data.draw(st.sampled_from(["x", "y", "TERMINATE", ""]))
        pending = self._pending()
        ok = isinstance(pending, AskAgent | AskHuman) and pending.agent.name == name
        self._expect(ok, Reply(agent=name, content=content))

    @rule(data=st.data())
    def answer(self, data: st.DataObject) -> None:
        value = data.draw(answers(list(self.spec.names)))
        ok = isinstance(self._pending(), Choose | Judge)
        self._expect(ok, Answer(value=value, raw=repr(value)))

    @rule()
    def stop(self) -> None:
        ok = self.engine.phase is Phase.RUNNING
        self._expect(ok, Stop(reason="test stop"))
        if ok:
            assert isinstance(self.engine.next_request(), Finished)

    def _pending(self) -> Any:
        if self.engine.phase is Phase.ERROR:
            return None
        return self.engine.next_request()

    @invariant()
    def error_and_finished_accept_nothing(self) -> None:
        phase = self.engine.phase
        if phase is Phase.ERROR:
            try:
                self.engine.next_request()
            except EngineError:
                pass
            else:
                raise AssertionError("an engine in ERROR answered next_request")
        elif phase is Phase.FINISHED:
            assert isinstance(self.engine.next_request(), Finished)

    @invariant()
    def every_move_is_an_edge(self) -> None:
        if self.engine.routing.graph != "spec":
            return
        for d in self.engine.trace:
            if d.target is not None:
                assert d.edge is not None
                e = self.spec.transitions[d.edge]
                assert (e.source, e.target) == (d.source, d.target)

    @invariant()
    def machine_state_is_the_speaker(self) -> None:
        pending = self._pending()
        if isinstance(pending, AskAgent | AskHuman):
            assert self.engine.speaker == pending.agent.name


TestEngineMachine = EngineMachine.TestCase
TestEngineMachine.settings = settings(max_examples=60, stateful_step_count=25)
