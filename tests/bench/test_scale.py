"""The scale figures of ``fsmchat bench --perf``: concurrent chats, setup, import (small sizes)."""

from __future__ import annotations

from fsmchat.bench.perf import render_perf
from fsmchat.bench.scale import ScaleConfig, run_scale, scale_goals


def test_small_scale_run_reports_every_figure_and_goal() -> None:
    """Concurrent counting_nl chats all come out correct; every figure and goal is reported."""
    notes: list[str] = []
    scale = run_scale(
        ScaleConfig(
            concurrency=(3, 12),
            repeats=2,
            setup_sizes=(5, 60),
            setups=5,
            counting_chats=3,
            import_repeats=1,
        ),
        note=notes.append,
    )
    rows = scale["concurrent"]
    assert [(r["chats"], r["correct"], r["calls"]) for r in rows] == [
        (3, 3, 45),
        (12, 12, 180),
    ]
    assert all(r["chats_per_s"] > 0 and r["p99_ms"] >= r["p50_ms"] for r in rows)
    assert 0 < rows[-1]["engine_share"] < 1
    assert [r["agents"] for r in scale["setup"]] == [5, 60]
    assert scale["round_cost"]["rounds"] == 21
    assert scale["import_s"] > 0
    goals = scale_goals(scale)
    assert goals[0] == {
        "goal": "12 concurrent chats all correct",
        "ok": True,
        "detail": "12/12 transcripts as expected",
    }
    assert any(g["goal"].startswith("import fsmchat") for g in goals)
    assert len(notes) == 5


def test_perf_report_renders_the_scale_section() -> None:
    """render_perf adds the concurrent-chats and setup tables when scale figures exist."""
    scale = {
        "concurrent": [
            {
                "chats": 100, "correct": 100, "wall_s": 2.0, "chats_per_s": 50.0,
                "calls": 1500, "calls_per_s": 750.0, "engine_share": 0.02,
                "cpu_ms_per_call": 1.0, "rss_mib_per_chat": 0.1, "p50_ms": 9.0,
                "p99_ms": 20.0,
            }
        ],
        "setup": [
            {"agents": 5, "edges": 10, "first_s": 0.001, "setup_us": 50.0},
            {"agents": 10_000, "edges": 20_000, "first_s": 0.9, "setup_us": 60.0},
        ],
        "round_cost": {"spec": "counting", "rounds": 21, "us_per_round": 12.0},
        "import_s": 0.05,
    }  # fmt: skip
    goals = {g["goal"]: g["ok"] for g in scale_goals(scale)}
    assert goals["100 concurrent chats >= 10x the 1.4 chats/s before"] is True
    assert goals["chat setup at 10,000 agents within 2x of 5 agents (after the first)"]
    figures = {
        "environment": {"fsmchat": "0", "python": "3", "implementation": "c",
                        "machine": "m", "platform": "p"},
        "config": {"repeats": 1}, "goals": [], "overhead_vs_agents": [],
        "overhead_vs_history": [], "profile": {"rounds": 1, "by_module": {}, "top": []},
        "load_and_check": {"agents": 1, "edges": 1, "peak_mib": None,
                           "engine_build_s": 0.0,
                           "json": {"bytes": 1, "load_s": 0, "check_s": 0,
                                    "check_problems": 0, "load_plus_check_s": 0},
                           "yaml": {"bytes": 1, "load_s": 0, "check_s": 0,
                                    "check_problems": 0, "load_plus_check_s": 0}},
        "prompt_tokens": [], "scale": scale,
    }  # fmt: skip
    text = render_perf(figures)
    assert "| 100 | 100 | 50.0 | 750 | 2.0 % | 1.00 | 0.100 | 9.0 | 20.0 |" in text
    assert "| 10,000 | 20,000 | 900.0 ms | 60 µs |" in text
