"""`check` hints for keys named as other frameworks name them, and one error per mistake."""

from __future__ import annotations

import pytest

import fsmchat
from fsmchat import SpecError


def _problems(text: str) -> list[str]:
    with pytest.raises(SpecError) as info:
        fsmchat.parse_spec(text, path="t.yaml")
    return [str(p) for p in info.value.problems]


@pytest.mark.parametrize(
    ("key", "meant"),
    [("condition", "on"), ("if", "when"), ("target", "to"), ("fallback", "default")],
)
def test_synonym_keys_get_a_did_you_mean(key: str, meant: str) -> None:
    """A key such as `condition` is answered with "did you mean 'on'"."""
    (problem,) = _problems(
        "agents: [{name: A}, {name: B}]\n"
        f"transitions:\n  - {{from: A, to: B, {key}: x}}\n"
    )
    assert f"unknown key {key!r} in transitions[0]; did you mean {meant!r}?" in problem


def test_one_unknown_matcher_is_one_error() -> None:
    """`when: {endwith: X}` gives the unknown-key error only, not also "a guard needs ..."."""
    (problem,) = _problems(
        "agents: [{name: A}, {name: B}]\n"
        "transitions:\n  - {from: A, to: B, when: {endwith: TERMINATE}}\n"
    )
    assert (
        "unknown key 'endwith' in transitions[0].when; did you mean 'endswith'?"
        in problem
    )


def test_empty_guard_is_one_error() -> None:
    """`when: {}` is reported once (non-empty), not also as "a guard needs ..."."""
    (problem,) = _problems(
        "agents: [{name: A}, {name: B}]\ntransitions:\n  - {from: A, to: B, when: {}}\n"
    )
    assert "transitions[0].when: {} should be non-empty" in problem


def test_guard_with_two_matchers_still_says_what_a_guard_needs() -> None:
    """Two matchers in one guard keep the "needs exactly one of" error."""
    problems = _problems(
        "agents: [{name: A}, {name: B}]\n"
        "transitions:\n  - {from: A, to: B, when: {regex: a, contains: b}}\n"
    )
    assert any("a guard needs exactly one of regex" in p for p in problems)


def test_unknown_matcher_from_python_data_is_one_error() -> None:
    """The same holds for specs given as plain Python data."""
    with pytest.raises(SpecError) as info:
        fsmchat.spec_from_dict(
            {
                "agents": [{"name": "A"}, {"name": "B"}],
                "transitions": [{"from": "A", "to": "B", "when": {"contain": "x"}}],
            }
        )
    assert len(info.value.problems) == 1
    assert "did you mean 'contains'?" in str(info.value.problems[0])
