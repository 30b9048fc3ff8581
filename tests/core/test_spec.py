"""The spec format: building from YAML, data, Python objects and the #1400 dict."""

from __future__ import annotations

import textwrap

import pytest

import fsmchat
from fsmchat import AgentSpec, Edge, Spec, SpecError, parse_spec
from tests.helpers import SPECS, agents

GOOD = """\
name: tiny
start: A
message: hi
agents:
  - {name: A, kind: function, function: "fsmchat.examples.counting:add_one"}
  - {name: B, kind: function, function: "fsmchat.examples.counting:add_one"}
transitions:
  - {from: A, to: B}
  - {from: B, to: A}
"""


def problems(text: str, path: str = "s.yaml") -> list[str]:
    """Parse ``text`` and return the problems as strings (empty if it built)."""
    try:
        parse_spec(textwrap.dedent(text), path=path)
    except SpecError as exc:
        return [str(p) for p in exc.problems]
    return []


def test_parse_good_spec_builds_agents_and_edges_in_order() -> None:
    """A valid spec builds, keeping agents and edges in file order with indices."""
    spec = parse_spec(GOOD, path="s.yaml")
    assert spec.names == ("A", "B")
    assert [(e.source, e.target, e.index) for e in spec.transitions] == [
        ("A", "B", 0),
        ("B", "A", 1),
    ]
    assert spec.start == "A"
    assert spec.message == "hi"
    assert spec.max_round == 10


def test_on_key_is_text_not_boolean() -> None:
    """`on:` is the key "on" (YAML 1.1 would read it as True)."""
    spec = parse_spec(
        GOOD.replace("{from: A, to: B}", "{from: A, to: B, on: the count is odd}")
    )
    assert spec.transitions[0].on == "the count is odd"


def test_yes_no_stay_text() -> None:
    """Only true/false are booleans, so an agent called No stays "No"."""
    text = (
        GOOD.replace("name: B,", "name: No,")
        .replace("to: B", "to: No")
        .replace("from: B", "from: No")
    )
    assert parse_spec(text).names == ("A", "No")


def test_unknown_key_has_location_and_did_you_mean() -> None:
    """A misspelt key is reported at its line with a did-you-mean hint."""
    out = problems(GOOD.replace("message: hi", "mesage: hi"))
    assert out == [
        "s.yaml:3:1: error: unknown key 'mesage' in spec; did you mean 'message'? [unknown-key]"
    ]


def test_unknown_agent_in_edge_has_location_and_hint() -> None:
    """An edge to an unknown agent names the line and the closest agent."""
    out = problems(GOOD.replace("{from: A, to: B}", "{from: A, to: Bb}"))
    assert len(out) == 1
    assert out[0].startswith("s.yaml:8:")
    assert "unknown agent 'Bb' in transitions[0].to; did you mean 'B'?" in out[0]


def test_all_problems_reported_at_once() -> None:
    """Schema and semantic problems in one file are all reported together."""
    text = GOOD.replace("message: hi", "message: hi\nmax_round: many").replace(
        "{from: B, to: A}", "{from: C, to: A}"
    )
    out = problems(text)
    assert any("max_round: expected integer, got string 'many'" in p for p in out)
    assert any("unknown agent 'C'" in p for p in out)


def test_yaml_syntax_error_is_a_located_problem() -> None:
    """Broken YAML gives one problem with line and column, not a traceback."""
    out = problems("agents: [\n  - name: A\n")
    assert len(out) == 1
    assert out[0].startswith("s.yaml:")
    assert "YAML syntax error" in out[0]


def test_tab_indentation_is_explained() -> None:
    """A tab in indentation is reported as such."""
    out = problems("agents:\n\t- name: A\ntransitions: []\n")
    assert len(out) == 1
    assert "tab" in out[0]


def test_duplicate_key_is_a_problem() -> None:
    """A key written twice is an error naming both lines."""
    out = problems(GOOD.replace("message: hi", "message: hi\nmessage: ho"))
    assert out == [
        "s.yaml:4:1: error: duplicate key 'message' (first defined on line 3) [yaml-duplicate-key]"
    ]


def test_duplicate_agent_names_are_rejected() -> None:
    """Two agents with one name are an error."""
    out = problems(GOOD.replace("name: B, kind", "name: A, kind"))
    assert any("duplicate agent name 'A'" in p for p in out)


def test_unresolvable_function_is_a_problem_when_resolved() -> None:
    """Building imports nothing; resolving a misspelt function is a located error with a hint."""
    text = GOOD.replace(
        'counting:add_one"}\n  - {name: B', 'counting:add_onee"}\n  - {name: B'
    )
    spec = fsmchat.parse_spec(text, path="s.yaml")
    with pytest.raises(SpecError) as info:
        fsmchat.resolve_spec(spec)
    (problem,) = info.value.problems
    assert problem.line == 5
    assert "has no attribute 'add_onee'; did you mean 'add_one'?" in problem.message


def test_guard_needs_exactly_one_matcher() -> None:
    """A guard mixing two matchers is rejected."""
    out = problems(
        GOOD.replace(
            "{from: A, to: B}", "{from: A, to: B, when: {contains: x, regex: y}}"
        )
    )
    assert any("exactly one of" in p for p in out)


def test_bad_regex_is_reported() -> None:
    """An invalid regular expression is an error, not a crash."""
    out = problems(
        GOOD.replace("{from: A, to: B}", "{from: A, to: B, when: {regex: '(('}}")
    )
    assert any("invalid regular expression" in p for p in out)


def test_default_edge_takes_no_condition_and_is_unique() -> None:
    """A default edge with a condition, or a second default, is an error."""
    text = GOOD.replace(
        "{from: A, to: B}",
        "{from: A, to: B, default: true, on: x}\n  - {from: A, to: A, default: true}",
    )
    out = problems(text)
    assert any("a default edge takes no 'when' or 'on'" in p for p in out)
    assert any("already has a default edge" in p for p in out)


def test_spec_from_python_objects_validates_names() -> None:
    """Building from Python objects reports unknown names with the data path."""
    with pytest.raises(SpecError) as info:
        Spec(agents=agents("A", "B"), transitions=[Edge(source="A", target="Bx")])
    assert (
        "transitions[0].to: unknown agent 'Bx' in transitions[0].to; did you mean 'B'?"
        in str(info.value)
    )


def test_spec_error_is_a_value_error() -> None:
    """SpecError can be caught as ValueError."""
    with pytest.raises(ValueError, match="unknown agent"):
        Spec(agents=agents("A"), transitions=[Edge(source="A", target="Z")])


def test_spec_from_dict_names_data_paths() -> None:
    """Plain data without locations gets data paths in messages."""
    with pytest.raises(SpecError) as info:
        fsmchat.spec_from_dict(
            {"agents": [{"name": "A"}], "transitions": [{"from": "A"}]}
        )
    assert "transitions[0]: 'to' is a required property" in str(info.value)


def test_description_defaults_to_system_message() -> None:
    """An agent's description defaults to its system message (autogen PR #736)."""
    a = AgentSpec(name="X", system_message="You add one.")
    assert a.description == "You add one."
    b = AgentSpec(name="X", system_message="You add one.", description="Counts.")
    assert b.description == "Counts."


class _Agent:
    """An AutoGen-like agent object."""

    def __init__(self, name: str, description: str) -> None:
        self.name = name
        self.description = description
        self.system_message = "sys " + name


def test_spec_from_autogen_dict_of_1400() -> None:
    """The #1400 dict (agent objects, from/to/on) becomes a spec with on-conditions."""
    u, p, e = _Agent("User", "u"), _Agent("Planner", "p"), _Agent("Engineer", "e")
    spec = fsmchat.spec_from_autogen(
        {
            "agents": [u, p, e],
            "transitions": [
                {"from": u, "to": p, "on": None},
                {"from": p, "to": e, "on": "always"},
            ],
        }
    )
    assert spec.start == "User"
    assert spec.transitions[1].on == "always"
    assert spec.by_name["Planner"].description == "p"
    assert spec.by_name["Planner"].system_message == "sys Planner"


def test_spec_from_autogen_rejects_unknown_agents() -> None:
    """An edge to an agent missing from 'agents' is a SpecError."""
    with pytest.raises(SpecError, match="unknown agent 'Ghost'"):
        fsmchat.spec_from_autogen(
            {"agents": ["A"], "transitions": [{"from": "A", "to": "Ghost"}]}
        )


def test_every_shipped_spec_loads() -> None:
    """Every file in specs/ builds without problems."""
    files = sorted(SPECS.glob("*.yaml"))
    assert files
    for f in files:
        fsmchat.load_spec(f)


def test_load_spec_missing_file_is_a_spec_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A missing file is reported as a problem, not an OSError traceback."""
    with pytest.raises(SpecError, match="cannot read file"):
        fsmchat.load_spec(tmp_path / "nope.yaml")


def test_schema_is_valid_json_schema() -> None:
    """The shipped schema is itself a valid JSON Schema."""
    import jsonschema

    jsonschema.Draft202012Validator.check_schema(fsmchat.load_schema())


def test_json_spec_takes_fast_path_and_equals_yaml() -> None:
    """A JSON spec builds the same Spec as its YAML twin (JSON is YAML)."""
    import json

    import yaml

    data = yaml.safe_load(GOOD)
    from_json = parse_spec(json.dumps(data, indent=1), path="s.json")
    from_yaml = parse_spec(GOOD, path="s.yaml")
    assert from_json == from_yaml


def test_json_spec_problems_still_have_locations() -> None:
    """Problems in a JSON spec are located, computing locations only then."""
    text = '{\n "agents": [{"name": "A"}],\n "transitions": [\n  {"from": "A", "to": "B"}\n ]\n}\n'
    out = problems(text, path="s.json")
    assert out == [
        "s.json:4:23: error: unknown agent 'B' in transitions[0].to [unknown-agent]"
    ]


def test_json_duplicate_keys_are_reported() -> None:
    """A JSON spec repeating a key is not silently collapsed: it is a located problem."""
    text = '{"agents": [{"name": "A"}], "agents": [], "transitions": []}'
    out = problems(text, path="s.json")
    assert any("duplicate key 'agents'" in p for p in out)


def test_references_are_data_until_bound() -> None:
    """Building keeps call:/function: as located references; bind() attaches callables by ref."""
    text = (
        "agents:\n"
        "  - {name: A, function: 'pkg.mod:reply'}\n"
        "  - {name: B}\n"
        "transitions:\n"
        "  - {from: A, to: B, when: {any: [{contains: x}, {call: 'pkg.mod:ok', args: {n: 1}}]}}\n"
        "terminate_when: {not: {call: 'pkg.mod:stop'}}\n"
    )
    spec = parse_spec(text, path="s.yaml")
    assert [(r.ref, r.kind, spec.locate(r.key)[0]) for r in spec.unbound] == [
        ("pkg.mod:reply", "function", 2),
        ("pkg.mod:ok", "call", 5),
        ("pkg.mod:stop", "call", 6),
    ]
    assert spec.agents[0].reply is None
    table = {"pkg.mod:reply": lambda chat: "r", "pkg.mod:ok": lambda chat, n: n == 1}
    bound = spec.bind(table)
    assert [r.ref for r in bound.unbound] == ["pkg.mod:stop"]
    assert bound.agents[0].reply is table["pkg.mod:reply"]
    assert (
        bound.transitions[0].when == spec.transitions[0].when
    )  # equality ignores the callable
    guards_only = spec.bind(table, kinds=("call",))
    assert [r.ref for r in guards_only.unbound] == ["pkg.mod:reply", "pkg.mod:stop"]


def test_malformed_reference_is_a_located_problem() -> None:
    """A function: that is not package.module:function is refused at its line."""
    out = problems(
        GOOD.replace(
            '"fsmchat.examples.counting:add_one"}\n  - {name: B',
            '"add one"}\n  - {name: B',
        )
    )
    assert any(":5:" in p and "package.module:function" in p for p in out)


def test_unbound_guard_cannot_be_evaluated() -> None:
    """An unbound call: guard says how to bind it instead of running anything."""
    spec = parse_spec(
        "agents: [{name: A}, {name: B}]\ntransitions: [{from: A, to: B, when: {call: 'x.y:z'}}]\n"
    )
    guard = spec.transitions[0].when
    assert guard is not None
    with pytest.raises(fsmchat.InvalidArgument, match="never bound"):
        guard.evaluate(
            fsmchat.ChatView((fsmchat.Message(name="A", content="hi"),), "A")
        )
