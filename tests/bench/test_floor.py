"""fsmchat beside its floor (``fsmchat bench --perf``): a tiny run of every pair."""

from __future__ import annotations

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
