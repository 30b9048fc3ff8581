"""Hostile sizes and shapes end in located errors or refused attempts, fast: never a traceback or a hang."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

import fsmchat
from fsmchat import Answer, SpecError
from fsmchat._core.check import check_text
from fsmchat._core.prompts import (
    MAX_ANSWER_CHARS,
    _json_values,
    parse_choice,
    parse_verdicts,
)
from fsmchat._core.source import MAX_SPEC_BYTES
from fsmchat._run.llm import LLMSelector
from fsmchat.adapters._openai import OpenAIChatModel
from fsmchat.testing._fakeserver import FakeOpenAIServer, FakeResponse
from tests.helpers import agents

BOMB = (
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
    "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
    "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
    "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
    "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
    "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
)


#: Model answers that a naive parser would recurse on or read whole: deep
#: brackets, balanced nesting, and a 630 KB answer.
HUGE_ANSWERS = (
    "[" * 100_000,
    "{" * 50_000 + "}" * 50_000,
    "[" * 300_000 + "]" * 300_000,
    '{"next": "A"} ' * 45_000,
)


def test_alias_bomb_is_a_located_error() -> None:
    """The 272-byte billion-laughs document stops at the alias budget, located (timed by benchmarks/hostile_inputs.py)."""
    assert len(BOMB) == 272
    problems = check_text(BOMB, path="bomb.yaml")
    (problem,) = problems
    assert problem.code == "alias-budget"
    assert problem.line > 1


def test_small_aliases_still_work() -> None:
    """Aliases within the budget expand as YAML says (a shared guard, say)."""
    spec = fsmchat.parse_spec(
        "agents: [{name: A}, {name: B}]\n"
        "transitions:\n"
        "  - {from: A, to: B, when: &g {contains: done}}\n"
        "  - {from: B, to: A, when: *g}\n"
    )
    assert spec.transitions[1].when == fsmchat.Contains("done")


def test_deep_nesting_is_a_located_error() -> None:
    """Guards nested 500 to 10,000 deep (YAML or JSON) are located errors, not a RecursionError."""
    deep = (
        "agents: [{name: A}]\ntransitions: [{from: A, to: A, when: "
        + "{not: " * 10_000
        + "{contains: x}"
        + "}" * 10_001
        + "]\n"
    )
    with pytest.raises(SpecError) as info:
        fsmchat.parse_spec(deep, path="deep.yaml")
    assert info.value.problems[0].code == "too-deep"
    for depth in (500, 5000):
        guard = '{"not": ' * depth + '{"contains": "x"}' + "}" * depth
        text = '{"agents": [{"name": "A"}], "transitions": [{"from": "A", "to": "A", "when": '
        text += guard + "}]}"
        with pytest.raises(SpecError) as info:
            fsmchat.parse_spec(text, path="deep.json")
        assert info.value.problems[0].code == "too-deep"
        assert info.value.problems[0].column > 1
    data: dict[str, Any] = {"contains": "x"}
    for _ in range(2000):
        data = {"not": data}
    spec_data = {
        "agents": [{"name": "A"}],
        "transitions": [{"from": "A", "to": "A", "when": data}],
    }
    with pytest.raises(SpecError, match="nest too deep"):
        fsmchat.spec_from_dict(spec_data)


def test_oversized_spec_file_is_refused_unread(tmp_path: Path) -> None:
    """A file over the size cap is one clear problem (load and check), never parsed."""
    big = tmp_path / "big.yaml"
    big.write_bytes(b"# " + b"x" * (MAX_SPEC_BYTES + 10) + b"\n")
    with pytest.raises(SpecError, match="over the size cap") as info:
        fsmchat.load_spec(big)
    assert [p.code for p in info.value.problems] == ["too-big"]  # refused, not parsed
    with pytest.raises(SpecError, match="over the size cap"):
        fsmchat.parse_spec("#" * (MAX_SPEC_BYTES + 1))


def test_end_5_is_a_located_error() -> None:
    """`end: 5` (the audit's traceback) is a wrong-type problem at its line."""
    text = "agents: [{name: A}]\ntransitions: []\nend: 5\n"
    with pytest.raises(SpecError) as info:
        fsmchat.parse_spec(text, path="s.yaml")
    (problem,) = info.value.problems
    assert (problem.line, problem.code) == (3, "wrong-type")


BASE: dict[str, Any] = {
    "name": "n",
    "description": "d",
    "start": "A",
    "message": "m",
    "max_round": 5,
    "allow_repeat_speaker": True,
    "end": ["B"],
    "terminate_when": {
        "all": [
            {"regex": "x", "ignore_case": True},
            {"not": {"contains": "y"}},
            {
                "any": [
                    {"endswith": "z"},
                    {"equals": "w"},
                    {
                        "call": "fsmchat.examples.counting:last_number_is_multiple",
                        "args": {"of": 3},
                    },
                ]
            },
        ]
    },
    "selection": {"max_retries": 1, "context": 2},
    "llm": {"model": "m", "temperature": 0.5, "cache_seed": 1, "timeout": 5},
    "agents": [
        {
            "name": "A",
            "kind": "function",
            "function": "fsmchat.examples.counting:add_one",
            "description": "a",
            "system_message": "s",
            "args": {"k": 1},
            "model": "x",
        },
        {"name": "B", "kind": "llm"},
    ],
    "transitions": [
        {
            "from": "A",
            "to": "B",
            "when": {"contains": "q"},
            "on": "cond",
            "default": False,
        },
        {"from": "B", "to": "A", "default": True},
    ],
}
WRONG: list[Any] = [
    5,
    1.5,
    True,
    None,
    "x",
    [],
    [1, "a"],
    {},
    {"a": 1},
    -3,
    "pkg:nope",
    [[{}]],
]


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*path, i))
    return out


def _with(path: tuple[Any, ...], wrong: Any) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    box: Any = data
    for k in path[:-1]:
        box = box[k]
    box[path[-1]] = wrong
    return data


@pytest.mark.parametrize("path", _paths(BASE)[1:], ids=lambda p: ".".join(map(str, p)))
def test_every_key_with_every_wrong_type_gives_located_errors_only(
    path: tuple[Any, ...],
) -> None:
    """Fuzz: each key of a full spec set to each wrong type builds, or fails with located problems."""
    for wrong in WRONG:
        data = _with(path, wrong)
        yaml_text = "\n".join(f"{k}: {json.dumps(v)}" for k, v in data.items())
        for text in (json.dumps(data), yaml_text):
            unlocated = [str(p) for p in _build_problems(text) if p.line < 1]
            assert unlocated == []
            for problem in check_text(text, path="f.yaml"):
                assert problem.line >= 1


def _build_problems(text: str) -> tuple[fsmchat.Problem, ...]:
    """The problems of building and resolving ``text`` (none when it runs); any other error escapes."""
    try:
        fsmchat.resolve_spec(fsmchat.parse_spec(text, path="f.yaml"))
    except SpecError as exc:
        return exc.problems
    return ()


def test_deep_brackets_and_huge_answers_parse_clean() -> None:
    """100,000 `[`, balanced deep nesting and a 600 KB answer: no RecursionError (timed by benchmarks/hostile_inputs.py)."""
    for text in HUGE_ANSWERS:
        _json_values(text)
        assert parse_choice(text) is None  # over the answer cap: refused unread
        assert parse_verdicts(text, 2) is None
    deep_ok = '{"next": "A", "x": ' + "[" * 20 + "]" * 20 + "}"
    assert parse_choice(deep_ok) == "A"
    assert parse_choice('{"next": ' + "[" * 40 + "]" * 40 + '} {"next": "B"}') == "B"


def test_oversized_answer_is_a_refused_attempt_with_the_reason() -> None:
    """A decision answer over the cap is refused as an attempt, the reason recorded, and re-asked."""
    spec = fsmchat.Spec(
        agents=agents("A", "B", "C"),
        transitions=[
            fsmchat.Edge(source="A", target="B"),
            fsmchat.Edge(source="A", target="C"),
        ],
        message="go",
        max_round=2,
    )
    huge = '{"next": "B"}' + " " * 600_000
    answers = iter(
        [Answer(value="B", raw=huge), Answer(value="C", raw='{"next": "C"}')]
    )
    result = fsmchat.run_chat(
        spec, selector=fsmchat.testing.FunctionSelector(lambda _: next(answers))
    )
    (decision,) = result.trace
    first, second = decision.attempts
    assert first.error is not None
    assert f"over the limit of {MAX_ANSWER_CHARS}" in first.error
    assert second.error is None
    assert decision.target == "C"


def test_llm_selector_does_not_parse_an_oversized_answer() -> None:
    """The model port hands an oversized answer to the engine unparsed (value None)."""
    with FakeOpenAIServer(replies=['{"next": "B"}' + "x" * 700_000]) as server:
        model = OpenAIChatModel([server.config()])
        request = fsmchat.Choose(
            speaker="A",
            candidates=(fsmchat.Candidate(name="B", description="b"),),
            context=(),
            round=1,
        )
        answer = LLMSelector(model).select(request)
        model.close()
    assert answer.value is None
    assert len(answer.raw) > MAX_ANSWER_CHARS


def test_stalled_endpoint_is_bounded_by_the_call_budget() -> None:
    """A server that never answers costs at most the total budget, not 600 s x 3."""
    with FakeOpenAIServer(replies=[FakeResponse(delay=30)] * 12) as server:
        model = OpenAIChatModel(
            [server.config()],
            timeout=0.5,
            total_timeout=1.2,
            max_retries=10,
            backoff=0.1,
        )
        with pytest.raises(fsmchat.LLMError, match="time budget spent"):
            model.complete(
                fsmchat.ChatRequest(messages=({"role": "user", "content": "hi"},))
            )
        model.close()
    assert len(server.requests) < 11  # max_retries allows 11: the budget stopped it


def test_default_request_timeout_is_60_seconds() -> None:
    """With no timeout configured, requests wait 60 s, not the SDK's 600 s."""
    model = OpenAIChatModel(
        [{"model": "m", "api_key": "k", "base_url": "http://127.0.0.1:9/v1"}]
    )
    assert model.timeout == 60.0
    assert model.total_timeout == 180.0
