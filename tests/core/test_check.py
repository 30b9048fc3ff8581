"""The spec checker: graph checks beyond the builder, and golden diagnostics."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fsmchat
from fsmchat._core.check import check_spec, check_text
from fsmchat._core.engine import Routing, plan_route
from fsmchat._core.graph import dead_edges
from fsmchat._core.state import ChatView, Message
from fsmchat.adapters._files import check_paths, collect_spec_files
from fsmchat.testing import FunctionSelector
from tests.core.test_verify import chats
from tests.helpers import ROOT, SPECS

DATA = ROOT / "tests" / "data"
GOLDEN = ROOT / "tests" / "golden"
BAD = sorted((DATA / "bad").glob("*.yaml"))


def codes(problems: list[fsmchat.Problem]) -> list[str]:
    return [p.code for p in problems]


def spec_of(text: str) -> fsmchat.Spec:
    return fsmchat.parse_spec(text, path="t.yaml")


def test_seed003_wrong_agent_conditions_are_flagged() -> None:
    """Seed 003's two `on` texts that name the wrong agent are flagged, with the line."""
    path = DATA / "seed003_fsm.yaml"
    problems = check_text(path.read_text(), path="seed003_fsm.yaml")
    slips = [p for p in problems if p.code == "condition-names-other-agent"]
    assert len(slips) == 2
    first, second = slips
    assert "'Executor'" in first.message
    assert "did the text mean 'Critic'?" in first.message
    assert "'Planner'" in second.message
    assert "'Engineer'" in second.message
    lines = path.read_text().splitlines()
    assert "not a multiple of 3" in lines[first.line - 1]
    assert "not a multiple of 5" in lines[second.line - 1]


def test_shipped_specs_have_no_errors() -> None:
    """Every spec in specs/ checks without errors."""
    problems = check_paths([SPECS])
    assert [p for p in problems if p.severity == "error"] == []


def test_counting_is_clean() -> None:
    """The counting spec has no problem at all."""
    assert check_spec(fsmchat.load_spec(SPECS / "counting.yaml")) == []


def test_typo_in_counting_target_gives_located_hint(tmp_path: Path) -> None:
    """Renaming a `to:` target to a typo is an error at its line with a hint."""
    text = (SPECS / "counting.yaml").read_text()
    bad = text.replace("    to: Executor\n", "    to: Exekutor\n", 1)
    problems = check_text(bad, path="counting.yaml")
    (p,) = problems
    assert p.severity == "error"
    assert p.code == "unknown-agent"
    assert "did you mean 'Executor'?" in p.message
    assert bad.splitlines()[p.line - 1].strip() == "to: Exekutor"


@pytest.mark.parametrize("path", BAD, ids=lambda p: p.stem)
def test_bad_specs_match_golden_output(path: Path) -> None:
    """`check` diagnostics of each bad spec match the golden file byte for byte."""
    rel = path.relative_to(ROOT).as_posix()
    got = "".join(f"{p}\n" for p in check_text(path.read_text(), path=rel))
    golden = GOLDEN / f"check_{path.stem}.txt"
    if os.environ.get("FSMCHAT_UPDATE_GOLDEN") == "1":
        golden.write_text(got, encoding="utf-8")
    assert golden.exists(), f"missing {golden}: run with FSMCHAT_UPDATE_GOLDEN=1"
    assert got == golden.read_text(encoding="utf-8")


def test_graph_slips_reports_every_check() -> None:
    """Each graph check fires on the spec built to trigger it, with its severity."""
    problems = check_text((DATA / "bad" / "graph_slips.yaml").read_text())
    by_code = {p.code: p.severity for p in problems}
    assert by_code == {
        "trap": "warning",
        "unreachable": "warning",
        "dead-end": "warning",
        "open-choice": "warning",
        "never-fires": "error",
        "condition-names-other-agent": "warning",
        "ignored-self-loop": "warning",
        "duplicate-edge": "warning",
        "edge-from-end": "warning",
    }


def test_conditional_edge_after_unconditional_never_fires() -> None:
    """A `when` edge written after an unconditional edge is an error at that edge."""
    spec = spec_of(
        "agents: [{name: A}, {name: B}, {name: C}]\n"
        "end: [B, C]\n"
        "transitions:\n"
        "  - {from: A, to: B}\n"
        "  - {from: A, to: C, when: {contains: x}}\n"
    )
    problems = check_spec(spec)
    assert [(p.code, p.severity, p.line) for p in problems] == [
        ("unreachable", "warning", 1),  # C: only the dead edge leads to it
        ("never-fires", "error", 5),
    ]


def test_default_after_single_open_edge_is_unused() -> None:
    """A default edge is never taken when one unconditional successor always exists."""
    spec = spec_of(
        "agents: [{name: A}, {name: B}, {name: C}]\n"
        "end: [B, C]\n"
        "transitions:\n"
        "  - {from: A, to: B}\n"
        "  - {from: A, to: C, default: true}\n"
    )
    assert codes(check_spec(spec)) == ["unreachable", "unused-default"]


def test_default_with_open_choice_is_used() -> None:
    """A default edge behind two open edges is the fallback, so it is not flagged."""
    spec = spec_of(
        "agents: [{name: A}, {name: B}, {name: C}]\n"
        "end: [B, C]\n"
        "transitions:\n"
        "  - {from: A, to: B}\n"
        "  - {from: A, to: C}\n"
        "  - {from: A, to: B, default: true}\n"
    )
    assert codes(check_spec(spec)) == ["open-choice"]


def test_self_loop_allowed_when_repeat_speaker() -> None:
    """Self-loops are fine while allow_repeat_speaker is true."""
    spec = spec_of(
        "agents: [{name: A}, {name: B}]\nend: [B]\n"
        "transitions:\n  - {from: A, to: A, when: {contains: again}}\n  - {from: A, to: B}\n"
    )
    assert check_spec(spec) == []


def test_terminate_when_means_no_trap() -> None:
    """With terminate_when any agent may end the chat, so a loop is no trap."""
    loop = "agents: [{name: A}, {name: B}]\ntransitions:\n  - {from: A, to: B}\n  - {from: B, to: A}\n"
    assert codes(check_spec(spec_of(loop))) == ["trap"]
    assert check_spec(spec_of(loop + "terminate_when: {endswith: DONE}\n")) == []


def test_human_agent_can_end_the_chat() -> None:
    """A loop through a human agent is no trap: a person can always type exit."""
    text = (
        "agents: [{name: A}, {name: H, kind: human}]\n"
        "transitions:\n  - {from: A, to: H}\n  - {from: H, to: A}\n"
    )
    assert check_spec(spec_of(text)) == []


def test_condition_names_match_whole_words_only() -> None:
    """Agent names inside other words or in another case are not mentions."""
    text = (
        "agents: [{name: A}, {name: Bo}, {name: Ann}, {name: Code Reviewer}]\n"
        "end: [Bo, Ann, Code Reviewer]\n"
        "transitions:\n"
        "  - {from: A, to: Bo, on: 'Bob and ann and Annie said so'}\n"
        "  - {from: A, to: Ann, on: 'the `Code Reviewer` agreed'}\n"
        "  - {from: A, to: Code Reviewer, on: 'Code Reviewers exist'}\n"
    )
    problems = check_spec(spec_of(text))
    slips = [p for p in problems if p.code == "condition-names-other-agent"]
    assert len(slips) == 1
    assert "'Code Reviewer'" in slips[0].message
    assert slips[0].line == 5


def test_python_built_spec_problems_name_the_data_path() -> None:
    """Without a source file, a problem names its data path instead of a line."""
    spec = fsmchat.Spec(
        agents=[fsmchat.AgentSpec(name="A"), fsmchat.AgentSpec(name="B")],
        transitions=[
            fsmchat.Edge(source="A", target="B"),
            fsmchat.Edge(source="A", target="B", when=fsmchat.Contains("x")),
        ],
        end=["B"],
    )
    (p,) = check_spec(spec)
    assert p.message.startswith("transitions[1]: ")
    assert p.line == 0


def test_never_fires_agrees_with_plan_route() -> None:
    """An edge flagged never-fires is never picked by plan_route, whatever the guards say."""
    spec = fsmchat.load_spec(DATA / "bad" / "graph_slips.yaml")
    flagged = {
        int(p.message.split("]")[0].split("[")[1])
        for p in check_spec(spec)
        if p.code == "never-fires"
    }
    assert flagged == {3, 5}
    for text in ("paid", "nothing", "paid paid"):
        for agent in spec.names:
            view = ChatView((Message(name=agent, content=text),), agent)
            plan = plan_route(spec.out_edges[agent], view, Routing())
            used = {e.index for e in (*plan.pending, *plan.open_edges)}
            if plan.decisive is not None:
                used.add(plan.decisive.index)
            assert not used & flagged


def test_collect_spec_files_sorted_and_recursive(tmp_path: Path) -> None:
    """Directories are searched recursively for spec suffixes, sorted, hidden skipped."""
    (tmp_path / "b").mkdir()
    (tmp_path / ".hidden").mkdir()
    for name in ("b/z.yml", "a.yaml", "c.json", "notes.txt", ".hidden/x.yaml"):
        (tmp_path / name).write_text("x: 1\n")
    files = [
        Path(f).relative_to(tmp_path).as_posix() for f in collect_spec_files([tmp_path])
    ]
    assert files == ["a.yaml", "b/z.yml", "c.json"]


def test_collect_spec_files_usage_errors(tmp_path: Path) -> None:
    """A missing path or a directory without specs is an InvalidArgument."""
    with pytest.raises(fsmchat.InvalidArgument, match="no such file"):
        collect_spec_files([tmp_path / "nope"])
    with pytest.raises(fsmchat.InvalidArgument, match="no spec files"):
        collect_spec_files([tmp_path])


def test_undecodable_file_is_a_located_problem(tmp_path: Path) -> None:
    """A file that is not UTF-8 is one diagnostic at the bad byte, not a traceback."""
    bad = tmp_path / "s.yaml"
    bad.write_bytes(b"name: x\nagents: [\xff]\n")
    (p,) = check_paths([bad])
    assert (p.code, p.line, p.column) == ("encoding", 2, 10)


def big_spec(n_agents: int, n_edges: int) -> fsmchat.Spec:
    """A spec with many agents and edges: a ring plus guarded chords with `on` texts."""
    names = [f"Agent{i}" for i in range(n_agents)]
    edges = [
        fsmchat.Edge(
            source=names[i],
            target=names[(i + 1) % n_agents],
            when=fsmchat.Contains(f"go{i}"),
            on=f"{names[i]} hands over to {names[(i + 1) % n_agents]}",
        )
        for i in range(n_agents)
    ]
    k = 0
    while len(edges) < n_edges:
        i = k % n_agents
        j = (k * 7919 + 13) % n_agents
        edges.append(
            fsmchat.Edge(
                source=names[i],
                target=names[j],
                when=fsmchat.Contains(f"c{k}"),
                on=f"after {names[i]} ask {names[j]}",
            )
        )
        k += 1
    return fsmchat.Spec(
        agents=[fsmchat.AgentSpec(name=n) for n in names],
        transitions=edges,
        terminate_when=fsmchat.EndsWith("TERMINATE"),
    )


def test_check_finds_nothing_on_a_big_clean_spec() -> None:
    """10,000 agents and 50,000 edges check clean (its time is measured by bench --perf)."""
    spec = big_spec(10_000, 50_000)
    assert check_spec(spec) == []


@settings(max_examples=150)
@given(chats(), st.integers(0, 2**16))
def test_dead_edges_are_never_taken_by_the_engine(
    chat: tuple[fsmchat.Spec, list[bool]], seed: int
) -> None:
    """No engine run ever takes an edge the checker says no step can take."""
    spec, coins = chat
    dead = dead_edges(spec)
    check_spec(spec)  # never raises
    rng = fsmchat.RandomSelector(seed)
    flips = iter(coins * 50)

    def answer(request: fsmchat.Choose | fsmchat.Judge) -> object:
        if next(flips):
            return "not an agent"
        if isinstance(request, fsmchat.Judge):
            return [next(flips) for _ in request.conditions]
        return rng.select(request).value

    result = fsmchat.run_chat(spec, selector=FunctionSelector(answer))
    taken = {d.edge for d in result.trace if d.edge is not None}
    assert not taken & set(dead), {i: dead[i] for i in taken & set(dead)}


def test_unallowed_code_is_a_warning_per_reference() -> None:
    """check lists every call:/function: outside the allow-list, located; allow= clears them."""
    text = (
        "message: hi\nend: [B]\nagents:\n"
        "  - {name: A, function: 'mine.agents:reply'}\n"
        "  - {name: B, function: 'fsmchat.examples.counting:add_one'}\n"
        "transitions:\n"
        "  - {from: A, to: B, when: {not: {call: 'mine.guards:ok'}}}\n"
        "  - {from: A, to: B}\n"
    )
    flagged = [p for p in check_text(text, path="s.yaml") if p.code == "unallowed-code"]
    assert [(p.line, p.severity) for p in flagged] == [(4, "warning"), (7, "warning")]
    assert "'mine.agents:reply'" in flagged[0].message
    assert "--allow mine.guards" in flagged[1].message
    assert [
        p
        for p in check_text(text, path="s.yaml", allow=["mine"])
        if p.code == "unallowed-code"
    ] == []
    partly = check_text(text, path="s.yaml", allow=["mine.guards"])
    assert [p.line for p in partly if p.code == "unallowed-code"] == [4]


def test_check_rejects_a_malformed_allow_prefix() -> None:
    """allow= takes dotted module names, not references or a bare string."""
    with pytest.raises(fsmchat.InvalidArgument, match="not a module prefix"):
        check_text("agents: [{name: A}]\ntransitions: []\n", allow=["mine:f"])
    with pytest.raises(fsmchat.InvalidArgument, match="list of module prefixes"):
        check_text("agents: [{name: A}]\ntransitions: []\n", allow="mine")


def test_schema_errors_and_graph_errors_come_at_once() -> None:
    """A typo'd key (schema) and an edge that can never fire (graph) are reported by one check."""
    text = (
        "agents: [{name: A, descripton: x}, {name: B}, {name: C}]\n"
        "end: [B, C]\n"
        "transitions:\n"
        "  - {from: A, to: B}\n"
        "  - {from: A, to: C, when: {contains: x}}\n"
    )
    found = {(p.line, p.code) for p in check_text(text, path="t.yaml")}
    assert {(1, "unknown-key"), (5, "never-fires")} <= found


def test_a_broken_guard_does_not_make_later_edges_look_dead() -> None:
    """An edge whose guard has an error stays conditional: no invented never-fires after it."""
    text = (
        "agents: [{name: A}, {name: B}, {name: C}]\nend: [B, C]\n"
        "transitions:\n"
        "  - {from: A, to: B, when: {regex: '(unclosed'}}\n"
        "  - {from: A, to: C, when: {contains: x}}\n"
        "  - {from: A, to: B, default: true}\n"
    )
    assert codes(check_text(text, path="t.yaml")) == ["bad-guard"]


def test_a_guard_reading_an_agent_who_cannot_have_spoken() -> None:
    """`of: X` on an edge no path through X reaches warns reads-nothing; a reachable X does not."""
    text = (
        "start: Customer\n"
        "agents: [{name: Customer, kind: human}, {name: Triage}, {name: Billing}, {name: Late}]\n"
        "end: [Billing]\n"
        "transitions:\n"
        "  - {from: Customer, to: Triage}\n"
        "  - {from: Triage, to: Billing, when: {contains: refund, of: Customer}}\n"
        "  - {from: Triage, to: Late, when: {contains: late, of: Late}}\n"
        "  - {from: Triage, to: Customer}\n"
        "  - {from: Late, to: Billing}\n"
    )
    problems = check_text(text, path="t.yaml")
    assert [(p.line, p.code) for p in problems] == [(7, "reads-nothing")]
    assert (
        "reads the last message of 'Late', who cannot have spoken"
        in problems[0].message
    )
