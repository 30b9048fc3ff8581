"""Bench folders for the dashboard's tests: real small runs and a generated 10,000-trial one.

:func:`big_bench` writes a ``results.json`` in the ``fsmchat.bench/1`` format
with any number of counting trials, of every outcome, made from the spec's own
edges (exact paths, a wrong turn, an illegal move, a stop with no route), so
the page has real data to filter without running 10,000 chats.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from fsmchat.cli import main

#: The counting scenario's ground-truth path (User, Planner, then the loop).
_TRUTH = ["User", "Planner"] + ["Engineer", "Executor", "Engineer", "Critic"] * 4
#: Per outcome: the speakers of a trial, from the truth.
_PATHS = {
    "exact": _TRUTH,
    "diverged": [*_TRUTH[:5], "Critic", "Engineer", "Critic"],
    "illegal": [*_TRUTH[:4], "Critic", "Planner"],
    "no route": _TRUTH[:6],
}
MODES = ("free", "graph", "fsm-nl", "fsm")
MODELS = ("oracle", "noisy:0.2", "noisy:0.5")


def small_bench(out: Path) -> Path:
    """``fsmchat bench`` of counting and triage, free and fsm, oracle and noisy:0.3, 3 trials."""
    args = ["bench", "--scenarios", "counting,triage", "--modes", "free,fsm"]
    args += ["--models", "oracle,noisy:0.3", "--trials", "3", "--out", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    return out


def big_bench(out: Path, trials: int) -> dict[str, int]:
    """Write a counting bench folder of ``trials`` trials; return the count per outcome."""
    rng = random.Random(7)
    counts = dict.fromkeys(_PATHS, 0)
    rows: list[dict[str, Any]] = []
    per_cell = trials // (len(MODES) * len(MODELS))
    for i in range(trials):
        cell = min(i // per_cell, len(MODES) * len(MODELS) - 1)
        mode, model = MODES[cell // len(MODELS)], MODELS[cell % len(MODELS)]
        outcome = "exact" if model == "oracle" else rng.choice(list(_PATHS))
        counts[outcome] += 1
        speakers = _PATHS[outcome]
        rows.append(
            {
                "scenario": "counting",
                "mode": mode,
                "model": model,
                "trial": i,
                "speakers": speakers,
                "truth": _TRUTH,
                "exact": outcome == "exact",
                "illegal": 1 if outcome == "illegal" else 0,
                "finished": "no route" if outcome == "no route" else "terminate_when",
                "error": None,
            }
        )
    cells = [
        {"scenario": "counting", "mode": m, "model": k, "trials": per_cell}
        for m in MODES
        for k in MODELS
    ]
    out.mkdir()
    data = {
        "format": "fsmchat.bench/1",
        "config": {"trials": per_cell},
        "cells": cells,
        "trials": rows,
    }
    (out / "results.json").write_text(json.dumps(data))
    return counts
