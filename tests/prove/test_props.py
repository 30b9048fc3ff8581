"""The property language: parsing, located errors in spec files, schema, and the Promela model."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from fsmchat import SpecError, parse_spec
from fsmchat._core.build import load_schema
from fsmchat._core.promela import to_ltl, to_promela
from fsmchat._core.props import (
    After,
    Always,
    And,
    Before,
    BeforeOf,
    Builtin,
    Eventually,
    Implies,
    Not,
    Or,
    Reachable,
    Speaks,
    Until,
    parse_property,
)
from fsmchat.cli import _tools as tools
from tests.helpers import SPECS

NAMES = ["User", "Planner", "Engineer", "Executor", "Critic", "always"]
COUNTING = (SPECS / "counting.yaml").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("after Critic: Planner or Engineer", After("Critic", ("Planner", "Engineer"))),
        ("before Executor: Engineer", BeforeOf("Executor", ("Engineer",))),
        ("terminates", Builtin("terminates")),
        ("no-dead-end", Builtin("no-dead-end")),
        ("reachable: Critic", Reachable("Critic")),
        ("speaks(User)", Speaks("User")),
        ("never Critic", Always(Not(Speaks("Critic")))),
        (
            "always Executor implies Engineer",
            Always(Implies(Speaks("Executor"), Speaks("Engineer"))),
        ),
        (
            "Planner until Critic or not User and Executor",
            Or(
                Until(Speaks("Planner"), Speaks("Critic")),
                And(Not(Speaks("User")), Speaks("Executor")),
            ),
        ),
        ("Planner before Engineer", Before(Speaks("Planner"), Speaks("Engineer"))),
        ("eventually (Critic)", Eventually(Speaks("Critic"))),
        ("'always' implies User", Implies(Speaks("always"), Speaks("User"))),
    ],
)
def test_parse_property(text: str, expected: object) -> None:
    """Each construct of the language parses to its formula, with the documented precedence."""
    top, errors = parse_property(text, NAMES)
    assert errors == []
    assert top == expected


@pytest.mark.parametrize(
    ("text", "offset", "words"),
    [
        ("always (", 8, "expected an agent name"),
        ("after Critic Planner", 13, "expected ':'"),
        ("Planner befor Engineer", 8, "expected the end"),
        ("always Planner #", 15, "unexpected '#'"),
        ("speaks(Critic", 13, "expected ')'"),
        ("Planner and terminates", 12, "whole property"),
    ],
)
def test_syntax_errors_say_where(text: str, offset: int, words: str) -> None:
    """A syntax error names the offending token and its offset in the text."""
    top, errors = parse_property(text, NAMES)
    assert top is None
    assert [e.offset for e in errors] == [offset]
    assert words in errors[0].message


def test_spec_reports_every_property_problem_located_with_hints() -> None:
    """Bad properties in a file: all reported at once, `file:line:col`, with "did you mean"."""
    text = COUNTING.replace(
        '"before Executor: Engineer"', '"before Executr: Enginer"'
    ).replace('"Planner before Engineer"', '"Planner befor Engineer"')
    with pytest.raises(SpecError) as info:
        parse_spec(text, path="c.yaml")
    lines = text.splitlines()
    got = [str(p) for p in info.value.problems]
    assert len(got) == 3
    row = next(i for i, line in enumerate(lines) if "Executr" in line) + 1
    col = lines[row - 1].index("Executr") + 1
    assert got[0].startswith(f"c.yaml:{row}:{col}: error: property ")
    assert "unknown agent 'Executr'; did you mean 'Executor'?" in got[0]
    assert "did you mean 'Engineer'?" in got[1]
    row = next(i for i, line in enumerate(lines) if "befor Engineer" in line) + 1
    col = lines[row - 1].index("befor ") + 1
    assert got[2].startswith(f"c.yaml:{row}:{col}: ")


def test_duplicate_property_names_are_refused() -> None:
    """Two properties with one name: a located `bad-property` problem."""
    text = COUNTING + "  - name: no-dead-end\n    holds: terminates\n"
    with pytest.raises(SpecError) as info:
        parse_spec(text, path="c.yaml")
    assert [p.code for p in info.value.problems] == ["bad-property"]
    assert "duplicate property name 'no-dead-end'" in str(info.value)


def test_schema_describes_properties() -> None:
    """The shipped JSON Schema and `fsmchat schema` include `properties` entries."""
    schema = load_schema()
    assert schema["properties"]["properties"]["items"] == {"$ref": "#/$defs/property"}
    assert schema["$defs"]["property"]["required"] == ["name", "holds"]
    out = CliRunner().invoke(tools.schema, []).stdout
    assert json.loads(out)["$defs"]["property"]["additionalProperties"] is False


def test_schema_refuses_a_property_without_holds() -> None:
    """A property entry missing `holds` is a located schema problem, not a traceback."""
    text = COUNTING + "  - name: lonely\n"
    with pytest.raises(SpecError) as info:
        parse_spec(text, path="c.yaml")
    assert "'holds' is a required property" in str(info.value)


def test_exclusive_guards_share_one_atom() -> None:
    """`when: X` and `when: {not: X}` read one atom, so the model keeps them exclusive."""
    spec = parse_spec(COUNTING, path="counting.yaml")
    model = to_promela(spec)
    assert model.atoms == (
        "endswith 'TERMINATE'",
        "last_number_is_multiple(of=3)",
        "last_number_is_multiple(of=5)",
    )
    assert "if :: a1 ->" in model.text
    assert "if :: (!a1) ->" in model.text


def test_next_speaker_is_modelled_with_prev() -> None:
    """`after A: B` becomes an LTL claim over the `prev` variable (no X operator)."""
    index = {n: i for i, n in enumerate(NAMES)}
    ltl = to_ltl(After("Critic", ("Planner", "Engineer")), index)
    assert ltl == "([] ((prev == 4) -> (cur == 1 || cur == 2)))"
    assert " X " not in to_ltl(Until(Speaks("User"), Speaks("Critic")), index)
