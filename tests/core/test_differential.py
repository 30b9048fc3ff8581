"""Differential property tests: the engine, verifier and checker against tests/reference.py.

Random specs use every feature of the format (see ``tests.strategies.spec_data``);
random replies and selector answers (often legal, sometimes anything) drive the
sans-IO engine. The reference model, written from the docs alone, must make
the same moves for the same reasons; ``verify`` must accept exactly the steps
the reference allows; the checker must report exactly the ``never-fires`` and
``open-choice`` findings the check table describes. At least 1,000 examples
each on CI (``tests/conftest.py``).
"""

from __future__ import annotations

import json
import re
from typing import Any

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st

from fsmchat import (
    Answer,
    AskAgent,
    AskHuman,
    Choose,
    Engine,
    Finished,
    Judge,
    Message,
    Reply,
    Routing,
    Spec,
    parse_spec,
    spec_from_dict,
)
from fsmchat._core.check import check_spec
from fsmchat._core.verify import verify_transcript
from tests import reference
from tests.conftest import DIFFERENTIAL_EXAMPLES
from tests.strategies import (
    SAYINGS,
    choose_answers,
    judge_answers,
    rich_specs,
    spec_data,
    spec_of,
)

ROUTINGS = [
    Routing(),
    Routing(conditions="language"),
    Routing(conditions="ignore"),
    Routing(graph="complete", conditions="ignore"),
]


@attrs.frozen
class Drive:
    """One engine run and the inputs it consumed, in order."""

    engine: Engine
    replies: list[str]
    answers: list[Any]


def drive(engine: Engine, data: st.DataObject) -> Drive:
    """Run ``engine`` to the end, drawing each reply and answer from ``data``."""
    replies: list[str] = []
    answers: list[Any] = []
    names = list(engine.spec.names)
    for _ in range(1000):  # a chat that never finishes is a failure, not a hang
        request = engine.next_request()
        if isinstance(request, Finished):
            return Drive(engine, replies, answers)
        if isinstance(request, AskAgent | AskHuman):
            text = data.draw(st.sampled_from(SAYINGS))
            replies.append(text)
            engine.receive(Reply(agent=request.agent.name, content=text))
            continue
        if isinstance(request, Choose):
            value = data.draw(choose_answers(list(request.names) + names))
        else:
            assert isinstance(request, Judge)
            value = data.draw(judge_answers(len(request.conditions), names))
        answers.append(value)
        engine.receive(Answer(value=value, raw=repr(value)))
    raise AssertionError(f"the chat did not finish: {engine!r}")


def engine_options(data: st.DataObject) -> dict[str, Any]:
    """Sometimes override the spec's max_retries, max_round or first message."""
    options: dict[str, Any] = {}
    if data.draw(st.booleans()):
        options["max_retries"] = data.draw(st.integers(0, 3))
    if data.draw(st.booleans()):
        options["max_round"] = data.draw(st.integers(1, 9))
    if data.draw(st.booleans()):
        options["message"] = data.draw(st.sampled_from([None, "x", "y"]))
    return options


def decisions_of(engine: Engine) -> list[reference.RefDecision]:
    """The engine's trace in the reference's terms."""
    return [
        reference.RefDecision(
            round=d.round,
            source=d.source,
            target=d.target,
            edge=d.edge,
            reason=d.reason,
            guards=tuple((g.edge, g.target, g.kind, g.result) for g in d.guards),
            attempts=len(d.attempts),
        )
        for d in engine.trace
    ]


def pairs(messages: Any) -> list[tuple[str, str]]:
    """Messages as ``(speaker, text)``."""
    return [(m.name, m.content) for m in messages]


@settings(max_examples=DIFFERENTIAL_EXAMPLES)
@given(spec=rich_specs(), routing=st.sampled_from(ROUTINGS), data=st.data())
def test_engine_moves_as_the_reference_model(
    spec: Spec, routing: Routing, data: st.DataObject
) -> None:
    """Same spec, replies and answers: the engine and the reference make the same chat."""
    options = engine_options(data)
    run = drive(Engine(spec, routing=routing, **options), data)
    ref = reference.run(
        spec,
        replies=run.replies,
        answers=run.answers,
        graph=routing.graph,
        conditions=routing.conditions,
        **options,
    )
    assert pairs(run.engine.messages) == pairs(ref.messages)
    assert decisions_of(run.engine) == ref.decisions
    finished = run.engine.next_request()
    assert isinstance(finished, Finished)
    assert finished.reason == ref.finished
    assert (finished.error is not None) == (ref.finished == "no route")


@settings(max_examples=DIFFERENTIAL_EXAMPLES)
@given(spec=rich_specs(), data=st.data())
def test_verify_accepts_the_engines_runs(spec: Spec, data: st.DataObject) -> None:
    """Every chat the engine makes verifies, every step checked, with its trace."""
    run = drive(Engine(spec), data)
    report = verify_transcript(spec, run.engine.messages, trace=run.engine.trace)
    assert report.ok, [str(s) for s in report.illegal]
    assert not report.unchecked, [str(s) for s in report.unchecked]
    taken = [d.edge for d in run.engine.trace if d.target is not None]
    assert [s.edge for s in report.steps[1:]] == taken


@st.composite
def transcripts(draw: st.DrawFn, spec: Spec) -> list[Message]:
    """A reference run of ``spec``, then maybe one speaker changed, added or removed."""
    replies = draw(st.lists(st.sampled_from(SAYINGS), min_size=10, max_size=10))
    answers = draw(
        st.lists(
            st.one_of(
                st.sampled_from(list(spec.names)),
                st.lists(st.booleans(), min_size=1, max_size=3),
            ),
            min_size=40,
            max_size=40,
        )
    )
    try:
        messages = reference.run(spec, replies=replies, answers=answers).messages
    except reference.Divergence:  # ran out of canned answers: keep what we have
        messages = [Message(name=spec.start or "", content=replies[0])]
    who = st.sampled_from([*spec.names, "Zed", ""])
    edit = draw(st.sampled_from(["none", "speaker", "append", "drop"]))
    if edit == "speaker":
        i = draw(st.integers(0, len(messages) - 1))
        messages[i] = Message(name=draw(who), content=messages[i].content)
    elif edit == "append":
        messages.append(Message(name=draw(who), content=draw(st.sampled_from(SAYINGS))))
    elif edit == "drop" and len(messages) > 1:
        del messages[draw(st.integers(1, len(messages) - 1))]
    return messages


@settings(max_examples=DIFFERENTIAL_EXAMPLES)
@given(spec=rich_specs(), data=st.data())
def test_verify_judges_each_step_as_the_reference(
    spec: Spec, data: st.DataObject
) -> None:
    """Without a trace, a step is legal exactly when the reference allows that speaker."""
    messages = data.draw(transcripts(spec))
    report = verify_transcript(spec, messages)
    got = [(s.ok, s.checked or not s.ok) for s in report.steps]
    want = [
        (ok, checked or not ok)
        for ok, checked in reference.step_verdicts(spec, messages)
    ]
    assert got == want, [str(s) for s in report.steps]


_INDEX = re.compile(r"^transitions\[(\d+)\]")


@settings(max_examples=DIFFERENTIAL_EXAMPLES)
@given(spec=rich_specs())
def test_checker_findings_match_the_reference(spec: Spec) -> None:
    """``never-fires`` and ``open-choice`` are reported on exactly the edges the docs say."""
    got = set()
    for p in check_spec(spec):
        if p.code in ("never-fires", "open-choice"):
            m = _INDEX.match(p.message)
            assert m is not None, p.message
            got.add((p.code, int(m.group(1))))
    assert got == reference.never_fires_and_open_choices(spec)


@settings(max_examples=DIFFERENTIAL_EXAMPLES)
@given(data=spec_data(calls=False))
def test_spec_files_build_the_same_spec_as_python_objects(data: dict[str, Any]) -> None:
    """A spec read from data or JSON text equals the same spec built from Python objects."""
    data = {**data, "name": "chat"}
    built = spec_of(data)
    assert spec_from_dict(data) == built
    assert parse_spec(json.dumps(data), path="d.json") == built
