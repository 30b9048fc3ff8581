"""Every problem of a spec file on its own: its code, its file:line:col, its hint.

One case per problem the builder or ``Spec`` validation can report from a file,
and what the builder reads from each key (issue 18: every validation branch
tested on its own). The library constructors are in ``test_validation.py``.
"""

from __future__ import annotations

import textwrap

import pytest

import fsmchat
import fsmchat.testing
from fsmchat import (
    Edge,
    Selection,
    Spec,
    SpecError,
    parse_spec,
)
from tests.helpers import agents

HEAD = """\
agents:
  - name: Ann
  - name: Bob
transitions:
  - {from: Ann, to: Bob}
"""


def located(text: str) -> list[tuple[str, int, int, str]]:
    """Parse ``text``; return its problems as ``(code, line, column, message)``."""
    with pytest.raises(SpecError) as info:
        parse_spec(textwrap.dedent(text), path="s.yaml")
    return [(p.code, p.line, p.column, p.message) for p in info.value.problems]


# (id, spec text, code, line, column, words the message must contain)
SPEC_PROBLEMS = [
    ("not-a-mapping", "- just\n- a list\n", "wrong-type", 1, 1, "expected object"),
    (
        "unknown-top-key",
        HEAD + "mesage: hi\n",
        "unknown-key",
        6,
        1,
        "did you mean 'message'?",
    ),
    (
        "unknown-key-without-close-match",
        HEAD + "zzz: 1\n",
        "unknown-key",
        6,
        1,
        "expected one of",
    ),
    (
        "missing-transitions",
        "agents: [{name: Ann}]\n",
        "missing-key",
        1,
        1,
        "'transitions'",
    ),
    ("wrong-type", HEAD + "max_round: many\n", "wrong-type", 6, 12, "expected integer"),
    (
        "bad-kind",
        HEAD.replace("- name: Bob", "- {name: Bob, kind: bot}"),
        "bad-value",
        3,
        23,
        "'llm'",
    ),
    (
        "bad-function-ref",
        HEAD.replace("- name: Bob", "- {name: Bob, kind: function, function: nocolon}"),
        "bad-ref",
        3,
        43,
        "expected 'package.module:function'",
    ),
    ("max-round-below-one", HEAD + "max_round: 0\n", "schema", 6, 12, "minimum"),
    (
        "function-agent-without-function",
        HEAD.replace("- name: Bob", "- {name: Bob, kind: function}"),
        "missing-key",
        3,
        5,
        "needs 'function: package.module:function'",
    ),
    (
        "function-key-on-llm-agent",
        HEAD.replace("- name: Bob", "- {name: Bob, function: 'math:floor', kind: llm}"),
        "bad-value",
        3,
        27,
        "only for kind: function",
    ),
    (
        "guard-with-two-matchers",
        HEAD + "  - {from: Bob, to: Ann, when: {contains: a, equals: b}}\n",
        "bad-guard",
        6,
        32,
        "exactly one of",
    ),
    (
        "guard-with-no-matcher",
        HEAD + "  - {from: Bob, to: Ann, when: {}}\n",
        "schema",
        6,
        32,
        "should be non-empty",
    ),
    (
        "args-without-call",
        HEAD + "  - {from: Bob, to: Ann, when: {contains: a, args: {n: 1}}}\n",
        "bad-guard",
        6,
        46,
        "'args' goes with 'call' only",
    ),
    (
        "ignore-case-without-regex",
        HEAD + "  - {from: Bob, to: Ann, when: {contains: a, ignore_case: true}}\n",
        "bad-guard",
        6,
        46,
        "'ignore_case' goes with 'regex' only",
    ),
    (
        "invalid-regex",
        HEAD + "  - {from: Bob, to: Ann, when: {regex: '(unclosed'}}\n",
        "bad-guard",
        6,
        40,
        "invalid regular expression",
    ),
    (
        "bad-guard-inside-not",
        HEAD + "  - {from: Bob, to: Ann, when: {not: {regex: '['}}}\n",
        "bad-guard",
        6,
        46,
        "invalid regular expression",
    ),
    (
        "bad-guard-inside-all",
        HEAD + "  - {from: Bob, to: Ann, when: {all: [{contains: a}, {regex: '['}]}}\n",
        "bad-guard",
        6,
        62,
        "invalid regular expression",
    ),
    (
        "bad-guard-inside-any",
        HEAD + "  - {from: Bob, to: Ann, when: {any: [{}]}}\n",
        "schema",
        6,
        39,
        "should be non-empty",
    ),
    (
        "bad-terminate-when",
        HEAD + "terminate_when: {regex: '('}\n",
        "bad-guard",
        6,
        25,
        "invalid regular expression",
    ),
    (
        "duplicate-agent",
        HEAD.replace("- name: Bob", "- name: Ann").replace("to: Bob", "to: Ann"),
        "duplicate-agent",
        3,
        11,
        "first declared as agents[0]",
    ),
    (
        "unknown-start",
        HEAD + "start: Anne\n",
        "unknown-agent",
        6,
        8,
        "did you mean 'Ann'?",
    ),
    (
        "unknown-end",
        HEAD + "end: [Ann, Bobb]\n",
        "unknown-agent",
        6,
        12,
        "in end; did you mean 'Bob'?",
    ),
    (
        "unknown-from",
        HEAD + "  - {from: Cy, to: Ann}\n",
        "unknown-agent",
        6,
        12,
        "transitions[1].from",
    ),
    (
        "unknown-to",
        HEAD + "  - {from: Bob, to: Bobby}\n",
        "unknown-agent",
        6,
        21,
        "transitions[1].to",
    ),
    (
        "default-with-condition",
        HEAD + "  - {from: Bob, to: Ann, default: true, on: always}\n",
        "bad-default",
        6,
        35,
        "takes no 'when' or 'on'",
    ),
    (
        "second-default",
        HEAD
        + "  - {from: Bob, to: Ann, default: true}\n  - {from: Bob, to: Bob, default: true}\n",
        "bad-default",
        7,
        35,
        "already has a default edge (transitions[1])",
    ),
]


@pytest.mark.parametrize(
    ("text", "code", "line", "column", "words"),
    [pytest.param(*case[1:], id=case[0]) for case in SPEC_PROBLEMS],
)
def test_each_spec_problem_is_located(
    text: str, code: str, line: int, column: int, words: str
) -> None:
    """Each problem the builder finds is reported at its place, with its code and hint.

    Some faults are seen by both the schema and the builder; every problem
    reported must then be at the same place.
    """
    problems = located(text)
    mine = [p for p in problems if p[0] == code and words in p[3]]
    assert len(mine) == 1, problems
    # Every fault is said once, even one both the builder and Spec's own check see.
    assert len(problems) == 1, problems
    assert mine[0][1:3] == (line, column)
    assert words in mine[0][3]
    assert {p[1:3] for p in problems} == {(line, column)}


def test_all_problems_come_at_once_in_file_order() -> None:
    """Structural and semantic problems of one file are all reported, sorted by line."""
    text = HEAD + "start: Anne\nmesage: hi\n  \n"
    text = text.replace("- name: Bob", "- {name: Bob, kind: function}")
    codes = list(dict.fromkeys((code, line) for code, line, _, _ in located(text)))
    assert codes == [("missing-key", 3), ("unknown-agent", 6), ("unknown-key", 7)]


def test_equals_guard_is_built_and_compares_stripped_text() -> None:
    """`equals:` builds an Equals guard that holds on the stripped last message only."""
    spec = parse_spec(HEAD + "  - {from: Bob, to: Ann, when: {equals: done}}\n")
    guard = spec.transitions[1].when
    assert guard == fsmchat.Equals("done")
    view = fsmchat.ChatView
    msg = fsmchat.Message
    assert guard.evaluate(view([msg(name="Bob", content="  done \n")], "Bob"))
    assert not guard.evaluate(view([msg(name="Bob", content="done!")], "Bob"))
    assert not guard.evaluate(view([msg(name="Bob", content="not done")], "Bob"))


def test_every_guard_kind_is_built_from_its_key() -> None:
    """Each guard key builds its own class, combinators nesting the others."""
    when = (
        "{any: [{regex: '^a', ignore_case: true}, {contains: b}, {endswith: c},"
        " {not: {equals: d}}, {all: []}, {call: 'tests.strategies:round_at_least',"
        " args: {n: 2}}]}"
    )
    spec = parse_spec(HEAD + f"  - {{from: Bob, to: Ann, when: {when}}}\n")
    guard = spec.transitions[1].when
    assert isinstance(guard, fsmchat.AnyOf)
    kinds = [type(g).__name__ for g in guard.guards]
    assert kinds == ["Regex", "Contains", "EndsWith", "Not", "AllOf", "Call"]
    regex, _, _, negation, _, call = guard.guards
    assert regex == fsmchat.Regex("^a", ignore_case=True)
    assert negation == fsmchat.Not(fsmchat.Equals("d"))
    assert call.args == {"n": 2}


def test_default_edge_written_first_does_not_hide_later_edges() -> None:
    """A default edge written before the others is still only the fallback."""
    spec = Spec(
        agents=agents("A", "B", "C"),
        transitions=[
            Edge(source="A", target="C", default=True),
            Edge(source="A", target="B"),
            Edge(source="B", target="A"),
        ],
        message="go",
        max_round=2,
    )
    result = fsmchat.run_chat(spec)
    assert [m.name for m in result.messages] == ["A", "B"]
    assert result.trace[0].reason == "only candidate"
    assert result.trace[0].edge == 1


def test_selection_max_retries_zero_is_kept() -> None:
    """`selection: {max_retries: 0}` means no retry, not the default 2."""
    spec = parse_spec(HEAD + "selection: {max_retries: 0, context: 0}\n")
    assert spec.selection == Selection(max_retries=0, context=0)
    assert parse_spec(HEAD + "selection: {context: null}\n").selection == Selection(
        max_retries=2, context=None
    )
    assert parse_spec(HEAD).selection == Selection(max_retries=2, context=1)


def test_spec_level_options_are_read() -> None:
    """start, message, max_round, allow_repeat_speaker, end, name and llm are kept."""
    spec = parse_spec(
        HEAD
        + "start: Bob\nmessage: hi\nmax_round: 3\nallow_repeat_speaker: false\n"
        + "end: [Bob]\nname: named\ndescription: d\nllm: {model: m}\n",
        path="dir/file.yaml",
    )
    assert (spec.start, spec.message, spec.max_round) == ("Bob", "hi", 3)
    assert spec.allow_repeat_speaker is False
    assert spec.end == ("Bob",)
    assert (spec.name, spec.description, dict(spec.llm)) == (
        "named",
        "d",
        {"model": "m"},
    )
    unnamed = parse_spec(HEAD, path="dir/my.spec.yaml")
    assert (unnamed.name, unnamed.start, unnamed.max_round) == ("my.spec", "Ann", 10)
    assert unnamed.allow_repeat_speaker is True


def test_agent_fields_are_read() -> None:
    """kind, description (defaulting to system_message), function, args and model are kept."""
    spec = parse_spec(
        """\
agents:
  - {name: Ann, kind: human, description: asks}
  - {name: Bob, system_message: you help, model: small}
  - {name: Cy, function: 'tests.strategies:speaker_is', args: {name: Cy}}
transitions: []
"""
    )
    ann, bob, cy = spec.agents
    assert (ann.kind, ann.description, ann.model) == ("human", "asks", None)
    assert (bob.kind, bob.description, bob.model) == ("llm", "you help", "small")
    assert (cy.kind, cy.function, dict(cy.args)) == (
        "function",
        "tests.strategies:speaker_is",
        {"name": "Cy"},
    )


# --------------------------------------------------------------------------
# ``call:`` and ``function:`` references are resolved when a chat is to run
# (``fsmchat.resolve_spec``, ``load_spec(allow=...)``), from an allow-list. These
# tests go through that public step only; each problem is located there.

REF_PROBLEMS = [
    (
        "unresolvable-function",
        HEAD.replace("- name: Bob", "- {name: Bob, function: 'math:flor'}"),
        (3, 27),
        "module 'math' has no attribute 'flor'; did you mean 'floor'?",
    ),
    (
        "unresolvable-call",
        HEAD + "  - {from: Bob, to: Ann, when: {call: 'math:nope'}}\n",
        (6, 39),
        "module 'math' has no attribute 'nope'",
    ),
    (
        "call-target-not-callable",
        HEAD + "  - {from: Bob, to: Ann, when: {not: {call: 'math:pi'}}}\n",
        (6, 45),
        "'math:pi' is not callable (it is float)",
    ),
    (
        "function-target-not-callable",
        HEAD.replace("- name: Bob", "- {name: Bob, function: 'math:pi'}"),
        (3, 27),
        "'math:pi' is not callable (it is float)",
    ),
    (
        "module-not-importable",
        HEAD + "  - {from: Bob, to: Ann, when: {call: 'math.zz_nope:f'}}\n",
        (6, 39),
        "cannot import module 'math.zz_nope'",
    ),
]


@pytest.mark.parametrize(
    ("text", "where", "words"),
    [pytest.param(*case[1:], id=case[0]) for case in REF_PROBLEMS],
)
def test_each_reference_problem_is_located_when_resolving(
    text: str, where: tuple[int, int], words: str
) -> None:
    """A reference that cannot run is refused when the spec is resolved, at its place."""
    spec = parse_spec(text, path="s.yaml")
    with pytest.raises(SpecError) as info:
        fsmchat.resolve_spec(spec, allow=["math"])
    (problem,) = info.value.problems
    assert (problem.line, problem.column) == where
    assert words in problem.message


def test_a_missing_agents_key_is_said_once() -> None:
    """No `agents` key: one missing-key problem about agents, not the schema's and Spec's both."""
    problems = located("end: 5\ntransitions: []\n")
    about_agents = [p for p in problems if "agent" in p[3]]
    assert len(about_agents) == 1, problems
    assert about_agents[0][0] == "missing-key"
    assert ("wrong-type", 1, 6) in [p[:3] for p in problems]
