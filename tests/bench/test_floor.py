"""fsmchat beside its floor (``fsmchat bench --perf``): a tiny run of every pair."""

from __future__ import annotations

import pytest

from fsmchat._run.driver import run_chat
from fsmchat.adapters._files import load_spec
from fsmchat.bench.floor import (
    FloorConfig,
    _ratio,
    counting_by_hand,
    floor_goals,
    render_floor,
    run_floor,
)
from tests.helpers import COUNTING_TRANSCRIPT, SPECS


def test_hand_written_counting_chat_says_what_fsmchat_says() -> None:
    """The floor of a round is the same chat: the same 21 messages as run_chat."""
    result = run_chat(load_spec(SPECS / "counting.yaml"))
    assert counting_by_hand() == [(m.name, m.content) for m in result.messages]
    assert counting_by_hand() == COUNTING_TRANSCRIPT


def test_ratio_is_taken_per_block() -> None:
    """Each block's value is divided by the same block's floor; median and range follow."""
    ratio = _ratio([4.0, 9.0, 2.0], [2.0, 3.0, 2.0])
    assert ratio == {"median": 2.0, "low": 1.0, "high": 3.0, "value": 4.0, "floor": 2.0}


def test_tiny_floor_run_reports_each_pair_and_goal() -> None:
    """A one-block run times all three pairs, each with a goal and a report line."""
    notes: list[str] = []
    floor = run_floor(
        FloorConfig(blocks=1, chats=2, starts=1, http_blocks=1, http_chats=2),
        note=notes.append,
    )
    assert floor["round"]["messages"] == 21
    assert floor["round"]["triggers_per_chat"] == 20
    assert [len(v) for v in floor["round"]["samples_us"].values()] == [1, 1, 1]
    assert floor["start"]["command"] == "fsmchat run counting.yaml"
    assert floor["call"]["calls_per_chat"] == 15
    assert len(floor["call"]["samples_ms"]["bare"]) == 1
    goals = floor_goals(floor)
    assert [g["goal"].split(" <=")[0] for g in goals] == [
        "counting round all-in",
        "fsmchat run specs/counting.yaml",
        "CPU per model call at 2 chats",
    ]
    assert all(isinstance(g["ok"], bool) for g in goals)
    assert len(notes) == 3
    lines = render_floor(floor)
    assert lines[0].startswith("## Against the floor")
    assert sum(line.startswith("- ") for line in lines) == 3


def _start(run_ms: float, deps_ms: float, pass_ms: float) -> dict[str, object]:
    """Figures of start_vs_floor with one block each (no process started)."""
    return {
        "command": "fsmchat run counting.yaml",
        "dependencies": ["attrs", "click", "yaml", "transitions"],
        "run_vs_pass": _ratio([run_ms / 1e3], [pass_ms / 1e3]),
        "dependencies_vs_pass": _ratio([deps_ms / 1e3], [pass_ms / 1e3]),
        "run_vs_dependencies": _ratio([run_ms / 1e3], [deps_ms / 1e3]),
    }


def test_cli_figure_is_printed_beside_both_floors() -> None:
    """The run's line gives its ratio to python -c pass, to the dependencies alone, and its own share."""
    floor = {"config": {"blocks": 1, "starts": 1}, "start": _start(160, 120, 30)}
    [goal] = floor_goals(floor)
    assert goal["detail"] == (
        "fsmchat run counting.yaml: 160 ms = x5.33 python -c pass (30 ms; range "
        "x5.33-x5.33) = x1.33 importing its dependencies alone (attrs, click, yaml, "
        "transitions: 120 ms = x4.00 python -c pass, range x4.00-x4.00); fsmchat's "
        "own share 40 ms"
    )
    assert goal["goal"].endswith(
        "(unreachable here: importing the dependencies alone is x4.00)"
    )
    assert not goal["ok"]


def test_a_reachable_cli_goal_carries_no_note() -> None:
    """When the dependencies alone are within the goal, the goal reads as the issue states it."""
    [goal] = floor_goals({"start": _start(80, 60, 30)})
    assert goal["goal"] == "fsmchat run specs/counting.yaml <= 3.0x python -c pass"
    assert goal["ok"]


def test_floor_runs_only_the_parts_asked() -> None:
    """parts=('round',) measures the round pair alone, and an unknown part is refused."""
    floor = run_floor(
        FloorConfig(blocks=1, chats=1), note=lambda _: None, parts=("round",)
    )
    assert sorted(floor) == ["config", "round"]
    assert [g["goal"].split(" <=")[0] for g in floor_goals(floor)] == [
        "counting round all-in"
    ]
    assert sum(line.startswith("- ") for line in render_floor(floor)) == 1
    with pytest.raises(ValueError, match="unknown floor part"):
        run_floor(FloorConfig(blocks=1), parts=("rounds",))
