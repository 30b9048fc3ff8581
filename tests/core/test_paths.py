"""Covering paths: every edge a chat can take is on some path from the start."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

import fsmchat
from fsmchat._core.graph import dead_edges
from fsmchat._core.paths import covering_paths, format_path, uncovered_edges
from tests.helpers import SPECS


def route(path: list[fsmchat.Edge]) -> list[str]:
    return [path[0].source, *(e.target for e in path)]


def test_counting_is_covered_by_one_path() -> None:
    """The counting spec's seven edges fit one path of nine steps."""
    spec = fsmchat.load_spec(SPECS / "counting.yaml")
    (path,) = covering_paths(spec)
    assert route(path) == [
        "User", "Planner", "Engineer", "Executor", "Engineer",
        "Critic", "Planner", "Engineer", "Critic", "Engineer",
    ]  # fmt: skip
    assert {e.index for e in path} == set(range(7))
    assert uncovered_edges(spec) == []


def test_paths_respect_max_round() -> None:
    """No path is longer than max_round messages; a new path starts over."""
    spec = fsmchat.parse_spec(
        "max_round: 3\nagents: [{name: A}, {name: B}, {name: C}]\nend: [C]\n"
        "transitions:\n"
        "  - {from: A, to: B}\n  - {from: B, to: A, when: {contains: back}}\n"
        "  - {from: B, to: C}\n"
    )
    paths = covering_paths(spec)
    assert [route(p) for p in paths] == [["A", "B", "A"], ["A", "B", "C"]]


def test_unreachable_and_dead_edges_are_listed() -> None:
    """Edges no chat can take are reported with the reason, not put on a path."""
    spec = fsmchat.parse_spec(
        "agents: [{name: A}, {name: B}, {name: C}, {name: D}]\nend: [B]\n"
        "transitions:\n"
        "  - {from: A, to: B}\n  - {from: A, to: C, when: {contains: x}}\n"
        "  - {from: D, to: B}\n"
    )
    assert [route(p) for p in covering_paths(spec)] == [["A", "B"]]
    why = {e.index: reason for e, reason in uncovered_edges(spec)}
    assert "never-fires" in why[1]
    assert "'D' is unreachable" in why[2]


def test_edges_beyond_max_round_are_listed() -> None:
    """An edge that needs more than max_round messages is reported as such."""
    spec = fsmchat.parse_spec(
        "max_round: 2\nagents: [{name: A}, {name: B}, {name: C}]\nend: [C]\n"
        "transitions: [{from: A, to: B}, {from: B, to: C}]\n"
    )
    assert [route(p) for p in covering_paths(spec)] == [["A", "B"]]
    ((edge, why),) = uncovered_edges(spec)
    assert edge.index == 1
    assert "max_round=2" in why


@pytest.mark.parametrize("path", sorted(SPECS.glob("*.yaml")), ids=lambda p: p.stem)
def test_shipped_specs_are_covered(path: object) -> None:
    """For every shipped spec, paths plus the uncovered list account for every edge."""
    spec = fsmchat.load_spec(path)  # type: ignore[arg-type]
    covered = {e.index for p in covering_paths(spec) for e in p}
    missing = {e.index for e, _ in uncovered_edges(spec)}
    assert covered | missing == set(range(len(spec.transitions)))
    assert not covered & missing


@st.composite
def graphs(draw: st.DrawFn) -> fsmchat.Spec:
    n = draw(st.integers(1, 6))
    names = [f"A{i}" for i in range(n)]
    pairs = draw(
        st.lists(st.tuples(st.sampled_from(names), st.sampled_from(names)), max_size=14)
    )
    conds = draw(st.lists(st.booleans(), min_size=len(pairs), max_size=len(pairs)))
    edges = [
        fsmchat.Edge(source=a, target=b, when=fsmchat.Contains(f"k{i}") if c else None)
        for i, ((a, b), c) in enumerate(zip(pairs, conds, strict=True))
    ]
    return fsmchat.Spec(
        agents=[fsmchat.AgentSpec(name=x) for x in names],
        transitions=edges,
        max_round=draw(st.integers(2, 8)),
        allow_repeat_speaker=draw(st.booleans()),
        end=draw(st.lists(st.sampled_from(names), max_size=2, unique=True)),
    )


@given(graphs())
def test_paths_are_walks_from_start_within_max_round(spec: fsmchat.Spec) -> None:
    """Every path starts at start, chains its edges, fits max_round, and avoids dead edges."""
    dead = dead_edges(spec)
    covered: set[int] = set()
    for p in covering_paths(spec):
        assert p[0].source == spec.start
        assert all(a.target == b.source for a, b in itertools.pairwise(p))
        assert len(p) + 1 <= spec.max_round
        assert not {e.index for e in p} & set(dead)
        covered |= {e.index for e in p}
    missing = {e.index for e, _ in uncovered_edges(spec)}
    assert covered | missing == set(range(len(spec.transitions)))


def test_format_path_names_the_edge_of_each_step() -> None:
    """A path line shows each step's edge index, telling apart edges between the same agents."""
    spec = fsmchat.load_spec(SPECS / "code_review.yaml")
    lines = [format_path(p) for p in covering_paths(spec)]
    assert lines == [
        "Requester -[0]-> Author -[1]-> Reviewer -[2]-> Maintainer",
        "Requester -[0]-> Author -[1]-> Reviewer -[3]-> Author -[1]-> Reviewer -[4]-> Author",
    ]
    assert spec.transitions[4].default  # the last step of path 2 is the default edge
    assert format_path([]) == ""
